public import NIOCore

/// Conversion between the message formats v0/v1 old clients speak and RecordBatch v2, the only format this broker
/// stores (Kafka 2.8's `LogValidator` up-conversion and `RecordsUtil.downConvert`).
///
/// - Up: a Produce v0-2 message set becomes one v2 batch holding all its messages, in the codec of its wrapper
///   (none when uncompressed), without producer id or sequence; v0 messages get timestamp -1 (NO_TIMESTAMP), v1
///   messages keep theirs. The batch then goes through the same validation and append as any v2 batch.
/// - Down: stored v2 batches become uncompressed v0 or v1 messages for Fetch v0-3, each with its absolute offset
///   (and in v1 its timestamp and timestamp type); headers are dropped, control batches and records below the
///   fetch offset are skipped. Output stops before the message that would pass `maxBytes` (the first one always
///   goes in), so what a fetch converts is bounded by what it sends; one batch's records are decoded at a time.
///
/// Pure functions: any task may call them.
public enum MessageFormatConversion {
    /// The v2 batch holding every message of `messageSet`, and how many messages it holds.
    public static func upConvert(
        _ messageSet: ByteBuffer,
        decompressionLimit: Int
    ) throws(RecordBatchError) -> (batch: RecordBatch, messages: Int) {
        let decoded = try LegacyMessageSet.decode(messageSet, decompressionLimit: decompressionLimit)
        guard !decoded.messages.isEmpty else { throw .malformedRecord(index: 0, reason: "an empty message set") }
        var builder = RecordBatchBuilder(baseOffset: 0, codec: decoded.codec)
        for (index, message) in decoded.messages.enumerated() {
            builder.append(
                offsetDelta: Int32(index),
                timestamp: message.magic == 0 ? -1 : message.timestamp,
                key: message.key,
                value: message.value
            )
        }
        return (builder.build(), decoded.messages.count)
    }

    /// What `downConvert` produced: the message set and how many messages it holds.
    public struct Converted: Sendable {
        public var messageSet = ByteBuffer()
        public var messages = 0

        public init() {}
    }

    /// `batches` (whole v2 batches as read from the log; a trailing partial batch is ignored) as a v0 or v1
    /// message set starting at `fetchOffset`: whole messages up to `maxBytes` in all, or the first message alone when it
    /// is larger.
    public static func downConvert(
        _ batches: ByteBuffer,
        toMagic magic: Int8,
        fetchOffset: Int64,
        maxBytes: Int,
        decompressionLimit: Int
    ) throws(RecordBatchError) -> Converted {
        precondition(magic == 0 || magic == 1)
        var converted = Converted()
        var remaining = batches
        // A length too small for a batch header is an error (a damaged segment), not a trap.
        while let batch = try RecordBatch.nextBatch(from: &remaining) {
            if batch.isControl || batch.lastOffset < fetchOffset { continue }
            let appendTime = batch.isLogAppendTime
            for record in try batch.records(decompressionLimit: decompressionLimit) where record.offset >= fetchOffset {
                let size = LegacyMessageSet.size(
                    magic: magic,
                    keyLength: record.key?.readableBytes,
                    valueLength: record.value?.readableBytes
                )
                // The first message goes in whatever its size (the caller cuts it for a hard limit).
                if converted.messages > 0 && converted.messageSet.readableBytes + size > maxBytes {
                    return converted
                }
                LegacyMessageSet.write(
                    offset: record.offset,
                    magic: magic,
                    timestamp: record.timestamp,
                    isLogAppendTime: appendTime,
                    key: record.key,
                    value: record.value,
                    to: &converted.messageSet
                )
                converted.messages += 1
            }
        }
        return converted
    }
}
