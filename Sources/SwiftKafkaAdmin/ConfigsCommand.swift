import ArgumentParser
import KafkaClient
import KafkaCore
import KafkaProtocol

/// `swiftkafka-admin configs`: `kafka-configs --bootstrap-server` for topics and brokers. `--describe` prints
/// `Dynamic configs for topic t are:` (or `All configs for …` with `--all`) and one
/// `  key=value sensitive=false synonyms={SOURCE:key=value}` line per config, as Kafka 2.8 does; `--alter`
/// with `--add-config k=v,k2=v2` and/or `--delete-config k,k2` (IncrementalAlterConfigs: SET and DELETE) prints
/// `Completed updating config for topic t.` Broker configs are static here: they can be described, not altered.
/// Users (`--entity-type users`, `ConfigsCommand+Users`): SCRAM credentials described and altered over KIP-554's
/// APIs, `--add-config 'SCRAM-SHA-256=[iterations=8192,password=...]'`, as kafka-configs 2.8 with
/// `--bootstrap-server`. Client quotas (`ConfigsCommand+Quotas`): `--entity-type users` and/or `clients` with
/// `producer_byte_rate`, `consumer_byte_rate`, `request_percentage`, `controller_mutation_rate`, over KIP-546's APIs.
struct ConfigsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "configs",
        abstract: "Describe and alter topic configs; describe broker configs (kafka-configs)."
    )

    enum Action: String, EnumerableFlag {
        case describe, alter
    }

    enum EntityType: String, ExpressibleByArgument {
        case topics, brokers, users, clients
    }

    @OptionGroup var cluster: ClusterOptions
    @Flag(help: "What to do.") var action: Action
    @Option(name: .customLong("entity-type"), help: "topics, brokers, users or clients (users then clients for both).")
    var entityTypes: [EntityType] = []
    @Option(
        name: .customLong("entity-name"),
        help: "The topic name, broker id, user or client id, one per --entity-type (users: optional with --describe)."
    )
    var entityNames: [String] = []
    @Flag(help: "The default user or client id (for the --entity-type without an --entity-name).")
    var entityDefault = false
    @Option(help: "Configs to set, k=v,k2=v2.") var addConfig: String?
    @Option(help: "Configs to remove (back to their defaults), k,k2.") var deleteConfig: String?
    @Flag(help: "With --describe: every config, not only the dynamic ones.") var all = false

    var entityType: EntityType { entityTypes.first ?? .topics }
    var entityName: String? { entityNames.first }

    func validate() throws {
        guard !entityTypes.isEmpty else { throw ValidationError("Missing expected argument '--entity-type'") }
        if entityTypes.count > 1, entityTypes != [.users, .clients] {
            throw ValidationError("Only --entity-type users with --entity-type clients may be combined")
        }
    }

    private var resource: ConfigResource {
        ConfigResource(entityType == .topics ? .topic : .broker, entityName ?? "")
    }
    private var entityLabel: String { entityType == .topics ? "topic" : "broker" }

    func run() async throws {
        try await cluster.withClient(failurePrefix: "Error while executing config command with args: ") { client in
            switch (action, entityType) {
            case (.describe, .users), (.describe, .clients): try await describeQuotas(client)
            case (.alter, .users) where !isQuotaChange && entityTypes.count == 1: try await alterUser(client)
            case (.alter, .users), (.alter, .clients): try await alterQuotas(client)
            case (.describe, _): try await describe(client)
            case (.alter, _): try await alter(client)
            }
        }
    }

    private func describe(_ client: AdminClient) async throws {
        guard let entityName else { throw ValidationError("--entity-name is required for \(entityType.rawValue)") }
        if entityType == .brokers, Int32(entityName) == nil {
            throw ValidationError("--entity-name: '\(entityName)' is not a broker id")
        }
        // A broker describes its own configuration: the library asks that broker, as Kafka's admin client does.
        guard let result = try await client.admin.describeConfigs([resource])[resource] else {
            throw Failure("no answer for \(entityName)")
        }
        let dynamic: Set<ConfigEntry.Source> = [.dynamicTopicConfig, .dynamicBrokerConfig, .dynamicDefaultBrokerConfig]
        let shown = try result.orFail().filter { all || dynamic.contains($0.source) }
        print("\(all ? "All" : "Dynamic") configs for \(entityLabel) \(entityName) are:")
        for config in shown {
            let value = config.isSensitive ? "null" : (config.value ?? "null")
            print(
                "  \(config.name)=\(value) sensitive=\(config.isSensitive) "
                    + "synonyms={\(config.source.kafkaName):\(config.name)=\(value)}"
            )
        }
    }

    private func alter(_ client: AdminClient) async throws {
        guard entityType == .topics, let entityName else {
            throw Failure("broker configs are static in SwiftKafka: change server.properties and restart the broker")
        }
        let sets = try parseAssignments(
            (addConfig ?? "").split(separator: ",").map(String.init),
            option: "--add-config"
        )
        let deletes = (deleteConfig ?? "").split(separator: ",").map { String($0) }
        guard !sets.isEmpty || !deletes.isEmpty else {
            throw ValidationError("--alter needs --add-config and/or --delete-config")
        }
        let operations = sets.map { AlterConfigOp.set($0.0, $0.1) } + deletes.map { AlterConfigOp.delete($0) }
        for result in try await client.admin.incrementalAlterConfigs([resource: operations]).values {
            try result.orFail()
        }
        print("Completed updating config for \(entityLabel) \(entityName).")
    }
}
