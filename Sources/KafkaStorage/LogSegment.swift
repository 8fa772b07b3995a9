import KafkaProtocol
import NIOCore

/// One segment of a partition's log: `<base offset>.log` holding whole batches back to back, with its
/// `.index` (offset → position), `.timeindex` (timestamp → offset) and, once a transaction is aborted in it,
/// `.txnindex` (`TransactionIndex`), Kafka's on-disk format.
///
/// Lifecycle: created empty when the log rolls (or opened at load), appended to while it is the active (last)
/// segment, then read-only until retention or compaction deletes it. Not thread-safe: the owning `Log` calls it
/// under its lock. The `.log` file descriptor is shared with the `FileSlice`s handed to fetches.
final class LogSegment {
    let baseOffset: Int64
    let file: SegmentFile
    let offsetIndex: OffsetIndex
    let timeIndex: TimeIndex
    private(set) var transactionIndex: TransactionIndex
    let indexIntervalBytes: Int
    let createdMilliseconds: Int64
    private(set) var size: Int64
    private var bytesSinceLastIndexEntry = 0
    private(set) var maxTimestampSoFar: Int64 = -1
    private(set) var offsetOfMaxTimestampSoFar: Int64 = -1
    /// The max timestamp of the segment's first batch: `segment.ms` counts from it.
    private(set) var rollingBasedTimestamp: Int64?
    /// The batches since the last offset index entry, so lookups near the end read no file.
    private var recent = RecentBatches()

    private init(
        baseOffset: Int64,
        file: SegmentFile,
        offsetIndex: OffsetIndex,
        timeIndex: TimeIndex,
        transactionIndex: TransactionIndex,
        indexIntervalBytes: Int,
        created: Int64
    ) throws(StorageError) {
        self.baseOffset = baseOffset
        self.file = file
        self.offsetIndex = offsetIndex
        self.timeIndex = timeIndex
        self.transactionIndex = transactionIndex
        self.indexIntervalBytes = indexIntervalBytes
        self.createdMilliseconds = created
        self.size = try file.size()
    }

    /// Opens the segment's files in `directory`, creating them when missing. The active segment's indexes are
    /// preallocated for appends.
    static func open(
        directory: String,
        baseOffset: Int64,
        config: LogConfig,
        now: Int64,
        suffix: String = "",
        active: Bool
    ) throws(StorageError) -> LogSegment {
        let file = try SegmentFile.open(LogFileNames.logFile(directory, baseOffset, suffix: suffix), create: true)
        let offsetIndex = try OffsetIndex(
            path: LogFileNames.indexFile(directory, baseOffset, suffix: suffix),
            baseOffset: baseOffset,
            maxIndexSize: config.segmentIndexBytes,
            preallocate: active
        )
        let timeIndex = try TimeIndex(
            path: LogFileNames.timeIndexFile(directory, baseOffset, suffix: suffix),
            baseOffset: baseOffset,
            maxIndexSize: config.segmentIndexBytes,
            preallocate: active
        )
        let segment = try LogSegment(
            baseOffset: baseOffset,
            file: file,
            offsetIndex: offsetIndex,
            timeIndex: timeIndex,
            transactionIndex: TransactionIndex(directory: directory, baseOffset: baseOffset, suffix: suffix),
            indexIntervalBytes: config.indexIntervalBytes,
            created: now
        )
        try segment.loadLargestTimestamp()
        return segment
    }

    var lastModifiedMilliseconds: Int64 {
        var info = stat()
        fstat(file.descriptor, &info)
        return Int64(info.st_mtim.tv_sec) * 1000 + Int64(info.st_mtim.tv_nsec) / 1_000_000
    }

    /// The largest timestamp in the segment, or its file's modification time when it holds none.
    var largestTimestamp: Int64 { maxTimestampSoFar >= 0 ? maxTimestampSoFar : lastModifiedMilliseconds }

    // MARK: Appending

