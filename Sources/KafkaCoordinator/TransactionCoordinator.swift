public import KafkaCore
public import KafkaProtocol
public import Logging
public import NIOCore

/// The transaction coordinator (Kafka's `TransactionCoordinator` with its `TransactionStateManager`): the
/// transactional ids of the `__transaction_state` partitions this broker leads, their state machine, and the
/// records that make each transition durable.
///
/// Lifecycle of a partition: `beginLoading` when this broker becomes its leader (requests for its ids answer
/// COORDINATOR_LOAD_IN_PROGRESS), `completeLoading` with its records replayed (transactions found in PrepareCommit
/// or PrepareAbort get their markers sent again and are completed), `resign` when another broker leads it. The
/// coordinator epoch of a partition is its leader epoch; a write that finishes after the epoch changed is answered
/// NOT_COORDINATOR and changes nothing. A transition sets `pendingState` while its record is written, so requests
/// that arrive meanwhile (the actor is re-entered at each write) answer CONCURRENT_TRANSACTIONS. An actor: one
/// decision at a time; I/O goes through the injected functions.
public actor TransactionCoordinator {
    public struct Configuration: Sendable {
        /// `transaction.state.log.num.partitions`.
        public var partitionCount: Int32
        /// `transaction.max.timeout.ms`: the longest `transaction.timeout.ms` a producer may ask for.
        public var maxTimeoutMs: Int32
        /// `transactional.id.expiration.ms`: an id without a transaction for this long is forgotten.
        public var idExpirationMs: Int64
        /// How long EndTxn waits for the markers and the completed state before answering anyway (see
        /// `waitForCompletion`).
        public var completionWaitMs: Int64

        public init(
            partitionCount: Int32,
            maxTimeoutMs: Int32 = 900_000,
            idExpirationMs: Int64 = 604_800_000,
            completionWaitMs: Int64 = 1000
        ) {
            self.partitionCount = partitionCount
            self.maxTimeoutMs = maxTimeoutMs
            self.idExpirationMs = idExpirationMs
            self.completionWaitMs = completionWaitMs
        }
    }

    /// The markers of one finished transaction, for every partition it wrote to.
    public struct Markers: Sendable, Equatable {
        public var transactionalID: String
        public var producerID: ProducerID
        public var producerEpoch: ProducerEpoch
        public var commit: Bool
        public var coordinatorEpoch: Int32
        public var partitions: Set<TopicPartition>

        public init(
            transactionalID: String,
            producerID: ProducerID,
            producerEpoch: ProducerEpoch,
            commit: Bool,
            coordinatorEpoch: Int32,
            partitions: Set<TopicPartition>
        ) {
            self.transactionalID = transactionalID
            self.producerID = producerID
            self.producerEpoch = producerEpoch
            self.commit = commit
            self.coordinatorEpoch = coordinatorEpoch
            self.partitions = partitions
        }
    }

    /// Appends records (one batch) to a partition of `__transaction_state` and waits until they are replicated;
    /// returns NONE or the error to answer (Kafka's mapping: COORDINATOR_NOT_AVAILABLE, NOT_COORDINATOR, ...).
    public typealias Append = @Sendable (_ partition: Int32, _ records: ByteBuffer) async -> KafkaErrorCode
    /// Sends the markers to the partitions' leaders until each has written its marker, asking `isCurrent` before each
    /// round; false when the sending stopped first (a newer producer or coordinator epoch, or this broker no longer
    /// coordinates the id).
    public typealias SendMarkers =
        @Sendable (_ markers: Markers, _ isCurrent: @escaping @Sendable () async -> Bool) async -> Bool
    public typealias NextProducerID = @Sendable () async throws -> ProducerID

    struct PartitionState {
        var coordinatorEpoch: Int32
        var isLoading: Bool
        /// When `beginLoading` was called (the clock's milliseconds), for the load-time metrics.
        var loadingSinceMs: Int64 = 0
        var transactions: [String: TransactionMetadata] = [:]
    }

    public let configuration: Configuration
    let append: Append
    let sendMarkers: SendMarkers
    let nextProducerID: NextProducerID
    let clock: any KafkaClock
    let logger: Logger
    var partitions: [Int32: PartitionState] = [:]
    /// Recent partition loads (completion time, duration in ms), kept for `Metrics`' 30-second window.
    var partitionLoads: [(completedMs: Int64, durationMs: Int64)] = []
    /// Completions whose `__transaction_state` write failed and is being retried (LogAppendRetryQueueSize).
    var completionsRetryingAppend = 0
    /// EndTxn requests waiting for their transaction's completion, by transactional id and waiter number.
    var completionWaiters: [String: [Int: CheckedContinuation<Void, Never>]] = [:]
    var nextCompletionWaiter = 0

    public init(
        configuration: Configuration,
        append: @escaping Append,
        sendMarkers: @escaping SendMarkers,
        nextProducerID: @escaping NextProducerID,
        clock: any KafkaClock,
        logger: Logger
    ) {
        self.configuration = configuration
        self.append = append
        self.sendMarkers = sendMarkers
        self.nextProducerID = nextProducerID
        self.clock = clock
        self.logger = logger
    }

    /// The `__transaction_state` partition of `transactionalID`.
    public nonisolated func partition(for transactionalID: String) -> Int32 {
        GroupPartitioner.partition(for: transactionalID, partitions: configuration.partitionCount)
    }

    /// Nil when this broker coordinates the id now; else NOT_COORDINATOR or COORDINATOR_LOAD_IN_PROGRESS.
    func coordinatorError(_ transactionalID: String) -> KafkaErrorCode? {
        guard let state = partitions[partition(for: transactionalID)] else { return .notCoordinator }
        return state.isLoading ? .coordinatorLoadInProgress : nil
    }

    func metadata(_ transactionalID: String) -> TransactionMetadata? {
        partitions[partition(for: transactionalID)]?.transactions[transactionalID]
    }

    func setMetadata(_ metadata: TransactionMetadata) {
        partitions[partition(for: metadata.transactionalID)]?.transactions[metadata.transactionalID] = metadata
    }

    /// Every transactional id this broker coordinates (for operators), ordered by id.
    public var transactions: [TransactionMetadata] {
        partitions.values.flatMap(\.transactions.values).sorted { $0.transactionalID < $1.transactionalID }
    }

    // MARK: Partitions

    /// This broker became leader of `partition` at `coordinatorEpoch`; its records are about to be read.
    public func beginLoading(partition: Int32, coordinatorEpoch: Int32) {
        partitions[partition] = PartitionState(
            coordinatorEpoch: coordinatorEpoch,
            isLoading: true,
            loadingSinceMs: clock.milliseconds
        )
    }

    /// The partition's records, in offset order (key, value or nil for a tombstone): the last value of each id
    /// wins. Transactions in PrepareCommit or PrepareAbort are completed (their markers sent again).
    public func completeLoading(
        partition: Int32,
        coordinatorEpoch: Int32,
        records: [(key: ByteBuffer, value: ByteBuffer?)]
    ) {
        guard let loading = partitions[partition], loading.coordinatorEpoch == coordinatorEpoch else { return }
        recordPartitionLoad(startedMs: loading.loadingSinceMs)
        var transactions: [String: TransactionMetadata] = [:]
        for (key, value) in records {
            guard let id = TransactionLogRecords.decodeKey(key) else { continue }
            if let value, let decoded = TransactionLogRecords.decodeValue(value) {
                transactions[id] = TransactionMetadata(transactionalID: id, decoded)
            } else if value == nil {
                transactions.removeValue(forKey: id)
            }
        }
        partitions[partition] = PartitionState(
            coordinatorEpoch: coordinatorEpoch,
            isLoading: false,
            transactions: transactions
        )
        logger.info(
            "Loaded transaction state",
            metadata: ["partition": "\(partition)", "transactionalIds": "\(transactions.count)"]
        )
        for metadata in transactions.values where metadata.state == .prepareCommit || metadata.state == .prepareAbort {
            completeInBackground(metadata, coordinatorEpoch: coordinatorEpoch)
        }
    }

    /// Another broker leads `partition` now (or it is gone): its ids are forgotten here.
    public func resign(partition: Int32) {
        partitions.removeValue(forKey: partition)
    }

    /// Whether this broker still coordinates `partition` at `coordinatorEpoch` (the marker sender asks).
    public func isCoordinator(partition: Int32, coordinatorEpoch: Int32) -> Bool {
        partitions[partition].map { !$0.isLoading && $0.coordinatorEpoch == coordinatorEpoch } ?? false
    }

    // MARK: Writing

    /// Writes `target` as the id's new state (a tombstone for Dead), with `pendingState` set meanwhile; applies it
    /// when the write succeeds at the same coordinator epoch. Returns the error to answer.
    func transition(to target: TransactionMetadata) async -> KafkaErrorCode {
        let id = target.transactionalID
        let partition = partition(for: id)
        guard let epoch = partitions[partition]?.coordinatorEpoch, var current = metadata(id) else {
            return .notCoordinator
        }
        current.pendingState = target.state
        setMetadata(current)
        var builder = RecordBatchBuilder()
        builder.append(
            timestamp: clock.milliseconds,
            key: TransactionLogRecords.key(id),
            value: target.state == .dead ? nil : TransactionLogRecords.value(target.logValue)
        )
        let error = await append(partition, builder.build().buffer)
        guard partitions[partition]?.coordinatorEpoch == epoch, partitions[partition]?.isLoading == false else {
            return .notCoordinator
        }
        guard error == .none else {
            if var failed = metadata(id) {
                failed.pendingState = nil
                setMetadata(failed)
            }
            logger.warning(
                "Cannot write transaction state \(target.state.name): \(error)",
                metadata: ["transactionalId": "\(id)"]
            )
            return error
        }
        var written = target
        written.pendingState = nil
        if target.state == .dead {
            partitions[partition]?.transactions.removeValue(forKey: id)
        } else {
            setMetadata(written)
        }
        return .none
    }
}
