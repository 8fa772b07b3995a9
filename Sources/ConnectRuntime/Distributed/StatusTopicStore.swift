import Avro
import Foundation
import KafkaConnect
import Logging

/// Connector and task statuses of a distributed worker cluster, kept in `status.storage.topic` (Java's
/// `KafkaStatusBackingStore`): `status-connector-<name>` and `status-task-<name>-<n>` →
/// `{"state":"RUNNING","trace":null,"worker_id":"host:8083","generation":7}`. Each worker writes the statuses of
/// what it runs, with the group generation it runs them in; a record from an older generation than the one
/// already read for the same key is ignored (a worker that lost its assignment reports late). Every worker reads
/// the whole topic to answer `/status` for the cluster. Lifecycle: made by `DistributedHerder`; `start`, `put`,
/// `refresh`, `stop`.
actor StatusTopicStore {
    struct Entry: Sendable, Equatable {
        var status: ConnectorStatus
        var generation: Int32
    }

    let log: KafkaBasedLog
    private(set) var statuses: [String: Entry] = [:]
    let logger: Logger

    init(log: KafkaBasedLog, logger: Logger) {
        self.log = log
        self.logger = logger
    }

    static func key(connector: String) -> String { "status-connector-\(connector)" }
    static func key(task: ConnectorTaskID) -> String { "status-task-\(task.connector)-\(task.task)" }

    func start() async throws {
        try await log.start()
        await log.startReading { records in await self.apply(records) }
        try await refresh()
    }

    /// Reads the topic to its end.
    func refresh() async throws { try await log.readToEnd() }

    private func apply(_ records: [KafkaBasedLog.Record]) {
        for record in records {
            guard let key = record.key.map({ String(decoding: $0, as: UTF8.self) }) else { continue }
            guard let bytes = record.value, let value = try? JSONValue.parse(String(decoding: bytes, as: UTF8.self)),
                let stateText = value["state"]?.stringValue, let state = ConnectorState(rawValue: stateText),
                let worker = value["worker_id"]?.stringValue
            else {
                statuses[key] = nil
                continue
            }
            var generation: Int32 = 0
            if case .number(let number)? = value["generation"], let known = number.integerValue {
                generation = Int32(clamping: known)
            }
            if let known = statuses[key], known.generation > generation { continue }
            statuses[key] = Entry(
                status: ConnectorStatus(state: state, trace: value["trace"]?.stringValue, workerID: worker),
                generation: generation
            )
        }
    }

    /// Writes a status (a nil status removes it: the connector was deleted).
    func put(_ key: String, _ status: ConnectorStatus?, generation: Int32) async {
        var bytes: [UInt8]?
        if let status {
            let value = JSONValue.object(
                JSONObject([
                    ("state", .string(status.state.rawValue)), ("trace", status.trace.map(JSONValue.string) ?? .null),
                    ("worker_id", .string(status.workerID)), ("generation", .number(JSONNumber(String(generation)))),
                ])
            )
            bytes = Array(value.compactText.utf8)
        }
        do {
            try await log.send(key: key, value: bytes)
            statuses[key] = status.map { Entry(status: $0, generation: generation) }
        } catch {
            // Statuses are best effort, as in Connect: the next change writes again.
            logger.warning("Cannot write the status \(key): \(error)")
        }
    }

    func status(_ key: String) -> ConnectorStatus? { statuses[key]?.status }

    func stop() async { await log.stop() }
}
