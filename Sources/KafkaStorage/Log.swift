public import KafkaCore
import KafkaProtocol
public import Logging
public import NIOCore
import Synchronization

/// A partition's log: an ordered list of segments, the last one active, with the log start offset (the first
/// offset still readable), the log end offset (the offset the next record gets) and the recovery point (below it
/// everything has been flushed).
///
/// Lifecycle: made by `Log.load` (which recovers it when needed); appended to and read by any thread; closed by
/// its `LogManager`. One lock guards the log; appends hold it for their write, reads only to find the region.
/// Appends never change the bytes they are given: assigned offsets, the leader epoch and LogAppendTime go into a
/// patched copy of each 61-byte batch header written in front of the untouched rest of the batch.
public final class Log: Sendable {
    public let topicPartition: TopicPartition
    public let directory: String
    public let clock: any KafkaClock
    public let logger: Logger

    struct State {
        var config: LogConfig
        var segments: [LogSegment]
        var logStartOffset: Int64
        var logEndOffset: Int64
        var recoveryPoint: Int64
        var lastFlushTime: Int64
        var unflushedMessages: Int64 = 0
        var epochCache: LeaderEpochFileCache
        var isClosed = false
        /// Segments renamed `.deleted`, with the time their files may go.
        var pendingDeletions: [(segment: LogSegment, due: Int64)] = []
        /// The first offset of a transaction that is open or not yet replicated (from the partition's producer
        /// state): compaction stops before it. Nil: none.
        var firstUnstableOffset: Int64?

        var activeSegment: LogSegment { segments[segments.count - 1] }

        /// The segment that holds `offset`: the last one whose base offset is at or below it.
        func segmentIndex(containing offset: Int64) -> Int? {
            var low = 0
            var high = segments.count - 1
            guard high >= 0, segments[0].baseOffset <= offset else { return nil }
            while low < high {
                let middle = (low + high + 1) / 2
                if segments[middle].baseOffset <= offset { low = middle } else { high = middle - 1 }
            }
            return low
        }
    }

    let state: Mutex<State>
    /// `state.logEndOffset`, readable without the lock (followers, fetches and high watermark checks ask it for
    /// every request); written under the lock together with it.
    private let endOffset: Atomic<Int64>

    init(
        topicPartition: TopicPartition,
        directory: String,
        state: sending State,
        clock: any KafkaClock,
        logger: Logger
    ) {
        self.topicPartition = topicPartition
        self.directory = directory
        self.endOffset = Atomic(state.logEndOffset)
        self.state = Mutex(state)
        self.clock = clock
        var logger = logger
        logger[metadataKey: "partition"] = "\(topicPartition)"
        self.logger = logger
    }

    // MARK: Offsets and sizes

    public var logStartOffset: Int64 { state.withLock { $0.logStartOffset } }
    public var logEndOffset: Int64 { endOffset.load(ordering: .acquiring) }
    public var recoveryPoint: Int64 { state.withLock { $0.recoveryPoint } }
    public var segmentCount: Int { state.withLock { $0.segments.count } }
    public var segmentBaseOffsets: [Int64] { state.withLock { $0.segments.map(\.baseOffset) } }
    public var sizeInBytes: Int64 { state.withLock { $0.segments.reduce(0) { $0 + $1.size } } }
    public var config: LogConfig { state.withLock { $0.config } }

    public func updateConfig(_ config: LogConfig) {
        state.withLock { $0.config = config }
    }

    // MARK: Appending

