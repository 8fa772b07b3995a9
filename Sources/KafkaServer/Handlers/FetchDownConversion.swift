import KafkaProtocol
import KafkaStorage
import NIOCore

/// The down-conversion of one Fetch v0-3 request: each partition's records (whole v2 batches read from the log) are
/// read into memory and rewritten as message format v0 (Fetch v0-1) or v1 (Fetch v2-3), as Kafka 2.8 does for
/// clients that predate RecordBatch v2.
///
/// Sizes follow Kafka's rules for these versions: a partition gets at most its `partition_max_bytes`; in v0-2 that
/// is a hard limit (a first message larger than it is sent cut short, which old clients report as too large), in v3
/// (KIP-74) the first message of the response goes whole and the response stays within `max_bytes`. Converted bytes
/// are bounded by those limits, so memory follows what is sent. Lifecycle: made by `FetchHandler` for one request,
/// used for its partitions in order.
struct DownConversion {
    let magic: Int8
    /// v0-2: no message goes past a limit, not even the first.
    let hardLimit: Bool
    /// What is left of the response's `max_bytes` (v3; v0-2 have no such field).
    var remaining: Int
    var sentAny = false

    static let decompressionLimit = 64 << 20

    init(request: FetchRequest, version: Int16) {
        precondition(version < 4)
        magic = version < 2 ? 0 : 1
        hardLimit = version < 3
        remaining = request.maxBytes <= 0 ? Int(Int32.max) : Int(request.maxBytes)
    }

    mutating func convert(
        _ records: FileSlice,
        partition: FetchRequest.FetchPartition
    ) throws -> MessageFormatConversion.Converted {
        let limit = max(0, min(Int(max(partition.partitionMaxBytes, 0)), remaining))
        guard limit > 0 || (!hardLimit && !sentAny) else { return MessageFormatConversion.Converted() }
        var converted = try MessageFormatConversion.downConvert(
            try records.readBytes(),
            toMagic: magic,
            fetchOffset: partition.fetchOffset,
            maxBytes: limit,
            decompressionLimit: Self.decompressionLimit
        )
        if converted.messageSet.readableBytes > limit && (hardLimit || sentAny) {
            // Only a first message can pass the limit: it is sent cut short (Kafka's partial message).
            converted.messageSet = converted.messageSet.getSlice(at: converted.messageSet.readerIndex, length: limit)!
            converted.messages = 0
        }
        remaining -= converted.messageSet.readableBytes
        sentAny = sentAny || converted.messages > 0
        return converted
    }
}
