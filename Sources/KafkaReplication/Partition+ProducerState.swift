import Foundation
import KafkaCore
import KafkaProtocol
public import KafkaStorage
import NIOCore

/// How a partition's producer state survives restarts (Kafka's producer snapshots and `Log.loadProducerState`).
///
/// A snapshot of every producer (`ProducerSnapshotFile`) is written as of the new segment's base offset when an
/// append rolls the log, and as of the log end at a clean shutdown or when a replica has moved to another log
/// directory; a partition that opens loads the latest snapshot at or below its log end and replays the batches after
/// it (with none, only the active segment's). A truncation deletes the snapshots beyond it and reloads from the
/// latest one left; a full truncation deletes them all; those below the oldest segment go at each roll. A partition
/// without producers writes none. Snapshot files are only touched under the append lock (`producerStates`).
extension Partition {
    /// Restores the producers when the partition opens.
    func loadProducerState() {
        producerStates.withLock { producers in
            let (offset, restored) = Self.latestSnapshot(of: log) ?? (log.segmentBaseOffsets.last ?? 0, .init())
            producers = restored
            replay(from: offset, into: &producers)
            transactionsChanged(producers, completed: [], reset: true)
        }
    }

    /// The state saved by the latest readable snapshot at or below the log end, with its offset. Snapshots beyond
    /// the log end (a truncation a crash interrupted) and damaged ones are deleted, the latter with one log line.
    static func latestSnapshot(of log: Log) -> (Int64, ProducerStateManager)? {
        let end = log.logEndOffset
        for offset in ProducerSnapshotFile.offsets(in: log.directory).reversed() {
            let path = ProducerSnapshotFile.path(log.directory, offset: offset)
            guard offset <= end else {
                try? FileManager.default.removeItem(atPath: path)
                continue
            }
            do {
                guard let entries = try ProducerSnapshotFile.read(path) else { continue }
                return (offset, ProducerStateManager(snapshot: entries))
            } catch {
                log.logger.warning("Deleting a producer snapshot that cannot be read: \(error)")
                try? FileManager.default.removeItem(atPath: path)
            }
        }
        return nil
    }

    /// Records the producers of the log's batches from `offset` (or its log start, if later) to its end.
    func replay(from offset: Int64, into producers: inout ProducerStateManager) {
        log.forEachBatch(from: offset) { batch in
            guard batch.hasProducerID else { return }
            _ = record(
                batch,
                firstOffset: batch.baseOffset,
                lastOffset: batch.lastOffset,
                timestamp: batch.maxTimestamp,
                into: &producers
            )
        }
    }

    /// Records the producer batches among `records` (a follower's fetch); returns the transactions its markers
    /// closed and whether a transaction opened or closed.
    func recordProducers(
        in records: ByteBuffer,
        into producers: inout ProducerStateManager
    )
        -> (completed: [ProducerStateManager.CompletedTransaction], changed: Bool)
    {
        var remaining = records
        var completed: [ProducerStateManager.CompletedTransaction] = []
        var changed = false
        while let batch = try? RecordBatch.nextBatch(from: &remaining) {
            guard batch.hasProducerID else { continue }
            let opens =
                batch.isTransactional && producers.producers[batch.producerID]?.currentTransactionFirstOffset == nil
            changed = changed || opens || batch.isControl
            let closed = record(
                batch,
                firstOffset: batch.baseOffset,
                lastOffset: batch.lastOffset,
                timestamp: batch.maxTimestamp,
                into: &producers
            )
            if let closed { completed.append(closed) }
        }
        return (completed, changed)
    }

    /// Records one batch written at `firstOffset...lastOffset`: a data batch's sequence (and the transaction a
    /// transactional one opens), or a marker, which closes the producer's transaction — an aborted one with data
    /// is added to the marker's segment's `.txnindex`. Returns the transaction a marker closed.
    func record(
        _ batch: RecordBatch,
        firstOffset: Int64,
        lastOffset: Int64,
        timestamp: Int64,
        into producers: inout ProducerStateManager
    ) -> ProducerStateManager.CompletedTransaction? {
        guard batch.isControl else {
            producers.record(
                producerID: batch.producerID,
                epoch: batch.producerEpoch,
                firstSequence: batch.baseSequence,
                lastSequence: batch.lastSequence,
                firstOffset: firstOffset,
                lastOffset: lastOffset,
                timestamp: timestamp,
                isTransactional: batch.isTransactional
            )
            return nil
        }
        guard let marker = batch.endTransactionMarker,
            let completed = producers.recordMarker(
                producerID: batch.producerID,
                epoch: batch.producerEpoch,
                marker: marker,
                offset: firstOffset,
                timestamp: timestamp
            )
        else { return nil }
        if completed.isAborted {
            let aborted = AbortedTransaction(
                producerID: completed.producerID,
                firstOffset: completed.firstOffset,
                lastOffset: completed.lastOffset,
                lastStableOffset: producers.firstOpenTransactionOffset ?? completed.lastOffset + 1
            )
            do {
                try log.appendAbortedTransaction(aborted)
            } catch .nonMonotonicOffsets {
                // Indexed before: a replay after a restart, or a follower fetching again what it had.
            } catch {
                log.logger.warning("Cannot index the aborted transaction at offset \(completed.lastOffset): \(error)")
            }
        }
        return completed
    }