    /// Appends the batches in `records` (validated by the caller), assigning offsets from the log end offset
    /// unless `origin` is `.replication`. `leaderEpoch` goes into each batch for client and coordinator appends.
    @discardableResult
    public func append(
        _ records: ByteBuffer,
        origin: AppendOrigin,
        leaderEpoch: Int32
    ) throws(StorageError)
        -> LogAppendInfo
    {
        let now = clock.milliseconds
        return try state.withLock { (state: inout State) throws(StorageError) -> LogAppendInfo in
            guard !state.isClosed else { throw .logClosed("\(topicPartition)") }
            let plan = try Self.plan(
                records,
                origin: origin,
                leaderEpoch: leaderEpoch,
                nextOffset: state.logEndOffset,
                logAppendTime: state.config.timestampType == .logAppendTime ? now : nil
            )
            guard plan.batchCount > 0 else {
                return LogAppendInfo(
                    firstOffset: state.logEndOffset,
                    lastOffset: state.logEndOffset - 1,
                    maxTimestamp: -1,
                    offsetOfMaxTimestamp: -1,
                    logAppendTime: -1,
                    logStartOffset: state.logStartOffset,
                    batchCount: 0,
                    recordCount: 0,
                    validBytes: 0
                )
            }
            guard plan.byteCount <= state.config.segmentBytes else {
                throw .recordBatchTooLarge(size: plan.byteCount, segmentBytes: state.config.segmentBytes)
            }
            if origin == .replication && plan.firstOffset < state.logEndOffset {
                throw .nonMonotonicOffsets(expected: state.logEndOffset, found: plan.firstOffset)
            }
            let rolled = try maybeRoll(&state, plan: plan, now: now)
            try state.activeSegment.append(
                buffers: plan.buffers,
                byteCount: plan.byteCount,
                largestOffset: plan.lastOffset,
                largestTimestamp: plan.maxTimestamp,
                offsetOfLargestTimestamp: plan.offsetOfMaxTimestamp,
                batches: plan.batches
            )
            for (epoch, offset) in plan.epochStarts { try state.epochCache.assign(epoch: epoch, startOffset: offset) }
            state.logEndOffset = plan.lastOffset + 1
            endOffset.store(state.logEndOffset, ordering: .releasing)
            state.unflushedMessages += Int64(plan.recordCount)
            if state.unflushedMessages >= state.config.flushMessages
                || now - state.lastFlushTime >= state.config.flushMs
            {
                try flushLocked(&state, now: now)
            }
            return LogAppendInfo(
                firstOffset: plan.firstOffset,
                lastOffset: plan.lastOffset,
                maxTimestamp: plan.maxTimestamp,
                offsetOfMaxTimestamp: plan.offsetOfMaxTimestamp,
                logAppendTime: plan.logAppendTime ?? -1,
                logStartOffset: state.logStartOffset,
                batchCount: plan.batchCount,
                recordCount: plan.recordCount,
                validBytes: plan.byteCount,
                rolledSegmentBaseOffset: rolled
            )
        }
    }

    /// The buffers to write and what they hold.
    struct AppendPlan {
        var buffers: [ByteBuffer] = []
        var byteCount = 0
        var batchCount = 0
        var recordCount = 0
        var firstOffset: Int64 = -1
        var lastOffset: Int64 = -1
        var maxTimestamp: Int64 = -1
        var offsetOfMaxTimestamp: Int64 = -1
        var logAppendTime: Int64?
        /// Leader epochs that start in this append (epoch, first offset).
        var epochStarts: [(Int32, Int64)] = []
        /// The batches, positions counted from the start of the append (the segment remembers the latest).
        var batches: [RecentBatches.Entry] = []
    }

