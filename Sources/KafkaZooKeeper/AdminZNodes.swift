public import KafkaCore

/// The admin requests a ZooKeeper-era operator (or `kafka-reassign-partitions.sh --zookeeper`,
/// `kafka-preferred-replica-election.sh`) writes for the controller:
///
/// - `/admin/preferred_replica_election`: `{"version":1,"partitions":[{"topic":"t","partition":0}]}`: move
///   leadership back to each partition's first replica;
/// - `/admin/reassign_partitions`: `{"version":1,"partitions":[{"topic":"t","partition":0,"replicas":[2,3]}]}`:
///   give partitions new replica lists.
///
/// The controller deletes a request once it has acted on all of it.
public enum AdminZNodes {
    public static func encodePartitions(_ partitions: [TopicPartition]) -> [UInt8] {
        ZNodeJSON.encode([
            "version": 1,
            "partitions": partitions.map { ["topic": $0.topic, "partition": $0.partition] as [String: Any] },
        ])
    }

    public static func encodeReassignment(_ reassignment: [TopicPartition: [BrokerID]]) -> [UInt8] {
        ZNodeJSON.encode([
            "version": 1,
            "partitions": reassignment.sorted { $0.key < $1.key }.map {
                ["topic": $0.key.topic, "partition": $0.key.partition, "replicas": $0.value] as [String: Any]
            },
        ])
    }

    /// The partitions of either request, with the replicas of a reassignment (empty for an election).
    public static func decode(_ bytes: [UInt8]?, path: String) throws(ZNodeError) -> [(TopicPartition, [BrokerID])] {
        let object = try ZNodeJSON.decode(bytes, path: path)
        guard let entries = object["partitions"] as? [[String: Any]] else {
            throw .malformed(path: path, reason: "no partitions")
        }
        return try entries.map { (entry) throws(ZNodeError) -> (TopicPartition, [BrokerID]) in
            guard let topic = entry["topic"] as? String, let partition = ZNodeJSON.int(entry["partition"]) else {
                throw .malformed(path: path, reason: "an entry without topic and partition")
            }
            let replicas = (entry["replicas"] as? [Any] ?? []).compactMap { ZNodeJSON.int($0).map { Int32($0) } }
            return (TopicPartition(topic, Int32(partition)), replicas)
        }
    }
}
