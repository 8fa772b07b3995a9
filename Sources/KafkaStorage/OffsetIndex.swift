/// A segment's `.index`: a sparse map from offsets to byte positions in its `.log`, Kafka's format exactly.
///
/// Each 8-byte entry is the offset relative to the segment's base offset (int32) and the position in the log
/// file (int32), big-endian, in ascending order. An entry (o, p) says the batch that starts at position p ends
/// with offset o; a lookup finds the last entry at or below the target and scans the log forward from there.
/// The file has no checksum: after a crash it is rebuilt from the log.
final class OffsetIndex {
    static let entrySize = 8
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

    func offset(at entry: Int) -> Int64 { baseOffset + Int64(index.entry(entry).bigEndianInt32(at: 0)) }
    func position(at entry: Int) -> Int { Int(index.entry(entry).bigEndianInt32(at: 4)) }

    var lastOffset: Int64 { entries == 0 ? baseOffset : offset(at: entries - 1) }

    func append(offset: Int64, position: Int) {
        guard entries == 0 || offset > lastOffset else { return }
        index.append { entry in
            entry.storeBigEndian(Int32(offset - baseOffset), at: 0)
            entry.storeBigEndian(Int32(position), at: 4)
        }
    }

    /// The last entry at or below `target`, or (base offset, 0) when there is none.
    func lookup(_ target: Int64) -> (offset: Int64, position: Int) {
        guard let slot = index.largestLowerBound(target, key: offset(at:)) else { return (baseOffset, 0) }
        return (offset(at: slot), position(at: slot))
    }

    /// Removes the entries at or above `offset`.
    func truncate(to offset: Int64) {
        let keep = (index.largestLowerBound(offset - 1, key: self.offset(at:)) ?? -1) + 1
        index.truncate(toEntries: keep)
    }

    func reset() { index.truncate(toEntries: 0) }

    /// Kafka's sanity check: entries that do not rise, or point outside the log, mean a corrupt index.
    func isSane(logSize: Int64) -> Bool {
        var previous: Int64 = baseOffset - 1
        var previousPosition = -1
        for entry in 0..<entries {
            let offset = offset(at: entry)
            let position = position(at: entry)
            if offset <= previous || position <= previousPosition || Int64(position) > logSize { return false }
            previous = offset
            previousPosition = position
        }
        return true
    }
}