    /// Writes `buffers` (whole batches, offsets assigned) at the end of the log file and indexes them. On failure
    /// the file is cut back, so no part of the write stays visible. `batches` describes the written batches, with
    /// positions counted from the start of the write (nil: unknown, nothing is remembered).
    func append(
        buffers: [ByteBuffer],
        byteCount: Int,
        largestOffset: Int64,
        largestTimestamp: Int64,
        offsetOfLargestTimestamp: Int64,
        batches: [RecentBatches.Entry]? = nil
    ) throws(StorageError) {
        let position = size
        do {
            try file.write(buffers, at: position)
        } catch {
            try? file.truncate(to: position)
            recent.removeAll()
            throw error
        }
        if let batches { recent.append(batches, at: position) } else { recent.removeAll() }
        if rollingBasedTimestamp == nil { rollingBasedTimestamp = largestTimestamp }
        if largestTimestamp > maxTimestampSoFar {
            maxTimestampSoFar = largestTimestamp
            offsetOfMaxTimestampSoFar = offsetOfLargestTimestamp
        }
        if bytesSinceLastIndexEntry > indexIntervalBytes {
            offsetIndex.append(offset: largestOffset, position: Int(position))
            timeIndex.maybeAppend(timestamp: maxTimestampSoFar, offset: offsetOfMaxTimestampSoFar)
            bytesSinceLastIndexEntry = 0
            recent.indexed(at: position)
        }
        bytesSinceLastIndexEntry += byteCount
        size += Int64(byteCount)
    }

    /// Kafka's roll rule: the batch would not fit, `segment.ms` (for a compacted log at most `max.compaction.lag.ms`)
    /// has passed since the first batch's timestamp, an index is full, or an offset would not fit an index's 32-bit
    /// relative offset.
    func shouldRoll(
        messagesSize: Int,
        maxTimestampInMessages: Int64,
        maxOffsetInMessages: Int64,
        now: Int64,
        config: LogConfig
    ) -> Bool {
        let waited: Int64 =
            if let first = rollingBasedTimestamp, first >= 0 {
                maxTimestampInMessages - first
            } else {
                now - createdMilliseconds
            }
        return size > Int64(config.segmentBytes - messagesSize)
            || (size > 0 && waited > config.maxSegmentMs)
            || offsetIndex.isFull || timeIndex.isFull
            || maxOffsetInMessages - baseOffset > Int64(Int32.max)
    }

    // MARK: Reading

    /// The first batch whose last offset is at or above `target`: its position, base offset and size; nil when the
    /// segment ends before it. Near the end the recent batches answer; otherwise batch headers are read from the
    /// offset index's position on.
    func translateOffset(
        _ target: Int64,
        startingPosition: Int64 = 0
    ) throws(StorageError)
        -> (position: Int64, baseOffset: Int64, size: Int)?
    {
        var position = max(Int64(offsetIndex.lookup(target).position), startingPosition)
        switch recent.lookup(target, from: position, end: size) {
        case .found(let position, let baseOffset, let size): return (position, baseOffset, size)
        case .pastEnd: return nil
        case .notKept: break
        }
        while position < size {
            guard let header = try file.batchHeader(at: position), header.size >= RecordBatch.headerSize else {
                return nil
            }
            if header.lastOffset >= target { return (position, header.baseOffset, header.size) }
            position += Int64(header.size)
        }
        return nil
    }

    /// Up to `maxSize` bytes from the batch holding `startOffset`, stopping before `maxPosition`; with
    /// `minOneMessage` at least the whole first batch. Nil when the segment holds no such batch.
    func read(
        startOffset: Int64,
        maxSize: Int,
        maxPosition: Int64,
        minOneMessage: Bool
    ) throws(StorageError)
        -> (slice: FileSlice, firstBatchOffset: Int64)?
    {
        guard let (position, baseOffset, batchSize) = try translateOffset(startOffset) else { return nil }
        let limit = minOneMessage ? max(maxSize, batchSize) : maxSize
        let length = max(0, min(maxPosition - position, Int64(limit)))
        return (FileSlice(file: file, position: position, length: Int(length)), baseOffset)
    }

    /// The offset after the segment's last batch (its base offset when empty).
    func readNextOffset() throws(StorageError) -> Int64 {
        var position = Int64(offsetIndex.lookup(Int64.max).position)
        var next = baseOffset
        while position < size, let header = try file.batchHeader(at: position), header.size >= RecordBatch.headerSize {
            next = header.nextOffset
            position += Int64(header.size)
        }
        return next
    }

