import KafkaCore
import KafkaProtocol

/// The state of idempotent producers on one partition: per producer id its epoch and its last five batches
/// (Kafka's `ProducerStateManager`, NUM_BATCHES_TO_RETAIN = 5, matching max.in.flight ≤ 5).
///
/// Checks, in Kafka's order, for a batch with a producer id: an older epoch is INVALID_PRODUCER_EPOCH; a new epoch
/// must start at sequence 0; within an epoch the first sequence must follow the last one; an exact repeat of one
/// of the last five batches is a duplicate, answered with the original offset and not appended again; an unknown
/// producer may start anywhere. Not thread-safe: its `Partition` calls it under the partition's append lock.
/// Followers record the batches they replicate; at startup the active segment's batches are read back.
struct ProducerStateManager {
    struct BatchMetadata: Equatable {
        var firstSequence: Int32
        var lastSequence: Int32
        var firstOffset: Int64
        var lastOffset: Int64
    }

    struct Entry {
        var epoch: ProducerEpoch
        var batches: [BatchMetadata]
    }

    enum Verdict: Equatable {
        case append
        case duplicate(firstOffset: Int64)
        case reject(KafkaErrorCode, String)
    }

    private(set) var producers: [ProducerID: Entry] = [:]

    func check(producerID: ProducerID, epoch: ProducerEpoch, firstSequence: Int32, lastSequence: Int32) -> Verdict {
        guard let entry = producers[producerID] else { return .append }
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
        lastOffset: Int64
    ) {
        var entry = producers[producerID] ?? Entry(epoch: epoch, batches: [])
        if epoch != entry.epoch { entry = Entry(epoch: epoch, batches: []) }
        entry.batches.append(
            BatchMetadata(
                firstSequence: firstSequence,
                lastSequence: lastSequence,
                firstOffset: firstOffset,
                lastOffset: lastOffset
            )
        )
        if entry.batches.count > 5 { entry.batches.removeFirst(entry.batches.count - 5) }
        producers[producerID] = entry
    }

    /// Forgets the batches at or after `offset` (the log was truncated there); a producer left with none is
    /// forgotten.
    mutating func truncate(from offset: Int64) {
        for (producerID, var entry) in producers {
            entry.batches.removeAll { $0.lastOffset >= offset }
            producers[producerID] = entry.batches.isEmpty ? nil : entry
        }
    }
}
