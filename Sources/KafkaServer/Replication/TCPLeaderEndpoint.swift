import KafkaClient
import KafkaProtocol
import KafkaReplication
import NIOPosix

/// A follower's way to its leader over the wire: one `KafkaConnection` (in a pool of its own) to the leader's
/// inter-broker endpoint, with Kafka's fetcher client id `broker-<id>-fetcher-0`. Fetch v12 and OffsetForLeaderEpoch
/// v3, as a Kafka 2.8 follower sends them. The connection lives on one event loop of the broker's group, and the
/// fetcher's task runs there too (`executor`).
struct TCPLeaderEndpoint: LeaderEndpoint {
    let address: BrokerAddress
    let pool: ConnectionPool
    let executor: (any TaskExecutor)?

    init(leader: LeaderBroker, brokerID: Int32, group: MultiThreadedEventLoopGroup, security: ConnectionSecurity) {
        address = BrokerAddress(host: leader.host, port: Int(leader.port))
        let eventLoop = group.next()
        pool = ConnectionPool(clientID: "broker-\(brokerID)-fetcher-0", group: eventLoop, security: security)
        executor = EventLoopTaskExecutor(eventLoop)
    }

    func fetch(_ request: FetchRequest) async throws -> FetchResponse {
        try await pool.send(request, version: 12, to: address)
    }

    func offsetForLeaderEpoch(_ request: OffsetForLeaderEpochRequest) async throws -> OffsetForLeaderEpochResponse {
        try await pool.send(request, version: 3, to: address)
    }

    func reset() {
        pool.closeAll()
    }

    func close() {
        pool.shutdown()
    }
}
