import ArgumentParser
import Foundation
import KafkaClient
import KafkaCore
import KafkaProtocol

/// `swiftkafka-admin log-dirs`: Kafka 2.8's `kafka-log-dirs --bootstrap-server B --describe [--broker-list 1,2]
/// [--topic-list t1,t2]`: asks each broker for its log directories with DescribeLogDirs and prints, as Kafka does,
/// `Querying brokers for log directories information`, `Received log directory information from brokers 1,2,3`
/// and one JSON line: `{"version":1,"brokers":[{"broker":1,"logDirs":[{"logDir":"/…","error":null,
/// "partitions":[{"partition":"t-0","size":123,"offsetLag":0,"isFuture":false}]}]}]}`.
struct LogDirsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "log-dirs",
        abstract: "Describe the brokers' log directories (kafka-log-dirs)."
    )

    @OptionGroup var cluster: ClusterOptions
    @Flag(help: "Describe the log directories (the only action).") var describe = false
    @Option(help: "The brokers to ask, e.g. 1,2 (default: all).") var brokerList: String?
    @Option(help: "Only these topics, e.g. t1,t2 (default: all).") var topicList: String?

    func validate() throws {
        guard describe else { throw ValidationError("--describe is required") }
    }

    func run() async throws {
        let brokers = try brokerList.map(ReassignPartitionsCommand.brokerIDs)
        let topics = topicList.map { Set($0.split(separator: ",").map(String.init)) }
        try await cluster.withClient(failurePrefix: "Error: ") { client in
            print("Querying brokers for log directories information")
            let answers = try await client.admin.describeLogDirs(brokers: brokers)
            print(
                "Received log directory information from brokers \(ReassignPartitionsCommand.ids(answers.keys.sorted()))"
            )
            let described: [[String: Any]] = answers.sorted { $0.key < $1.key }.map { broker, directories in
                [
                    "broker": Int(broker),
                    "logDirs": directories.map { directory -> [String: Any] in
                        [
                            "logDir": directory.path,
                            "error": directory.error == .none ? NSNull() : "\(directory.error)" as Any,
                            "partitions": directory.replicas.sorted { $0.key < $1.key }
                                .filter { topics?.contains($0.key.topic) ?? true }
                                .map { partition, replica -> [String: Any] in
                                    [
                                        "partition": partition.description, "size": Int(replica.size),
                                        "offsetLag": Int(replica.offsetLag), "isFuture": replica.isFuture,
                                    ]
                                },
                        ]
                    },
                ]
            }
            let data = try JSONSerialization.data(
                withJSONObject: ["version": 1, "brokers": described],
                options: [.sortedKeys, .withoutEscapingSlashes]
            )
            print(String(decoding: data, as: UTF8.self))
        }
    }
}
