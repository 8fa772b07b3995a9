import KafkaCore
import KafkaProtocol
import KafkaZooKeeper

/// The controller's admin work: preferred-leader elections (requested through `/admin/preferred_replica_election`,
/// or found by the periodic imbalance check of `auto.leader.rebalance.enable`) and partition reassignments
/// through `/admin/reassign_partitions`, as Kafka 2.8's ZooKeeper controller does them.
///
/// A reassignment to target replicas RS of a partition with replicas OR: the assignment becomes RS + OR (with
/// `adding_replicas`/`removing_replicas` in the topic znode) and a LeaderAndIsr with a new leader epoch starts the
/// new replicas fetching; once every replica of RS is in the ISR, the leader moves into RS if it is not there, the
/// ISR and the assignment become RS (another epoch), and the replicas that left get StopReplica with deletion.
extension Controller {
    // MARK: Preferred leaders

    func onPreferredReplicaElection() async throws {
        guard let requested = try await zk.getPreferredReplicaElection(watch: true) else { return }
        let changed = try await electPreferredLeaders(Set(requested))
        logger.info(
            "Preferred replica election",
            metadata: ["requested": "\(requested.count)", "moved": "\(changed.sorted())"]
        )
        try await zk.deletePreferredReplicaElection(epochZkVersion: epochZkVersion)
        await announce(changed)
    }

    /// Kafka's auto leader rebalance: for each broker whose preferred partitions it does not lead exceed
    /// `thresholdPercent`, leadership moves back to it where it is alive and in sync.
    func onAutoLeaderRebalance(thresholdPercent: Int) async {
        guard isActiveNow else { return }
        var candidates: Set<TopicPartition> = []
        for broker in liveBrokers.keys {
            let preferred = states.keys.filter { assignments[$0.topic]?.partitions[$0.partition]?.first == broker }
            let notLed = preferred.filter { states[$0]?.leader != broker }
            if !preferred.isEmpty && notLed.count * 100 > thresholdPercent * preferred.count {
                candidates.formUnion(notLed)
            }
        }
        guard !candidates.isEmpty else { return }
        do {
            let changed = try await electPreferredLeaders(candidates)
            if !changed.isEmpty {
                logger.info(
                    "Rebalanced leaders to their preferred replicas",
                    metadata: ["moved": "\(changed.sorted())"]
                )
                await announce(changed)
            }
        } catch KafkaZkClient.Failure.controllerMoved {
            resign()
        } catch {
            logger.error("Leader rebalance failed: \(error)")
        }
    }

    private func electPreferredLeaders(_ partitions: Set<TopicPartition>) async throws -> Set<TopicPartition> {
        var changed: Set<TopicPartition> = []
        for partition in partitions.sorted() {
            let wrote = try await update(partition) { state, replicas in
                self.decideElection(.preferred, state, replicas).proposed
            }
            if wrote { changed.insert(partition) }
        }
        return changed
    }

    func announce(_ changed: Set<TopicPartition>) async {
        guard !changed.isEmpty else { return }
        await sendLeaderAndIsr(for: Array(changed))
        await sendUpdateMetadata(to: Array(liveBrokers.values), partitions: Array(changed))
    }

    // MARK: Reassignment

    func onPartitionReassignment() async throws {
        guard let requested = try await zk.getPartitionReassignment(watch: true) else { return }
        var accepted = reassignments
        for (partition, target) in requested.sorted(by: { $0.key < $1.key }) where reassignments[partition] == nil {
            if topicsToBeDeleted.contains(partition.topic) {
                logger.warning(
                    "Ignoring the reassignment of a topic being deleted",
                    metadata: ["partition": "\(partition)"]
                )
                continue
            }
            guard assignments[partition.topic]?.partitions[partition.partition] != nil, !target.isEmpty,
                Set(target).count == target.count
            else {
                logger.warning(
                    "Ignoring an invalid reassignment",
                    metadata: ["partition": "\(partition)", "replicas": "\(target)"]
                )
                continue
            }
            accepted[partition] = target
            try await startReassignment(partition, to: target)
        }
        reassignments = accepted
        try await maybeCompleteReassignments()
        if reassignments.isEmpty { try await zk.setPartitionReassignment([:], epochZkVersion: epochZkVersion) }
    }

