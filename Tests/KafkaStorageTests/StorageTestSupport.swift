import Foundation
import KafkaCore
import KafkaProtocol
import KafkaTestSupport
import Logging
import NIOCore
import Synchronization

@testable import KafkaStorage

/// A temporary directory removed by `remove()`.
struct TemporaryDirectory {
    let path: String

    init() {
        path = NSTemporaryDirectory() + "swiftkafka-storage-" + UUID().uuidString.prefix(8).lowercased()
        try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    func remove() { try? FileManager.default.removeItem(atPath: path) }

    func files(_ subdirectory: String = "") -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: path + subdirectory)) ?? []).sorted()
    }
}

/// A batch of `count` records keyed "key-<first + i>" with 40-byte values, timestamps from `timestamp` on.
func makeBatch(
    count: Int,
    first: Int = 0,
    timestamp: Int64 = 1_700_000_000_000,
    codec: CompressionCodec = .none,
    keys: [String]? = nil,
    tombstones: Set<Int> = []
) -> ByteBuffer {
    var builder = RecordBatchBuilder(codec: codec)
    for index in 0..<count {
        let key = keys?[index] ?? "key-\(first + index)"
        let value: [UInt8]? =
            tombstones.contains(index)
            ? nil : Array("value-\(first + index)-".utf8) + [UInt8](repeating: 0x2E, count: 30)
        builder.append(timestamp: timestamp + Int64(index), key: Array(key.utf8), value: value)
    }
    return builder.build().buffer
}

extension LogConfig {
    static func small(segmentBytes: Int = 4096, indexIntervalBytes: Int = 256) -> LogConfig {
        var config = LogConfig()
        config.segmentBytes = segmentBytes
        config.indexIntervalBytes = indexIntervalBytes
        config.segmentIndexBytes = 4096
        config.fileDeleteDelayMs = 0
        return config
    }
}

func openLog(
    _ directory: String,
    config: LogConfig = .small(),
    clock: any KafkaClock = ManualClock(),
    recoveryPoint: Int64 = 0,
    clean: Bool = true,
    logger: Logger = Logger(label: "test")
) throws -> Log {
    try Log.load(
        directory: directory,
        topicPartition: TopicPartition("topic", 0),
        config: config,
        recoveryPoint: recoveryPoint,
        logStartOffset: 0,
        hadCleanShutdown: clean,
        clock: clock,
        logger: logger
    )
}

/// Every record from the log start offset to `upTo` (the log end offset when nil), read as a consumer would.
func readAll(_ log: Log, upTo: Int64? = nil) throws -> [Record] {
    var records: [Record] = []
    var offset = log.logStartOffset
    let end = upTo ?? log.logEndOffset
    while offset < end {
        let fetched = try log.read(from: offset, maxBytes: 64 * 1024, upTo: end)
        guard let slice = fetched.records, slice.length > 0 else { break }
        var bytes = try slice.readBytes()
        var progressed = false
        while let batch = try RecordBatch.nextBatch(from: &bytes) {
            try batch.validateHeader(maxSize: Int.max, fromClient: false)
            for record in try batch.records(decompressionLimit: 1 << 24) where record.offset >= offset {
                records.append(record)
            }
            offset = batch.nextOffset
            progressed = true
        }
        if !progressed { break }
    }
    return records
}

extension Record {
    var keyString: String? { key.map { String(buffer: $0) } }
    var valueString: String? { value.map { String(buffer: $0) } }
}

/// A log handler that keeps every line, for tests that check what was logged.
final class CapturingLogHandler: LogHandler, @unchecked Sendable {
    // @unchecked: swift-log's LogHandler requires value-like mutable properties; the lines are behind a Mutex.
    let lines = Mutex<[(Logger.Level, String)]>([])
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        lines.withLock { $0.append((event.level, "\(event.message)")) }
    }

    func messages(at level: Logger.Level) -> [String] {
        lines.withLock { $0.filter { $0.0 == level }.map(\.1) }
    }
}
