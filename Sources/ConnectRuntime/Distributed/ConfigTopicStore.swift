import Avro
import Foundation
import KafkaConnect
import Logging

/// The cluster's connector configurations, kept in `config.storage.topic` (one partition) in Kafka 2.8's records
/// (Java's `KafkaConfigBackingStore`), values as JsonConverter writes them without schemas:
/// `connector-<name>` → `{"properties":{…}}` (a tombstone deletes it); `task-<name>-<n>` → `{"properties":{…}}`,
/// held back until `commit-<name>` → `{"tasks":N}` applies tasks 0..N-1 at once; `target-state-<name>` →
/// `{"state":"STARTED|PAUSED"}` (missing means STARTED); `session-key` → the group's `SessionKey` (KIP-507). Other
/// keys (later versions' records) are skipped. Every worker reads the whole topic; only the leader writes connector and task configurations.
///
/// Lifecycle: `start`, then `refresh` from the herder's loop (it returns what changed) and the writes; `stop`.
actor ConfigTopicStore {
    /// What the topic says, as of `offset` (the next offset to read).
    struct Snapshot: Sendable, Equatable {
        var offset: Int64 = 0
        var connectors: [String: [String: String]] = [:]
        var tasks: [String: [[String: String]]] = [:]
        var paused: Set<String> = []
        var sessionKey: SessionKey?
    }

    let log: KafkaBasedLog
    private(set) var snapshot = Snapshot()
    /// Task configurations read but not committed yet, by connector and task number.
    private var pending: [String: [Int: [String: String]]] = [:]
    let logger: Logger

    init(log: KafkaBasedLog, logger: Logger) {
        self.log = log
        self.logger = logger
    }

    func start() async throws {
        try await log.start()
        await log.startReading { records in await self.apply(records) }
        _ = try await refresh()
    }

    /// Reads the topic to its end; returns what it says then.
    func refresh(timeout: Duration = .seconds(30)) async throws -> Snapshot {
        try await log.readToEnd(timeout: timeout)
        return snapshot
    }

    private func apply(_ records: [KafkaBasedLog.Record]) {
        for record in records { apply(record) }
    }

    private func apply(_ record: KafkaBasedLog.Record) {
        snapshot.offset = record.offset + 1
        guard let key = record.key.map({ String(decoding: $0, as: UTF8.self) }) else { return }
        let value = record.value.flatMap { try? JSONValue.parse(String(decoding: $0, as: UTF8.self)) }
        if let name = key.dropPrefix("connector-") {
            if case .object(let properties)? = value?["properties"] {
                snapshot.connectors[name] = properties.members.reduce(into: [:]) { $0[$1.name] = $1.value.stringValue }
            } else {
                snapshot.connectors[name] = nil
                snapshot.tasks[name] = nil
                snapshot.paused.remove(name)
                pending[name] = nil
            }
        } else if let name = key.dropPrefix("target-state-") {
            if value?["state"]?.stringValue == "PAUSED" {
                snapshot.paused.insert(name)
            } else {
                snapshot.paused.remove(name)
            }
        } else if let rest = key.dropPrefix("task-"), let dash = rest.lastIndex(of: "-"),
            let number = Int(rest[rest.index(after: dash)...])
        {
            let name = String(rest[..<dash])
            guard case .object(let properties)? = value?["properties"] else { return }
            pending[name, default: [:]][number] = properties.members.reduce(into: [:]) {
                $0[$1.name] = $1.value.stringValue
            }
        } else if key == "session-key" {
            snapshot.sessionKey = value.flatMap { SessionKey(record: $0) }
        } else if let name = key.dropPrefix("commit-") {
            guard case .number(let number)? = value?["tasks"], let tasks = number.integerValue, tasks >= 0 else {
                return
            }
            let count = Int(tasks)
            let buffered = pending[name] ?? [:]
            guard (0..<count).allSatisfy({ buffered[$0] != nil }) else {
                logger.error("The commit of \(name)'s \(count) task configurations misses some of them; ignored")
                return
            }
            snapshot.tasks[name] = (0..<count).map { buffered[$0]! }
            pending[name] = nil
        }
    }

    // MARK: Writing

    func putConnectorConfig(_ name: String, _ properties: [String: String]) async throws {
        try await log.send(key: "connector-\(name)", value: Self.properties(properties))
    }

    /// Deletes a connector: its configuration and its target state are tombstoned.
    func removeConnector(_ name: String) async throws {
        try await log.send(key: "connector-\(name)", value: nil)
        try await log.send(key: "target-state-\(name)", value: nil)
    }

    /// Writes every task's configuration, then the commit record that makes them current together.
    func putTaskConfigs(_ name: String, _ tasks: [[String: String]]) async throws {
        for (index, task) in tasks.enumerated() {
            try await log.send(key: "task-\(name)-\(index)", value: Self.properties(task))
        }
        let commit = JSONValue.object(JSONObject([("tasks", .number(JSONNumber(String(tasks.count))))]))
        try await log.send(key: "commit-\(name)", value: Array(commit.compactText.utf8))
    }

    func putTargetState(_ name: String, paused: Bool) async throws {
        let state = JSONValue.object(JSONObject([("state", .string(paused ? "PAUSED" : "STARTED"))]))
        try await log.send(key: "target-state-\(name)", value: Array(state.compactText.utf8))
    }

    func putSessionKey(_ key: SessionKey) async throws {
        try await log.send(key: "session-key", value: key.recordValue)
    }

    static func properties(_ properties: [String: String]) -> [UInt8] {
        let object = JSONObject(properties.sorted { $0.key < $1.key }.map { ($0.key, JSONValue.string($0.value)) })
        return Array(JSONValue.object(JSONObject([("properties", .object(object))])).compactText.utf8)
    }

    func stop() async { await log.stop() }
}

extension String {
    /// The rest of the text after `prefix`, or nil when it does not start with it.
    func dropPrefix(_ prefix: String) -> String? {
        hasPrefix(prefix) ? String(dropFirst(prefix.count)) : nil
    }
}
