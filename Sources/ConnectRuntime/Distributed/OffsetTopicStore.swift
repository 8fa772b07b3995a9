public import Avro
import Foundation
public import KafkaConnect
import Logging

/// Source offsets of a distributed worker, kept in `offset.storage.topic` (Java's `KafkaOffsetBackingStore`): key
/// `["<connector>",{source partition}]`, value the offset map, both as JsonConverter writes them without schemas;
/// a tombstone removes an offset. The producer's default partitioner spreads the keys, so a worker that takes a
/// task over finds its offsets wherever it runs. Every read first reads the topic to its end (another worker may
/// have committed the task's offsets a moment ago); `store` returns once every record is acknowledged.
///
/// Lifecycle: made by `DistributedHerder`, `start`ed before any task, `stop`ped after the last.
public actor OffsetTopicStore: OffsetBackingStore {
    let log: KafkaBasedLog
    private var offsets: [String: String] = [:]
    let logger: Logger

    init(log: KafkaBasedLog, logger: Logger) {
        self.log = log
        self.logger = logger
    }

    func start() async throws {
        try await log.start()
        await log.startReading { records in await self.apply(records) }
        try await refresh()
    }

    private func apply(_ records: [KafkaBasedLog.Record]) {
        for record in records {
            guard let key = record.key.map({ String(decoding: $0, as: UTF8.self) }) else { continue }
            offsets[key] = record.value.map { String(decoding: $0, as: UTF8.self) }
        }
    }

    private func refresh() async throws { try await log.readToEnd() }

    public func get(_ key: String) async -> String? {
        do {
            try await refresh()
        } catch {
            logger.warning("Cannot read \(log.topic.name) to its end; using the offsets read so far: \(error)")
        }
        return offsets[key]
    }

    public func store(_ entries: [String: String?]) async throws(ConnectDataError) {
        for (key, value) in entries.sorted(by: { $0.key < $1.key }) {
            do {
                try await log.send(key: key, value: value.map { Array($0.utf8) })
            } catch {
                throw ConnectDataError("Cannot commit the offsets to \(log.topic.name): \(error)")
            }
            offsets[key] = value
        }
    }

    public func offsets(of connector: String) async -> [(partition: JSONValue, offset: JSONValue)] {
        try? await refresh()
        return SourceOffsets.entries(of: connector, in: offsets)
    }

    func stop() async { await log.stop() }
}
