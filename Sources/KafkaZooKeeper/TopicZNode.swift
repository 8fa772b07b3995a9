public import KafkaCore

/// `/brokers/topics/<topic>`: a topic's replica assignment, version 3 as Kafka 2.8 writes it:
///
///     {"adding_replicas":{},"partitions":{"0":[1,2,3],"1":[2,3,1]},"removing_replicas":{},
///      "topic_id":"pPB2CXmaQ3eblxBKVmt8qQ","version":3}
///
/// The first replica of each list is the preferred leader. Versions 1 to 3 are read.
public struct TopicAssignment: Sendable, Equatable {
    public var topic: String
    public var partitions: [PartitionID: [BrokerID]]
    public var topicID: KafkaUUID?
    public var addingReplicas: [PartitionID: [BrokerID]] = [:]
    public var removingReplicas: [PartitionID: [BrokerID]] = [:]

    public init(topic: String, partitions: [PartitionID: [BrokerID]], topicID: KafkaUUID? = nil) {
        self.topic = topic
        self.partitions = partitions
        self.topicID = topicID
    }

    public var path: String { ZkPaths.topic(topic) }

    public func encode() -> [UInt8] {
        func replicas(_ map: [PartitionID: [BrokerID]]) -> [String: [Int32]] {
            Dictionary(uniqueKeysWithValues: map.map { (String($0.key), $0.value) })
        }
        var object: [String: Any] = [
            "version": 3, "partitions": replicas(partitions), "adding_replicas": replicas(addingReplicas),
            "removing_replicas": replicas(removingReplicas),
        ]
        if let topicID { object["topic_id"] = topicID.description }
        return ZNodeJSON.encode(object)
    }

    public static func decode(topic: String, _ bytes: [UInt8]?) throws(ZNodeError) -> TopicAssignment {
        let path = ZkPaths.topic(topic)
        let object = try ZNodeJSON.decode(bytes, path: path)
        func replicas(_ value: Any?) throws(ZNodeError) -> [PartitionID: [BrokerID]] {
            guard let value else { return [:] }
            guard let map = value as? [String: Any] else { throw .malformed(path: path, reason: "bad replica map") }
            var result: [PartitionID: [BrokerID]] = [:]
            for (key, list) in map {
                guard let partition = Int32(key), let ids = list as? [Any] else {
                    throw .malformed(path: path, reason: "bad partition \(key)")
                }
                result[partition] = ids.compactMap { ZNodeJSON.int($0).map { Int32($0) } }
            }
            return result
        }
        var assignment = TopicAssignment(
            topic: topic,
            partitions: try replicas(object["partitions"]),
            topicID: (object["topic_id"] as? String).flatMap(KafkaUUID.init)
        )
        assignment.addingReplicas = try replicas(object["adding_replicas"])
        assignment.removingReplicas = try replicas(object["removing_replicas"])
        return assignment
    }
}