    /// The first record at or after `timestamp` from `startingOffset` on, as (timestamp, offset); nil when the
    /// segment has none.
    func findOffsetByTimestamp(
        _ timestamp: Int64,
        startingOffset: Int64
    ) throws(StorageError)
        -> (timestamp: Int64, offset: Int64)?
    {
        let indexed = timeIndex.lookup(timestamp)
        var position = Int64(offsetIndex.lookup(max(indexed.offset, startingOffset)).position)
        while position < size, let header = try file.batchHeader(at: position), header.size >= RecordBatch.headerSize {
            if header.maxTimestamp >= timestamp && header.lastOffset >= startingOffset {
                let batch = RecordBatch(unchecked: try file.read(at: position, length: header.size))
                let records: [Record]
                do {
                    records = try batch.records(decompressionLimit: 64 << 20)
                } catch {
                    throw .corruptRecords("batch at offset \(header.baseOffset): \(error)")
                }
                if let record = records.first(where: { $0.timestamp >= timestamp && $0.offset >= startingOffset }) {
                    return (record.timestamp, record.offset)
                }
            }
            position += Int64(header.size)
        }
        return nil
    }

    private func loadLargestTimestamp() throws(StorageError) {
        let last = timeIndex.lastEntry
        maxTimestampSoFar = last.timestamp
        offsetOfMaxTimestampSoFar = last.offset
        var position = Int64(offsetIndex.lookup(last.offset).position)
        var first = true
        while position < size, let header = try file.batchHeader(at: position), header.size >= RecordBatch.headerSize {
            if first && position == 0 { rollingBasedTimestamp = header.maxTimestamp }
            first = false
            if header.maxTimestamp > maxTimestampSoFar {
                maxTimestampSoFar = header.maxTimestamp
                offsetOfMaxTimestampSoFar = header.lastOffset
            }
            position += Int64(header.size)
        }
        if rollingBasedTimestamp == nil && size > 0, let header = try file.batchHeader(at: 0) {
            rollingBasedTimestamp = header.maxTimestamp
        }
    }

    // MARK: Recovery and truncation

    /// What recovery found: the bytes it cut and why.
    struct RecoveryResult {
        var truncatedBytes: Int64
        var reason: String?
        var batches: Int
        var validBytes: Int64
    }