    /// Publishes the transactions' part of the last stable offset after producers opened or closed transactions
    /// (`reset`: the producer state was rebuilt, and completed transactions not yet replicated are forgotten, as
    /// Kafka does on a reload).
    func transactionsChanged(
        _ producers: ProducerStateManager,
        completed: [ProducerStateManager.CompletedTransaction],
        reset: Bool = false
    ) {
        let open = producers.firstOpenTransactionOffset
        let unstable = state.withLock { state -> Int64? in
            if reset { state.unreplicatedTransactions = [] }
            state.unreplicatedTransactions.removeAll { $0.lastOffset < state.highWatermark }
            state.unreplicatedTransactions += completed.filter { $0.lastOffset >= state.highWatermark }
            state.firstOpenTransactionOffset = open
            return state.firstUnstableOffset
        }
        log.updateFirstUnstableOffset(unstable)
    }

    /// After an append that rolled the log to `base`, with `producers` as they were before it (so as of `base`):
    /// saves them and deletes the snapshots below the oldest segment.
    func snapshotAtRoll(_ producers: ProducerStateManager, base: Int64) {
        guard !producers.producers.isEmpty else { return }
        writeSnapshot(producers, offset: base)
        let oldest = log.segmentBaseOffsets.first ?? base
        for offset in ProducerSnapshotFile.offsets(in: log.directory) where offset < oldest {
            try? FileManager.default.removeItem(atPath: ProducerSnapshotFile.path(log.directory, offset: offset))
        }
    }

    /// Forgets the producers idle for `expirationMs` (no open transaction, last write that old by its timestamp):
    /// Kafka's periodic producer expiration check. Returns how many went.
    @discardableResult
    public func removeExpiredProducers(now: Int64, expirationMs: Int64) -> Int {
        producerStates.withLock { $0.removeExpired(now: now, expirationMs: expirationMs).count }
    }

    /// Every producer this replica keeps state for (DescribeProducers), ordered by producer id.
    public var activeProducers: [ProducerSnapshotEntry] { producerStates.withLock { $0.snapshotEntries } }

    /// Saves the producers as of the log end (a clean shutdown; the broker's connections are closed by then).
    public func writeProducerSnapshot() {
        producerStates.withLock { producers in
            guard !producers.producers.isEmpty else { return }
            writeSnapshot(producers, offset: log.logEndOffset)
        }
    }

    func writeSnapshot(_ producers: ProducerStateManager, offset: Int64) {
        do {
            try ProducerSnapshotFile.write(log.directory, offset: offset, producers.snapshotEntries)
        } catch {
            // The state stays in memory; a restart replays from an older snapshot or the active segment.
            log.logger.warning("Cannot write the producer snapshot at offset \(offset): \(error)")
        }
    }

    /// After the log was truncated to `offset`: the snapshots beyond it go, and the state is reloaded from the
    /// latest one left; without one, the batches from `offset` on are forgotten.
    func reloadProducerState(_ producers: inout ProducerStateManager, truncatedTo offset: Int64) {
        if let (snapshotOffset, restored) = Self.latestSnapshot(of: log) {
            producers = restored
            replay(from: snapshotOffset, into: &producers)
        } else {
            producers.truncate(from: offset)
        }
        transactionsChanged(producers, completed: [], reset: true)
    }

    /// After the log started afresh: no producer, no snapshot.
    func deleteProducerSnapshots() {
        for offset in ProducerSnapshotFile.offsets(in: log.directory) {
            try? FileManager.default.removeItem(atPath: ProducerSnapshotFile.path(log.directory, offset: offset))
        }
    }
}
