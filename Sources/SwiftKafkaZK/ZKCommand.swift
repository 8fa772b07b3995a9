import ArgumentParser
import Foundation
import KafkaCore
import KafkaZooKeeper
import Logging
import ZooKeeper

/// `swiftkafka-zk`: a ZooKeeper-era Kafka cluster as its ZooKeeper tree shows it. Raw views (`ls`, `get`, `tree`)
/// and Kafka-aware ones (`brokers`, `controller`, `topics`, `topic`, `consumers`, `configs`), the invariant
/// `check`, and `watch`; every view also as JSON (`--json`). Read-only: it never writes to ZooKeeper.
@main
struct ZKCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "swiftkafka-zk",
        abstract: "Inspects a SwiftKafka (or Kafka 2.x) cluster through its ZooKeeper tree.",
        subcommands: [
            ListCommand.self, GetCommand.self, TreeCommand.self, BrokersCommand.self, ControllerCommand.self,
            TopicsCommand.self, TopicCommand.self, ConsumersCommand.self, ConfigsCommand.self, AclsCommand.self,
            CheckCommand.self, WatchCommand.self,
        ]
    )
}

/// The options every subcommand takes.
struct ConnectionOptions: ParsableArguments {
    @Option(help: "ZooKeeper to read, host:port[,host:port...][/chroot] (the brokers' zookeeper.connect).")
    var zookeeper: String = "127.0.0.1:2181/kafka"

    @Flag(help: "Print JSON instead of text.")
    var json = false

    @Option(help: "Seconds to wait for ZooKeeper before giving up.")
    var timeout: Int = 10

    /// Connects, runs `body`, closes; an unreachable ZooKeeper or a missing path ends the program with one line.
    func withClient<T>(_ body: (KafkaZkClient) async throws -> T) async throws -> T {
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = .critical
            return handler
        }
        let zookeeper = ZooKeeperClient(
            configuration: ZooKeeperConfiguration(
                connectString: zookeeper,
                sessionTimeout: .seconds(max(timeout, 4)),
                connectionTimeout: .seconds(timeout)
            ),
            logger: Logger(label: "swiftkafka-zk")
        )
        do {
            try await zookeeper.connect()
        } catch {
            throw Failure("cannot reach ZooKeeper at \(self.zookeeper): \(error)")
        }
        let client = KafkaZkClient(zookeeper: zookeeper, logger: Logger(label: "swiftkafka-zk"))
        do {
            let result = try await body(client)
            await zookeeper.close()
            return result
        } catch let error as ZooKeeperError where error.code == .noNode {
            await zookeeper.close()
            throw Failure("no such znode (under \(self.zookeeper))")
        } catch {
            await zookeeper.close()
            throw error
        }
    }

    /// Writes `value` as JSON (sorted keys) or `text`.
    func emit(_ value: Any, text: () -> String) {
        if json {
            let data =
                (try? JSONSerialization.data(
                    withJSONObject: value,
                    options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes, .fragmentsAllowed]
                )) ?? Data("null".utf8)
            print(String(decoding: data, as: UTF8.self))
        } else {
            print(text(), terminator: "")
        }
    }
}

/// Writes one line to standard output at once (unbuffered: `watch` output reaches a pipe as it happens).
func writeLine(_ line: String) {
    FileHandle.standardOutput.write(Data((line + "\n").utf8))
}

/// A one-line failure (exit code 1).
struct Failure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// Milliseconds since 1970 (znode times).
var nowMs: Int64 { Int64(Date().timeIntervalSince1970 * 1000) }

func iso8601(_ ms: Int64) -> String {
    ISO8601DateFormatter().string(from: Date(timeIntervalSince1970: Double(ms) / 1000))
}
