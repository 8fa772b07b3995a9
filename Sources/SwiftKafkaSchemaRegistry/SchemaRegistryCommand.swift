import ArgumentParser
import Foundation
import KafkaCore
import Logging
import SchemaRegistryServer

/// `swiftkafka-schema-registry conf/schema-registry.properties [--override key=value ...]`: runs a schema
/// registry as Confluent's `schema-registry-start` does. SIGTERM or SIGINT stops it.
@main
struct SchemaRegistryCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "swiftkafka-schema-registry",
        abstract: "Runs a schema registry with Confluent Schema Registry's REST API, its state in _schemas."
    )

    @Argument(help: "The registry's schema-registry.properties.")
    var propertiesFile: String

    @Option(name: .customLong("override"), help: "key=value; overrides the properties file (repeatable).")
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
        let logger = Logger(label: "swiftkafka.schema-registry")
        let text: String
        do {
            text = try String(contentsOfFile: propertiesFile, encoding: .utf8)
        } catch {
            throw ValidationError("cannot read \(propertiesFile): \(error.localizedDescription)")
        }
        let pairs: [(String, String)]
        do {
            pairs = try JavaProperties.overrides(overrides)
        } catch {
            throw ValidationError("\(error)")
        }
        let config: SchemaRegistryConfig
        do {
            let (parsed, warnings) = try SchemaRegistryConfig.parse(properties: text, overrides: pairs)
            for warning in warnings { logger.warning("\(warning)") }
            config = parsed
        } catch {
            logger.critical("\(error)")
            throw ExitCode(1)
        }
        do {
            try await SchemaRegistryServer(config: config, logger: logger).run()
        } catch {
            logger.critical("Schema registry stopped: \(error)")
            throw ExitCode(1)
        }
    }
}
