import KafkaCore
import KafkaProtocol
import NIOCore

/// Log compaction (`cleanup.policy=compact`): keeps the last record of every key, as Kafka's `LogCleaner`.
///
/// One pass over a log: (1) the segments before the active one whose records are all older than
/// `min.compaction.lag.ms`, and that end before the first unstable offset (no open transaction), are cleanable;
/// (2) a map from key to the key's last offset is built over them, leaving out the records of aborted transactions
/// (found in the segments' `.txnindex`), which are removed, as Kafka's cleaner does; transaction markers stay;
/// (3) consecutive cleanable segments are rewritten in groups no larger than `segment.bytes` into
/// `<base>.log.cleaned` (+ indexes), keeping a record when it is its key's last, or has no key; tombstones (null
/// values) stay until their segment is older than `delete.retention.ms`; batches that lose nothing are copied
/// byte for byte, others are rebuilt with their original base offset and each record's offset; (4) the cleaned
/// files are renamed `.swap`; (5) under the log's lock the swap replaces the old segments, which are renamed
/// `.deleted`, and takes its normal name. A crash before (4) leaves `.cleaned` files that loading removes; a crash
/// after it leaves `.swap` files that loading swaps in; no record is lost either way.
public enum LogCleaner {
    public struct Stats: Sendable, Equatable {
        public var segmentsCleaned = 0
        public var recordsRead = 0
        public var recordsRetained = 0
        public var tombstonesRemoved = 0
        /// Records of aborted transactions, removed.
        public var abortedRecordsRemoved = 0
        public var bytesBefore: Int64 = 0
        public var bytesAfter: Int64 = 0
        /// Where the cleaned part of the log ends (the first offset the pass did not clean), when every group was
        /// swapped in: the log's next first dirty offset.
        public var endOffset: Int64?
    }

    /// Where a test may stop a pass, as a crash would.
    public enum CrashPoint: Sendable {
        /// The cleaned files are written, not yet renamed `.swap`.
        case afterCleanedFilesWritten
        /// The cleaned files are renamed `.swap`; the log still uses the old segments.
        case afterSwapFilesRenamed
    }

    struct Interrupted: Error {}

    /// Cleans `log` once. With `crashAt`, stops at that point and leaves the files as a crash would.
    @discardableResult
    public static func clean(_ log: Log, crashAt: CrashPoint? = nil) throws(StorageError) -> Stats {
        let now = log.clock.milliseconds
        let (segments, config) = log.cleanableSegments(now: now)
        guard !segments.isEmpty else { return Stats() }
        var stats = Stats()

        // The last offset of every key, and the last batch of every producer (kept even when emptied, so its
        // sequence and epoch survive a reload of the producer state).
        var lastOffsets: [ByteBuffer: Int64] = [:]
        var producersLastBatch: [Int64: Int64] = [:]
        let aborted = try AbortedRanges(
            log.abortedTransactions(fetchOffset: segments[0].baseOffset, upperBoundOffset: segments.last!.nextOffset)
        )
        for segment in segments {
            try forEachBatch(in: segment.file, size: segment.size) { (batch) throws(StorageError) in
                if batch.producerID >= 0 { producersLastBatch[batch.producerID] = batch.lastOffset }
                guard !batch.isControl, !aborted.contains(batch) else { return }
                for record in try decode(batch) {
                    if let key = record.key { lastOffsets[key] = record.offset }
                }
            }
        }

        let deleteHorizon = now - config.deleteRetentionMs
        for group in groups(segments, maxBytes: config.segmentBytes) {
            let cleaned = try LogSegment.open(
                directory: log.directory,
                baseOffset: group[0].baseOffset,
                config: config,
                now: now,
                suffix: LogFileNames.cleanedSuffix,
                active: true
            )
            for segment in group {
                let keepTombstones = segment.largestTimestamp > deleteHorizon
                stats.bytesBefore += segment.size
                try forEachBatch(in: segment.file, size: segment.size) { (batch) throws(StorageError) in
                    let kept = try filter(
                        batch,
                        lastOffsets: lastOffsets,
                        keepTombstones: keepTombstones,
                        aborted: aborted.contains(batch),
                        keepEmpty: batch.producerID >= 0 && producersLastBatch[batch.producerID] == batch.lastOffset,
                        stats: &stats
                    )
                    guard let kept else { return }
                    try cleaned.append(
                        buffers: [kept.buffer],
                        byteCount: kept.sizeInBytes,
                        largestOffset: kept.lastOffset,
                        largestTimestamp: kept.maxTimestamp,
                        offsetOfLargestTimestamp: kept.lastOffset
                    )
                }
            }
            try cleaned.flush()
            try cleaned.onBecomeInactive()
            stats.bytesAfter += cleaned.size
            stats.segmentsCleaned += group.count
            if crashAt == .afterCleanedFilesWritten { return stats }
            try cleaned.changeSuffix(from: LogFileNames.cleanedSuffix, to: LogFileNames.swapSuffix)
            if crashAt == .afterSwapFilesRenamed { return stats }
            let replaced = try log.replaceSegments(group.map(\.file), with: cleaned, now: now)
            if !replaced {
                cleaned.deleteFiles()  // the log changed under the pass (retention, truncation): try again later
                return stats
            }
        }
        stats.endOffset = segments.last?.nextOffset
        log.logger.info(
            "Cleaned the log",
            metadata: [
                "segments": "\(stats.segmentsCleaned)",
                "recordsRetained": "\(stats.recordsRetained)/\(stats.recordsRead)",
                "bytes": "\(stats.bytesBefore) -> \(stats.bytesAfter)",
            ]
        )
        return stats
    }

