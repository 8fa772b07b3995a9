extension Log {
    /// Deletes whole segments that retention no longer keeps, as Kafka's `deleteOldSegments`: with
    /// `cleanup.policy` including delete, those older than `retention.ms` (by their largest timestamp) and the
    /// oldest ones while the log is over `retention.bytes`; in every case those wholly below the log start offset.
    /// Only segments that end at or below `highWatermark` go, and when every segment goes a new empty one is rolled
    /// first. The log start offset moves to the first remaining segment. Returns the number of segments deleted.
    @discardableResult
    public func deleteOldSegments(highWatermark: Int64) throws(StorageError) -> Int {
        let now = clock.milliseconds
        return try state.withLock { (state: inout State) throws(StorageError) -> Int in
            guard !state.isClosed else { return 0 }
            var deleted = 0
            let config = state.config
            if config.delete && config.retentionMs >= 0 {
                deleted += try deleteSegments(&state, highWatermark: highWatermark, now: now, reason: "retention.ms") {
                    segment,
                    _ in now - segment.largestTimestamp > config.retentionMs
                }
            }
            if config.delete && config.retentionBytes >= 0 {
                var excess = state.segments.reduce(0) { $0 + $1.size } - config.retentionBytes
                deleted += try deleteSegments(&state, highWatermark: highWatermark, now: now, reason: "retention.bytes")
                {
                    segment,
                    _ in
                    guard excess - segment.size >= 0 else { return false }
                    excess -= segment.size
                    return true
                }
            }
            let start = state.logStartOffset
            deleted += try deleteSegments(&state, highWatermark: highWatermark, now: now, reason: "log start offset") {
                _,
                next in (next?.baseOffset ?? Int64.max) <= start
            }
            return deleted
        }
    }

    private func deleteSegments(
        _ state: inout State,
        highWatermark: Int64,
        now: Int64,
        reason: String,
        _ predicate: (LogSegment, LogSegment?) -> Bool
    ) throws(StorageError) -> Int {
        var count = 0
        while count < state.segments.count {
            let segment = state.segments[count]
            let next = count + 1 < state.segments.count ? state.segments[count + 1] : nil
            let upperBound = next?.baseOffset ?? state.logEndOffset
            let isLastAndEmpty = next == nil && segment.size == 0
            guard predicate(segment, next), highWatermark >= upperBound, !isLastAndEmpty else { break }
            count += 1
        }
        guard count > 0 else { return 0 }
        if count == state.segments.count { try roll(&state, baseOffset: state.logEndOffset, now: now) }
        let doomed = state.segments.prefix(count)
        state.segments.removeFirst(count)
        for segment in doomed { try schedule(segment, in: &state, now: now) }
        let newStart = max(state.logStartOffset, state.segments[0].baseOffset)
        if newStart > state.logStartOffset {
            state.logStartOffset = newStart
            try state.epochCache.truncate(fromStart: newStart)
        }
        logger.info(
            "Deleted \(count) segment(s) by \(reason)",
            metadata: ["logStartOffset": "\(state.logStartOffset)", "segments": "\(doomed.map(\.baseOffset))"]
        )
        return count
    }

    /// Renames a segment that left the log to `.deleted`; its files go after `file.delete.delay.ms`.
    func schedule(_ segment: LogSegment, in state: inout State, now: Int64) throws(StorageError) {
        segment.close()
        try segment.changeSuffix(from: "", to: LogFileNames.deletedSuffix)
        if state.config.fileDeleteDelayMs <= 0 {
            segment.deleteFiles()
        } else {
            state.pendingDeletions.append((segment, now + state.config.fileDeleteDelayMs))
        }
    }

    /// Removes the `.deleted` files whose delay has passed.
    public func purgeDeletedSegments() {
        let now = clock.milliseconds
        state.withLock { state in
            let due = state.pendingDeletions.filter { $0.due <= now }
            state.pendingDeletions.removeAll { $0.due <= now }
            for entry in due { entry.segment.deleteFiles() }
        }
    }

    /// Moves the log start offset up to `offset` (DeleteRecords), never past `highWatermark`. Segments wholly
    /// below it go at the next retention pass. Returns the log start offset.
    @discardableResult
    public func incrementLogStartOffset(to offset: Int64, highWatermark: Int64) throws(StorageError) -> Int64 {
        try state.withLock { (state: inout State) throws(StorageError) -> Int64 in
            guard offset > state.logStartOffset else { return state.logStartOffset }
            guard offset <= highWatermark else {
                throw .offsetOutOfRange(
                    requested: offset,
                    logStartOffset: state.logStartOffset,
                    logEndOffset: highWatermark
                )
            }
            state.logStartOffset = offset
            try state.epochCache.truncate(fromStart: offset)
            return offset
        }
    }
}
