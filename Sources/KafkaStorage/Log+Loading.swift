import Foundation
public import KafkaCore
import KafkaProtocol
public import Logging

extension Log {
    /// Opens a partition's log from its directory (creating the directory for a new partition), as Kafka's
    /// `LogLoader` does:
    ///
    /// 1. `.deleted` and `.cleaned` files are removed: the first were on their way out, the second are a
    ///    compaction that never finished. A `.swap` segment is a compaction that finished writing: it replaces the
    ///    segments it covers, so a crash in the middle of a swap loses nothing.
    /// 2. Every segment is opened; one whose index is missing or fails its sanity check gets its indexes rebuilt.
    /// 3. After an unclean shutdown every segment from the one holding the recovery point on is recovered: each
    ///    batch is validated and the log is cut at the first invalid byte, and the segments after a cut go.
    ///    A `leader-epoch-checkpoint` that cannot be parsed is dropped and every segment is recovered, which
    ///    rebuilds it from the batches' leader epochs (Kafka 2.8 takes the log directory offline instead).
    /// 4. The log end offset is read from the last segment; the leader epoch cache is cut to the log.
    public static func load(
        directory: String,
        topicPartition: TopicPartition,
        config: LogConfig,
        recoveryPoint: Int64,
        logStartOffset: Int64,
        hadCleanShutdown: Bool,
        clock: any KafkaClock,
        logger: Logger
    ) throws(StorageError) -> Log {
        var logger = logger
        logger[metadataKey: "partition"] = "\(topicPartition)"
        let files = FileManager.default
        do {
            try files.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw .io(operation: "mkdir", path: directory, errno: errno)
        }
        let now = clock.milliseconds
        let names = (try? files.contentsOfDirectory(atPath: directory)) ?? []

        for name in names where name.hasSuffix(LogFileNames.deletedSuffix) || name.hasSuffix(LogFileNames.cleanedSuffix)
        {
            try? files.removeItem(atPath: "\(directory)/\(name)")
        }
        try completeSwaps(directory: directory, names: names, config: config, now: now, logger: logger)

        let entries = (try? files.contentsOfDirectory(atPath: directory)) ?? []
        let baseOffsets = Set(
            entries.filter { $0.hasSuffix(LogFileNames.logSuffix) }.compactMap(LogFileNames.baseOffset(ofFileNamed:))
        ).sorted()
        // Index files without their log are leftovers.
        for name in entries
        where name.hasSuffix(LogFileNames.indexSuffix) || name.hasSuffix(LogFileNames.timeIndexSuffix)
            || name.hasSuffix(TransactionIndex.suffix)
        {
            if let base = LogFileNames.baseOffset(ofFileNamed: name), !baseOffsets.contains(base) {
                try? files.removeItem(atPath: "\(directory)/\(name)")
            }
        }

        var segments: [LogSegment] = []
        for (position, base) in baseOffsets.enumerated() {
            let indexMissing = !files.fileExists(atPath: LogFileNames.indexFile(directory, base))
            let segment = try LogSegment.open(
                directory: directory,
                baseOffset: base,
                config: config,
                now: now,
                active: position == baseOffsets.count - 1
            )
            if indexMissing || !segment.offsetIndex.isSane(logSize: segment.size) || !segment.timeIndex.isSane() {
                logger.warning(
                    "Rebuilding the indexes of a segment whose index is \(indexMissing ? "missing" : "corrupt")",
                    metadata: ["segment": "\(base)"]
                )
                _ = try segment.recover(maxBatchSize: config.maxMessageBytes)
            }
            segments.append(segment)
        }

        // A leader-epoch-checkpoint that cannot be parsed (a damaged disk, reliability.md test 22) is rebuilt from
        // the leader epochs in the batch headers by recovering the whole log, rather than failing the broker.
        let epochCache: LeaderEpochFileCache
        var epochsLost = false
        do {
            epochCache = try LeaderEpochFileCache(directory: directory)
        } catch .inconsistentDirectory(let path, let reason) {
            logger.warning(
                "Rebuilding a malformed leader-epoch-checkpoint from the log: \(reason)",
                metadata: ["file": "\(path)"]
            )
            try? files.removeItem(atPath: path)
            epochCache = try LeaderEpochFileCache(directory: directory)
            epochsLost = true
        }
        var recoveredTo = recoveryPoint
        if (!hadCleanShutdown || epochsLost) && !segments.isEmpty {
            let first = epochsLost ? 0 : segments.lastIndex(where: { $0.baseOffset <= recoveryPoint }) ?? 0
            var index = first
            var validatedBytes: Int64 = 0
            let started = ContinuousClock.now
            while index < segments.count {
                let segment = segments[index]
                let result = try segment.recover(maxBatchSize: max(config.maxMessageBytes, 1 << 20)) { header in
                    try? epochCache.assign(epoch: header.partitionLeaderEpoch, startOffset: header.baseOffset)
                }
                validatedBytes += result.validBytes
                if result.truncatedBytes > 0 {
                    logger.error(
                        "Recovery cut the log: \(result.reason ?? "invalid data"); \(result.truncatedBytes) bytes removed",
                        metadata: ["segment": "\(segment.baseOffset)"]
                    )
                    for later in segments[(index + 1)...] { later.deleteFiles() }
                    segments.removeSubrange((index + 1)...)
                    break
                }
                index += 1
            }
            let elapsed = ContinuousClock.now - started
            logger.info(
                "Recovered the log after an unclean shutdown",
                metadata: [
                    "segments": "\(segments.count - first)", "bytes": "\(validatedBytes)", "elapsed": "\(elapsed)",
                ]
            )
            recoveredTo = Int64.max
        }

        if segments.isEmpty {
            segments.append(
                try LogSegment.open(
                    directory: directory,
                    baseOffset: max(logStartOffset, 0),
                    config: config,
                    now: now,
                    active: true
                )
            )
        }
        for segment in segments.dropLast() { try segment.onBecomeInactive() }
        try segments[segments.count - 1].onBecomeActive()

        let logEndOffset = try segments[segments.count - 1].readNextOffset()
        let startOffset = max(logStartOffset, segments[0].baseOffset)
        try epochCache.truncate(fromEnd: logEndOffset)
        try epochCache.truncate(fromStart: startOffset)
        let state = State(
            config: config,
            segments: segments,
            logStartOffset: min(startOffset, logEndOffset),
            logEndOffset: logEndOffset,
            recoveryPoint: min(recoveredTo, logEndOffset),
            lastFlushTime: now,
            epochCache: epochCache
        )
        return Log(topicPartition: topicPartition, directory: directory, state: state, clock: clock, logger: logger)
    }

