/// A segment's `.timeindex`: a sparse map from timestamps to offsets, Kafka's format exactly.
///
/// Each 12-byte entry is a timestamp (int64) and an offset relative to the segment's base offset (int32),
/// big-endian. Timestamps only rise: an entry is added at an index interval when the largest timestamp seen so far
/// grew. A lookup finds the last entry at or below the target; the log is then scanned for the first batch whose
/// max timestamp reaches the target.
final class TimeIndex {
    static let entrySize = 12
    let baseOffset: Int64
    let index: MappedIndex

    init(path: String, baseOffset: Int64, maxIndexSize: Int, preallocate: Bool) throws(StorageError) {
        self.baseOffset = baseOffset
        index = try MappedIndex(
            path: path,
            entrySize: Self.entrySize,
            maxIndexSize: maxIndexSize,
            preallocate: preallocate
        )
    }

    var entries: Int { index.entries }
    var isFull: Bool { index.isFull }

    func timestamp(at entry: Int) -> Int64 { index.entry(entry).bigEndianInt64(at: 0) }
    func offset(at entry: Int) -> Int64 { baseOffset + Int64(index.entry(entry).bigEndianInt32(at: 8)) }

    var lastEntry: (timestamp: Int64, offset: Int64) {
        entries == 0 ? (-1, baseOffset) : (timestamp(at: entries - 1), offset(at: entries - 1))
    }

    func maybeAppend(timestamp: Int64, offset: Int64) {
        guard timestamp > lastEntry.timestamp, entries == 0 || offset >= lastEntry.offset else { return }
        guard !isFull else { return }
        index.append { entry in
            entry.storeBigEndian(timestamp, at: 0)
            entry.storeBigEndian(Int32(offset - baseOffset), at: 8)
        }
    }

    /// The last entry with a timestamp at or below `target`, or (-1, base offset) when there is none.
    func lookup(_ target: Int64) -> (timestamp: Int64, offset: Int64) {
        guard let slot = index.largestLowerBound(target, key: timestamp(at:)) else { return (-1, baseOffset) }
        return (timestamp(at: slot), offset(at: slot))
    }

    /// Removes the entries for offsets at or above `offset`.
    func truncate(to offset: Int64) {
        var keep = entries
        while keep > 0 && self.offset(at: keep - 1) >= offset { keep -= 1 }
        index.truncate(toEntries: keep)
    }

    func reset() { index.truncate(toEntries: 0) }

    func isSane() -> Bool {
        var previous = Int64.min
        var previousOffset = baseOffset - 1
        for entry in 0..<entries {
            let timestamp = timestamp(at: entry)
            let offset = offset(at: entry)
            if timestamp <= previous || offset < previousOffset { return false }
            previous = timestamp
            previousOffset = offset
        }
        return true
    }
}
