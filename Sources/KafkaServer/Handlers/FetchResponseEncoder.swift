public import KafkaCore
import KafkaProtocol
public import KafkaStorage
public import NIOCore

/// Writes a Fetch response (versions 0-12) with each partition's records as a file region instead of bytes: the
/// same bytes the generated `FetchResponse` encoder writes (a test checks this), cut into parts around the records.
/// Versions 0-3 carry message formats v0/v1, which the handler converts into memory (`convertedRecords`).
/// Tagged fields are at their defaults.
public enum FetchResponseEncoder {
    public struct Partition: Sendable {
        public var index: Int32
        public var errorCode: KafkaErrorCode
        public var highWatermark: Int64
        public var lastStableOffset: Int64
        public var logStartOffset: Int64
        public var records: FileSlice?
        /// Records in memory instead of a file region: messages down-converted for Fetch v0-3.
        public var convertedRecords: ByteBuffer?
        /// KIP-392 (v11+): the replica to read this partition from instead, or -1.
        public var preferredReadReplica: Int32 = -1
        /// v4+: the aborted transactions of a read_committed fetch; null for read_uncommitted.
        public var abortedTransactions: [AbortedTransaction]?

        public init(
            index: Int32,
            errorCode: KafkaErrorCode,
            highWatermark: Int64,
            lastStableOffset: Int64,
            logStartOffset: Int64,
            records: FileSlice?,
            convertedRecords: ByteBuffer? = nil
        ) {
            self.index = index
            self.errorCode = errorCode
            self.highWatermark = highWatermark
            self.lastStableOffset = lastStableOffset
            self.logStartOffset = logStartOffset
            self.records = records
            self.convertedRecords = convertedRecords
        }

        var recordsLength: Int { convertedRecords?.readableBytes ?? records?.length ?? 0 }
    }

    public static let versions: ClosedRange<Int16> = 0...12

    public static func encode(
        topics: [(name: String, partitions: [Partition])],
        version: Int16,
        correlationID: Int32,
        throttleTimeMs: Int32 = 0,
        errorCode: KafkaErrorCode = .none,
        sessionID: Int32 = 0
    ) -> [ResponsePart] {
        precondition(versions.contains(version))
        let flexible = version >= 12
        var parts: [ResponsePart] = []
        var current = ByteBuffer()
        current.writeInteger(Int32(0))  // size, set below
        ResponseHeader(correlationID: correlationID)
            .write(to: &current, version: ApiKey.fetch.responseHeaderVersion(for: version))
        if version >= 1 { current.writeKafkaInteger(throttleTimeMs) }
        if version >= 7 {
            current.writeKafkaInteger(errorCode.rawValue)
            current.writeKafkaInteger(sessionID)
        }
        writeLength(topics.count, compact: flexible, to: &current)
        for topic in topics {
            current.writeKafkaString(topic.name, compact: flexible)
            writeLength(topic.partitions.count, compact: flexible, to: &current)
            for partition in topic.partitions {
                current.writeKafkaInteger(partition.index)
                current.writeKafkaInteger(partition.errorCode.rawValue)
                current.writeKafkaInteger(partition.highWatermark)
                if version >= 4 {
                    current.writeKafkaInteger(partition.lastStableOffset)
                    if version >= 5 { current.writeKafkaInteger(partition.logStartOffset) }
                    if let aborted = partition.abortedTransactions {
                        writeLength(aborted.count, compact: flexible, to: &current)
                        for transaction in aborted {
                            current.writeKafkaInteger(transaction.producerID)
                            current.writeKafkaInteger(transaction.firstOffset)
                            if flexible { current.writeUnsignedVarint(0) }
                        }
                    } else {
                        writeNull(compact: flexible, to: &current)
                    }
                }
                if version >= 11 { current.writeKafkaInteger(partition.preferredReadReplica) }
                let length = partition.recordsLength
                writeLength(length, compact: flexible, to: &current)
                if var converted = partition.convertedRecords {
                    current.writeBuffer(&converted)
                } else if let records = partition.records, length > 0 {
                    parts.append(.bytes(current))
                    parts.append(.file(records))
                    current = ByteBuffer()
                }
                if flexible { current.writeUnsignedVarint(0) }
            }
            if flexible { current.writeUnsignedVarint(0) }
        }
        if flexible { current.writeUnsignedVarint(0) }
        parts.append(.bytes(current))
        let total = parts.reduce(0) { $0 + $1.length } - 4
        guard case .bytes(var first) = parts[0] else { preconditionFailure("the first part holds the size") }
        first.setInteger(Int32(total), at: first.readerIndex)
        parts[0] = .bytes(first)
        return parts
    }

    private static func writeLength(_ length: Int, compact: Bool, to buffer: inout ByteBuffer) {
        if compact { buffer.writeUnsignedVarint(UInt32(length + 1)) } else { buffer.writeKafkaInteger(Int32(length)) }
    }

    private static func writeNull(compact: Bool, to buffer: inout ByteBuffer) {
        if compact { buffer.writeUnsignedVarint(0) } else { buffer.writeKafkaInteger(Int32(-1)) }
    }
}
