public import KafkaCore
public import KafkaProtocol

/// How a follower reaches the leader of the partitions it fetches: the two requests Kafka's replica fetcher
/// sends. The broker implements it over the wire (`TCPLeaderEndpoint` in KafkaServer, a `KafkaClient` pool); unit
/// tests implement it with scripted answers. Implementations are shared by one fetcher's task only.
public protocol LeaderEndpoint: Sendable {
    /// A Fetch with this broker's replica id (version 12).
    func fetch(_ request: FetchRequest) async throws -> FetchResponse
    /// OffsetForLeaderEpoch (version 3): where the leader's log of an epoch ends (KIP-101/279).
    func offsetForLeaderEpoch(_ request: OffsetForLeaderEpochRequest) async throws -> OffsetForLeaderEpochResponse
    /// Forgets the connection after a failure (the next request connects again).
    func reset()
    /// Closes the connection for good: fetching from this leader stopped (a fetch still under way fails instead of
    /// connecting again).
    func close()
    /// Where the fetcher's task should run: the thread that reads the endpoint's responses, so a response is applied
    /// and the next fetch sent without a thread hand-off (nil: the cooperative pool).
    var executor: (any TaskExecutor)? { get }
}

extension LeaderEndpoint {
    public func close() { reset() }
    public var executor: (any TaskExecutor)? { nil }
}

/// The broker a follower fetches from, as LeaderAndIsr's live leaders name it.
public struct LeaderBroker: Sendable, Hashable {
    public var id: BrokerID
    public var host: String
    public var port: Int32

    public init(id: BrokerID, host: String, port: Int32) {
        self.id = id
        self.host = host
        self.port = port
    }
}
