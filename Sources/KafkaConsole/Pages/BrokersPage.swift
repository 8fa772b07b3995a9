import KafkaClient
import KafkaCore

/// `/brokers/<id>`: one broker's endpoint, rack, partitions and configs (sensitive values hidden, as Kafka's
/// DescribeConfigs already answers them: null).
struct BrokerPage: Encodable, Sendable {
    struct Config: Encodable, Sendable {
        var name: String
        var value: String
        var source: String
        var isDefault: Bool
        var isSensitive: Bool
    }

    var id: Int32
    var host: String
    var port: Int
    var rack: String?
    var isController: Bool
    var leaders: Int
    var replicas: Int
    var configs: [Config]
    /// The last hour's traffic of this broker (from its metrics endpoint, when it has one).
    var traffic: [TrafficPoint] = []
}

/// `/brokers`: the live brokers (the overview's table).
struct BrokersPage: Encodable, Sendable {
    var controllerID: Int32
    var brokers: [OverviewPage.Broker]
}

extension ConsoleCluster {
    func brokers() async throws -> BrokersPage {
        let overview = try await overview()
        return BrokersPage(controllerID: overview.controllerID, brokers: overview.brokers)
    }

    func broker(_ id: Int32) async throws -> BrokerPage? {
        let overview = try await overview()
        guard let broker = overview.brokers.first(where: { $0.id == id }) else { return nil }
        let resource = ConfigResource(.broker, String(id))
        let configs = try await admin.describeConfigs([resource])[resource].map { try $0.get() } ?? []
        return BrokerPage(
            id: id,
            host: broker.host,
            port: broker.port,
            rack: broker.rack,
            isController: broker.isController,
            leaders: broker.leaders,
            replicas: broker.replicas,
            configs: configs.map(BrokerPage.Config.init),
            traffic: TrafficPoint.merged(
                (try? history?.brokerSamples(broker: id, since: ConsoleHistory.nowMs - 3_600_000)) ?? []
            )
        )
    }
}

extension BrokerPage.Config {
    /// A config as shown: a sensitive value never, whatever the broker answered.
    init(_ entry: ConfigEntry) {
        name = entry.name
        value = entry.isSensitive ? "(hidden)" : (entry.value ?? "")
        source = entry.source.kafkaName
        isDefault = entry.isDefault
        isSensitive = entry.isSensitive
    }
}