    /// Consecutive segments whose sizes add up to no more than `maxBytes` (at least one per group).
    static func groups(_ segments: [Log.CleanableSegment], maxBytes: Int) -> [[Log.CleanableSegment]] {
        var groups: [[Log.CleanableSegment]] = []
        var current: [Log.CleanableSegment] = []
        var size: Int64 = 0
        for segment in segments {
            if !current.isEmpty && size + segment.size > Int64(maxBytes) {
                groups.append(current)
                current = []
                size = 0
            }
            current.append(segment)
            size += segment.size
        }
        if !current.isEmpty { groups.append(current) }
        return groups
    }

    /// The batch with only the records to keep, at their offsets and with the batch's last offset: the original
    /// when all stay; when none does, nil, or an empty batch with `keepEmpty` (a producer's last batch).
    static func filter(
        _ batch: RecordBatch,
        lastOffsets: [ByteBuffer: Int64],
        keepTombstones: Bool,
        aborted: Bool = false,
        keepEmpty: Bool = false,
        stats: inout Stats
    ) throws(StorageError) -> RecordBatch? {
        if batch.isControl { return batch }
        let records = try decode(batch)
        stats.recordsRead += records.count
        if aborted { stats.abortedRecordsRemoved += records.count }
        let kept =
            aborted
            ? []
            : records.filter { record in
                guard let key = record.key else { return true }
                guard lastOffsets[key] == record.offset else { return false }
                if record.value == nil && !keepTombstones {
                    stats.tombstonesRemoved += 1
                    return false
                }
                return true
            }
        stats.recordsRetained += kept.count
        if kept.count == records.count { return batch }
        guard !kept.isEmpty || keepEmpty else { return nil }
        var builder = RecordBatchBuilder(
            baseOffset: batch.baseOffset,
            codec: kept.isEmpty ? .none : batch.compressionCodec ?? .none
        )
        builder.lastOffsetDeltaOverride = Int32(batch.lastOffset - batch.baseOffset)
        if kept.isEmpty { builder.maxTimestampOverride = batch.maxTimestamp }
        builder.partitionLeaderEpoch = batch.partitionLeaderEpoch
        builder.producerID = batch.producerID
        builder.producerEpoch = batch.producerEpoch
        builder.baseSequence = batch.baseSequence
        builder.isTransactional = batch.isTransactional
        builder.isLogAppendTime = batch.isLogAppendTime
        if batch.isLogAppendTime { builder.maxTimestampOverride = batch.maxTimestamp }
        for record in kept {
            builder.append(
                offsetDelta: Int32(record.offset - batch.baseOffset),
                timestamp: record.timestamp,
                key: record.key,
                value: record.value,
                headers: record.headers
            )
        }
        return builder.build()
    }

    private static func decode(_ batch: RecordBatch) throws(StorageError) -> [Record] {
        do {
            return try batch.records(decompressionLimit: 64 << 20)
        } catch {
            throw .corruptRecords("batch at offset \(batch.baseOffset): \(error)")
        }
    }

