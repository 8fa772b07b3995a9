import KafkaController
public import KafkaCore
import KafkaZooKeeper

/// Creates topics in ZooKeeper as Kafka 2.8 does (config znode, then assignment znode), for CreateTopics and for
/// automatic creation on Metadata; the controller does the rest when it sees the new topic.
public struct TopicCreator: Sendable {
    let services: BrokerServices

    public struct Failure: Error, Sendable {
        public var code: KafkaErrorCode
        public var message: String
    }

    /// Kafka's legal topic names: 1 to 249 of `[a-zA-Z0-9._-]`, not "." or "..".
    public static func validate(name: String) throws(Failure) {
        let legal = name.utf8.allSatisfy { byte in
            (byte >= 0x61 && byte <= 0x7A) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x30 && byte <= 0x39)
                || byte == 0x2E || byte == 0x5F || byte == 0x2D
        }
        guard !name.isEmpty, name.utf8.count <= 249, name != ".", name != "..", legal else {
            throw Failure(
                code: .invalidTopicException,
                message: "Topic name \"\(name)\" is illegal: it must be 1 to 249 of [a-zA-Z0-9._-] and not . or .."
            )
        }
    }

    /// Validates and (unless `validateOnly`) writes the topic. Returns the partition count and replication factor
    /// used. `manualAssignment`, when given, replaces the computed one.
    @discardableResult
    public func create(
        _ name: String,
        partitions: Int32,
        replicationFactor: Int16,
        configs: [String: String],
        manualAssignment: [PartitionID: [BrokerID]]? = nil,
        validateOnly: Bool = false
    ) async throws(Failure) -> (partitions: Int32, replicationFactor: Int16) {
        try Self.validate(name: name)
        let partitionCount = partitions == -1 ? services.config.numPartitions : partitions
        let factor = replicationFactor == -1 ? services.config.defaultReplicationFactor : replicationFactor
        do {
            _ = try TopicConfig.apply(configs, to: services.config.logConfig)
        } catch {
            throw Failure(code: .invalidConfig, message: "\(error)")
        }
        // The registered brokers, from ZooKeeper as Kafka's AdminZkClient reads them (the metadata cache may not have
        // heard from the controller yet, right after a start).
        let registered: [(id: BrokerID, rack: String?)]
        do {
            registered = try await services.zk.getAllBrokers().map { ($0.id, $0.rack) }
        } catch {
            throw Failure(code: .unknownServerError, message: "cannot read the registered brokers: \(error)")
        }
        let brokers = registered.map(\.id)
        let assignment: [PartitionID: [BrokerID]]
        if let manualAssignment, !manualAssignment.isEmpty {
            assignment = manualAssignment
            guard assignment.values.allSatisfy({ $0.allSatisfy(brokers.contains) && !$0.isEmpty }) else {
                throw Failure(code: .invalidReplicaAssignment, message: "the assignment names unknown brokers")
            }
        } else {
            guard partitionCount > 0 else {
                throw Failure(code: .invalidPartitions, message: "Number of partitions must be larger than 0.")
            }
            do {
                assignment = try ReplicaAssignment.assign(
                    partitions: Int(partitionCount),
                    replicationFactor: Int(factor),
                    brokers: registered
                )
            } catch .partialRackInformation {
                // Kafka's AdminOperationException, which reaches the client as UNKNOWN_SERVER_ERROR.
                throw Failure(
                    code: .unknownServerError,
                    message: "Not all brokers have rack information for replica rack aware assignment."
                )
            } catch {
                throw Failure(
                    code: .invalidReplicationFactor,
                    message: "Replication factor: \(factor) larger than available brokers: \(brokers.count)."
                )
            }
        }
        if validateOnly {
            if services.metadataCache.partitions(of: name) != nil {
                throw Failure(code: .topicAlreadyExists, message: "Topic '\(name)' already exists.")
            }
            return (Int32(assignment.count), Int16(assignment.values.first?.count ?? Int(factor)))
        }
        do {
            try await services.zk.createTopic(
                TopicAssignment(topic: name, partitions: assignment, topicID: .random()),
                config: configs
            )
        } catch KafkaZkClient.Failure.topicAlreadyExists {
            throw Failure(code: .topicAlreadyExists, message: "Topic '\(name)' already exists.")
        } catch {
            throw Failure(code: .unknownServerError, message: "\(error)")
        }
        services.logger.info("Created topic", metadata: ["topic": "\(name)", "partitions": "\(assignment.count)"])
        return (Int32(assignment.count), Int16(assignment.values.first?.count ?? Int(factor)))
    }

    /// Waits until the metadata cache knows a leader for every partition of `topic`, or `timeout` passes.
    public func waitForLeaders(_ topic: String, partitions: Int32, timeout: Duration) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if let known = services.metadataCache.partitions(of: topic), known.count >= partitions,
                known.values.allSatisfy({ $0.leader >= 0 })
            {
                return true
            }
            await RequestWaitClock.parked { try? await Task.sleep(for: .milliseconds(20)) }
        }
        return false
    }
}
