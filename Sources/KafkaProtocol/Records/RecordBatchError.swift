public import KafkaCore

/// Why a record batch was refused. Each case maps to the Kafka error the broker answers with: a checksum that
/// does not match is CORRUPT_MESSAGE, a batch that breaks the format's rules is INVALID_RECORD (as in Kafka's
/// `LogValidator`), a size over the limit MESSAGE_TOO_LARGE, a timestamp too far from the clock INVALID_TIMESTAMP.
public enum RecordBatchError: Error, Sendable, Equatable, CustomStringConvertible {
    case invalidBatchLength(Int32)
    case sizeMismatch(declared: Int, actual: Int)
    case unsupportedMagic(Int8)
    case crcMismatch(stored: UInt32, computed: UInt32)
    case invalidRecordCount(declared: Int32, lastOffsetDelta: Int32)
    case recordCountMismatch(declared: Int32, found: Int)
    case malformedRecord(index: Int, reason: String)
    case invalidOffsetDelta(index: Int, found: Int32)
    case unknownCodec(Int16)
    case decompression(CompressionError)
    case controlBatchFromClient
    case transactionalWithoutProducerID
    case invalidSequence(Int32)
    case tooLarge(size: Int, limit: Int)
    /// A CreateTime timestamp further than `message.timestamp.difference.max.ms` from the broker's clock.
    case timestampOutOfRange(timestamp: Int64, now: Int64, maxDifference: Int64)

    public var errorCode: KafkaErrorCode {
        switch self {
        case .crcMismatch, .invalidBatchLength, .sizeMismatch: .corruptMessage
        case .tooLarge: .messageTooLarge
        case .timestampOutOfRange: .invalidTimestamp
        case .unknownCodec, .decompression(.unknownCodec): .unsupportedCompressionType
        default: .invalidRecord
        }
    }

    public var description: String {
        switch self {
        case .invalidBatchLength(let length): "batch length \(length) is below the 49-byte minimum"
        case .sizeMismatch(let declared, let actual): "batch declares \(declared) bytes but \(actual) arrived"
        case .unsupportedMagic(let magic): "magic \(magic) is not allowed in this request's record format"
        case .crcMismatch(let stored, let computed):
            "CRC mismatch: stored 0x\(String(stored, radix: 16)), computed 0x\(String(computed, radix: 16))"
        case .invalidRecordCount(let declared, let delta):
            "record count \(declared) does not match last offset delta \(delta)"
        case .recordCountMismatch(let declared, let found): "record count \(declared) but \(found) records found"
        case .malformedRecord(let index, let reason): "record \(index) is malformed: \(reason)"
        case .invalidOffsetDelta(let index, let found): "record \(index) has offset delta \(found)"
        case .unknownCodec(let bits): "unknown compression codec \(bits)"
        case .decompression(let error): "\(error)"
        case .controlBatchFromClient: "clients may not send control batches"
        case .transactionalWithoutProducerID: "a transactional batch needs a producer id"
        case .invalidSequence(let sequence): "invalid base sequence \(sequence) for an idempotent batch"
        case .tooLarge(let size, let limit): "batch of \(size) bytes exceeds the limit of \(limit)"
        case .timestampOutOfRange(let timestamp, let now, let difference):
            "timestamp \(timestamp) is out of range: it should be within [\(now &- difference), \(now &+ difference)]"
        }
    }
}