    /// Calls `body` with every batch of a segment file, reading it in chunks.
    static func forEachBatch(
        in file: SegmentFile,
        size: Int64,
        _ body: (RecordBatch) throws(StorageError) -> Void
    ) throws(StorageError) {
        var position: Int64 = 0
        while position < size {
            var chunk = try file.read(at: position, length: Int(min(Int64(8 << 20), size - position)))
            var progressed = false
            while true {
                let batch: RecordBatch?
                do {
                    batch = try RecordBatch.nextBatch(from: &chunk)
                } catch {
                    throw .corruptRecords("at position \(position): \(error)")
                }
                guard let batch else { break }
                try body(batch)
                position += Int64(batch.sizeInBytes)
                progressed = true
            }
            if !progressed {
                // A batch larger than the chunk: read it whole.
                guard let header = try file.batchHeader(at: position), header.size > 0 else { return }
                var whole = try file.read(at: position, length: header.size)
                guard let batch = try? RecordBatch.nextBatch(from: &whole) else { return }
                try body(batch)
                position += Int64(batch.sizeInBytes)
            }
        }
    }
}

extension Log {
    /// A segment the cleaner may rewrite, described by values that stay valid outside the log's lock.
    struct CleanableSegment: Sendable {
        var baseOffset: Int64
        var file: SegmentFile
        var size: Int64
        var largestTimestamp: Int64
        /// The base offset of the segment after it.
        var nextOffset: Int64
    }

    /// The segments before the active one whose records are all older than `min.compaction.lag.ms`, oldest
    /// first, and the log's config.
    func cleanableSegments(now: Int64) -> ([CleanableSegment], LogConfig) {
        state.withLock { state in
            var result: [CleanableSegment] = []
            for (index, segment) in state.segments.dropLast().enumerated() {
                // An empty segment (what a cleaned group can become) has nothing to wait for.
                guard segment.size == 0 || now - segment.largestTimestamp >= state.config.minCompactionLagMs else {
                    break
                }
                // Nothing at or after an open (or not yet replicated) transaction.
                if let unstable = state.firstUnstableOffset, state.segments[index + 1].baseOffset > unstable { break }
                result.append(
                    CleanableSegment(
                        baseOffset: segment.baseOffset,
                        file: segment.file,
                        size: segment.size,
                        largestTimestamp: segment.largestTimestamp,
                        nextOffset: state.segments[index + 1].baseOffset
                    )
                )
            }
            return (result, state.config)
        }
    }

    /// Puts `cleaned` (named `.swap`) in place of the segments whose files are `old`, if they are all still
    /// there; renames the old ones `.deleted` and the swap to its normal name. False when the log changed.
    func replaceSegments(_ old: [SegmentFile], with cleaned: LogSegment, now: Int64) throws(StorageError) -> Bool {
        try state.withLock { (state: inout State) throws(StorageError) -> Bool in
            let wanted = Set(old.map(ObjectIdentifier.init))
            let positions = state.segments.indices.filter { wanted.contains(ObjectIdentifier(state.segments[$0].file)) }
            guard positions.count == old.count, let first = positions.first,
                positions == Array(first..<(first + positions.count)), !state.isClosed
            else { return false }
            let doomed = Array(state.segments[first..<(first + positions.count)])
            state.segments.replaceSubrange(first..<(first + positions.count), with: [cleaned])
            for segment in doomed { try schedule(segment, in: &state, now: now) }
            try cleaned.changeSuffix(from: LogFileNames.swapSuffix, to: "")
            return true
        }
    }
}

/// The offset ranges of aborted transactions, per producer (first offset through the ABORT marker's), which the
/// cleaner removes.
struct AbortedRanges {
    private var ranges: [Int64: [ClosedRange<Int64>]] = [:]

    init(_ transactions: [AbortedTransaction]) {
        for transaction in transactions {
            ranges[transaction.producerID, default: []].append(transaction.firstOffset...transaction.lastOffset)
        }
    }

    /// Whether `batch` holds data of an aborted transaction.
    func contains(_ batch: RecordBatch) -> Bool {
        guard batch.isTransactional, !batch.isControl, let producer = ranges[batch.producerID] else { return false }
        return producer.contains { $0.contains(batch.baseOffset) }
    }
}
