/// One header of a Connect record: its key, and its value with the schema it was read or built with.
public struct ConnectHeader: Sendable, Equatable {
    public var key: String
    public var schema: ConnectSchema?
    public var value: ConnectValue?

    public init(key: String, schema: ConnectSchema?, value: ConnectValue?) {
        self.key = key
        self.schema = schema
        self.value = value
    }
}

/// A record a source task returns from `poll` (Java's `SourceRecord`): where it came from in the source system
/// (`sourcePartition`, a string-keyed map such as `{"filename": "/tmp/in.txt"}`) and how far that source has
/// been read once this record is written (`sourceOffset`, e.g. `{"position": 1234}`), the topic (and partition,
/// or nil for the producer's partitioner), key and value with their schemas, timestamp and headers.
public struct SourceRecord: Sendable, Equatable {
    public var sourcePartition: ConnectValue?
    public var sourceOffset: ConnectValue?
    public var topic: String
    public var kafkaPartition: Int32?
    public var keySchema: ConnectSchema?
    public var key: ConnectValue?
    public var valueSchema: ConnectSchema?
    public var value: ConnectValue?
    /// Milliseconds since the epoch; nil lets the producer stamp it.
    public var timestamp: Int64?
    public var headers: [ConnectHeader]

    public init(
        sourcePartition: ConnectValue?,
        sourceOffset: ConnectValue?,
        topic: String,
        kafkaPartition: Int32? = nil,
        keySchema: ConnectSchema? = nil,
        key: ConnectValue? = nil,
        valueSchema: ConnectSchema?,
        value: ConnectValue?,
        timestamp: Int64? = nil,
        headers: [ConnectHeader] = []
    ) {
        self.sourcePartition = sourcePartition
        self.sourceOffset = sourceOffset
        self.topic = topic
        self.kafkaPartition = kafkaPartition
        self.keySchema = keySchema
        self.key = key
        self.valueSchema = valueSchema
        self.value = value
        self.timestamp = timestamp
        self.headers = headers
    }
}

/// A record a sink task is given by `put` (Java's `SinkRecord`): the Kafka record's topic, partition and offset,
/// key and value as the converters read them, timestamp and headers.
public struct SinkRecord: Sendable, Equatable {
    public enum TimestampType: String, Sendable {
        case noTimestampType = "NoTimestampType"
        case createTime = "CreateTime"
        case logAppendTime = "LogAppendTime"
    }

    public var topic: String
    public var kafkaPartition: Int32
    public var kafkaOffset: Int64
    public var keySchema: ConnectSchema?
    public var key: ConnectValue?
    public var valueSchema: ConnectSchema?
    public var value: ConnectValue?
    public var timestamp: Int64?
    public var timestampType: TimestampType
    public var headers: [ConnectHeader]

    public init(
        topic: String,
        kafkaPartition: Int32,
        kafkaOffset: Int64,
        keySchema: ConnectSchema? = nil,
        key: ConnectValue? = nil,
        valueSchema: ConnectSchema?,
        value: ConnectValue?,
        timestamp: Int64? = nil,
        timestampType: TimestampType = .createTime,
        headers: [ConnectHeader] = []
    ) {
        self.topic = topic
        self.kafkaPartition = kafkaPartition
        self.kafkaOffset = kafkaOffset
        self.keySchema = keySchema
        self.key = key
        self.valueSchema = valueSchema
        self.value = value
        self.timestamp = timestamp
        self.timestampType = timestampType
        self.headers = headers
    }
}
