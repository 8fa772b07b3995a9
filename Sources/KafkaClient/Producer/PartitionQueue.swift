import KafkaCore
import KafkaProtocol
import NIOCore
import Synchronization

/// One partition's batches waiting to be sent: closed batches oldest first, then the open one that takes appends;
/// how many of its batches are in flight; and its idempotence sequence. A batch that failed and will be retried goes
/// back to the front in sequence order, and while any is waiting the partition sends one batch at a time, so records
/// are never reordered.
///
/// The open batch is a stored property of the state, so an append writes into its buffer in place (a batch taken
/// out of a collection and put back would copy its bytes on every record).
///
/// Callers of `send` append; the sender takes, requeues and completes. One lock per partition.
final class PartitionQueue: Sendable {
    struct State {
        /// Closed batches (full, or retried), oldest first.
        var batches = CircularBuffer<ProducerBatch>()
        /// The batch taking appends, after every closed one.
        var open: ProducerBatch?
        /// The base sequences of the batches in flight (-1 each without idempotence).
        var inFlight: [Int32] = []
        /// Batches back at the front after a failure, not yet sent again.
        var retrying = 0
        var nextSequence: Int32 = 0
        /// In-flight batches whose sequence moved down after an earlier batch failed for good: old base → new.
        /// The broker answers them OUT_OF_ORDER_SEQUENCE_NUMBER; they are sent again with the new one.
        var resequenced: [Int32: Int32] = [:]

        mutating func removeInFlight(_ sequence: Int32) {
            if let index = inFlight.firstIndex(of: sequence) { inFlight.remove(at: index) }
        }

        var first: ProducerBatch? { batches.first ?? open }
        var isEmpty: Bool { batches.isEmpty && open == nil }
    }

    let partition: TopicPartition
    let state = Mutex(State())

    init(partition: TopicPartition) {
        self.partition = partition
    }

    /// Appends a record to the open batch, or to a new one when it would not fit; returns whether a batch is now
    /// ready (full) and whether a new batch was started.
    func append(
        timestamp: Int64,
        key: [UInt8]?,
        value: [UInt8]?,
        headers: [(key: String, value: [UInt8]?)],
        size: Int,
        batchSize: Int,
        codec: CompressionCodec,
        callback: DeliveryCallback?
    ) -> (full: Bool, newBatch: Bool) {
        state.withLock { state in
            var newBatch = false
            if (state.open?.recordCount ?? 0) > 0, (state.open?.sizeInBytes ?? 0) + size > batchSize {
                // An empty open batch takes any record, however large; a fuller one is closed.
                state.batches.append(state.open.take()!)
            }
            // Moved out while appending, so its buffer is uniquely referenced and grows in place.
            var open: ProducerBatch
            if let current = state.open.take() {
                open = current
            } else {
                open = ProducerBatch(partition: partition, codec: codec, now: .now)
                newBatch = true
            }
            open.append(
                timestamp: timestamp,
                key: key,
                value: value,
                headers: headers,
                reserved: size,
                callback: callback
            )
            let full = open.sizeInBytes >= batchSize || !state.batches.isEmpty
            state.open = consume open
            return (full, newBatch)
        }
    }

    /// Whether the first batch may be sent now, or when it may be (its linger or retry backoff).
    enum Readiness {
        case ready
        case at(ContinuousClock.Instant)
        case waiting
    }

    func readiness(
        now: ContinuousClock.Instant,
        linger: Duration,
        flushing: Bool,
        maxInFlight: Int
    ) -> Readiness {
        state.withLock { state in
            guard let first = state.first else { return .waiting }
            if state.retrying > 0 {
                guard state.inFlight.isEmpty else { return .waiting }
                if let retryAt = first.retryAt, retryAt > now { return .at(retryAt) }
                return .ready
            }
            guard state.inFlight.count < maxInFlight else { return .waiting }
            if flushing || !state.batches.isEmpty { return .ready }
            let due = first.createdAt + linger
            return due <= now ? .ready : .at(due)
        }
    }

    /// Takes the first batch for sending, sealed with the producer's identity (a new batch gets the partition's
    /// next sequence; a retried one keeps its own).
    func take(producerID: ProducerID, producerEpoch: ProducerEpoch, idempotent: Bool) -> ProducerBatch? {
        state.withLock { state in
            var batch: ProducerBatch
            if let closed = state.batches.popFirst() {
                batch = closed
            } else if let open = state.open {
                batch = open
                state.open = nil
            } else {
                return nil
            }
            if state.retrying > 0 { state.retrying -= 1 }
            if batch.encoded == nil {
                let sequence = idempotent ? state.nextSequence : -1
                if idempotent { state.nextSequence = Self.add(state.nextSequence, batch.recordCount) }
                batch.seal(producerID: producerID, producerEpoch: producerEpoch, baseSequence: sequence)
            }
            batch.attempts += 1
            state.inFlight.append(batch.baseSequence)
            return batch
        }
    }

