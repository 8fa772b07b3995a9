import KafkaCore
import KafkaProtocol
import KafkaStorage

/// The state of idempotent and transactional producers on one partition: per producer id its epoch, its last five
/// batches (Kafka's `ProducerStateManager`, NUM_BATCHES_TO_RETAIN = 5, matching max.in.flight ≤ 5), the first
/// offset of its open transaction and the coordinator epoch of its last marker.
///
/// Checks, in Kafka's order, for a batch with a producer id: an older epoch is INVALID_PRODUCER_EPOCH; a new epoch
/// must start at sequence 0; within an epoch the first sequence must follow the last one; an exact repeat of one
/// of the last five batches is a duplicate, answered with the original offset and not appended again; an unknown
/// producer may start anywhere; a non-transactional batch while the producer's transaction is open is
/// INVALID_TXN_STATE. A transactional batch opens a transaction at its first offset; a marker (a control batch,
/// written by the transaction coordinator) with an older epoch is INVALID_PRODUCER_EPOCH, with an older coordinator
/// epoch TRANSACTION_COORDINATOR_FENCED; it closes the open transaction, if any, and takes the producer to its
/// epoch. Not thread-safe: its `Partition` calls it under the partition's append lock.
/// Followers record the batches they replicate. The state as of an offset is saved in a producer snapshot
/// (`ProducerSnapshotFile`, one entry per producer with its last batch) and restored from one
/// (`Partition+ProducerState`).
struct ProducerStateManager {
    struct BatchMetadata: Equatable {
        var firstSequence: Int32
        var lastSequence: Int32
        var firstOffset: Int64
        var lastOffset: Int64
    }

    struct Entry: Equatable {
        var epoch: ProducerEpoch
        var batches: [BatchMetadata]
        /// The epoch of the transaction coordinator that last wrote a marker for this producer (-1: none).
        var coordinatorEpoch: Int32 = -1
        /// The first offset of the producer's open transaction.
        var currentTransactionFirstOffset: Int64?
        /// The max timestamp of its last batch or marker (what a snapshot saves; expiry measures from it).
        var lastTimestamp: Int64 = -1
    }

    /// A transaction a marker closed: its producer, its first offset, the marker's offset, and whether it aborted.
    struct CompletedTransaction: Equatable {
        var producerID: ProducerID
        var firstOffset: Int64
        var lastOffset: Int64
        var isAborted: Bool
    }

    enum Verdict: Equatable {
        case append
        case duplicate(firstOffset: Int64)
        case reject(KafkaErrorCode, String)
    }

    private(set) var producers: [ProducerID: Entry] = [:]

    init() {}

    /// The state a snapshot saved: each producer with its last batch (Kafka keeps no more in a snapshot, so a retry
    /// of an older batch after a restart is out of order rather than a duplicate, as with Kafka).
    init(snapshot entries: [ProducerSnapshotEntry]) {
        for entry in entries {
            let delta = Int64(entry.offsetDelta)
            let last = BatchMetadata(
                firstSequence: Int32(truncatingIfNeeded: max(0, Int64(entry.lastSequence) - delta)),
                lastSequence: entry.lastSequence,
                firstOffset: entry.lastOffset - delta,
                lastOffset: entry.lastOffset
            )
            producers[entry.producerID] = Entry(
                epoch: entry.epoch,
                batches: entry.lastSequence >= 0 ? [last] : [],
                coordinatorEpoch: entry.coordinatorEpoch,
                currentTransactionFirstOffset: entry.currentTransactionFirstOffset,
                lastTimestamp: entry.timestamp
            )
        }
    }

    /// The snapshot of this state, ordered by producer id. A producer without a batch (one whose open transaction
    /// began with a marker only) is saved with sequence and offsets -1, as Kafka does.
    var snapshotEntries: [ProducerSnapshotEntry] {
        producers.sorted { $0.key < $1.key }.map { producerID, entry in
            let last = entry.batches.last
            return ProducerSnapshotEntry(
                producerID: producerID,
                epoch: entry.epoch,
                lastSequence: last?.lastSequence ?? -1,
                lastOffset: last?.lastOffset ?? -1,
                offsetDelta: last.map { Int32(truncatingIfNeeded: $0.lastOffset - $0.firstOffset) } ?? 0,
                timestamp: entry.lastTimestamp,
                coordinatorEpoch: entry.coordinatorEpoch,
                currentTransactionFirstOffset: entry.currentTransactionFirstOffset
            )
        }
    }

    /// The first offset of the earliest open transaction (the partition's first unstable offset, with the
    /// completed transactions whose markers are not yet replicated).
    var firstOpenTransactionOffset: Int64? {
        producers.values.lazy.compactMap(\.currentTransactionFirstOffset).min()
    }

    func check(
        producerID: ProducerID,
        epoch: ProducerEpoch,
        firstSequence: Int32,
        lastSequence: Int32,
        isTransactional: Bool = false
    ) -> Verdict {
        guard let entry = producers[producerID] else { return .append }
        let verdict = checkSequence(entry, epoch: epoch, firstSequence: firstSequence, lastSequence: lastSequence)
        if verdict == .append, !isTransactional, entry.currentTransactionFirstOffset != nil {
            return .reject(
                .invalidTxnState,
                "Expected a transactional write from producer \(producerID): its transaction is open"
            )
        }
        return verdict
    }

