import KafkaCore
import KafkaProtocol
import NIOCore

/// The records of one partition collected into one RecordBatch. Records are encoded into the batch's records
/// section as they are appended (no per-record buffer); the header (producer id, sequence) and compression are
/// applied once, when the sender first takes the batch. A batch that is retried is sent again as the same bytes.
///
/// Lifecycle: open (appends) → closed (full, or taken by the sender) → sent (once or more) → completed. A value:
/// it lives in its `PartitionQueue` (under that queue's lock) until the sender takes it out.
struct ProducerBatch: Sendable {
    let partition: TopicPartition
    let createdAt: ContinuousClock.Instant
    private(set) var builder: RecordBatchBuilder
    /// The records that asked to be told, by index in the batch, with their timestamps.
    private(set) var callbacks: [(index: Int32, timestamp: Int64, callback: DeliveryCallback)] = []
    private(set) var recordCount: Int32 = 0
    /// The bytes this batch holds of the producer's `buffer.memory`.
    private(set) var reservedBytes = 0
    /// The encoded batch, made when the sender first takes it.
    private(set) var encoded: ByteBuffer?
    var attempts = 0
    /// When the batch may be sent again after a failure.
    var retryAt: ContinuousClock.Instant?

    init(partition: TopicPartition, codec: CompressionCodec, now: ContinuousClock.Instant) {
        self.partition = partition
        createdAt = now
        builder = RecordBatchBuilder(codec: codec)
    }

    var sizeInBytes: Int { builder.recordsSize }
    var baseSequence: Int32 { builder.baseSequence }

    /// Appends a record, holding `reserved` bytes of buffer memory for it.
    mutating func append(
        timestamp: Int64,
        key: [UInt8]?,
        value: [UInt8]?,
        headers: [(key: String, value: [UInt8]?)],
        reserved: Int,
        callback: DeliveryCallback?
    ) {
        if let callback { callbacks.append((recordCount, timestamp, callback)) }
        builder.append(timestamp: timestamp, key: key, value: value, headers: headers)
        recordCount += 1
        reservedBytes += reserved
    }

    /// Encodes the batch with the producer's identity and the partition's next sequence (or none: -1).
    mutating func seal(producerID: ProducerID, producerEpoch: ProducerEpoch, baseSequence: Int32) {
        builder.producerID = producerID
        builder.producerEpoch = producerEpoch
        builder.baseSequence = baseSequence
        encoded = builder.build().buffer
    }

    /// Encodes the batch again with another base sequence (an earlier batch of the partition failed for good, so
    /// the sequences after it move down).
    mutating func resequence(_ baseSequence: Int32) {
        builder.baseSequence = baseSequence
        encoded = builder.build().buffer
    }

    /// Forgets the encoding (the producer id changed): the next take seals it again.
    mutating func unseal() { encoded = nil }

    /// Tells every waiting record how the batch ended.
    func complete(_ result: Result<(baseOffset: Offset, logAppendTime: Int64), ProducerError>) {
        for (index, timestamp, callback) in callbacks {
            callback(
                result.map {
                    RecordMetadata(
                        topic: partition.topic,
                        partition: partition.partition,
                        offset: $0.baseOffset < 0 ? -1 : $0.baseOffset + Offset(index),
                        timestamp: $0.logAppendTime >= 0 ? $0.logAppendTime : timestamp
                    )
                }
            )
        }
    }
}
