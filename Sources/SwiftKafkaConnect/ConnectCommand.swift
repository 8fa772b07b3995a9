import ArgumentParser
import ConnectRuntime
import Foundation
import KafkaCore
import Logging

/// `swiftkafka-connect --standalone conf/connect-standalone.properties CONNECTOR.properties...`: runs a Connect
/// worker as Kafka's `connect-standalone.sh` does. SIGTERM or SIGINT stops it (tasks commit their offsets first).
/// Without `--standalone` it runs a distributed worker (`connect-distributed.sh`): `swiftkafka-connect
/// conf/connect-distributed.properties`, connectors created over REST and kept in the cluster's internal topics.
@main
struct ConnectCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "swiftkafka-connect",
        abstract: "Runs a Kafka Connect worker with Connect's REST API."
    )

    @Flag(name: .customLong("standalone"), help: "Standalone mode: connectors from the given files, offsets in a file.")
    var standalone = false

    @Argument(help: "The worker's properties, then (standalone) one properties file per connector.")
    var files: [String]

    @Option(name: .customLong("override"), help: "key=value; overrides the worker properties (repeatable).")
    var overrides: [String] = []

    @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error or critical.")
    var logLevel: String = "info"

    func run() async throws {
        guard let level = Logger.Level(rawValue: logLevel) else {
            throw ValidationError("unknown log level \(logLevel)")
        }
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let logger = Logger(label: "swiftkafka.connect")
        guard let workerFile = files.first else { throw ValidationError("the worker's properties file is missing") }
        let pairs: [(String, String)]
        do {
            pairs = try JavaProperties.overrides(overrides)
        } catch {
            throw ValidationError("\(error)")
        }
        if !standalone && files.count > 1 {
            throw ValidationError("a distributed worker takes only its properties file; create connectors over REST")
        }
        do {
            let (config, warnings) = try WorkerConfig.parse(
                properties: try Self.read(workerFile),
                overrides: pairs,
                distributed: !standalone
            )
            for warning in warnings { logger.warning("\(warning)") }
            var connectors: [[String: String]] = []
            for file in files.dropFirst() {
                var properties: [String: String] = [:]
                for (key, value) in JavaProperties.parse(try Self.read(file)).map({ ($0.key, $0.value) }) {
                    properties[key] = value
                }
                connectors.append(properties)
            }
            try await ConnectWorker(config: config, connectors: connectors, logger: logger).run()
        } catch {
            logger.critical("Connect worker stopped: \(error)")
            throw ExitCode(1)
        }
    }

    static func read(_ path: String) throws -> String {
        do {
            return try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw ValidationError("cannot read \(path): \(error.localizedDescription)")
        }
    }
}