    private func checkSequence(
        _ entry: Entry,
        epoch: ProducerEpoch,
        firstSequence: Int32,
        lastSequence: Int32
    )
        -> Verdict
    {
        if epoch < entry.epoch {
            return .reject(
                .invalidProducerEpoch,
                "Producer epoch \(epoch) is older than the current epoch \(entry.epoch)"
            )
        }
        if epoch > entry.epoch {
            return firstSequence == 0
                ? .append
                : .reject(.outOfOrderSequenceNumber, "A new epoch must start at sequence 0, not \(firstSequence)")
        }
        if let duplicate = entry.batches.first(where: {
            $0.firstSequence == firstSequence && $0.lastSequence == lastSequence
        }) {
            return .duplicate(firstOffset: duplicate.firstOffset)
        }
        guard let last = entry.batches.last else { return .append }
        let expected = last.lastSequence == Int32.max ? 0 : last.lastSequence + 1
        guard firstSequence == expected else {
            return .reject(
                .outOfOrderSequenceNumber,
                "Out of order sequence number: expected \(expected), received \(firstSequence)"
            )
        }
        return .append
    }

    mutating func record(
        producerID: ProducerID,
        epoch: ProducerEpoch,
        firstSequence: Int32,
        lastSequence: Int32,
        firstOffset: Int64,
        lastOffset: Int64,
        timestamp: Int64 = -1,
        isTransactional: Bool = false
    ) {
        var entry = producers[producerID] ?? Entry(epoch: epoch, batches: [])
        if epoch != entry.epoch {
            entry.epoch = epoch
            entry.batches = []
        }
        entry.batches.append(
            BatchMetadata(
                firstSequence: firstSequence,
                lastSequence: lastSequence,
                firstOffset: firstOffset,
                lastOffset: lastOffset
            )
        )
        if entry.batches.count > 5 { entry.batches.removeFirst(entry.batches.count - 5) }
        entry.lastTimestamp = timestamp
        if isTransactional && entry.currentTransactionFirstOffset == nil {
            entry.currentTransactionFirstOffset = firstOffset
        }
        producers[producerID] = entry
    }

    /// Whether a marker for `producerID` may be written: nil, or the error (Kafka's `appendEndTxnMarker` checks).
    func checkMarker(
        producerID: ProducerID,
        epoch: ProducerEpoch,
        coordinatorEpoch: Int32
    )
        -> (KafkaErrorCode, String)?
    {
        guard let entry = producers[producerID] else { return nil }
        if epoch < entry.epoch {
            return (
                .invalidProducerEpoch, "Marker epoch \(epoch) is older than producer \(producerID)'s \(entry.epoch)"
            )
        }
        if coordinatorEpoch < entry.coordinatorEpoch {
            return (
                .transactionCoordinatorFenced,
                "Marker coordinator epoch \(coordinatorEpoch) is older than \(entry.coordinatorEpoch)"
            )
        }
        return nil
    }

    /// Records a marker written at `offset`: the producer's transaction, if one is open, is closed and returned.
    mutating func recordMarker(
        producerID: ProducerID,
        epoch: ProducerEpoch,
        marker: EndTransactionMarker,
        offset: Int64,
        timestamp: Int64 = -1
    ) -> CompletedTransaction? {
        var entry = producers[producerID] ?? Entry(epoch: epoch, batches: [])
        if epoch != entry.epoch {
            entry.epoch = epoch
            entry.batches = []
        }
        entry.coordinatorEpoch = marker.coordinatorEpoch
        let completed = entry.currentTransactionFirstOffset.map {
            CompletedTransaction(
                producerID: producerID,
                firstOffset: $0,
                lastOffset: offset,
                isAborted: !marker.isCommit
            )
        }
        entry.currentTransactionFirstOffset = nil
        entry.lastTimestamp = timestamp
        producers[producerID] = entry
        return completed
    }

    /// Forgets the producers without an open transaction whose last batch or marker is `expirationMs` or more
    /// older than `now` (Kafka 2.8's `removeExpiredProducers`, with `transactional.id.expiration.ms`); returns them.
    mutating func removeExpired(now: Int64, expirationMs: Int64) -> [ProducerID] {
        let expired = producers.filter { _, entry in
            entry.currentTransactionFirstOffset == nil && now - entry.lastTimestamp >= expirationMs
        }.keys
        for producerID in expired { producers.removeValue(forKey: producerID) }
        return expired.sorted()
    }

    /// Forgets the batches and open transactions at or after `offset` (the log was truncated there); a producer
    /// left with neither is forgotten.
    mutating func truncate(from offset: Int64) {
        for (producerID, var entry) in producers {
            entry.batches.removeAll { $0.lastOffset >= offset }
            if let first = entry.currentTransactionFirstOffset, first >= offset {
                entry.currentTransactionFirstOffset = nil
            }
            let isEmpty = entry.batches.isEmpty && entry.currentTransactionFirstOffset == nil
            producers[producerID] = isEmpty ? nil : entry
        }
    }
}