    /// A taken batch came back to be sent again: it goes in sequence order among the other retries at the front.
    func requeue(_ batch: ProducerBatch, at retryAt: ContinuousClock.Instant) {
        state.withLock { state in
            var batch = batch
            batch.retryAt = retryAt
            state.removeInFlight(batch.baseSequence)
            if let moved = state.resequenced.removeValue(forKey: batch.baseSequence) { batch.resequence(moved) }
            var index = state.batches.startIndex
            var position = 0
            while position < state.retrying, state.batches[index].baseSequence < batch.baseSequence {
                index = state.batches.index(after: index)
                position += 1
            }
            state.batches.insert(batch, at: index)
            state.retrying += 1
        }
    }

    /// A taken batch is done (acknowledged or failed for good).
    func finished(_ baseSequence: Int32) {
        state.withLock { state in
            state.removeInFlight(baseSequence)
            state.resequenced[baseSequence] = nil
        }
    }

    /// A sealed batch failed for good after the broker refused it (it was not written): its sequence numbers are
    /// given back, so the partition's later batches (waiting, retrying or in flight) move down by its count, as
    /// the Java producer's `adjustSequencesDueToFailedBatch` does.
    func giveBackSequences(of failed: ProducerBatch) {
        guard failed.baseSequence >= 0 else { return }
        let count = failed.recordCount
        state.withLock { state in
            state.nextSequence = Self.add(state.nextSequence, -count)
            for index in state.batches.indices {
                let sequence = state.batches[index].baseSequence
                if state.batches[index].encoded != nil, sequence > failed.baseSequence {
                    state.batches[index].resequence(sequence - count)
                }
            }
            for sequence in state.inFlight where sequence > failed.baseSequence {
                state.resequenced[sequence] = (state.resequenced[sequence] ?? sequence) - count
            }
        }
    }

    /// Whether the in-flight batch with this base sequence is to be sent again with a lower one.
    func wasResequenced(_ baseSequence: Int32) -> Bool {
        state.withLock { $0.resequenced[baseSequence] != nil }
    }

    /// Whether a batch with a lower sequence is in flight or waiting to be sent again: a later batch's
    /// OUT_OF_ORDER_SEQUENCE_NUMBER answer is then expected (the broker has not seen the earlier one yet), and
    /// retriable.
    func hasEarlier(than sequence: Int32) -> Bool {
        guard sequence > 0 else { return false }
        return state.withLock { state in
            state.inFlight.contains { $0 >= 0 && $0 < sequence }
                || state.batches.prefix(state.retrying).contains { $0.baseSequence >= 0 && $0.baseSequence < sequence }
        }
    }

    /// The producer id changed: sequences start again at 0 and unsent batches are sealed anew.
    func resetSequences() {
        state.withLock { state in
            state.nextSequence = 0
            state.resequenced = [:]
            for index in state.batches.indices { state.batches[index].unseal() }
        }
    }

    /// Removes the batches that have waited longer than `deadline` allows, for failing.
    func expire(createdBefore deadline: ContinuousClock.Instant) -> [ProducerBatch] {
        state.withLock { state in
            var expired: [ProducerBatch] = []
            while let first = state.batches.first, first.createdAt < deadline, first.encoded == nil {
                expired.append(state.batches.removeFirst())
                if state.retrying > 0 { state.retrying -= 1 }
            }
            if state.batches.isEmpty, let open = state.open, open.createdAt < deadline {
                expired.append(open)
                state.open = nil
            }
            return expired
        }
    }

    /// Every batch not yet taken, removed (the producer is closing without sending them).
    func removeAll() -> [ProducerBatch] {
        state.withLock { state in
            defer {
                state.batches.removeAll()
                state.open = nil
                state.retrying = 0
            }
            return Array(state.batches) + (state.open.map { [$0] } ?? [])
        }
    }

    var isIdle: Bool { state.withLock { $0.isEmpty && $0.inFlight.isEmpty } }

    /// Sequence numbers wrap at Int32.max, as in Kafka.
    private static func add(_ sequence: Int32, _ count: Int32) -> Int32 {
        let next = Int64(sequence) + Int64(count)
        if next > Int64(Int32.max) { return Int32(next - Int64(Int32.max) - 1) }
        if next < 0 { return Int32(next + Int64(Int32.max) + 1) }
        return Int32(next)
    }
}
