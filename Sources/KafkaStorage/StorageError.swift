public import KafkaCore

/// Why a storage operation failed. Across the API boundary each becomes a Kafka error code: I/O failures
/// (a full disk among them) are KAFKA_STORAGE_ERROR, offsets outside the log OFFSET_OUT_OF_RANGE.
public enum StorageError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A system call failed; `errno` says why (ENOSPC for a full disk).
    case io(operation: String, path: String, errno: Int32)
    /// A fetch or truncation asked for an offset outside [log start offset, log end offset].
    case offsetOutOfRange(requested: Int64, logStartOffset: Int64, logEndOffset: Int64)
    /// A batch larger than a whole segment can never be appended.
    case recordBatchTooLarge(size: Int, segmentBytes: Int)
    /// A replicated batch would go below the log end offset.
    case nonMonotonicOffsets(expected: Int64, found: Int64)
    /// Bytes that should be batches are not (at append, from a caller that skipped validation).
    case corruptRecords(String)
    /// Another process holds the log directory's lock file.
    case directoryLocked(path: String)
    /// The log directory holds something that cannot be loaded.
    case inconsistentDirectory(path: String, reason: String)
    /// The log was closed or deleted.
    case logClosed(String)

    public var errorCode: KafkaErrorCode {
        switch self {
        case .io, .directoryLocked, .inconsistentDirectory, .logClosed: .kafkaStorageError
        case .offsetOutOfRange: .offsetOutOfRange
        case .recordBatchTooLarge: .recordListTooLarge
        case .nonMonotonicOffsets, .corruptRecords: .corruptMessage
        }
    }

    public var description: String {
        switch self {
        case .io(let operation, let path, let code):
            "\(operation) \(path) failed: \(String(cString: strerror(code))) (errno \(code))"
        case .offsetOutOfRange(let requested, let start, let end):
            "offset \(requested) is outside the log [\(start), \(end)]"
        case .recordBatchTooLarge(let size, let segmentBytes):
            "a batch of \(size) bytes is larger than a segment (\(segmentBytes) bytes)"
        case .nonMonotonicOffsets(let expected, let found):
            "replicated batch at offset \(found) below the log end offset \(expected)"
        case .corruptRecords(let reason): "corrupt records: \(reason)"
        case .directoryLocked(let path): "log directory \(path) is locked by another process"
        case .inconsistentDirectory(let path, let reason): "cannot load \(path): \(reason)"
        case .logClosed(let name): "log \(name) is closed"
        }
    }
}

#if canImport(Glibc)
import Glibc
#endif
