import ArgumentParser
import Dispatch
import Foundation
import KafkaCore
import KafkaServer
import Logging

/// `swiftkafka-broker conf/server.properties [--override key=value ...]`: runs one broker, as Kafka's
/// `kafka-server-start.sh` does. SIGTERM or SIGINT shuts it down cleanly.
@main
struct BrokerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "swiftkafka-broker",
        abstract: "Runs a SwiftKafka broker (Apache Kafka 2.8, ZooKeeper mode)."
    )

    @Argument(help: "The broker's server.properties.")
    var propertiesFile: String?

    @Flag(
        name: .customLong("print-properties"),
        help: "Print every config key with its documentation and default (conf/server.properties), then exit."
    )
    var printProperties = false

    @Option(name: .customLong("override"), help: "key=value; overrides the properties file (repeatable).")
    var overrides: [String] = []

    @Option(name: .customLong("offsets-storage"), help: "Where committed offsets go: kafka or zookeeper.")
    var offsetsStorage: String?

    @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error or critical.")
    var logLevel: String = "info"

    @Option(name: .customLong("logging"), help: "A logging configuration file (see conf/logging.properties).")
    var loggingFile: String?

    func run() async throws {
        if printProperties {
            print(ConfigTable.documentedProperties(), terminator: "")
            return
        }
        guard let propertiesFile else { throw ValidationError("Missing expected argument '<properties-file>'") }
        guard let level = Logger.Level(rawValue: logLevel) else {
            throw ValidationError("unknown log level \(logLevel)")
        }
        var logging = LoggingConfiguration(rootLevel: level)
        if let loggingFile {
            do {
                logging = try LoggingConfiguration.parse(
                    try String(contentsOfFile: loggingFile, encoding: .utf8),
                    defaultLevel: level
                )
            } catch {
                throw ValidationError("\(loggingFile): \(error)")
            }
        }
        let levels = logging
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = levels.level(for: label)
            return handler
        }
        let logger = Logger(label: "swiftkafka.broker")
        let text: String
        do {
            text = try String(contentsOfFile: propertiesFile, encoding: .utf8)
        } catch {
            throw ValidationError("cannot read \(propertiesFile): \(error.localizedDescription)")
        }
        var pairs: [(String, String)]
        do {
            pairs = try JavaProperties.overrides(overrides)
        } catch {
            throw ValidationError("\(error)")
        }
        if let offsetsStorage { pairs.append(("offsets.storage", offsetsStorage)) }
        let config: BrokerConfig
        do {
            let (parsed, warnings) = try BrokerConfig.parse(properties: text, overrides: pairs)
            for warning in warnings { logger.warning("\(warning)") }
            config = parsed
        } catch {
            logger.critical("\(error)")
            throw ExitCode(1)
        }
        let broker = KafkaBroker(config: config, logger: logger)
        let task = Task { try await broker.run() }
        signal(SIGTERM, SIG_IGN)
        signal(SIGINT, SIG_IGN)
        let sources = [SIGTERM, SIGINT].map { number in
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { task.cancel() }
            source.resume()
            return source
        }
        defer { for source in sources { source.cancel() } }
        do {
            try await task.value
        } catch {
            logger.critical("Broker failed to start: \(error)")
            throw ExitCode(1)
        }
    }
}
