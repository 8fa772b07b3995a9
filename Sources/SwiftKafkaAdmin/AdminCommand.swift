import ArgumentParser
import Foundation
import KafkaCore

/// `swiftkafka-admin`: Kafka's admin tools over the wire protocol, with their flags and output layouts, so scripts
/// written for `kafka-topics --bootstrap-server`, `kafka-configs`, `kafka-consumer-groups`, `kafka-delete-records` and
/// `kafka-leader-election` keep working: `swiftkafka-admin topics …`, `configs …`, `consumer-groups …`,
/// `delete-records …`, `leader-election …`.
@main
struct AdminCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "swiftkafka-admin",
        abstract: "Manages topics, topic configs and consumer groups of a SwiftKafka (or Kafka) cluster.",
        subcommands: [
            TopicsCommand.self, ConfigsCommand.self, ConsumerGroupsCommand.self, DeleteRecordsCommand.self,
            LeaderElectionCommand.self, ReassignPartitionsCommand.self, LogDirsCommand.self,
            ConsoleProducerCommand.self, ConsoleConsumerCommand.self,
            ProducerPerfTestCommand.self, ConsumerPerfTestCommand.self, SchemasCommand.self, TransactionsCommand.self,
            AclsCommand.self, MirrorAdminCommand.self,
        ]
    )

    /// ArgumentParser's entry point, after one rewrite: kafka-consumer-groups' `--state` takes an optional value,
    /// so a bare `--state` (last, or before another option) is given an empty one.
    static func main() async {
        var arguments = Array(CommandLine.arguments.dropFirst())
        var index = 0
        while index < arguments.count {
            if arguments[index] == "--state" && (index + 1 == arguments.count || arguments[index + 1].hasPrefix("--")) {
                arguments.insert("", at: index + 1)
            }
            index += 1
        }
        do {
            var command = try parseAsRoot(arguments)
            if var asynchronous = command as? any AsyncParsableCommand {
                try await asynchronous.run()
            } else {
                try command.run()
            }
        } catch {
            exit(withError: error)
        }
    }
}

/// The options every subcommand takes.
struct ClusterOptions: ParsableArguments {
    @Option(help: "The brokers to bootstrap from, host:port[,host:port...].")
    var bootstrapServer: String

    @Option(help: "Seconds to wait for each answer.")
    var timeout: Int = 30

    @Option(help: "A properties file with the client's settings (security.protocol, sasl.*, ssl.*), as Kafka's tools.")
    var commandConfig: String?

    /// Runs `body` with a connected client; a failure prints `prefix` and its line to standard error, exit 1.
    func withClient(failurePrefix prefix: String, _ body: (AdminClient) async throws -> Void) async throws {
        let client: AdminClient
        do {
            client = try AdminClient(
                bootstrapServers: bootstrapServer,
                timeout: .seconds(timeout),
                commandConfig: try readClientProperties(commandConfig, option: "--command-config")
            )
        } catch {
            FileHandle.standardError.write(Data("\(prefix)\(error)\n".utf8))
            throw ExitCode(1)
        }
        var failure: (any Error)?
        do { try await body(client) } catch { failure = error }
        await client.close()
        switch failure {
        case nil: return
        case let usage as ValidationError: throw usage  // ArgumentParser prints it with the usage
        case let failure?:
            FileHandle.standardError.write(Data("\(prefix)\(failure)\n".utf8))
            throw ExitCode(1)
        }
    }
}

/// The keys of a client properties file (`--command-config`, `--producer.config`, `--consumer.config`); none
/// without a file. An unreadable file is a one-line failure.
func readClientProperties(_ path: String?, option: String) throws -> [String: String] {
    guard let path else { return [:] }
    guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
        throw Failure("\(option): cannot read \(path)")
    }
    return Dictionary(JavaProperties.parse(text).map { ($0.0, $0.1) }) { $1 }
}

/// `key=value` pairs from repeated `--config k=v` or one `--add-config k=v,k2=v2`.
func parseAssignments(_ items: [String], option: String) throws -> [(String, String)] {
    try items.map { item in
        guard let equals = item.firstIndex(of: "="), equals != item.startIndex else {
            throw ValidationError("\(option) \(item) is not key=value")
        }
        return (String(item[..<equals]), String(item[item.index(after: equals)...]))
    }
}

/// The `partitions` list of Kafka's admin JSON files (`{"partitions":[{"topic":"t","partition":0,…}]}`), each
/// entry's topic partition with the entry itself for its other fields, in file order.
func partitionEntries(fromFile path: String, option: String) throws -> [(TopicPartition, [String: Any])] {
    guard let data = FileManager.default.contents(atPath: path) else {
        throw ValidationError("\(option) \(path): cannot read it")
    }
    guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
        let entries = object["partitions"] as? [[String: Any]]
    else { throw ValidationError("\(option) \(path): no \"partitions\" list") }
    return try entries.map { entry in
        guard let topic = entry["topic"] as? String, let partition = (entry["partition"] as? NSNumber)?.int32Value
        else { throw ValidationError("\(option) \(path): each partition needs a topic and a partition") }
        return (TopicPartition(topic, partition), entry)
    }
}
