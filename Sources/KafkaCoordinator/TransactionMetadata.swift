public import KafkaCore
public import KafkaProtocol

/// One transactional id at its coordinator (Kafka's `TransactionMetadata`): the producer id and epoch it hands out,
/// the previous ones (KIP-360 retries; in memory only, as Kafka 2.8 does not log them), its transaction timeout,
/// state, the partitions of its open transaction and its timestamps. `pendingState` marks a transition whose
/// record is being written: requests meanwhile answer CONCURRENT_TRANSACTIONS. Owned by the `TransactionCoordinator`.
public struct TransactionMetadata: Sendable, Equatable {
    public var transactionalID: String
    public var producerID: ProducerID
    public var lastProducerID: ProducerID = -1
    public var producerEpoch: ProducerEpoch
    public var lastProducerEpoch: ProducerEpoch = -1
    public var timeoutMs: Int32
    public var state: TransactionState
    public var partitions: Set<TopicPartition> = []
    /// When the open transaction began (-1 without one).
    public var startTimestampMs: Int64 = -1
    public var lastUpdateTimestampMs: Int64
    var pendingState: TransactionState?

    /// Kafka's limit: an epoch at `Int16.max - 1` is exhausted, and the next InitProducerId takes a new producer id.
    public static let maxEpoch: ProducerEpoch = .max - 1

    public init(
        transactionalID: String,
        producerID: ProducerID,
        producerEpoch: ProducerEpoch,
        timeoutMs: Int32,
        state: TransactionState,
        lastUpdateTimestampMs: Int64
    ) {
        self.transactionalID = transactionalID
        self.producerID = producerID
        self.producerEpoch = producerEpoch
        self.timeoutMs = timeoutMs
        self.state = state
        self.lastUpdateTimestampMs = lastUpdateTimestampMs
    }

    /// The metadata a `__transaction_state` value restores.
    public init(transactionalID: String, _ value: TransactionLogValue) {
        self.init(
            transactionalID: transactionalID,
            producerID: value.producerID,
            producerEpoch: value.producerEpoch,
            timeoutMs: value.transactionTimeoutMs,
            state: value.state,
            lastUpdateTimestampMs: value.lastUpdateTimestampMs
        )
        partitions = Set(
            (value.partitions ?? []).flatMap { topic in topic.partitions.map { TopicPartition(topic.topic, $0) } }
        )
        startTimestampMs = value.startTimestampMs
    }

    /// The value recording this metadata: Empty with null partitions, the completed states with an empty list,
    /// the others with the partitions grouped by topic (topics and partitions in order).
    public var logValue: TransactionLogValue {
        let grouped = Dictionary(grouping: partitions, by: \.topic).sorted { $0.key < $1.key }.map { topic, members in
            TransactionTopicPartitions(topic, members.map(\.partition).sorted())
        }
        return TransactionLogValue(
            producerID: producerID,
            producerEpoch: producerEpoch,
            transactionTimeoutMs: timeoutMs,
            state: state,
            partitions: state == .empty ? nil : grouped,
            lastUpdateTimestampMs: lastUpdateTimestampMs,
            startTimestampMs: state == .empty ? -1 : startTimestampMs
        )
    }

    /// Kafka's `isValidProducerId` for an InitProducerId that names the producer it had (v3+): accepted when the
    /// metadata is new, when it names the current producer id, or the previous one with an exhausted epoch (a retry
    /// after a rotation whose answer was lost).
    func acceptsExpectedProducer(_ producerID: ProducerID, epoch: ProducerEpoch) -> Bool {
        producerEpoch == -1 || producerID == self.producerID
            || (producerID == lastProducerID && epoch >= Self.maxEpoch)
    }
}
