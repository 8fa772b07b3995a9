/// ListOffsets v0's answer (Kafka's `Log.legacyFetchOffsetsBefore`), for the clients of the 0.8-0.10 era that still
/// send it (Burrow, Sarama without a configured version): not one offset but up to `maxNumOffsets` of them, newest
/// first, taken from the segments' base offsets (the log start offset for the first) and, when the active segment
/// holds data, the log end offset; each stands for the time its segment was last written. Read under the log's lock.
extension Log {
    /// -1 (latest) starts from the newest entry, -2 (earliest) from the oldest, a time from the newest entry written
    /// at or before it.
    public func legacyOffsets(before timestamp: Int64, maxNumOffsets: Int32, now: Int64) -> [Int64] {
        state.withLock { state in
            var entries: [(offset: Int64, time: Int64)] = state.segments.map {
                (max($0.baseOffset, state.logStartOffset), $0.lastModifiedMilliseconds)
            }
            if let last = state.segments.last, last.size > 0 { entries.append((state.logEndOffset, now)) }
            var start: Int
            switch timestamp {
            case -1: start = entries.count - 1
            case -2: start = 0
            default: start = entries.lastIndex { $0.time <= timestamp } ?? -1
            }
            var offsets: [Int64] = []
            while start >= 0 && offsets.count < Int(max(maxNumOffsets, 0)) {
                offsets.append(entries[start].offset)
                start -= 1
            }
            return offsets.sorted(by: >)
        }
    }
}
