import ArgumentParser
import KafkaCore
import KafkaProtocol

/// `swiftkafka-admin configs`: `kafka-configs --bootstrap-server` for topics and brokers. `--describe` prints
/// `Dynamic configs for topic t are:` (or `All configs for …` with `--all`) and one
/// `  key=value sensitive=false synonyms={SOURCE:key=value}` line per config, as Kafka 2.8 does; `--alter`
/// with `--add-config k=v,k2=v2` and/or `--delete-config k,k2` (IncrementalAlterConfigs: SET and DELETE) prints
/// `Completed updating config for topic t.` Broker configs are static here: they can be described, not altered.
struct ConfigsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "configs",
        abstract: "Describe and alter topic configs; describe broker configs (kafka-configs)."
    )

    enum Action: String, EnumerableFlag {
        case describe, alter
    }

    enum EntityType: String, ExpressibleByArgument {
        case topics, brokers
    }

    @OptionGroup var cluster: ClusterOptions
    @Flag(help: "What to do.") var action: Action
    @Option(help: "topics or brokers.") var entityType: EntityType
    @Option(help: "The topic name or broker id.") var entityName: String
    @Option(help: "Configs to set, k=v,k2=v2.") var addConfig: String?
    @Option(help: "Configs to remove (back to their defaults), k,k2.") var deleteConfig: String?
    @Flag(help: "With --describe: every config, not only the dynamic ones.") var all = false

    private var resourceType: Int8 { entityType == .topics ? ConfigResource.topic : ConfigResource.broker }
    private var entityLabel: String { entityType == .topics ? "topic" : "broker" }

    func run() async throws {
        try await cluster.withClient(failurePrefix: "Error while executing config command with args: ") { client in
            switch action {
            case .describe: try await describe(client)
            case .alter: try await alter(client)
            }
        }
    }

    private func describe(_ client: AdminClient) async throws {
        let request = DescribeConfigsRequest(
            resources: [.init(resourceType: resourceType, resourceName: entityName, configurationKeys: nil)]
        )
        var target: Int32?
        if entityType == .brokers {
            // A broker describes its own configuration: the request goes to that broker, as Kafka's admin client does.
            guard let id = Int32(entityName) else {
                throw ValidationError("--entity-name: '\(entityName)' is not a broker id")
            }
            _ = try await client.metadata(topics: [])
            target = id
        }
        let response = try await client.send(request, version: 4, to: target)
        guard let result = response.results.first else { throw Failure("no answer for \(entityName)") }
        guard result.errorCode == .none else { throw Failure(errorText(result.errorCode, result.errorMessage)) }
        let dynamicSources: Set<Int8> = [1, 2, 3]
        let shown = result.configs.filter { all || dynamicSources.contains($0.configSource) }
            .sorted { $0.name < $1.name }
        print("\(all ? "All" : "Dynamic") configs for \(entityLabel) \(entityName) are:")
        for config in shown {
            let value = config.isSensitive ? "null" : (config.value ?? "null")
            let source = ConfigResource.sourceNames[config.configSource] ?? "UNKNOWN"
            print(
                "  \(config.name)=\(value) sensitive=\(config.isSensitive) synonyms={\(source):\(config.name)=\(value)}"
            )
        }
    }

    private func alter(_ client: AdminClient) async throws {
        guard entityType == .topics else {
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
        let configs: [IncrementalAlterConfigsRequest.AlterableConfig] =
            sets.map { .init(name: $0.0, configOperation: 0, value: $0.1) }
            + deletes.map { .init(name: $0, configOperation: 1, value: nil) }
        let request = IncrementalAlterConfigsRequest(
            resources: [.init(resourceType: resourceType, resourceName: entityName, configs: configs)]
        )
        let response = try await client.send(request, version: 1)
        for result in response.responses where result.errorCode != .none {
            throw Failure(errorText(result.errorCode, result.errorMessage))
        }
        print("Completed updating config for \(entityLabel) \(entityName).")
    }
}
