public import CoreMetrics
public import KafkaCore
public import Logging
public import NIOCore
public import NIOPosix

/// A Kafka consumer (the Java client's `KafkaConsumer`): `assign` partitions, or `subscribe` to topics (a list or
/// a pattern) as a member of `group.id`, then `poll` — or iterate `records` — for what was written. Positions start
/// at the group's committed offsets, else where `auto.offset.reset` says; `commitSync`/`commitAsync` (or
/// auto-commit) store them. Fetches are pipelined: while the application works on one poll's records the next
/// fetch is already on its way.
///
/// ```swift
/// var configuration = ConsumerConfiguration()
/// configuration.client.bootstrapServers = ["127.0.0.1:9092"]
/// configuration.groupID = "billing"
/// let consumer = try KafkaConsumer(configuration: configuration)
/// try await consumer.subscribe(topics: ["orders"])
/// for try await record in consumer.records {
///     print(record.offset, String(buffer: record.value!))
/// }
/// ```
///
/// Lifecycle: made, then assigned or subscribed, polled, closed (which commits when auto-commit is on and leaves
/// the group). An actor: its calls run one at a time; group heartbeats run beside it.
public actor KafkaConsumer {
    public nonisolated let configuration: ConsumerConfiguration
    let cluster: Cluster
    let coordinator: ConsumerCoordinator?
    let logger: Logger
    let metrics: ConsumerMetrics
    var subscription = SubscriptionKind.none
    var listener: (any ConsumerRebalanceListener)?
    /// The assigned partitions and what is known of each.
    var assignment: [TopicPartition: PartitionState] = [:]
    var completedFetches = CircularBuffer<CompletedFetch>()
    var fetchesInFlight: Set<BrokerID> = []
    /// An error met by a background fetch, thrown by the next poll.
    var pendingError: ConsumerError?
    var metadataStale = true
    var patternCheckedAt: ContinuousClock.Instant?
    var nextAutoCommit = ContinuousClock.now
    var closed = false
    let wakeup = Wakeup()

    enum SubscriptionKind: Equatable {
        case none
        case topics([String])
        case pattern(String, resolved: [String])
        case assigned
    }

    struct PartitionState {
        /// The offset of the next record to return; nil until it is looked up (committed offset or reset).
        var position: Offset?
        /// A reset asked by seekToBeginning/seekToEnd, else `auto.offset.reset` applies.
        var reset: OffsetResetStrategy?
        var paused = false
        var highWatermark: Offset = -1
        /// Where the next fetch starts: past the records already fetched and buffered (prefetching), or nil to
        /// fetch from `position`.
        var fetchOffset: Offset?
    }

    /// A consumer with `configuration` (validated: see `ConsumerConfiguration.validated()`).
    public init(
        configuration: ConsumerConfiguration,
        logger: Logger = Logger(label: "swiftkafka.consumer"),
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        metrics: any MetricsFactory = MetricsSystem.factory
    ) throws(ConfigError) {
        var configuration = try configuration.validated()
        if configuration.client.clientID.isEmpty {
            // The Java client's default: consumer-<group>-<n>.
            configuration.client.clientID = "consumer-\(configuration.groupID ?? "")-\(ClientIDs.next())"
        }
        let cluster = try Cluster(configuration: configuration.client, group: group, logger: logger)
        self.configuration = configuration
        self.cluster = cluster
        if let groupID = configuration.groupID {
            coordinator = try ConsumerCoordinator(
                groupID: groupID,
                configuration: configuration,
                cluster: cluster,
                logger: logger
            )
        } else {
            coordinator = nil
        }
        self.logger = logger
        self.metrics = ConsumerMetrics(clientID: configuration.client.clientID, factory: metrics)
    }

    /// A consumer configured by Kafka property names (`bootstrap.servers`, `group.id`, `auto.offset.reset`, ...).
    public init(
        properties: [String: String],
        logger: Logger = Logger(label: "swiftkafka.consumer"),
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        metrics: any MetricsFactory = MetricsSystem.factory
    ) throws(ConfigError) {
        try self.init(
            configuration: try ConsumerConfiguration(properties: properties),
            logger: logger,
            group: group,
            metrics: metrics
        )
    }

    var apiDeadline: ContinuousClock.Instant { .now + .milliseconds(configuration.defaultApiTimeoutMs) }

    // MARK: Assignment and subscription

    /// Reads exactly these partitions, outside any group's assignment. Positions of partitions kept are kept.
    public func assign(_ partitions: [TopicPartition]) throws(ConsumerError) {
        try checkOpen()
        if case .topics = subscription { throw .illegalState("assign is not allowed while subscribed") }
        if case .pattern = subscription { throw .illegalState("assign is not allowed while subscribed") }
        setAssignment(partitions)
        subscription = partitions.isEmpty ? .none : .assigned
    }

    /// Joins the group for `topics`; the group's assignor decides which partitions this member reads.
    public func subscribe(
        topics: [String],
        listener: (any ConsumerRebalanceListener)? = nil
    ) async throws(ConsumerError) {
        try checkOpen()
        guard let coordinator else { throw .illegalState("subscribe needs a group.id") }
        if subscription == .assigned { throw .illegalState("subscribe is not allowed after assign") }
        subscription = .topics(Array(Set(topics)).sorted())
        self.listener = listener
        await coordinator.requestRejoin()
    }

    /// Joins the group for every topic whose whole name matches `pattern` (a regular expression, as Java's
    /// `Pattern`), checked again every `metadata.max.age.ms`.
    public func subscribe(pattern: String, listener: (any ConsumerRebalanceListener)? = nil) async throws(ConsumerError)
    {
        try checkOpen()
        guard let coordinator else { throw .illegalState("subscribe needs a group.id") }
        if subscription == .assigned { throw .illegalState("subscribe is not allowed after assign") }
        guard (try? Regex(pattern)) != nil else { throw .illegalState("'\(pattern)' is not a regular expression") }
        subscription = .pattern(pattern, resolved: [])
        patternCheckedAt = nil
        self.listener = listener
        await coordinator.requestRejoin()
    }

    /// Stops reading: a subscribed member gives its partitions up (told to the listener) and leaves the group.
    public func unsubscribe() async {
        if subscription != .assigned, subscription != .none, !assignment.isEmpty {
            await listener?.partitionsRevoked(assignment.keys.sorted(), consumer: self)
        }
        setAssignment([])
        subscription = .none
        await coordinator?.leave()
    }

    /// The partitions this consumer reads now.
    public func assignedPartitions() -> [TopicPartition] { assignment.keys.sorted() }

    /// The subscribed topics (for a pattern: those it matched at the last check).
    public func subscribedTopics() -> [String] {
        switch subscription {
        case .topics(let topics), .pattern(_, let topics): topics
        case .none, .assigned: []
        }
    }

    func setAssignment(_ partitions: [TopicPartition]) {
        let wanted = Set(partitions)
        assignment = assignment.filter { wanted.contains($0.key) }
        for partition in wanted where assignment[partition] == nil { assignment[partition] = PartitionState() }
        completedFetches.removeAll { !wanted.contains($0.partition) }
        metadataStale = true
    }

    // MARK: Polling

    /// The next records, at most `max.poll.records`, waiting up to `timeout` for some; [] when none came. Joins
    /// (or rejoins) the group first when needed, and looks up the positions of new partitions.
    public func poll(timeout: Duration) async throws(ConsumerError) -> [ConsumerRecord] {
        try checkOpen()
        let deadline = ContinuousClock.now + timeout
        await coordinator?.polled()
        do {
            try await ensureGroupAssignment(deadline: max(deadline, apiDeadline))
            while true {
                try checkOpen()
                if let error = pendingError {
                    pendingError = nil
                    throw error
                }
                try await updatePositions(deadline: max(deadline, apiDeadline))
                maybeAutoCommit()
                var records: [ConsumerRecord] = []
                try drain(into: &records)
                await sendFetches()
                if !records.isEmpty {
                    metrics.recordsConsumed.increment(by: Int64(records.count))
                    return records
                }
                guard ContinuousClock.now < deadline else { return [] }
                if let coordinator, await coordinator.needsJoin { return [] }
                await wakeup.wait(until: deadline)
            }
        } catch let error as ConsumerError {
            throw error
        } catch is CancellationError {
            return []
        } catch {
            throw .broker(.unknownServerError, "\(error)")
        }
    }

    /// Every record, polled as needed; ends when the consumer is closed or the task is cancelled. Errors end it by
    /// throwing.
    public nonisolated var records: Records { Records(consumer: self) }

    public struct Records: AsyncSequence, Sendable {
        public typealias Element = ConsumerRecord
        let consumer: KafkaConsumer

        public struct AsyncIterator: AsyncIteratorProtocol {
            let consumer: KafkaConsumer
            var buffered: [ConsumerRecord] = []
            var index = 0

            public mutating func next() async throws -> ConsumerRecord? {
                while index >= buffered.count {
                    if Task.isCancelled { return nil }
                    do {
                        buffered = try await consumer.poll(timeout: .seconds(1))
                        index = 0
                    } catch .closed {
                        return nil
                    }
                }
                defer { index += 1 }
                return buffered[index]
            }
        }

        public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(consumer: consumer) }
    }

    /// Joins the group when the coordinator asks for it (or the pattern matches other topics now): revokes the
    /// owned partitions (committing them first under auto-commit), joins, and takes the new assignment.
    private func ensureGroupAssignment(deadline: ContinuousClock.Instant) async throws {
        guard let coordinator else { return }
        let topics: [String]
        switch subscription {
        case .none, .assigned: return
        case .topics(let list): topics = list
        case .pattern(let pattern, let resolved):
            topics = try await matchPattern(pattern, resolved: resolved)
        }
        guard await coordinator.needsJoin else { return }
        let owned = assignment.keys.sorted()
        let cooperative = await coordinator.cooperative
        if !owned.isEmpty {
            if await coordinator.membershipLost {
                await listener?.partitionsLost(owned, consumer: self)
                setAssignment([])
            } else if !cooperative {
                // EAGER: everything is given up before joining.
                await revoke(owned, coordinator: coordinator)
                setAssignment([])
            }
        }
        let stillOwned = assignment.keys.sorted()
        guard
            let assigned = try await coordinator.ensureActive(topics: topics, owned: stillOwned, deadline: deadline)
        else { return }
        let revoked = Set(stillOwned).subtracting(assigned).sorted()
        let added = Set(assigned).subtracting(stillOwned).sorted()
        if !revoked.isEmpty {
            // COOPERATIVE: the partitions taken away are given up now, and a second rebalance hands them over.
            await revoke(revoked, coordinator: coordinator)
            await coordinator.requestRejoin()
        }
        setAssignment(assigned)
        await listener?.partitionsAssigned(added, consumer: self)
    }

    /// Gives `partitions` up in an orderly rebalance: their positions committed first under auto-commit, then
    /// the listener told.
    private func revoke(_ partitions: [TopicPartition], coordinator: ConsumerCoordinator) async {
        if configuration.enableAutoCommit {
            let offsets = consumedOffsets().filter { partitions.contains($0.key) }
            do {
                try await coordinator.commit(offsets, deadline: apiDeadline)
            } catch {
                logger.warning("Commit before rebalance failed", metadata: ["error": "\(error)"])
            }
        }
        await listener?.partitionsRevoked(partitions, consumer: self)
    }

    /// The topics `pattern` matches now (asking for every topic every `metadata.max.age.ms`); a change makes the
    /// member rejoin.
    private func matchPattern(_ pattern: String, resolved: [String]) async throws -> [String] {
        let maxAge = Duration.milliseconds(configuration.client.metadataMaxAgeMs)
        if let checked = patternCheckedAt, checked + maxAge > .now { return resolved }
        let metadata = try await cluster.refreshMetadata(topics: nil)
        patternCheckedAt = .now
        let regex = try Regex(pattern)
        let matched = metadata.topics
            .filter { !(configuration.excludeInternalTopics && $0.value.isInternal) }
            .keys.filter { (try? regex.wholeMatch(in: $0)) != nil }
            .sorted()
        if matched != resolved {
            subscription = .pattern(pattern, resolved: matched)
            await coordinator?.requestRejoin()
        }
        return matched
    }

    // MARK: Pausing

    /// Stops fetching `partitions` (their positions stay) until `resume`.
    public func pause(_ partitions: [TopicPartition]) throws(ConsumerError) {
        for partition in partitions {
            guard assignment[partition] != nil else { throw .illegalState("\(partition) is not assigned") }
            assignment[partition]?.paused = true
        }
    }

    public func resume(_ partitions: [TopicPartition]) throws(ConsumerError) {
        for partition in partitions {
            guard assignment[partition] != nil else { throw .illegalState("\(partition) is not assigned") }
            assignment[partition]?.paused = false
        }
        wakeup.signal()
    }

    public func paused() -> [TopicPartition] { assignment.filter(\.value.paused).keys.sorted() }

    // MARK: Closing

    /// Commits the positions (under auto-commit), leaves the group and closes the connections. Later calls fail
    /// with `closed`.
    public func close() async {
        guard !closed else { return }
        if let coordinator, configuration.enableAutoCommit, !assignment.isEmpty {
            do {
                try await coordinator.commit(consumedOffsets(), deadline: apiDeadline)
            } catch {
                logger.warning("Commit on close failed", metadata: ["error": "\(error)"])
            }
        }
        closed = true
        await coordinator?.stop()
        cluster.close()
        wakeup.signal()
    }

    func checkOpen() throws(ConsumerError) {
        if closed { throw .closed }
    }
}
