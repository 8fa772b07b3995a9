import ArgumentParser
import Foundation
import KafkaConsole
import KafkaCore
import Logging

/// `swiftkafka-console conf/console.properties [--override key=value ...]`: runs the web console. SIGTERM or
/// SIGINT stops it.
@main
struct ConsoleCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "swiftkafka-console",
        abstract: "Runs the SwiftKafka web console: the cluster, topics, messages and consumer groups in a browser.",
        discussion: ConsoleConfig.keys.map { "\($0.key): \($0.meaning)" }.joined(separator: "\n")
    )

    @Argument(help: "The console's console.properties.")
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
        let logger = Logger(label: "swiftkafka.console")
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
        let config: ConsoleConfig
        do {
            config = try ConsoleConfig.parse(properties: text, overrides: pairs)
        } catch {
            logger.critical("\(error)")
            throw ExitCode(1)
        }
        do {
            try await ConsoleServer(config: config, logger: logger).run()
        } catch {
            logger.critical("Console stopped: \(error)")
            throw ExitCode(1)
        }
    }
}