    static func plan(
        _ records: ByteBuffer,
        origin: AppendOrigin,
        leaderEpoch: Int32,
        nextOffset: Int64,
        logAppendTime: Int64?
    ) throws(StorageError) -> AppendPlan {
        var plan = AppendPlan()
        plan.logAppendTime = origin == .replication ? nil : logAppendTime
        var remaining = records
        var next = nextOffset
        var lastEpoch: Int32 = -1
        while remaining.readableBytes > 0 {
            let batch: RecordBatch
            do {
                guard let cut = try RecordBatch.nextBatch(from: &remaining) else {
                    throw StorageError.corruptRecords("\(remaining.readableBytes) bytes that are not a whole batch")
                }
                batch = cut
            } catch let error as StorageError {
                throw error
            } catch {
                throw .corruptRecords("\(error)")
            }
            let header = batch.buffer.getSlice(at: batch.buffer.readerIndex, length: RecordBatch.headerSize)!
            let rest = batch.buffer.getSlice(
                at: batch.buffer.readerIndex + RecordBatch.headerSize,
                length: batch.sizeInBytes - RecordBatch.headerSize
            )!
            var epoch = batch.partitionLeaderEpoch
            var maxTimestamp = batch.maxTimestamp
            if origin == .replication {
                plan.buffers.append(batch.buffer)
                next = batch.baseOffset
            } else {
                var patched = ByteBuffer()
                patched.writeImmutableBuffer(header)
                patched.setInteger(next, at: RecordBatch.baseOffsetOffset)
                patched.setInteger(leaderEpoch, at: RecordBatch.partitionLeaderEpochOffset)
                epoch = leaderEpoch
                if let time = plan.logAppendTime {
                    let attributes = batch.attributes | RecordBatch.timestampTypeMask
                    patched.setInteger(attributes, at: RecordBatch.attributesOffset)
                    patched.setInteger(time, at: RecordBatch.maxTimestampOffset)
                    let headerCRC = CRC32C.checksum(
                        of: patched,
                        at: RecordBatch.attributesOffset,
                        length: RecordBatch.headerSize - RecordBatch.attributesOffset
                    )
                    let crc = rest.withUnsafeReadableBytes { CRC32C.checksum($0, continuing: headerCRC) }
                    patched.setInteger(crc, at: RecordBatch.crcOffset)
                    maxTimestamp = time
                }
                plan.buffers.append(patched)
                plan.buffers.append(rest)
            }
            let last = next + Int64(batch.lastOffsetDelta)
            if plan.batchCount == 0 { plan.firstOffset = next }
            if maxTimestamp > plan.maxTimestamp {
                plan.maxTimestamp = maxTimestamp
                plan.offsetOfMaxTimestamp = last
            }
            if epoch >= 0 && epoch > lastEpoch {
                plan.epochStarts.append((epoch, next))
                lastEpoch = epoch
            }
            plan.lastOffset = last
            plan.batches.append(
                .init(
                    baseOffset: next,
                    position: Int64(plan.byteCount),
                    lastOffsetDelta: batch.lastOffsetDelta,
                    size: Int32(batch.sizeInBytes)
                )
            )
            plan.byteCount += batch.sizeInBytes
            plan.batchCount += 1
            plan.recordCount += Int(batch.recordCount)
            next = last + 1
        }
        return plan
    }

    /// Rolls when the active segment cannot take `plan`; returns the new segment's base offset.
    private func maybeRoll(_ state: inout State, plan: AppendPlan, now: Int64) throws(StorageError) -> Int64? {
        let segment = state.activeSegment
        guard
            segment.shouldRoll(
                messagesSize: plan.byteCount,
                maxTimestampInMessages: plan.maxTimestamp,
                maxOffsetInMessages: plan.lastOffset,
                now: now,
                config: state.config
            )
        else { return nil }
        return try roll(&state, baseOffset: plan.firstOffset, now: now) ? plan.firstOffset : nil
    }

    /// Starts a new active segment at `baseOffset` (the log end offset); false when the active segment is empty and
    /// starts there already.
    @discardableResult
    func roll(_ state: inout State, baseOffset: Int64, now: Int64) throws(StorageError) -> Bool {
        let old = state.activeSegment
        if old.size == 0 && old.baseOffset == baseOffset { return false }
        let segment = try LogSegment.open(
            directory: directory,
            baseOffset: baseOffset,
            config: state.config,
            now: now,
            active: true
        )
        try old.onBecomeInactive()
        state.segments.append(segment)
        logger.debug("Rolled a new log segment", metadata: ["baseOffset": "\(baseOffset)"])
        return true
    }

