import KafkaController
import KafkaProtocol
import KafkaZooKeeper
import NIOPosix
import Synchronization

/// The controller's `BrokerChannel` over TCP: one `BrokerConnection` per broker, on the inter-broker listener,
/// reconnected when it breaks. Sends LeaderAndIsr v5, UpdateMetadata v7 and StopReplica v3, the versions a Kafka
/// 2.8 controller (inter.broker.protocol.version 2.8) sends.
final class TCPBrokerChannel: BrokerChannel {
    let listenerName: String
    let clientID: String
    let group: MultiThreadedEventLoopGroup
    private let connections = Mutex<[Int32: BrokerConnection]>([:])

    init(listenerName: String, clientID: String, group: MultiThreadedEventLoopGroup) {
        self.listenerName = listenerName
        self.clientID = clientID
        self.group = group
    }

    struct NoEndpoint: Error {}

    private func connection(to broker: BrokerRegistration) async throws -> BrokerConnection {
        if let existing = connections.withLock({ $0[broker.id] }), existing.isOpen { return existing }
        guard
            let endpoint = broker.endpoints.first(where: { $0.listenerName == listenerName }) ?? broker.endpoints.first
        else { throw NoEndpoint() }
        let host = endpoint.host.isEmpty ? "127.0.0.1" : endpoint.host
        let connection = try await BrokerConnection.connect(
            host: host,
            port: Int(endpoint.port),
            clientID: clientID,
            group: group
        )
        connections.withLock { $0[broker.id] = connection }
        return connection
    }

    private func send<Request: KafkaRequest>(
        _ request: Request,
        version: Int16,
        to broker: BrokerRegistration
    )
        async throws -> Request.Response
    {
        do {
            return try await connection(to: broker).send(request, version: version)
        } catch {
            // One retry on a fresh connection (the broker may have restarted).
            connections.withLock { $0[broker.id] = nil }
            return try await connection(to: broker).send(request, version: version)
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

    func closeAll() {
        for connection in connections.withLock({ Array($0.values) }) { connection.close() }
    }
}
