import KafkaClient
import KafkaController
import KafkaProtocol
import KafkaZooKeeper
import NIOPosix

/// The controller's `BrokerChannel` over TCP: a `ConnectionPool` of its own (one connection per broker, on the
/// inter-broker listener), a request retried once on a fresh connection when the first fails. Sends LeaderAndIsr
/// v5, UpdateMetadata v7 and StopReplica v3, the versions a Kafka 2.8 controller (inter.broker.protocol.version
/// 2.8) sends.
final class TCPBrokerChannel: BrokerChannel {
    let listenerName: String
    private let pool: ConnectionPool

    init(listenerName: String, clientID: String, group: MultiThreadedEventLoopGroup, security: ConnectionSecurity) {
        self.listenerName = listenerName
        self.pool = ConnectionPool(clientID: clientID, group: group, security: security)
    }

    struct NoEndpoint: Error {}

    private func send<Request: KafkaRequest>(
        _ request: Request,
        version: Int16,
        to broker: BrokerRegistration
    )
        async throws -> Request.Response
    {
        guard let address = broker.address(listenerName: listenerName) else { throw NoEndpoint() }
        do {
            return try await pool.send(request, version: version, to: address)
        } catch {
            // One retry on a fresh connection (the broker may have restarted).
            return try await pool.send(request, version: version, to: address)
        }
    }

    func send(_ request: LeaderAndIsrRequest, to broker: BrokerRegistration) async throws -> LeaderAndIsrResponse {
        try await send(request, version: 5, to: broker)
    }

    func send(_ request: UpdateMetadataRequest, to broker: BrokerRegistration) async throws -> UpdateMetadataResponse {
        try await send(request, version: 7, to: broker)
    }

    func send(_ request: StopReplicaRequest, to broker: BrokerRegistration) async throws -> StopReplicaResponse {
        try await send(request, version: 3, to: broker)
    }

    /// At the broker's shutdown: closes the connections; a request still queued fails instead of connecting.
    func shutdown() {
        pool.shutdown()
    }
}
