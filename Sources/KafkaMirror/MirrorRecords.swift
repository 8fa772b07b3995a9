/// MirrorMaker 2's three internal record types, byte for byte as Kafka 2.8's `OffsetSync`, `Checkpoint` and
/// `Heartbeat` classes write them (Kafka protocol `Struct`s: big-endian integers, STRING = int16 length + UTF-8,
/// never null), so that Java's `RemoteClusterUtils`, Strimzi and UIs read ours and we read theirs:
///
/// | record     | key                                   | value                                                  |
/// |------------|---------------------------------------|--------------------------------------------------------|
/// | OffsetSync | topic STRING, partition INT32         | upstreamOffset INT64, offset INT64 (no version)        |
/// | Checkpoint | group, topic (target name), partition | version INT16=0, upstreamOffset, offset, metadata STRING |
/// | Heartbeat  | sourceClusterAlias, targetClusterAlias | version INT16=0, timestamp INT64                      |
///
/// They live in `mm2-offset-syncs.<target>.internal` (on the source cluster), `<source>.checkpoints.internal` and
/// `heartbeats` (on the target). Readers skip records they cannot parse (`MirrorRecordError`), as `MirrorClient`
/// does. Values only: made and read by any task.
public struct OffsetSync: Sendable, Equatable {
    /// The source topic's name (not renamed).
    public var topic: String
    public var partition: Int32
    /// The offset of a record on the source cluster.
    public var upstreamOffset: Int64
    /// The offset the same record has on the target cluster.
    public var downstreamOffset: Int64

    public init(topic: String, partition: Int32, upstreamOffset: Int64, downstreamOffset: Int64) {
        self.topic = topic
        self.partition = partition
        self.upstreamOffset = upstreamOffset
        self.downstreamOffset = downstreamOffset
    }

    public var key: [UInt8] {
        var writer = MirrorStructWriter()
        writer.string(topic)
        writer.int32(partition)
        return writer.bytes
    }

    public var value: [UInt8] {
        var writer = MirrorStructWriter()
        writer.int64(upstreamOffset)
        writer.int64(downstreamOffset)
        return writer.bytes
    }

    public init(key: [UInt8], value: [UInt8]) throws(MirrorRecordError) {
        var keyReader = MirrorStructReader(key)
        topic = try keyReader.string()
        partition = try keyReader.int32()
        var valueReader = MirrorStructReader(value)
        upstreamOffset = try valueReader.int64()
        downstreamOffset = try valueReader.int64()
    }
}

/// A consumer group's committed offset on the source, translated for the target (`<source>.checkpoints.internal`).
public struct Checkpoint: Sendable, Equatable {
    public var group: String
    /// The topic's name on the target (renamed by the replication policy).
    public var topic: String
    public var partition: Int32
    public var upstreamOffset: Int64
    public var downstreamOffset: Int64
    /// The metadata string the group committed with its offset.
    public var metadata: String

    public init(
        group: String,
        topic: String,
        partition: Int32,
        upstreamOffset: Int64,
        downstreamOffset: Int64,
        metadata: String = ""
    ) {
        self.group = group
        self.topic = topic
        self.partition = partition
        self.upstreamOffset = upstreamOffset
        self.downstreamOffset = downstreamOffset
        self.metadata = metadata
    }

    public var key: [UInt8] {
        var writer = MirrorStructWriter()
        writer.string(group)
        writer.string(topic)
        writer.int32(partition)
        return writer.bytes
    }

    public var value: [UInt8] {
        var writer = MirrorStructWriter()
        writer.int16(0)
        writer.int64(upstreamOffset)
        writer.int64(downstreamOffset)
        writer.string(metadata)
        return writer.bytes
    }

    public init(key: [UInt8], value: [UInt8]) throws(MirrorRecordError) {
        var keyReader = MirrorStructReader(key)
        group = try keyReader.string()
        topic = try keyReader.string()
        partition = try keyReader.int32()
        var valueReader = MirrorStructReader(value)
        let version = try valueReader.int16()
        guard version == 0 else { throw .unknownVersion(version) }
        upstreamOffset = try valueReader.int64()
        downstreamOffset = try valueReader.int64()
        metadata = try valueReader.string()
    }
}

