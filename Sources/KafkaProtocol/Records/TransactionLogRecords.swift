public import KafkaCore
public import NIOCore

/// The partitions of one topic in a transaction.
public struct TransactionTopicPartitions: Sendable, Equatable {
    public var topic: String
    public var partitions: [Int32]

    public init(_ topic: String, _ partitions: [Int32]) {
        self.topic = topic
        self.partitions = partitions
    }
}

/// One transactional id's metadata as a `__transaction_state` value records it.
public struct TransactionLogValue: Sendable, Equatable {
    public var producerID: ProducerID
    public var producerEpoch: ProducerEpoch
    public var transactionTimeoutMs: Int32
    public var state: TransactionState
    /// The partitions in the transaction, grouped by topic in the order written; nil is written as Kafka's null
    /// array (Empty), an empty list as an empty one (CompleteCommit, CompleteAbort).
    public var partitions: [TransactionTopicPartitions]?
    public var lastUpdateTimestampMs: Int64
    /// -1 while Empty.
    public var startTimestampMs: Int64

    public init(
        producerID: ProducerID,
        producerEpoch: ProducerEpoch,
        transactionTimeoutMs: Int32,
        state: TransactionState,
        partitions: [TransactionTopicPartitions]?,
        lastUpdateTimestampMs: Int64,
        startTimestampMs: Int64
    ) {
        self.producerID = producerID
        self.producerEpoch = producerEpoch
        self.transactionTimeoutMs = transactionTimeoutMs
        self.state = state
        self.partitions = partitions
        self.lastUpdateTimestampMs = lastUpdateTimestampMs
        self.startTimestampMs = startTimestampMs
    }
}

/// The records of `__transaction_state` in Kafka 2.8's binary format (`TransactionLog`): key version 0 (int16 0,
/// then the transactional id as an int16-length string) and value version 0 (int16 0, int64 producer id, int16
/// epoch, int32 timeout, int8 state, the partitions as an int32-counted array of topics — -1 for null — each an
/// int16-length topic and an int32-counted array of int32 partitions, int64 last update time, int64 start time).
/// A null value (tombstone) removes the id. Which partition holds an id: `abs(javaHashCode(id)) % partitions`,
/// as for groups (`TransactionCoordinator.partition(for:)`).
public enum TransactionLogRecords {
    public static func key(_ transactionalID: String) -> [UInt8] {
        var buffer = ByteBuffer()
        buffer.writeKafkaInteger(Int16(0))
        buffer.writeKafkaString(transactionalID, compact: false)
        return Array(buffer.readableBytesView)
    }

    /// The transactional id of a key; nil for another version or malformed bytes.
    public static func decodeKey(_ bytes: ByteBuffer) -> String? {
        var buffer = bytes
        guard let version = buffer.readInteger(as: Int16.self), version == 0,
            let id = try? buffer.readKafkaString(compact: false), buffer.readableBytes == 0
        else { return nil }
        return id
    }

    public static func value(_ value: TransactionLogValue) -> [UInt8] {
        var buffer = ByteBuffer()
        buffer.writeKafkaInteger(Int16(0))
        buffer.writeKafkaInteger(value.producerID)
        buffer.writeKafkaInteger(value.producerEpoch)
        buffer.writeKafkaInteger(value.transactionTimeoutMs)
        buffer.writeKafkaInteger(Int8(bitPattern: value.state.rawValue))
        if let topics = value.partitions {
            buffer.writeKafkaInteger(Int32(topics.count))
            for entry in topics {
                buffer.writeKafkaString(entry.topic, compact: false)
                buffer.writeKafkaInteger(Int32(entry.partitions.count))
                for partition in entry.partitions { buffer.writeKafkaInteger(partition) }
            }
        } else {
            buffer.writeKafkaInteger(Int32(-1))
        }
        buffer.writeKafkaInteger(value.lastUpdateTimestampMs)
        buffer.writeKafkaInteger(value.startTimestampMs)
        return Array(buffer.readableBytesView)
    }

    /// A value of version 0; nil for another version, an unknown state byte or malformed bytes.
    public static func decodeValue(_ bytes: ByteBuffer) -> TransactionLogValue? {
        var buffer = bytes
        guard let version = buffer.readInteger(as: Int16.self), version == 0,
            let producerID = buffer.readInteger(as: Int64.self),
            let epoch = buffer.readInteger(as: Int16.self),
            let timeout = buffer.readInteger(as: Int32.self),
            let stateByte = buffer.readInteger(as: UInt8.self),
            let state = TransactionState(rawValue: stateByte),
            let topicCount = buffer.readInteger(as: Int32.self), topicCount >= -1
        else { return nil }
        var partitions: [TransactionTopicPartitions]?
        if topicCount >= 0 {
            var topics: [TransactionTopicPartitions] = []
            for _ in 0..<topicCount {
                guard let topic = try? buffer.readKafkaString(compact: false),
                    let count = buffer.readInteger(as: Int32.self), count >= 0, Int(count) * 4 <= buffer.readableBytes
                else { return nil }
                // The length check above guarantees the ids.
                topics.append(TransactionTopicPartitions(topic, (0..<count).map { _ in buffer.readInteger()! }))
            }
            partitions = topics
        }
        guard let lastUpdate = buffer.readInteger(as: Int64.self), let start = buffer.readInteger(as: Int64.self),
            buffer.readableBytes == 0
        else { return nil }
        return TransactionLogValue(
            producerID: producerID,
            producerEpoch: epoch,
            transactionTimeoutMs: timeout,
            state: state,
            partitions: partitions,
            lastUpdateTimestampMs: lastUpdate,
            startTimestampMs: start
        )
    }
}
