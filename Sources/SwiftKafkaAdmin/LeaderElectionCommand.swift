import ArgumentParser
import Foundation
import KafkaClient
import KafkaCore
import KafkaProtocol

/// `swiftkafka-admin leader-election`: `kafka-leader-election --bootstrap-server B --election-type
/// PREFERRED|UNCLEAN` with `--topic T --partition P`, `--all-topic-partitions` or `--path-to-json-file F`
/// (`{"partitions":[{"topic":"t","partition":0}]}`), sent to the controller as ElectLeaders. Output as Kafka 2.8:
/// `Successfully completed leader election (PREFERRED) for partitions t-0, t-1`, `Valid replica already elected
/// for partitions t-2`, and per failure `Error completing leader election (PREFERRED) for partition: t-3: …`
/// (then exit 1).
struct LeaderElectionCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "leader-election",
        abstract: "Elect preferred or unclean leaders (kafka-leader-election)."
    )

    enum ElectionType: String, ExpressibleByArgument, CaseIterable {
        case preferred = "PREFERRED"
        case unclean = "UNCLEAN"

        init?(argument: String) { self.init(rawValue: argument.uppercased()) }
    }

    @OptionGroup var cluster: ClusterOptions
    @Option(help: "PREFERRED or UNCLEAN.") var electionType: ElectionType
    @Option(help: "The topic of --partition.") var topic: String?
    @Option(help: "The partition of --topic.") var partition: Int32?
    @Flag(help: "Every partition of every topic.") var allTopicPartitions = false
    @Option(help: "A JSON file of partitions: {\"partitions\":[{\"topic\":…,\"partition\":…}]}.")
    var pathToJsonFile: String?

    func run() async throws {
        let partitions = try selectedPartitions()
        try await cluster.withClient(failurePrefix: "Error: ") { client in
            let results = try await client.admin.electLeaders(
                electionType == .preferred ? .preferred : .unclean,
                partitions: partitions
            )
            var succeeded: [TopicPartition] = []
            var unchanged: [TopicPartition] = []
            var failed: [(TopicPartition, AdminError)] = []
            for (partition, result) in results {
                switch result {
                case .success: succeeded.append(partition)
                case .failure(let error) where error.code == .electionNotNeeded: unchanged.append(partition)
                case .failure(let error): failed.append((partition, error))
                }
            }
            let type = electionType.rawValue
            let list = { (partitions: [TopicPartition]) in
                partitions.sorted().map(\.description).joined(separator: ", ")
            }
            if !succeeded.isEmpty {
                print("Successfully completed leader election (\(type)) for partitions \(list(succeeded))")
            }
            if !unchanged.isEmpty { print("Valid replica already elected for partitions \(list(unchanged))") }
            for (partition, error) in failed.sorted(by: { $0.0 < $1.0 }) {
                print("Error completing leader election (\(type)) for partition: \(partition): \(error)")
            }
            if !failed.isEmpty { throw Failure("\(failed.count) replica(s) could not be elected") }
        }
    }

    /// The partitions named (nil: every partition), exactly one way.
    private func selectedPartitions() throws -> [TopicPartition]? {
        let ways = [topic != nil || partition != nil, allTopicPartitions, pathToJsonFile != nil].filter { $0 }.count
        guard ways == 1 else {
            throw ValidationError("one of --topic with --partition, --all-topic-partitions, --path-to-json-file")
        }
        if allTopicPartitions { return nil }
        if let topic, let partition { return [TopicPartition(topic, partition)] }
        guard let pathToJsonFile else { throw ValidationError("--topic needs --partition") }
        return try partitionEntries(fromFile: pathToJsonFile, option: "--path-to-json-file").map(\.0)
    }
}
