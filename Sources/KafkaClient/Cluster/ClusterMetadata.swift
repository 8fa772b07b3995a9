public import KafkaCore
public import KafkaProtocol

/// What the cluster said in its last Metadata answers: the brokers, and per topic its partitions with their
/// leaders and leader epochs. A value: the `Cluster` actor holds the current one and hands out copies.
public struct ClusterMetadata: Sendable {
    public var brokers: [BrokerID: BrokerAddress] = [:]
    public var controllerID: BrokerID = -1
    public var topics: [String: TopicMetadata] = [:]

    public init() {}

    /// The leader of `partition` and its address, when known.
    public func leader(of partition: TopicPartition) -> (id: BrokerID, address: BrokerAddress)? {
        guard let leader = topics[partition.topic]?.partitions[partition.partition]?.leader, leader >= 0,
            let address = brokers[leader]
        else { return nil }
        return (leader, address)
    }
}

/// One topic as Metadata describes it.
public struct TopicMetadata: Sendable {
    public var error: KafkaErrorCode
    public var isInternal: Bool
    public var partitions: [PartitionID: PartitionMetadata]

    public var partitionCount: Int32 { Int32(partitions.count) }
}

/// One partition as Metadata describes it.
public struct PartitionMetadata: Sendable {
    public var error: KafkaErrorCode
    public var leader: BrokerID
    public var leaderEpoch: LeaderEpoch
    public var replicas: [BrokerID]
    public var isr: [BrokerID]
}

/// The API versions one broker serves (its ApiVersions answer), and the choice of version per request: the highest
/// that both the broker and this client's generated code know.
public struct ApiVersionRanges: Sendable {
    public var ranges: [Int16: ClosedRange<Int16>]

    public init(_ response: ApiVersionsResponse) {
        ranges = Dictionary(
            response.apiKeys.map { ($0.apiKey, $0.minVersion...$0.maxVersion) },
            uniquingKeysWith: { first, _ in first }
        )
    }

    /// The version to send `Request` at.
    public func version<Request: KafkaRequest>(for _: Request.Type) throws(UnsupportedVersion) -> Int16 {
        guard let served = ranges[Request.apiKey.rawValue], served.overlaps(Request.validVersions) else {
            throw UnsupportedVersion(api: "\(Request.apiKey)", served: ranges[Request.apiKey.rawValue])
        }
        let spoken = Self.highestSpoken[Request.apiKey.rawValue] ?? Request.validVersions.upperBound
        let version = min(served.upperBound, spoken)
        guard version >= served.lowerBound, version >= Request.validVersions.lowerBound else {
            throw UnsupportedVersion(api: "\(Request.apiKey)", served: served)
        }
        return version
    }

    /// APIs whose newer versions change what this client must send (topic ids in Fetch v13, batched groups in
    /// OffsetFetch v8 and FindCoordinator v4, member epochs in OffsetCommit v9): it speaks them up to Kafka 2.8's
    /// versions.
    static let highestSpoken: [Int16: Int16] = [
        ApiKey.fetch.rawValue: 12,
        ApiKey.offsetFetch.rawValue: 7,
        ApiKey.findCoordinator.rawValue: 3,
        ApiKey.offsetCommit.rawValue: 8,
    ]
}

/// The broker serves no version of an API this client can speak.
public struct UnsupportedVersion: Error, Sendable, CustomStringConvertible {
    public var api: String
    public var served: ClosedRange<Int16>?
    public var description: String {
        "the broker does not serve \(api)" + (served.map { " in a version this client speaks (it serves \($0))" } ?? "")
    }
}
