import KafkaProtocol

/// One API as this broker serves it: the versions it accepts, whether ApiVersions advertises it, and its handler.
struct ServedApi: Sendable {
    var versions: ClosedRange<Int16>
    /// False for the controller's requests to brokers: served, never advertised to clients (reference/protocol.md §4).
    var advertised: Bool
    var handler: any RequestHandler

    var key: ApiKey { handler.apiKey }

    static func client(_ handler: any RequestHandler, _ versions: ClosedRange<Int16>) -> ServedApi {
        ServedApi(versions: versions, advertised: true, handler: handler)
    }

    static func interBroker(_ handler: any RequestHandler, _ versions: ClosedRange<Int16>) -> ServedApi {
        ServedApi(versions: versions, advertised: false, handler: handler)
    }
}

/// The APIs this broker serves, and the versions of each: the one list. `RequestDispatcher` routes by it (a
/// version outside an API's range gets UNSUPPORTED_VERSION) and ApiVersions answers from it, so what is advertised
/// cannot drift from what is served. Adding an API: its handler file in `Handlers/`, one line here.
enum ApiTable {
    static func make(_ services: BrokerServices) -> [ServedApi] {
        let served: [ServedApi] = [
            .client(ProduceHandler.make(services), 0...9),
            .client(FetchHandler.make(services), FetchResponseEncoder.versions),
            .client(ListOffsetsHandler.make(services), 0...6),
            .client(MetadataHandler.make(services), 0...11),
            .interBroker(LeaderAndIsrHandler.make(services), 0...6),
            .interBroker(StopReplicaHandler.make(services), 0...4),
            .interBroker(UpdateMetadataHandler.make(services), 0...8),
            .interBroker(ControlledShutdownHandler.make(services), 0...3),
            .client(OffsetCommitHandler.make(services), 0...8),
            .client(OffsetFetchHandler.make(services), 0...7),
            .client(FindCoordinatorHandler.make(services), 0...3),
            .client(JoinGroupHandler.make(services), 0...7),
            .client(HeartbeatHandler.make(services), 0...4),
            .client(LeaveGroupHandler.make(services), 0...4),
            .client(SyncGroupHandler.make(services), 0...5),
            .client(DescribeGroupsHandler.make(services), 0...5),
            .client(ListGroupsHandler.make(services), 0...4),
            .client(CreateTopicsHandler.make(services), 0...7),
            .client(DeleteTopicsHandler.make(services), 0...6),
            .client(DeleteRecordsHandler.make(services), 0...2),
            .client(InitProducerIDHandler.make(services), 0...4),
            .client(AddPartitionsToTxnHandler.make(services), 0...3),
            .client(AddOffsetsToTxnHandler.make(services), 0...3),
            .client(EndTxnHandler.make(services), 0...3),
            .client(WriteTxnMarkersHandler.make(services), 0...1),
            .client(TxnOffsetCommitHandler.make(services), 0...3),
            .client(DescribeProducersHandler.make(services), 0...0),
            .client(OffsetForLeaderEpochHandler.make(services), 0...4),
            .client(DescribeConfigsHandler.make(services), 0...4),
            .client(AlterConfigsHandler.make(services), 0...2),
            .client(CreatePartitionsHandler.make(services), 0...3),
            .client(DeleteGroupsHandler.make(services), 0...2),
            .client(ElectLeadersHandler.make(services), 0...2),
            .client(IncrementalAlterConfigsHandler.make(services), 0...1),
            .client(OffsetDeleteHandler.make(services), 0...0),
            // One above Kafka 2.8 (0): kafka-python 3.0.12's describe_cluster cannot read a v0 answer (it expects
            // v1's endpoint_type), and v1 adds only that field.
            .client(DescribeClusterHandler.make(services), 0...1),
            .client(AlterReplicaLogDirsHandler.make(services), 0...2),
            .client(DescribeLogDirsHandler.make(services), 0...2),
            .client(AlterPartitionReassignmentsHandler.make(services), 0...0),
            .client(ListPartitionReassignmentsHandler.make(services), 0...0),
            .client(SaslHandlers.handshake(), 0...1),
            .client(SaslHandlers.authenticate(), 0...2),
            .client(UserScramCredentialsHandlers.describe(services), 0...0),
            .client(UserScramCredentialsHandlers.alter(services), 0...0),
            .client(AclHandlers.describe(services), 0...2),
            .client(AclHandlers.create(services), 0...2),
            .client(AclHandlers.delete(services), 0...2),
            .client(ClientQuotasHandlers.describe(services), 0...1),
            .client(ClientQuotasHandlers.alter(services), 0...1),
        ]
        let apiVersions: ClosedRange<Int16> = 0...3
        let advertised = served.filter(\.advertised).map { (key: $0.key, versions: $0.versions) }
        return served + [
            .client(ApiVersionsHandler.make(advertising: advertised + [(.apiVersions, apiVersions)]), apiVersions)
        ]
    }
}