    /// Adds the target replicas (RS + OR) and tells every replica, with a new leader epoch. OR, the original
    /// replicas, are the current ones less those a reassignment in progress is adding; replicas that reassignment
    /// added and the new target drops leave at once (out of the ISR, leadership moved, StopReplica with deletion),
    /// as Kafka's `updateCurrentReassignment` and `stopRemovedReplicasOfReassignment` do.
    func startReassignment(_ partition: TopicPartition, to target: [BrokerID]) async throws {
        guard var assignment = assignments[partition.topic],
            let current = assignment.partitions[partition.partition]
        else { return }
        let wasAdding = assignment.addingReplicas[partition.partition] ?? []
        let origin = current.filter { !wasAdding.contains($0) }
        let full = target + origin.filter { !target.contains($0) }
        let dropped = current.filter { !full.contains($0) }
        logger.info(
            "Reassigning",
            metadata: ["partition": "\(partition)", "from": "\(origin)", "to": "\(target)"]
        )
        let adding = target.filter { !origin.contains($0) }
        let removing = origin.filter { !target.contains($0) }
        guard full != current || adding != wasAdding else { return }
        assignment.partitions[partition.partition] = full
        assignment.addingReplicas[partition.partition] = adding.isEmpty ? nil : adding
        assignment.removingReplicas[partition.partition] = removing.isEmpty ? nil : removing
        try await zk.setTopicAssignment(assignment, epochZkVersion: epochZkVersion)
        assignments[partition.topic] = assignment
        let added = adding.filter { !current.contains($0) }.map { PartitionReplica(partition: partition, broker: $0) }
        replicaStates.move(added, to: .new, logger: logger)
        _ = try await update(partition) { state, _ in
            var proposed = state
            proposed.leaderEpoch += 1
            proposed.isr = state.isr.filter { !dropped.contains($0) }
            if dropped.contains(state.leader) {
                proposed.leader = proposed.isr.first(where: self.isUsable) ?? -1
            }
            return proposed
        }
        await announce([partition])
        for replica in added {
            replicaStates.move([replica], to: isUsable(replica.broker) ? .online : .offline, logger: logger)
        }
        if !dropped.isEmpty {
            let leaving = dropped.map { PartitionReplica(partition: partition, broker: $0) }
            replicaStates.move(leaving, to: .offline, logger: logger)
            stopReplicas(partition, on: dropped)
            replicasDeleted(leaving)
        }
    }

    /// Finishes each reassignment whose target replicas are all in sync.
    func maybeCompleteReassignments() async throws {
        for (partition, target) in reassignments.sorted(by: { $0.key < $1.key }) {
            guard let state = states[partition], target.allSatisfy(state.isr.contains),
                var assignment = assignments[partition.topic],
                let current = assignment.partitions[partition.partition]
            else { continue }
            let removed = current.filter { !target.contains($0) }
            _ = try await update(partition) { state, _ in
                var proposed = state
                proposed.leaderEpoch += 1
                proposed.isr = state.isr.filter(target.contains)
                if !target.contains(state.leader) || !self.isUsable(state.leader) {
                    proposed.leader = target.first { self.isUsable($0) && proposed.isr.contains($0) } ?? -1
                }
                return proposed
            }
            assignment.partitions[partition.partition] = target
            assignment.addingReplicas[partition.partition] = nil
            assignment.removingReplicas[partition.partition] = nil
            try await zk.setTopicAssignment(assignment, epochZkVersion: epochZkVersion)
            assignments[partition.topic] = assignment
            await announce([partition])
            let leaving = removed.map { PartitionReplica(partition: partition, broker: $0) }
            replicaStates.move(leaving, to: .offline, logger: logger)
            stopReplicas(partition, on: removed)
            replicasDeleted(leaving)
            reassignments[partition] = nil
            logger.info("Reassignment complete", metadata: ["partition": "\(partition)", "replicas": "\(target)"])
            try await zk.setPartitionReassignment(reassignments, epochZkVersion: epochZkVersion)
        }
        // A topic whose deletion waited for its reassignment may go on.
        if !topicsToBeDeleted.isEmpty { try await resumeDeletions() }
    }

    /// Offline `replicas` left their partition in a reassignment and were sent StopReplica with deletion: they pass
    /// through the deletion states to NonExistent without awaiting the answers (a replica on a dead broker keeps its
    /// log until an operator removes it, as in Kafka).
    func replicasDeleted(_ replicas: [PartitionReplica]) {
        for state in [ReplicaState.deletionStarted, .deletionSuccessful, .nonExistent] {
            replicaStates.move(replicas, to: state, logger: logger)
        }
    }

    /// StopReplica with deletion to the brokers that no longer hold `partition`.
    func stopReplicas(_ partition: TopicPartition, on brokers: [BrokerID]) {
        for id in brokers {
            guard let broker = liveBrokers[id] else { continue }
            sendStopReplica([partition], leaderEpoch: states[partition]?.leaderEpoch ?? -1, to: broker)
        }
    }
}
