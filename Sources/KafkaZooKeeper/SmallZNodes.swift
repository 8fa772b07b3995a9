public import KafkaCore

/// `/cluster/id`: `{"id":"<22-char base64url UUID>","version":"1"}` (the version is a string).
public enum ClusterIDZNode {
    public static func encode(_ id: String) -> [UInt8] { ZNodeJSON.encode(["version": "1", "id": id]) }

    public static func decode(_ bytes: [UInt8]?) throws(ZNodeError) -> String {
        guard let id = try ZNodeJSON.decode(bytes, path: ZkPaths.clusterID)["id"] as? String else {
            throw .malformed(path: ZkPaths.clusterID, reason: "no id")
        }
        return id
    }
}

/// `/config/<type>/<name>`: `{"config":{"retention.ms":"86400000"},"version":1}` (values always strings).
public enum ConfigZNode {
    public static func encode(_ config: [String: String]) -> [UInt8] {
        ZNodeJSON.encode(["version": 1, "config": config])
    }

    public static func decode(_ bytes: [UInt8]?, path: String) throws(ZNodeError) -> [String: String] {
        guard let bytes, !bytes.isEmpty else { return [:] }
        let object = try ZNodeJSON.decode(bytes, path: path)
        guard let config = object["config"] as? [String: Any] else { return [:] }
        return config.compactMapValues { $0 as? String ?? ($0 as? any CustomStringConvertible)?.description }
    }

    /// `/config/changes/config_change_<seq>` (persistent sequential): `{"entity_path":"topics/foo","version":2}`.
    public static func encodeChangeNotification(entityType: String, name: String) -> [UInt8] {
        ZNodeJSON.encode(["version": 2, "entity_path": "\(entityType)/\(name)"])
    }

    /// The entity path of a change notification (`topics/foo`, `users/alice`, `users/alice/clients/c1`); nil when
    /// the node is not one.
    public static func decodeChangeNotification(_ bytes: [UInt8]?, path: String) -> String? {
        guard let bytes, let object = try? ZNodeJSON.decode(bytes, path: path) else { return nil }
        return object["entity_path"] as? String
    }

    public static let changeNotificationPrefix = "\(ZkPaths.configChanges)/config_change_"
}

/// `/isr_change_notification/isr_change_<seq>`: `{"partitions":[{"partition":0,"topic":"foo"}],"version":1}`.
public enum IsrChangeNotification {
    public static let prefix = "\(ZkPaths.isrChangeNotification)/isr_change_"

    public static func encode(_ partitions: [TopicPartition]) -> [UInt8] {
        ZNodeJSON.encode([
            "version": 1,
            "partitions": partitions.map { ["topic": $0.topic, "partition": $0.partition] as [String: Any] },
        ])
    }

    public static func decode(_ bytes: [UInt8]?, path: String) throws(ZNodeError) -> [TopicPartition] {
        let object = try ZNodeJSON.decode(bytes, path: path)
        return (object["partitions"] as? [[String: Any]] ?? []).compactMap { entry in
            guard let topic = entry["topic"] as? String, let partition = ZNodeJSON.int(entry["partition"]) else {
                return nil
            }
            return TopicPartition(topic, Int32(partition))
        }
    }
}

/// `/latest_producer_id_block`: `{"block_end":"1999","block_start":"1000","broker":2,"version":1}` (the bounds are
/// strings). Blocks hold 1000 ids; the first is 0-999.
public struct ProducerIDBlock: Sendable, Equatable {
    public static let size: Int64 = 1000

    public var brokerID: BrokerID
    public var start: Int64
    public var end: Int64

    public init(brokerID: BrokerID, start: Int64, end: Int64) {
        self.brokerID = brokerID
        self.start = start
        self.end = end
    }

    public func encode() -> [UInt8] {
        ZNodeJSON.encode(["version": 1, "broker": brokerID, "block_start": String(start), "block_end": String(end)])
    }

    public static func decode(_ bytes: [UInt8]?) throws(ZNodeError) -> ProducerIDBlock {
        let object = try ZNodeJSON.decode(bytes, path: ZkPaths.latestProducerIDBlock)
        guard let broker = ZNodeJSON.int(object["broker"]), let start = ZNodeJSON.int(object["block_start"]),
            let end = ZNodeJSON.int(object["block_end"])
        else { throw .malformed(path: ZkPaths.latestProducerIDBlock, reason: "missing fields") }
        return ProducerIDBlock(brokerID: Int32(broker), start: start, end: end)
    }
}
