import Foundation
import KafkaClient
import KafkaMirror
import Logging

/// What MirrorMaker 2's connectors share: creating their internal topics (retried until made or found, as a
/// cluster may not be reachable yet), the clock of heartbeats and checkpoints, the flow's logger. Stateless.
enum MirrorAdmin {
    static func logger(_ settings: MirrorConnectorConfig) -> Logger {
        var logger = Logger(label: "swiftkafka.mirror")
        logger[metadataKey: "flow"] = "\(settings.sourceAlias)->\(settings.targetAlias)"
        return logger
    }

    static func nowMilliseconds() -> Int64 { Int64((Date().timeIntervalSince1970 * 1000).rounded()) }

    /// For a task's `poll`: whether the interval's next beat is due (then the next one is set `interval` on),
    /// after a nap of at most 500 ms, so a stop is never held up by a long interval.
    static func isDue(_ next: inout ContinuousClock.Instant, every interval: Duration) async throws -> Bool {
        let wait = next - .now
        if wait > .zero {
            try await Task.sleep(for: min(wait, .milliseconds(500)))
            if next > .now { return false }
        }
        next = .now + interval
        return true
    }

    /// Creates `topic` unless it exists; throws what else the controller answered.
    static func createIfMissing(_ admin: KafkaAdminClient, _ topic: NewTopic, logger: Logger) async throws {
        let outcome = try await admin.createTopics([topic])[topic.name]
        if case .failure(let error) = outcome, error.code != .topicAlreadyExists { throw error }
        if case .success = outcome { logger.info("Created internal topic \(topic.name)") }
    }

    /// Creates `topic` with an admin client of `properties`, retrying every second until it exists or the
    /// calling task is cancelled.
    static func createUntilDone(_ topic: NewTopic, properties: [String: String], settings: MirrorConnectorConfig) async
    {
        let logger = logger(settings)
        var warned = false
        while !Task.isCancelled {
            do {
                let admin = try KafkaAdminClient(properties: properties, logger: logger)
                defer { admin.cluster.close() }
                try await createIfMissing(admin, topic, logger: logger)
                return
            } catch {
                if !warned { logger.warning("Cannot create \(topic.name) yet, retrying every second: \(error)") }
                warned = true
                try? await Task.sleep(for: .seconds(1))
            }
        }
    }
}
