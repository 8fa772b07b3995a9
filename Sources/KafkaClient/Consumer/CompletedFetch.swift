import KafkaCore
import KafkaProtocol
import NIOCore

/// One partition's records from one Fetch answer, waiting to be returned by `poll`. The batches stay as fetched
/// bytes until they are drained; a batch is decoded (and decompressed) only when its records are reached, and a
/// poll that stops inside a batch keeps the rest of its records for the next.
///
/// Owned by `KafkaConsumer` (inside the actor); `nextOffset` is the position it expects, so a `seek` made after the
/// fetch went out makes it stale.
struct CompletedFetch {
    let partition: TopicPartition
    /// The position the next record returned from here continues.
    private(set) var nextOffset: Offset
    private var remaining: ByteBuffer
    private var decoded: [Record] = []
    private var decodedIndex = 0
    private var batchEnd: Offset = 0
    private var batchEpoch: LeaderEpoch = -1
    private var batchLogAppendTime = false

    /// The offset after the last whole batch fetched (where the partition's next fetch starts); nil when the
    /// answer holds no whole batch.
    let endOffset: Offset?

    init(partition: TopicPartition, fetchOffset: Offset, records: ByteBuffer) {
        self.partition = partition
        nextOffset = fetchOffset
        remaining = records
        // Only the batch headers are read (each batch's length and last offset), not the records.
        var scan = records
        var end: Offset?
        while let batch = try? RecordBatch.nextBatch(from: &scan) { end = batch.nextOffset }
        endOffset = end
    }

    var isDrained: Bool { decodedIndex >= decoded.count && remaining.readableBytes == 0 }

    /// The fetched bytes not yet decoded.
    var remainingBytes: Int { remaining.readableBytes }

    /// Appends up to `limit` records to `records`, advancing `nextOffset` past them (and past control batches and
    /// compaction gaps). A batch that fails its CRC, or cannot be decoded, is an error at its offset.
    mutating func drain(
        into records: inout [ConsumerRecord],
        limit: Int,
        checkCRC: Bool
    ) throws(ConsumerError) {
        while records.count < limit {
            if decodedIndex < decoded.count {
                let record = decoded[decodedIndex]
                decodedIndex += 1
                guard record.offset >= nextOffset else { continue }
                records.append(
                    ConsumerRecord(
                        topic: partition.topic,
                        partition: partition.partition,
                        offset: record.offset,
                        timestamp: record.timestamp,
                        timestampType: batchLogAppendTime ? .logAppendTime : .createTime,
                        key: record.key,
                        value: record.value,
                        headers: record.headers,
                        leaderEpoch: batchEpoch >= 0 ? batchEpoch : nil
                    )
                )
                nextOffset = record.offset + 1
                continue
            }
            if !decoded.isEmpty {
                nextOffset = max(nextOffset, batchEnd)
                decoded = []
                decodedIndex = 0
            }
            let next: RecordBatch?
            do {
                next = try RecordBatch.nextBatch(from: &remaining)
            } catch {
                throw .corruptRecord(partition, offset: nextOffset, "\(error)")
            }
            // A partial batch at the end of the answer: the next fetch starts at it again.
            guard let batch = next else {
                remaining.moveReaderIndex(forwardBy: remaining.readableBytes)
                return
            }
            guard batch.nextOffset > nextOffset else { continue }
            guard batch.magic == 2 else {
                throw .corruptRecord(partition, offset: batch.baseOffset, "message format v\(batch.magic)")
            }
            if checkCRC, batch.computeCRC() != batch.crc {
                throw .corruptRecord(partition, offset: batch.baseOffset, "CRC mismatch")
            }
            if batch.isControl {
                nextOffset = batch.nextOffset
                continue
            }
            do {
                decoded = try batch.records(decompressionLimit: Int(Int32.max))
            } catch {
                throw .corruptRecord(partition, offset: batch.baseOffset, "\(error)")
            }
            decodedIndex = 0
            batchEnd = batch.nextOffset
            batchEpoch = batch.partitionLeaderEpoch
            batchLogAppendTime = batch.isLogAppendTime
            if decoded.isEmpty { nextOffset = max(nextOffset, batchEnd) }
        }
    }
}
