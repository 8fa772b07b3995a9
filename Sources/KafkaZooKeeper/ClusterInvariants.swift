import KafkaCore

/// The invariants of a healthy ZooKeeper-era Kafka cluster, checked on a `ClusterSnapshot` (a pure function, so
/// tests can hand it any tree): exactly one controller, registered; `/controller_epoch` present and never below a
/// partition state's controller epoch; every partition with a state, a registered leader inside its ISR, an ISR
/// inside its replicas, and every assigned replica's broker registered; no admin request or notification older
/// than `staleAfterMs` (the controller deletes them once handled) and no deletion request for a missing topic.
public enum ClusterInvariants {
    public struct Violation: Sendable, Equatable, CustomStringConvertible {
        /// A stable name for scripts: `controller`, `controller-epoch`, `partition-state`, `leader-not-in-isr`,
        /// `offline`, `isr-not-in-replicas`, `replica-broker-missing`, `stale-node`.
        public var kind: String
        public var detail: String
        public var description: String { "\(kind): \(detail)" }
    }

    public static func check(_ snapshot: ClusterSnapshot, staleAfterMs: Int64 = 60_000) -> [Violation] {
        var violations: [Violation] = []
        func flag(_ kind: String, _ detail: String) { violations.append(Violation(kind: kind, detail: detail)) }
        let registered = snapshot.brokerIDs
        if let controller = snapshot.controller {
            if !registered.contains(controller.brokerID) {
                flag("controller", "/controller names broker \(controller.brokerID), which is not registered")
            }
        } else {
            flag("controller", "no /controller: the cluster has no controller")
        }
        let epoch = snapshot.controllerEpoch
        if epoch == nil { flag("controller-epoch", "/controller_epoch is missing") }
        for (topic, assignment) in snapshot.topics.sorted(by: { $0.key < $1.key }) {
            for (partition, replicas) in assignment.partitions.sorted(by: { $0.key < $1.key }) {
                let name = "\(topic)-\(partition)"
                guard let state = snapshot.states[TopicPartition(topic, partition)] else {
                    flag("partition-state", "\(name) has no state znode")
                    continue
                }
                if let epoch, state.controllerEpoch > epoch {
                    flag(
                        "controller-epoch",
                        "\(name) was written by controller epoch \(state.controllerEpoch), above /controller_epoch \(epoch)"
                    )
                }
                if state.leader < 0 {
                    flag("offline", "\(name) has no leader (ISR \(state.isr))")
                } else if !registered.contains(state.leader) {
                    flag("offline", "\(name) is led by broker \(state.leader), which is not registered")
                } else if !state.isr.contains(state.leader) {
                    flag("leader-not-in-isr", "\(name): leader \(state.leader) is not in its ISR \(state.isr)")
                }
                let outside = state.isr.filter { !replicas.contains($0) }
                if !outside.isEmpty {
                    flag("isr-not-in-replicas", "\(name): ISR \(state.isr) has \(outside) outside replicas \(replicas)")
                }
                let missing = replicas.filter { !registered.contains($0) }
                if !missing.isEmpty {
                    flag("replica-broker-missing", "\(name): replicas \(missing) are not registered brokers")
                }
            }
        }
        for pending in snapshot.pending {
            let deletedTopic =
                pending.path.hasPrefix(ZkPaths.deleteTopics + "/")
                ? String(pending.path.dropFirst(ZkPaths.deleteTopics.count + 1)) : nil
            if let deletedTopic, snapshot.topics[deletedTopic] == nil {
                flag("stale-node", "\(pending.path) asks to delete a topic that does not exist")
            } else if pending.ageMs > staleAfterMs {
                flag("stale-node", "\(pending.path) has waited \(pending.ageMs / 1000) s for the controller")
            }
        }
        return violations
    }
}
