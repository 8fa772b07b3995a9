import Foundation
public import KafkaCore
import KafkaProtocol
import NIOCore

/// One producer's state in a snapshot: its epoch and its last batch (sequence, offsets, timestamp), the epoch of
/// the transaction coordinator that last wrote a marker for it, and the first offset of its open transaction.
public struct ProducerSnapshotEntry: Sendable, Equatable {
    public var producerID: ProducerID
    public var epoch: ProducerEpoch
    public var lastSequence: Int32
    public var lastOffset: Int64
    /// The last batch's last offset minus its first (so its first sequence is `lastSequence - offsetDelta`).
    public var offsetDelta: Int32
    public var timestamp: Int64
    public var coordinatorEpoch: Int32
    /// The first offset of the producer's open transaction, nil when none is open.
    public var currentTransactionFirstOffset: Int64?

    public init(
        producerID: ProducerID,
        epoch: ProducerEpoch,
        lastSequence: Int32,
        lastOffset: Int64,
        offsetDelta: Int32,
        timestamp: Int64,
        coordinatorEpoch: Int32 = -1,
        currentTransactionFirstOffset: Int64? = nil
    ) {
        self.producerID = producerID
        self.epoch = epoch
        self.lastSequence = lastSequence
        self.lastOffset = lastOffset
        self.offsetDelta = offsetDelta
        self.timestamp = timestamp
        self.coordinatorEpoch = coordinatorEpoch
        self.currentTransactionFirstOffset = currentTransactionFirstOffset
    }
}

/// Kafka's producer-state snapshot, `<20-digit offset>.snapshot` in the partition directory (ProducerStateManager,
/// version 1): the state of every producer as of the log offset in the name, so a broker that starts reads the
/// batches after it instead of the whole log.
///
/// Format, big-endian: int16 version (1), uint32 CRC-32C of everything after these six bytes, int32 entry count,
/// then per producer 46 bytes: int64 producer id, int16 epoch, int32 last sequence, int64 last offset, int32
/// offset delta, int64 timestamp, int32 coordinator epoch, int64 first offset of the open transaction (-1: none).
/// Written whole to `<name>.tmp`, fsynced and renamed; a file that fails its checks is reported, never half-read.
/// The partition owning the directory writes and reads its snapshots under its append lock.
public enum ProducerSnapshotFile {
    public static let suffix = ".snapshot"
    static let version: Int16 = 1
    static let headerSize = 10
    static let entrySize = 46

    public static func path(_ directory: String, offset: Int64) -> String {
        "\(directory)/\(LogFileNames.offsetPrefix(offset))\(suffix)"
    }

    public static func encode(_ entries: [ProducerSnapshotEntry]) -> [UInt8] {
        var buffer = ByteBuffer()
        buffer.reserveCapacity(headerSize + entries.count * entrySize)
        buffer.writeInteger(version)
        buffer.writeInteger(UInt32(0))
        buffer.writeInteger(Int32(entries.count))
        for entry in entries {
            buffer.writeInteger(entry.producerID)
            buffer.writeInteger(entry.epoch)
            buffer.writeInteger(entry.lastSequence)
            buffer.writeInteger(entry.lastOffset)
            buffer.writeInteger(entry.offsetDelta)
            buffer.writeInteger(entry.timestamp)
            buffer.writeInteger(entry.coordinatorEpoch)
            buffer.writeInteger(entry.currentTransactionFirstOffset ?? -1)
        }
        buffer.setInteger(CRC32C.checksum(of: buffer, at: 6, length: buffer.readableBytes - 6), at: 2)
        return Array(buffer.readableBytesView)
    }

    /// The entries of a snapshot's bytes; `path` names the file in the error.
    public static func decode(
        _ bytes: [UInt8],
        path: String = "snapshot"
    ) throws(StorageError) -> [ProducerSnapshotEntry] {
        func corrupt(_ reason: String) -> StorageError { .inconsistentDirectory(path: path, reason: reason) }
        guard bytes.count >= headerSize else { throw corrupt("producer snapshot shorter than its header") }
        var buffer = ByteBuffer(bytes: bytes)
        let fileVersion = buffer.readInteger(as: Int16.self)!
        guard fileVersion == version else { throw corrupt("producer snapshot of unknown version \(fileVersion)") }
        let stored = buffer.readInteger(as: UInt32.self)!
        let computed = CRC32C.checksum(of: buffer, at: 6, length: bytes.count - 6)
        guard stored == computed else {
            throw corrupt("producer snapshot CRC \(stored) does not match its contents' \(computed)")
        }
        let count = buffer.readInteger(as: Int32.self)!
        guard count >= 0, bytes.count == headerSize + Int(count) * entrySize else {
            throw corrupt("producer snapshot of \(bytes.count) bytes cannot hold \(count) entries")
        }
        return (0..<Int(count)).map { _ in
            // The size check above guarantees every field; arguments are read in order.
            ProducerSnapshotEntry(
                producerID: buffer.readInteger()!,
                epoch: buffer.readInteger()!,
                lastSequence: buffer.readInteger()!,
                lastOffset: buffer.readInteger()!,
                offsetDelta: buffer.readInteger()!,
                timestamp: buffer.readInteger()!,
                coordinatorEpoch: buffer.readInteger()!,
                currentTransactionFirstOffset: buffer.readInteger(as: Int64.self).flatMap { $0 >= 0 ? $0 : nil }
            )
        }
    }

    /// Writes the snapshot for `offset` atomically (a crash leaves the old state of the directory or the new).
    public static func write(
        _ directory: String,
        offset: Int64,
        _ entries: [ProducerSnapshotEntry]
    ) throws(StorageError) {
        try CheckpointFile.writeAtomically(path(directory, offset: offset), bytes: encode(entries))
    }

    /// The entries of the snapshot at `path`, or nil when there is no such file.
    public static func read(_ path: String) throws(StorageError) -> [ProducerSnapshotEntry]? {
        guard let bytes = CheckpointFile.readBytes(path) else { return nil }
        return try decode(bytes, path: path)
    }

    /// The offsets of the snapshots in `directory`, ascending.
    public static func offsets(in directory: String) -> [Int64] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        return names.compactMap { name in
            name.hasSuffix(suffix) && name.count == 20 + suffix.count ? Int64(name.prefix(20)) : nil
        }.sorted()
    }
}
