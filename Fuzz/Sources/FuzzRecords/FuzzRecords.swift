import FuzzSupport
import KafkaProtocol
import NIOCore

/// libFuzzer target: record data as the broker meets it — v2 batches from a Produce request or a log segment
/// (`nextBatch`, `validate`, `records`, down-conversion for an old consumer) and v0/v1 message sets from an old
/// producer (decoding and up-conversion).
///
/// Input: one byte of flags, then the records. Flags: bit 0 picks a v0/v1 message set over v2 batches; bit 1 has
/// the checksums recomputed after mutation, so that the code behind them is reached; bit 2 validates as a
/// follower's batch rather than a client's; bit 3 down-converts to magic 1 rather than 0. Every path must end in
/// a value or a `RecordBatchError`, never a trap.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzRecords(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size > 0 else { return 0 }
    let flags = data[0]
    var records = FuzzInput.buffer(data + 1, size - 1)
    let limit = 1 << 20
    if flags & 1 != 0 {
        if flags & 2 != 0 { records = FuzzInput.withMessageCRCsFixed(records) }
        _ = try? LegacyMessageSet.decode(records, decompressionLimit: limit)
        if let (batch, messages) = try? MessageFormatConversion.upConvert(records, decompressionLimit: limit) {
            // An up-converted batch is what the log appends: it must pass the checks a client's batch passes.
            do {
                try batch.validate(maxSize: Int.max, decompressionLimit: limit)
            } catch {
                preconditionFailure("up-converted batch of \(messages) messages fails validation: \(error)")
            }
        }
        return 0
    }
    if flags & 2 != 0 { records = FuzzInput.withBatchCRCsFixed(records) }
    let fromClient = flags & 4 == 0
    var remaining = records
    while let batch = try? RecordBatch.nextBatch(from: &remaining) {
        let valid = (try? batch.validate(maxSize: limit, fromClient: fromClient, decompressionLimit: limit)) != nil
        let decoded = try? batch.records(decompressionLimit: limit)
        if valid && fromClient {
            precondition(decoded?.count == Int(batch.recordCount), "a valid batch whose records do not decode")
        }
    }
    _ = try? MessageFormatConversion.downConvert(
        records,
        toMagic: flags & 8 == 0 ? 0 : 1,
        fetchOffset: 0,
        maxBytes: limit,
        decompressionLimit: limit
    )
    return 0
}
