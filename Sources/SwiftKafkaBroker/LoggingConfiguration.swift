import KafkaCore
import KafkaServer
import Logging

/// The broker's logging configuration (`conf/logging.properties`, or `--log-level` alone): a level for every
/// logger and per-logger levels by swift-log label, in Java properties syntax:
///
///     root.level=info
///     logger.zookeeper.c.level=warning
///
/// Levels: trace, debug, info, notice, warning, error, critical. Read once at startup, before logging begins.
struct LoggingConfiguration: Equatable {
    var rootLevel: Logger.Level
    var levels: [String: Logger.Level] = [:]

    struct Invalid: Error, CustomStringConvertible {
        var description: String
    }

    static func parse(_ text: String, defaultLevel: Logger.Level) throws -> LoggingConfiguration {
        var configuration = LoggingConfiguration(rootLevel: defaultLevel)
        for (key, value) in JavaProperties.parse(text) {
            guard let level = Logger.Level(rawValue: value.lowercased()) else {
                throw Invalid(description: "\(key)=\(value): not a log level")
            }
            if key == "root.level" {
                configuration.rootLevel = level
            } else if key.hasPrefix("logger."), key.hasSuffix(".level"), key.count > "logger..level".count {
                configuration.levels[String(key.dropFirst("logger.".count).dropLast(".level".count))] = level
            } else {
                throw Invalid(description: "\(key): expected root.level or logger.<label>.level")
            }
        }
        return configuration
    }

    /// The level of the logger labelled `label`.
    func level(for label: String) -> Logger.Level { levels[label] ?? rootLevel }
}
