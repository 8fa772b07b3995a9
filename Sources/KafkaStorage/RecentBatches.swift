/// Where the active segment's latest batches are, so that finding an offset near the log end — every follower
/// fetch, every consumer fetch bounded by the high watermark, every acks=all long poll woken by an append — reads
/// no file. Without it, offset translation reads batch headers one at a time from the last offset index entry
/// (up to `index.interval.bytes` of batches: about 24 `pread`s for 100-byte records), under the log's lock.
///
/// Format: the batches appended since the segment's last offset index entry, in file order, contiguous, the last
/// one ending at the segment's size; so a lookup that the index starts at or after the first of them is answered
/// here exactly as a scan of the file would answer it. Emptied when the file changes otherwise (truncation,
/// recovery, a cleaner's append) and when the segment is no longer the active one. At most one index interval of
/// batches, so it stays small (~1.6 KiB worst case).
///
/// Owned by one `LogSegment`, used under the owning `Log`'s lock like the rest of the segment.
struct RecentBatches {
    struct Entry {
        var baseOffset: Int64
        var position: Int64
        var lastOffsetDelta: Int32
        var size: Int32

        var lastOffset: Int64 { baseOffset &+ Int64(lastOffsetDelta) }
    }

    /// What a lookup found.
    enum Lookup: Equatable {
        /// The first batch at or after the start position whose last offset is at or above the target.
        case found(position: Int64, baseOffset: Int64, size: Int)
        /// No batch from the start position on reaches the target: the segment ends before it.
        case pastEnd
        /// The start position lies before what is kept: the file must be read.
        case notKept
    }

    private(set) var entries: [Entry] = []

    /// Records batches written at `position` (the segment's size before the write), in file order; their
    /// positions count from the start of that write.
    mutating func append(_ batches: [Entry], at position: Int64) {
        if let last = entries.last, last.position + Int64(last.size) != position {
            entries.removeAll(keepingCapacity: true)
        }
        for var batch in batches {
            batch.position += position
            entries.append(batch)
        }
    }

    /// An offset index entry now points at `position`: lookups start there or later, so earlier batches go.
    mutating func indexed(at position: Int64) {
        guard let first = entries.first, first.position < position else { return }
        entries.removeAll { $0.position < position }
    }

    mutating func removeAll() { entries.removeAll() }

    /// The first batch at or after `start` (where the offset index starts the scan) whose last offset is at or
    /// above `target`, when every batch from `start` to `end` (the segment's size) is kept.
    func lookup(_ target: Int64, from start: Int64, end: Int64) -> Lookup {
        if start >= end { return .pastEnd }
        guard let first = entries.first, first.position <= start, let last = entries.last,
            last.position + Int64(last.size) == end
        else { return .notKept }
        if last.lastOffset < target { return .pastEnd }
        var low = 0
        var high = entries.count - 1
        while low < high {
            let middle = (low + high) / 2
            if entries[middle].lastOffset >= target { high = middle } else { low = middle + 1 }
        }
        let entry = entries[low]
        // Offsets rise with positions, so a batch before `start` never qualifies when the index is right; if it
        // does (a damaged index), the file decides.
        guard entry.position >= start else { return .notKept }
        return .found(position: entry.position, baseOffset: entry.baseOffset, size: Int(entry.size))
    }
}