/// A timestamped beat that one flow emits into its source's `heartbeats` topic; mirrored, it tells the target
/// which clusters are upstream and how long replication takes.
public struct Heartbeat: Sendable, Equatable {
    public var sourceClusterAlias: String
    public var targetClusterAlias: String
    /// Milliseconds since the epoch when the beat was made.
    public var timestamp: Int64

    public init(sourceClusterAlias: String, targetClusterAlias: String, timestamp: Int64) {
        self.sourceClusterAlias = sourceClusterAlias
        self.targetClusterAlias = targetClusterAlias
        self.timestamp = timestamp
    }

    public var key: [UInt8] {
        var writer = MirrorStructWriter()
        writer.string(sourceClusterAlias)
        writer.string(targetClusterAlias)
        return writer.bytes
    }

    public var value: [UInt8] {
        var writer = MirrorStructWriter()
        writer.int16(0)
        writer.int64(timestamp)
        return writer.bytes
    }

    public init(key: [UInt8], value: [UInt8]) throws(MirrorRecordError) {
        var keyReader = MirrorStructReader(key)
        sourceClusterAlias = try keyReader.string()
        targetClusterAlias = try keyReader.string()
        var valueReader = MirrorStructReader(value)
        let version = try valueReader.int16()
        guard version == 0 else { throw .unknownVersion(version) }
        timestamp = try valueReader.int64()
    }
}

/// Why an MM2 record could not be read (Java's `SchemaException`); the reader skips it.
public enum MirrorRecordError: Error, Sendable, Equatable, CustomStringConvertible {
    case truncated
    case unknownVersion(Int16)
    case invalidString

    public var description: String {
        switch self {
        case .truncated: "the record ends before its last field"
        case .unknownVersion(let version): "unknown record version \(version)"
        case .invalidString: "a string field is not UTF-8 or has a negative length"
        }
    }
}

/// Writes a protocol `Struct`'s fields in order.
struct MirrorStructWriter {
    var bytes: [UInt8] = []

    mutating func int16(_ value: Int16) { append(UInt64(UInt16(bitPattern: value)), width: 2) }
    mutating func int32(_ value: Int32) { append(UInt64(UInt32(bitPattern: value)), width: 4) }
    mutating func int64(_ value: Int64) { append(UInt64(bitPattern: value), width: 8) }

    mutating func string(_ value: String) {
        let utf8 = Array(value.utf8)
        int16(Int16(clamping: utf8.count))
        bytes.append(contentsOf: utf8.prefix(Int(Int16.max)))
    }

    private mutating func append(_ value: UInt64, width: Int) {
        for shift in stride(from: (width - 1) * 8, through: 0, by: -8) {
            bytes.append(UInt8(truncatingIfNeeded: value >> UInt64(shift)))
        }
    }
}

/// Reads a protocol `Struct`'s fields in order; trailing bytes are ignored, as Java's reader does.
struct MirrorStructReader {
    private let bytes: [UInt8]
    private var index = 0

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    mutating func int16() throws(MirrorRecordError) -> Int16 {
        Int16(bitPattern: UInt16(truncatingIfNeeded: try read(width: 2)))
    }

    mutating func int32() throws(MirrorRecordError) -> Int32 {
        Int32(bitPattern: UInt32(truncatingIfNeeded: try read(width: 4)))
    }

    mutating func int64() throws(MirrorRecordError) -> Int64 { Int64(bitPattern: try read(width: 8)) }

    mutating func string() throws(MirrorRecordError) -> String {
        let length = Int(try int16())
        guard length >= 0 else { throw .invalidString }
        guard index + length <= bytes.count else { throw .truncated }
        defer { index += length }
        guard let text = String(validating: bytes[index..<index + length], as: UTF8.self) else {
            throw .invalidString
        }
        return text
    }

    private mutating func read(width: Int) throws(MirrorRecordError) -> UInt64 {
        guard index + width <= bytes.count else { throw .truncated }
        var value: UInt64 = 0
        for byte in bytes[index..<index + width] { value = value << 8 | UInt64(byte) }
        index += width
        return value
    }
}
