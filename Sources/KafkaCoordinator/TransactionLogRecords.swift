public import KafkaCore
public import KafkaProtocol
public import NIOCore

/// One transactional id's metadata as a `__transaction_state` value records it.
public struct TransactionLogValue: Sendable, Equatable {
    public var producerID: ProducerID
    public var producerEpoch: ProducerEpoch
    public var transactionTimeoutMs: Int32
    public var state: TransactionState
    /// The partitions in the transaction, grouped by topic in the order written; nil is written as Kafka's null
    /// array (Empty), an empty list as an empty one (CompleteCommit, CompleteAbort).
    public var partitions: [(topic: String, partitions: [Int32])]?
    public var lastUpdateTimestampMs: Int64
    /// -1 while Empty.
    public var startTimestampMs: Int64

    public init(
        producerID: ProducerID,
        producerEpoch: ProducerEpoch,
        transactionTimeoutMs: Int32,
        state: TransactionState,
        partitions: [(topic: String, partitions: [Int32])]?,
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

    public static func == (lhs: Self, rhs: Self) -> Bool {
        lhs.producerID == rhs.producerID && lhs.producerEpoch == rhs.producerEpoch
            && lhs.transactionTimeoutMs == rhs.transactionTimeoutMs && lhs.state == rhs.state
            && lhs.partitions?.map(\.topic) == rhs.partitions?.map(\.topic)
            && lhs.partitions?.map(\.partitions) == rhs.partitions?.map(\.partitions)
            && lhs.lastUpdateTimestampMs == rhs.lastUpdateTimestampMs && lhs.startTimestampMs == rhs.startTimestampMs
    }
}

/// The records of `__transaction_state` in Kafka 2.8's binary format (`TransactionLog`): key version 0 (int16 0,
/// then the transactional id as an int16-length string) and value version 0 (int16 0, int64 producer id, int16
/// epoch, int32 timeout, int8 state, the partitions as an int32-counted array of topics — -1 for null — each an
/// int16-length topic and an int32-counted array of int32 partitions, int64 last update time, int64 start time).
/// A null value (tombstone) removes the id. Which partition holds an id: `GroupPartitioner`, as for groups.
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
            for (topic, partitions) in topics {
                buffer.writeKafkaString(topic, compact: false)
                buffer.writeKafkaInteger(Int32(partitions.count))
                for partition in partitions { buffer.writeKafkaInteger(partition) }
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
        var partitions: [(topic: String, partitions: [Int32])]?
        if topicCount >= 0 {
            var topics: [(topic: String, partitions: [Int32])] = []
            for _ in 0..<topicCount {
                guard let topic = try? buffer.readKafkaString(compact: false),
                    let count = buffer.readInteger(as: Int32.self), count >= 0, Int(count) * 4 <= buffer.readableBytes
                else { return nil }
                var ids: [Int32] = []
                for _ in 0..<count {
                    guard let id = buffer.readInteger(as: Int32.self) else { return nil }
                    ids.append(id)
                }
                topics.append((topic, ids))
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
