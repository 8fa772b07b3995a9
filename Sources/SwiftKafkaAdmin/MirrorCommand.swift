import ArgumentParser
import Foundation
import KafkaClient
import KafkaCore
import KafkaMirror

/// `swiftkafka-admin mirror translate-offsets --bootstrap-server TARGET --source A --group G`: MirrorMaker 2's
/// `RemoteClusterUtils.translateOffsets` — reads `<A>.checkpoints.internal` on the target cluster from its start to
/// its end, keeps the last checkpoint of each of the group's partitions, and prints the translated offsets as the
/// CSV `consumer-groups --reset-offsets --from-file` reads (`topic,partition,offset`, topics named as on the
/// target), so a group fails over with `--reset-offsets --from-file plan.csv --execute`.
struct MirrorAdminCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mirror",
        abstract: "MirrorMaker 2's tools.",
        subcommands: [TranslateOffsets.self]
    )

    struct TranslateOffsets: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "translate-offsets",
            abstract: "Print a group's offsets translated for the target cluster, from MirrorMaker 2's checkpoints."
        )

        @OptionGroup var cluster: ClusterOptions
        @Option(help: "The alias of the cluster the group consumed (whose checkpoints topic is read).")
        var source: String
        @Option(help: "The alias of the target cluster (--bootstrap-server's), for the message only.")
        var target: String?
        @Option(help: "The consumer group.") var group: String

        func run() async throws {
            let topic = ReplicationPolicy().checkpointsTopic(sourceAlias: source)
            var properties = try readClientProperties(cluster.commandConfig, option: "--command-config")
            properties["bootstrap.servers"] = cluster.bootstrapServer
            properties["enable.auto.commit"] = "false"
            let checkpoints: [TopicPartition: Checkpoint]
            do {
                checkpoints = try await Self.read(topic: topic, group: group, properties: properties)
            } catch {
                FileHandle.standardError.write(Data("Error translating offsets of \(group): \(error)\n".utf8))
                throw ExitCode(1)
            }
            if checkpoints.isEmpty {
                let on = target.map { " on \($0)" } ?? ""
                FileHandle.standardError.write(
                    Data("No checkpoints of group \(group) from \(source) in \(topic)\(on)\n".utf8)
                )
                throw ExitCode(1)
            }
            for (partition, checkpoint) in checkpoints.sorted(by: { $0.key < $1.key }) {
                print("\(partition.topic),\(partition.partition),\(checkpoint.downstreamOffset)")
            }
        }

        /// The last checkpoint of each of `group`'s partitions in `topic`, read to the end it has now; records
        /// that do not decode are skipped, as MirrorClient does.
        static func read(
            topic: String,
            group: String,
            properties: [String: String]
        ) async throws -> [TopicPartition: Checkpoint] {
            let consumer = try KafkaConsumer(properties: properties)
            do {
                let latest = try await read(topic: topic, group: group, consumer: consumer)
                await consumer.close()
                return latest
            } catch {
                await consumer.close()
                throw error
            }
        }

        private static func read(
            topic: String,
            group: String,
            consumer: KafkaConsumer
        ) async throws -> [TopicPartition: Checkpoint] {
            let partition = TopicPartition(topic, 0)
            try await consumer.assign([partition])
            try await consumer.seekToBeginning([partition])
            var latest: [TopicPartition: Checkpoint] = [:]
            let reachedEnd = try await MirrorTopicReader.readToEnd(consumer, partition, timeout: .seconds(60)) {
                key,
                value in
                guard let checkpoint = try? Checkpoint(key: key, value: value), checkpoint.group == group else {
                    return
                }
                latest[TopicPartition(checkpoint.topic, checkpoint.partition)] = checkpoint
            }
            guard reachedEnd else { throw Failure("\(topic) could not be read to its end") }
            return latest
        }
    }
}