    /// Validates every batch from the start (size, magic 2, CRC-32C, rising offsets), rebuilds both indexes, and
    /// cuts the file at the first byte that is not part of a valid batch. `onBatch` sees each valid batch's header
    /// (the leader epoch cache is rebuilt from them).
    func recover(maxBatchSize: Int, onBatch: (BatchHeader) -> Void = { _ in }) throws(StorageError) -> RecoveryResult {
        recent.removeAll()
        try onBecomeActive()  // room to rebuild the indexes; the caller trims them again if the segment is sealed
        offsetIndex.reset()
        timeIndex.reset()
        maxTimestampSoFar = -1
        offsetOfMaxTimestampSoFar = -1
        rollingBasedTimestamp = nil
        let fileSize = try file.size()
        var validBytes: Int64 = 0
        var lastIndexEntry: Int64 = 0
        var expectedOffset = baseOffset
        var batches = 0
        var reason: String?
        let chunkSize = 8 << 20
        scan: while validBytes < fileSize {
            var chunk = try file.read(
                at: validBytes,
                length: Int(min(Int64(max(chunkSize, maxBatchSize)), fileSize - validBytes))
            )
            while chunk.readableBytes > 0 {
                let batch: RecordBatch
                do {
                    guard let next = try RecordBatch.nextBatch(from: &chunk) else {
                        let remaining = fileSize - validBytes
                        let declared = chunk.getInteger(at: chunk.readerIndex + 8, as: Int32.self).map {
                            Int64($0) + Int64(RecordBatch.logOverhead)
                        }
                        if let declared, declared <= remaining, chunk.readerIndex > 0 {
                            continue scan  // the batch goes on past this chunk: read again from its start
                        }
                        reason =
                            if let declared, declared <= remaining {
                                "the batch at position \(validBytes) declares \(declared) bytes, more than any batch may have"
                            } else {
                                "a batch is cut off at position \(validBytes) (\(remaining) bytes remain)"
                            }
                        break scan
                    }
                    batch = next
                } catch {
                    reason = "\(error) at position \(validBytes)"
                    break scan
                }
                do {
                    try batch.validateHeader(maxSize: Int.max, fromClient: false)
                } catch {
                    reason = "batch at position \(validBytes) (offset \(batch.baseOffset)) is invalid: \(error)"
                    break scan
                }
                guard batch.baseOffset >= expectedOffset else {
                    reason =
                        "batch at position \(validBytes) has offset \(batch.baseOffset), expected at least \(expectedOffset)"
                    break scan
                }
                let header = BatchHeader(batch)
                if rollingBasedTimestamp == nil { rollingBasedTimestamp = header.maxTimestamp }
                if header.maxTimestamp > maxTimestampSoFar {
                    maxTimestampSoFar = header.maxTimestamp
                    offsetOfMaxTimestampSoFar = header.lastOffset
                }
                if validBytes - lastIndexEntry > Int64(indexIntervalBytes) {
                    offsetIndex.append(offset: header.lastOffset, position: Int(validBytes))
                    timeIndex.maybeAppend(timestamp: maxTimestampSoFar, offset: offsetOfMaxTimestampSoFar)
                    lastIndexEntry = validBytes
                }
                onBatch(header)
                expectedOffset = header.nextOffset
                validBytes += Int64(header.size)
                batches += 1
            }
        }
        let truncated = fileSize - validBytes
        if truncated > 0 { try file.truncate(to: validBytes) }
        // Aborted transactions whose marker did not survive go too; the partition's replay writes missing ones.
        try transactionIndex.truncate(to: expectedOffset)
        size = validBytes
        bytesSinceLastIndexEntry = Int(validBytes - lastIndexEntry)
        timeIndex.maybeAppend(timestamp: maxTimestampSoFar, offset: offsetOfMaxTimestampSoFar)
        return RecoveryResult(
            truncatedBytes: truncated,
            reason: truncated > 0 ? reason : nil,
            batches: batches,
            validBytes: validBytes
        )
    }

    /// Removes everything at and after `offset`; returns the bytes removed.
    @discardableResult
    func truncate(to offset: Int64) throws(StorageError) -> Int64 {
        guard let (position, _, _) = try translateOffset(offset) else { return 0 }
        recent.removeAll()
        let removed = size - position
        offsetIndex.truncate(to: offset)
        timeIndex.truncate(to: offset)
        try transactionIndex.truncate(to: offset)
        try file.truncate(to: position)
        size = position
        bytesSinceLastIndexEntry = 0
        if size == 0 { rollingBasedTimestamp = nil }
        let last = timeIndex.lastEntry
        maxTimestampSoFar = last.timestamp
        offsetOfMaxTimestampSoFar = last.offset
        return removed
    }

    // MARK: Files

    func flush() throws(StorageError) {
        try file.flush()
        offsetIndex.index.flush()
        timeIndex.index.flush()
    }

    /// The segment stops being the active one: its indexes shrink to their entries.
    func onBecomeInactive() throws(StorageError) {
        recent.removeAll()  // only the active segment's end is read often
        try offsetIndex.index.trimToValidSize()
        try timeIndex.index.trimToValidSize()
    }

    func onBecomeActive() throws(StorageError) {
        try offsetIndex.index.expandForAppends()
        try timeIndex.index.expandForAppends()
    }

    func close() {
        try? onBecomeInactive()
    }

    /// Renames its files from one suffix to another ("" ↔ ".deleted", ".cleaned" → ".swap", ...).
    func changeSuffix(from old: String, to new: String) throws(StorageError) {
        func renamed(_ path: String) -> String { String(path.dropLast(old.count)) + new }
        try file.rename(to: renamed(file.path))
        try offsetIndex.index.rename(to: renamed(offsetIndex.index.path))
        try timeIndex.index.rename(to: renamed(timeIndex.index.path))
        transactionIndex = try transactionIndex.renamed(to: renamed(transactionIndex.path))
    }

    func deleteFiles() {
        try? file.delete()
        offsetIndex.index.delete()
        timeIndex.index.delete()
        transactionIndex.delete()
    }
}

#if canImport(Glibc)
import Glibc
#endif
