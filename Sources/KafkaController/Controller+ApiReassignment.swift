public import KafkaCore
import KafkaZooKeeper

/// AlterPartitionReassignments and ListPartitionReassignments (KIP-455: `kafka-reassign-partitions
/// --bootstrap-server`, admin clients), answered by the active controller as Kafka 2.8's
/// `onApiPartitionReassignment` and `onListPartitionReassignments` do.
///
/// A target replica list starts a reassignment through the same path as `/admin/reassign_partitions`
/// (`startReassignment`: RS + OR with adding/removing replicas in the topic znode), replacing one in progress; a
/// null list cancels the one in progress by reassigning back to its original replicas, which drops the replicas it
/// was adding. As in Kafka 2.8 they are not written to `/admin/reassign_partitions`: the topic znode's
/// adding/removing replicas record them, and a new controller resumes them from there. Queued as events like every
/// controller change.
extension Controller {
    /// One partition's answer: NONE, or Kafka's error with its message.
    public struct ReassignmentResult: Sendable, Equatable {
        public var errorCode: KafkaErrorCode
        public var message: String?

        public init(_ errorCode: KafkaErrorCode, _ message: String? = nil) {
            self.errorCode = errorCode
            self.message = message
        }
    }

    /// A reassignment in progress: the full replica set (target and original), the replicas being added, those
    /// being removed.
    public struct OngoingReassignment: Sendable, Equatable {
        public var replicas: [BrokerID]
        public var adding: [BrokerID]
        public var removing: [BrokerID]
    }

    /// Per partition; nil when this broker is not the active controller. A nil target cancels.
    public nonisolated func alterPartitionReassignments(
        _ requested: [TopicPartition: [BrokerID]?]
    ) async -> [TopicPartition: ReassignmentResult]? {
        guard case .reassignments(let results) = await process(.alterPartitionReassignments(requested)) else {
            return nil
        }
        return results
    }

    /// The reassignments in progress among `partitions` (all when nil); nil when not the active controller.
    public nonisolated func listPartitionReassignments(
        _ partitions: [TopicPartition]?
    ) async -> [TopicPartition: OngoingReassignment]? {
        guard case .ongoingReassignments(let ongoing) = await process(.listPartitionReassignments(partitions)) else {
            return nil
        }
        return ongoing
    }

    func onAlterPartitionReassignments(
        _ requested: [TopicPartition: [BrokerID]?]
    ) async -> [TopicPartition: ReassignmentResult]? {
        guard isActiveNow else { return nil }
        var results: [TopicPartition: ReassignmentResult] = [:]
        for (partition, target) in requested.sorted(by: { $0.key < $1.key }) {
            guard let assignment = assignments[partition.topic],
                let current = assignment.partitions[partition.partition],
                !topicsToBeDeleted.contains(partition.topic)
            else {
                results[partition] = ReassignmentResult(.unknownTopicOrPartition, "The partition does not exist.")
                continue
            }
            let replicas: [BrokerID]
            if let target {
                if let problem = invalidReplicas(target) {
                    results[partition] = ReassignmentResult(.invalidReplicaAssignment, problem)
                    continue
                }
                replicas = target
            } else {
                guard reassignments[partition] != nil else {
                    results[partition] = ReassignmentResult(
                        .noReassignmentInProgress,
                        "No reassignment in progress for partition \(partition)."
                    )
                    continue
                }
                let adding = assignment.addingReplicas[partition.partition] ?? []
                replicas = current.filter { !adding.contains($0) }
            }
            do {
                reassignments[partition] = replicas
                try await startReassignment(partition, to: replicas)
                results[partition] = ReassignmentResult(.none)
            } catch KafkaZkClient.Failure.controllerMoved {
                resign()
                return nil
            } catch {
                logger.error("Reassignment failed: \(error)", metadata: ["partition": "\(partition)"])
                results[partition] = ReassignmentResult(.unknownServerError, "\(error)")
            }
        }
        do {
            try await maybeCompleteReassignments()
        } catch KafkaZkClient.Failure.controllerMoved {
            resign()
            return nil
        } catch {
            logger.error("Could not record the reassignments: \(error)")
        }
        return results
    }

    /// Kafka's `validateReplicas`: a non-empty list of distinct live brokers.
    private func invalidReplicas(_ target: [BrokerID]) -> String? {
        if target.isEmpty { return "Empty replica list specified in partition reassignment." }
        if Set(target).count != target.count {
            return "Duplicate replica ids in partition reassignment replica list: \(target)"
        }
        if target.contains(where: { $0 < 0 }) { return "Invalid broker id in replica list: \(target)" }
        if !target.allSatisfy({ liveBrokers[$0] != nil }) {
            return "The proposed assignment contains non-live brokers: \(target)"
        }
        return nil
    }

    func onListPartitionReassignments(_ partitions: [TopicPartition]?) -> [TopicPartition: OngoingReassignment]? {
        guard isActiveNow else { return nil }
        var ongoing: [TopicPartition: OngoingReassignment] = [:]
        for partition in partitions ?? Array(reassignments.keys) where reassignments[partition] != nil {
            guard let assignment = assignments[partition.topic],
                let replicas = assignment.partitions[partition.partition]
            else { continue }
            ongoing[partition] = OngoingReassignment(
                replicas: replicas,
                adding: assignment.addingReplicas[partition.partition] ?? [],
                removing: assignment.removingReplicas[partition.partition] ?? []
            )
        }
        return ongoing
    }
}
