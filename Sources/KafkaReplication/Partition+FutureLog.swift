import KafkaCore
import KafkaProtocol
public import KafkaStorage
import NIOCore

/// A replica moving to another log directory (AlterReplicaLogDirs; Kafka's `ReplicaAlterLogDirsThread` works on
/// the same state). The `LogManager` makes the future log; `attachFutureLog` hands it to the partition, whose
/// truncations reach it from then on; `copyToFutureLog` copies the current log's batches into it unchanged, a
/// chunk at a time, while producers go on appending to the current log; once it has caught up,
/// `completeMove` copies the rest while holding the append lock and swaps the logs. Called by the
/// `ReplicaLogDirMover`.
extension Partition {
    /// The copy being made in another log directory, if any.
    public var futureLog: Log? { logs.withLock { $0.future } }

    public func attachFutureLog(_ future: Log) {
        logs.withLock { $0.future = future }
    }

    public func detachFutureLog() {
        logs.withLock { $0.future = nil }
    }

    /// Copies up to `maxBytes` of the current log into the future log; returns the bytes copied and whether the
    /// future log has caught up.
    public func copyToFutureLog(maxBytes: Int) throws(StorageError) -> (copied: Int, caughtUp: Bool) {
        // Only truncations are excluded (they change the offsets being copied); the copying runs beside the
        // appends, as a follower's fetch does.
        try moveLock.withLock { _ throws(StorageError) -> (copied: Int, caughtUp: Bool) in
            guard let future = futureLog else { return (0, false) }
            let copied = try Self.copyBatches(from: log, to: future, maxBytes: maxBytes)
            return (copied, future.logEndOffset == log.logEndOffset)
        }
    }

    /// Holding the append lock: copies what the current log gained since, then makes the future log the
    /// partition's log through `replace` (`LogManager.replaceCurrentWithFutureLog`).
    public func completeMove(replace: () throws(StorageError) -> Log) throws(StorageError) {
        try producerStates.withLock { (producers: inout ProducerStateManager) throws(StorageError) in
            try moveLock.withLock { _ throws(StorageError) in try completeMoveLocked(replace: replace) }
            // The snapshots stayed in the old directory: the new one starts with the state as of now.
            if !producers.producers.isEmpty { writeSnapshot(producers, offset: log.logEndOffset) }
        }
    }

    private func completeMoveLocked(replace: () throws(StorageError) -> Log) throws(StorageError) {
        guard let future = futureLog else { return }
        let current = log
        while future.logEndOffset < current.logEndOffset {
            guard try Self.copyBatches(from: current, to: future, maxBytes: 1 << 20) > 0 else {
                throw .corruptRecords(
                    "the log ends at \(current.logEndOffset) but has no batch after \(future.logEndOffset)"
                )
            }
        }
        if future.logStartOffset < current.logStartOffset {
            _ = try future.incrementLogStartOffset(to: current.logStartOffset, highWatermark: future.logEndOffset)
        }
        let replacement = try replace()
        // Epochs that began without a batch yet (a leader that has not appended): opening a log forgets them, as
        // Kafka's loading does, but this replica goes on leading in them.
        for (epoch, startOffset) in current.leaderEpochs
        where epoch > (replacement.latestEpoch ?? -1) && startOffset == replacement.logEndOffset {
            try replacement.assignEpochStartOffset(epoch: epoch)
        }
        logs.withLock { $0 = Logs(current: replacement, future: nil) }
    }

    /// Appends to `target` the batches of `source` from `target`'s log end offset on (up to `maxBytes`, whole
    /// batches), after moving `target`'s start to `source`'s. Returns the bytes appended.
    static func copyBatches(from source: Log, to target: Log, maxBytes: Int) throws(StorageError) -> Int {
        let start = source.logStartOffset
        if target.logEndOffset < start {
            try target.truncateFully(startingAt: start)
        } else if target.logStartOffset < start {
            _ = try target.incrementLogStartOffset(to: start, highWatermark: target.logEndOffset)
        }
        let from = target.logEndOffset
        guard from < source.logEndOffset, let slice = try source.read(from: from, maxBytes: maxBytes).records else {
            return 0
        }
        let bytes = try slice.readBytes()
        // Whole batches only, and none that ends before `from` (a compacted log's batch may start below it).
        var remaining = bytes
        var first: (position: Int, baseOffset: Int64)?
        var end = bytes.readerIndex
        while let batch = try? RecordBatch.nextBatch(from: &remaining) {
            if batch.nextOffset <= from {
                continue
            }
            if first == nil { first = (remaining.readerIndex - batch.sizeInBytes, batch.baseOffset) }
            end = remaining.readerIndex
        }
        guard let first, end > first.position else { return 0 }
        // The log start in the middle of a batch (DeleteRecords): an empty copy starts at that batch, as Kafka's
        // future replica does, and its start offset moves up again below.
        if first.baseOffset < from && target.logEndOffset == target.logStartOffset {
            try target.truncateFully(startingAt: first.baseOffset)
        }
        let whole = bytes.getSlice(at: first.position, length: end - first.position)!
        try target.append(whole, origin: .replication, leaderEpoch: -1)
        if target.logStartOffset < start {
            _ = try target.incrementLogStartOffset(to: start, highWatermark: target.logEndOffset)
        }
        return end - first.position
    }
}