    /// Rolls a new segment now (tests, and retention when every segment is to go).
    public func roll() throws(StorageError) {
        let now = clock.milliseconds
        try state.withLock { (state: inout State) throws(StorageError) in
            _ = try roll(&state, baseOffset: state.logEndOffset, now: now)
        }
    }

    // MARK: Flushing

    /// fsyncs everything up to the log end offset and moves the recovery point there.
    public func flush() throws(StorageError) {
        let now = clock.milliseconds
        try state.withLock { (state: inout State) throws(StorageError) in try flushLocked(&state, now: now) }
    }

    private func flushLocked(_ state: inout State, now: Int64) throws(StorageError) {
        guard state.recoveryPoint < state.logEndOffset else { return }
        let first = state.segmentIndex(containing: state.recoveryPoint) ?? 0
        for segment in state.segments[first...] { try segment.flush() }
        state.recoveryPoint = state.logEndOffset
        state.unflushedMessages = 0
        state.lastFlushTime = now
    }

    /// Flushes when `flush.ms` has passed since the last flush (the LogManager's periodic flusher).
    func flushIfDue(now: Int64) throws(StorageError) {
        try state.withLock { (state: inout State) throws(StorageError) in
            if state.unflushedMessages > 0 && now - state.lastFlushTime >= state.config.flushMs {
                try flushLocked(&state, now: now)
            }
        }
    }

    // MARK: Reading

    /// Up to `maxBytes` from `offset`, never reaching `maxOffset` (the high watermark for consumers; nil: the log
    /// end offset), from one segment. With `minOneMessage` the first batch is returned whole even when larger.
    public func read(
        from offset: Int64,
        maxBytes: Int,
        upTo maxOffset: Int64? = nil,
        minOneMessage: Bool = true
    )
        throws(StorageError) -> FetchDataInfo
    {
        try state.withLock { (state: inout State) throws(StorageError) -> FetchDataInfo in
            guard !state.isClosed else { throw .logClosed("\(topicPartition)") }
            let end = state.logEndOffset
            guard offset >= state.logStartOffset, offset <= end else {
                throw .offsetOutOfRange(requested: offset, logStartOffset: state.logStartOffset, logEndOffset: end)
            }
            let limit = min(maxOffset ?? end, end)
            if offset >= limit { return .empty(at: offset) }
            guard var index = state.segmentIndex(containing: offset) else { return .empty(at: offset) }
            while index < state.segments.count {
                let segment = state.segments[index]
                // Stop before the batch that holds the limit, as Kafka does: nothing at or past it is visible.
                // Reading to the log end (followers) stops at the segment's end.
                let maxPosition =
                    limit >= end ? segment.size : try segment.translateOffset(limit)?.position ?? segment.size
                if let (slice, firstBatchOffset) = try segment.read(
                    startOffset: offset,
                    maxSize: maxBytes,
                    maxPosition: maxPosition,
                    minOneMessage: minOneMessage
                ) {
                    return FetchDataInfo(fetchOffset: offset, records: slice, firstBatchOffset: firstBatchOffset)
                }
                index += 1
            }
            return .empty(at: offset)
        }
    }

    /// The first record at or after `timestamp`, as (timestamp, offset); nil when every record is older.
    public func offset(forTimestamp timestamp: Int64) throws(StorageError) -> (timestamp: Int64, offset: Int64)? {
        try state.withLock { (state: inout State) throws(StorageError) -> (timestamp: Int64, offset: Int64)? in
            for segment in state.segments where segment.largestTimestamp >= timestamp || segment.maxTimestampSoFar < 0 {
                if let found = try segment.findOffsetByTimestamp(timestamp, startingOffset: state.logStartOffset) {
                    return found
                }
            }
            return nil
        }
    }

