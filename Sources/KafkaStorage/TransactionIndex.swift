public import KafkaCore
import NIOCore

/// One aborted transaction of a segment's `.txnindex`: the producer, its first offset, the offset of its ABORT
/// marker (`lastOffset`), and the last stable offset when the marker was written (the first offset of the earliest
/// other open transaction, else `lastOffset + 1`).
public struct AbortedTransaction: Sendable, Equatable {
    public var producerID: ProducerID
    public var firstOffset: Int64
    public var lastOffset: Int64
    public var lastStableOffset: Int64

    public init(producerID: ProducerID, firstOffset: Int64, lastOffset: Int64, lastStableOffset: Int64) {
        self.producerID = producerID
        self.firstOffset = firstOffset
        self.lastOffset = lastOffset
        self.lastStableOffset = lastStableOffset
    }
}

/// Kafka's transaction index, `<20-digit base offset>.txnindex` beside a segment (`TransactionIndex`): the aborted
/// transactions whose ABORT marker is in that segment, in marker order, so that a read_committed fetch can tell the
/// consumer which producers' batches to skip.
///
/// Format: 34-byte entries, big-endian: int16 version (0), int64 producer id, int64 first offset, int64 last
/// offset, int64 last stable offset. Entries' last offsets increase; a file whose size is not a whole number of
/// entries, or holding another version, is refused (the log rebuilds it by recovery). Created when the first
/// entry is appended. The owning `Log` appends and truncates under its append lock; reads come from fetches.
public struct TransactionIndex: Sendable {
    public static let suffix = ".txnindex"
    static let entrySize = 34

    public let path: String

    public init(directory: String, baseOffset: Int64, suffix fileSuffix: String = "") {
        path = "\(directory)/\(LogFileNames.offsetPrefix(baseOffset))\(Self.suffix)\(fileSuffix)"
    }

    init(path: String) { self.path = path }

    var exists: Bool { access(path, F_OK) == 0 }

    /// Renames the file, when there is one.
    func renamed(to newPath: String) throws(StorageError) -> TransactionIndex {
        if exists && rename(path, newPath) != 0 { throw .io(operation: "rename", path: path, errno: errno) }
        return TransactionIndex(path: newPath)
    }

    func delete() { unlink(path) }

    /// Every entry, in order; none when the file does not exist.
    public func entries() throws(StorageError) -> [AbortedTransaction] {
        guard let bytes = CheckpointFile.readBytes(path) else { return [] }
        guard bytes.count % Self.entrySize == 0 else {
            throw .inconsistentDirectory(
                path: path,
                reason: "transaction index of \(bytes.count) bytes is not a whole number of entries"
            )
        }
        var buffer = ByteBuffer(bytes: bytes)
        var found: [AbortedTransaction] = []
        while buffer.readableBytes > 0 {
            let version = buffer.readInteger(as: Int16.self)!
            guard version == 0 else {
                throw .inconsistentDirectory(path: path, reason: "transaction index entry of version \(version)")
            }
            found.append(
                AbortedTransaction(
                    producerID: buffer.readInteger()!,
                    firstOffset: buffer.readInteger()!,
                    lastOffset: buffer.readInteger()!,
                    lastStableOffset: buffer.readInteger()!
                )
            )
        }
        return found
    }

    /// Appends an entry (creating the file); its last offset must be past the last entry's, which is the only
    /// one read.
    public func append(_ transaction: AbortedTransaction) throws(StorageError) {
        let file = try SegmentFile.open(path, create: true)
        let size = try file.size()
        if size >= Int64(Self.entrySize) {
            // The last entry's last offset: bytes 18-25 of it.
            var last = try file.read(at: size - Int64(Self.entrySize) + 18, length: 8)
            guard let lastOffset = last.readInteger(as: Int64.self) else {
                throw .inconsistentDirectory(path: path, reason: "transaction index shorter than it was")
            }
            guard lastOffset < transaction.lastOffset else {
                throw .nonMonotonicOffsets(expected: lastOffset + 1, found: transaction.lastOffset)
            }
        }
        var entry = ByteBuffer()
        entry.writeInteger(Int16(0))
        entry.writeInteger(transaction.producerID)
        entry.writeInteger(transaction.firstOffset)
        entry.writeInteger(transaction.lastOffset)
        entry.writeInteger(transaction.lastStableOffset)
        try file.write([entry], at: size)
    }

    /// Removes the entries whose marker is at or after `offset` (the log was truncated there).
    public func truncate(to offset: Int64) throws(StorageError) {
        let kept = try entries().prefix { $0.lastOffset < offset }.count
        guard let file = try? SegmentFile.open(path, create: false) else { return }
        try file.truncate(to: Int64(kept * Self.entrySize))
    }

    /// Kafka's `collectAbortedTxns`: the entries that overlap a fetch of `[fetchOffset, upperBoundOffset)` (marker
    /// at or after the fetch offset, first offset before the bound), and whether the search is complete — it is once
    /// an entry's last stable offset reaches the bound, so later segments' indexes need not be read.
    public func abortedTransactions(
        fetchOffset: Int64,
        upperBoundOffset: Int64
    ) throws(StorageError) -> (transactions: [AbortedTransaction], isComplete: Bool) {
        var found: [AbortedTransaction] = []
        for entry in try entries() {
            if entry.lastOffset >= fetchOffset && entry.firstOffset < upperBoundOffset { found.append(entry) }
            if entry.lastStableOffset >= upperBoundOffset { return (found, true) }
        }
        return (found, false)
    }
}

#if canImport(Glibc)
import Glibc
#endif
