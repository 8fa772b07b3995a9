public import KafkaProtocol
public import KafkaZooKeeper

/// How the controller reaches brokers: LeaderAndIsr, UpdateMetadata and StopReplica over the Kafka protocol, as
/// ZooKeeper-era Kafka sends them (to every broker, this one included). The server implements it over TCP; the
/// controller's logic never opens a socket itself.
public protocol BrokerChannel: Sendable {
    func send(_ request: LeaderAndIsrRequest, to broker: BrokerRegistration) async throws -> LeaderAndIsrResponse
    func send(_ request: UpdateMetadataRequest, to broker: BrokerRegistration) async throws -> UpdateMetadataResponse
    func send(_ request: StopReplicaRequest, to broker: BrokerRegistration) async throws -> StopReplicaResponse
}