    /// The largest timestamp in the log and the offset that carries it (ListOffsets -3, KIP-734).
    public var maxTimestampAndOffset: (timestamp: Int64, offset: Int64) {
        state.withLock { state in
            var best: (Int64, Int64) = (-1, -1)
            for segment in state.segments where segment.maxTimestampSoFar > best.0 {
                best = (segment.maxTimestampSoFar, segment.offsetOfMaxTimestampSoFar)
            }
            return best
        }
    }

    // MARK: Leader epochs

    /// OffsetForLeaderEpoch's answer for `epoch` (see `LeaderEpochFileCache.endOffset`).
    public func endOffset(forLeaderEpoch epoch: Int32) -> (epoch: Int32, endOffset: Int64) {
        state.withLock { $0.epochCache.endOffset(for: epoch, logEndOffset: $0.logEndOffset) }
    }

    public var latestEpoch: Int32? { state.withLock { $0.epochCache.latestEpoch } }

    /// The epoch entries (epoch, start offset), oldest first.
    public var leaderEpochs: [(epoch: Int32, startOffset: Int64)] {
        state.withLock { $0.epochCache.entries.map { ($0.epoch, $0.startOffset) } }
    }

    /// Records a new leader epoch starting at the log end offset (a new leader does this before appending).
    public func assignEpochStartOffset(epoch: Int32) throws(StorageError) {
        try state.withLock { (state: inout State) throws(StorageError) in
            try state.epochCache.assign(epoch: epoch, startOffset: state.logEndOffset)
        }
    }

    // MARK: Truncation

    /// Removes everything at and after `offset` (a follower that diverged from its leader). No effect when the log
    /// ends at or before it.
    public func truncate(to offset: Int64) throws(StorageError) {
        try state.withLock { (state: inout State) throws(StorageError) in
            guard offset < state.logEndOffset else { return }
            guard offset > state.logStartOffset else {
                try truncateFullyLocked(&state, startingAt: offset)
                return
            }
            while let last = state.segments.last, state.segments.count > 1, last.baseOffset >= offset {
                state.segments.removeLast()
                last.deleteFiles()
            }
            try state.activeSegment.truncate(to: offset)
            try state.activeSegment.onBecomeActive()
            state.logEndOffset = offset
            endOffset.store(offset, ordering: .releasing)
            state.recoveryPoint = min(state.recoveryPoint, offset)
            try state.epochCache.truncate(fromEnd: offset)
            logger.info("Truncated the log", metadata: ["offset": "\(offset)"])
        }
    }

    /// Deletes every segment and starts an empty log at `offset` (a follower too far behind its leader).
    public func truncateFully(startingAt offset: Int64) throws(StorageError) {
        try state.withLock { (state: inout State) throws(StorageError) in
            try truncateFullyLocked(&state, startingAt: offset)
        }
    }

    private func truncateFullyLocked(_ state: inout State, startingAt offset: Int64) throws(StorageError) {
        let now = clock.milliseconds
        for segment in state.segments { segment.deleteFiles() }
        state.segments = [
            try LogSegment.open(directory: directory, baseOffset: offset, config: state.config, now: now, active: true)
        ]
        state.logStartOffset = offset
        state.logEndOffset = offset
        endOffset.store(offset, ordering: .releasing)
        state.recoveryPoint = offset
        try state.epochCache.clear()
        logger.info("Truncated the whole log", metadata: ["newStartOffset": "\(offset)"])
    }

    // MARK: Lifecycle

    /// Flushes and closes the files; the log refuses appends and reads afterwards.
    public func close() {
        state.withLock { state in
            guard !state.isClosed else { return }
            for segment in state.segments {
                try? segment.flush()
                segment.close()
            }
            state.recoveryPoint = state.logEndOffset
            state.isClosed = true
        }
    }

    /// Closes the log without flushing and removes its segment files (the directory is the caller's).
    func closeAndDeleteFiles() {
        state.withLock { state in
            state.isClosed = true
            for segment in state.segments { segment.deleteFiles() }
            state.segments = []
        }
    }
}