    /// Finishes swaps that a crash interrupted: each `.swap` segment replaces the segments whose base offsets it
    /// covers, then takes its normal name.
    private static func completeSwaps(
        directory: String,
        names: [String],
        config: LogConfig,
        now: Int64,
        logger: Logger
    ) throws(StorageError) {
        let swaps = names.filter { $0.hasSuffix(LogFileNames.logSuffix + LogFileNames.swapSuffix) }
            .compactMap(LogFileNames.baseOffset(ofFileNamed:)).sorted()
        guard !swaps.isEmpty else { return }
        let existing = names.filter { $0.hasSuffix(LogFileNames.logSuffix) }.compactMap(
            LogFileNames.baseOffset(ofFileNamed:)
        )
        for base in swaps {
            let swapped = try LogSegment.open(
                directory: directory,
                baseOffset: base,
                config: config,
                now: now,
                suffix: LogFileNames.swapSuffix,
                active: false
            )
            _ = try swapped.recover(maxBatchSize: max(config.maxMessageBytes, 1 << 20))
            let end = try swapped.readNextOffset()
            for old in existing where old >= base && old < max(end, base + 1) {
                for path in [
                    LogFileNames.logFile(directory, old), LogFileNames.indexFile(directory, old),
                    LogFileNames.timeIndexFile(directory, old),
                ] {
                    try? FileManager.default.removeItem(atPath: path)
                }
            }
            try swapped.changeSuffix(from: LogFileNames.swapSuffix, to: "")
            swapped.close()
            logger.warning("Completed an interrupted compaction swap", metadata: ["segment": "\(base)"])
        }
    }
}
