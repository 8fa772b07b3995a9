import KafkaClient
import KafkaCore
import KafkaProtocol
import KafkaReplication
import KafkaStorage
import Logging
import NIOCore
import Synchronization

/// One cluster link's fetcher (`cluster.link.<name>.*`): for each partition of a mirror topic this broker leads,
/// it fetches the same topic and partition from the source cluster's leader as a consumer does (replica id -1,
/// read uncommitted: everything below the source's high watermark, transaction markers included) and appends the
/// batches unchanged (`ReplicaManager.appendMirrored`), so offsets, epochs, producer ids and timestamps are the
/// source's: record i here is byte-equal to record i there.
///
/// A partition starts by reconciling. An empty log fetches from its end; a log with batches asks the source
/// OffsetForLeaderEpoch with its latest epoch (which is the source's, as the mirror assigns none of its own) and is
/// cut where both logs agree (KIP-101/279, as a follower does). OFFSET_OUT_OF_RANGE means the source deleted past
/// this log (it starts afresh at the source's log start) or the source's log is now shorter (reconcile again).
/// Other errors pause the partition for a second and look its leader up again.
///
/// Lifecycle: made by `ClusterLinkManager` for a link's first partition, stopped with its last; one task. The
/// partition map is guarded by a lock held while a response is applied, so a partition dropped (leadership moved)
/// gets no further appends.
final class ClusterLinkFetcher: Sendable {
    struct State: Sendable {
        var offset: Int64
        var reconciled = false
        var delayedUntil: ContinuousClock.Instant?
    }

    let name: String
    let admin: KafkaAdminClient
    let replicaManager: ReplicaManager
    let logger: Logger
    private let partitions = Mutex<[TopicPartition: State]>([:])
    /// The source's leader of each partition, as last looked up.
    private let leaders = Mutex<[TopicPartition: BrokerID]>([:])
    private let task = Mutex<Task<Void, Never>?>(nil)

    init(name: String, properties: [String: String], replicaManager: ReplicaManager, logger: Logger) throws {
        // The link's own settings (`ClusterLinkOffsetSync`) are not the client's.
        var properties = properties.filter { !$0.key.hasPrefix("consumer.offset.") && $0.key != "zookeeper.connect" }
        if properties["client.id"] == nil { properties["client.id"] = "cluster-link-\(name)" }
        var logger = logger
        logger[metadataKey: "clusterLink"] = "\(name)"
        self.name = name
        self.admin = try KafkaAdminClient(properties: properties, logger: logger)
        self.replicaManager = replicaManager
        self.logger = logger
    }

    var followed: Set<TopicPartition> { partitions.withLock { Set($0.keys) } }

    func add(_ topicPartition: TopicPartition) {
        let offset = replicaManager.partition(topicPartition)?.log.logEndOffset ?? 0
        partitions.withLock { $0[topicPartition] = State(offset: offset) }
        logger.info("Mirroring from cluster link \(name)", metadata: ["partition": "\(topicPartition)"])
    }

    /// Drops partitions; returns whether none is left.
    func remove(_ topicPartitions: some Sequence<TopicPartition>) -> Bool {
        partitions.withLock { partitions in
            for topicPartition in topicPartitions { partitions.removeValue(forKey: topicPartition) }
            return partitions.isEmpty
        }
    }

    func start() { task.withLock { $0 = Task { await self.run() } } }

    func stop() {
        task.withLock { $0?.cancel() }
        admin.cluster.close()
    }

    // MARK: The loop

    private func run() async {
        var failures = 0
        while !Task.isCancelled {
            let now = ContinuousClock.now
            let ready = partitions.withLock { $0.filter { $0.value.delayedUntil.map { $0 <= now } ?? true } }
            if ready.isEmpty {
                try? await Task.sleep(for: .milliseconds(100))
                continue
            }
            do {
                var known = leaders.withLock { $0 }
                if ready.keys.contains(where: { known[$0] == nil }) {
                    known = [:]
                    for (leader, owned) in try await admin.leaders(of: Array(ready.keys)) {
                        for topicPartition in owned { known[topicPartition] = leader }
                    }
                    leaders.withLock { $0 = known }
                }
                var byLeader: [BrokerID: [TopicPartition: State]] = [:]
                for (topicPartition, state) in ready {
                    if let leader = known[topicPartition] {
                        byLeader[leader, default: [:]][topicPartition] = state
                    } else {
                        pause(topicPartition, state)
                    }
                }
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for (leader, owned) in byLeader {
                        group.addTask { try await self.serve(leader, owned) }
                    }
                    try await group.waitForAll()
                }
                failures = 0
            } catch {
                guard !Task.isCancelled else { return }
                if failures == 0 { logger.warning("Fetching from cluster link \(name) failed: \(error); retrying") }
                failures += 1
                leaders.withLock { $0 = [:] }
                try? await Task.sleep(for: .seconds(1))
            }
        }
    }

    private func serve(_ leader: BrokerID, _ owned: [TopicPartition: State]) async throws {
        let unreconciled = owned.filter { !$0.value.reconciled }
        if unreconciled.isEmpty {
            try await fetch(leader, owned)
        } else {
            try await reconcile(leader, unreconciled)
        }
    }

    private func pause(_ topicPartition: TopicPartition, _ state: State) {
        leaders.withLock { $0[topicPartition] = nil }
        partitions.withLock { partitions in
            guard var current = partitions[topicPartition], current.offset == state.offset else { return }
            current.delayedUntil = .now + .seconds(1)
            partitions[topicPartition] = current
        }
    }

    /// Sends `request` to the source broker `leader` at the highest version both serve, at most `maximum` (the
    /// versions that still name topics, as this broker's own fetcher sends them).
    private func send<Request: KafkaRequest>(
        _ request: Request,
        to leader: BrokerID,
        maximum: Int16
    ) async throws -> Request.Response {
        try await admin.cluster.send(request, toBroker: leader, maxVersion: maximum)
    }
}

extension ClusterLinkFetcher {
    // MARK: Reconciling

    private func reconcile(_ leader: BrokerID, _ owned: [TopicPartition: State]) async throws {
        var asked: [TopicPartition: Int32] = [:]
        for (topicPartition, state) in owned {
            guard let partition = replicaManager.partition(topicPartition) else { continue }
            if let epoch = partition.log.latestEpoch, partition.log.logEndOffset > partition.log.logStartOffset {
                asked[topicPartition] = epoch
            } else {
                truncate(topicPartition, state, at: nil, finished: true)
            }
        }
        guard !asked.isEmpty else { return }
        let request = OffsetForLeaderEpochRequest(
            replicaID: -1,
            topics: Dictionary(grouping: asked.keys, by: \.topic).map { topic, partitions in
                .init(
                    topic: topic,
                    partitions: partitions.map { .init(partition: $0.partition, leaderEpoch: asked[$0]!) }
                )
            }
        )
        let response = try await send(request, to: leader, maximum: 3)
        for topic in response.topics {
            for answer in topic.partitions {
                let topicPartition = TopicPartition(topic.topic, answer.partition)
                guard let state = owned[topicPartition], let partition = replicaManager.partition(topicPartition)
                else { continue }
                guard answer.errorCode == .none else {
                    logger.info(
                        "OffsetForLeaderEpoch refused: \(answer.errorCode)",
                        metadata: ["partition": "\(topicPartition)"]
                    )
                    pause(topicPartition, state)
                    continue
                }
                // A source that knows none of this log's epochs: nothing here is known to be its own.
                let cut = ReplicaFetcher.truncationPoint(
                    leaderEpoch: answer.leaderEpoch,
                    leaderEndOffset: answer.endOffset,
                    log: partition.log,
                    whenUnknown: partition.log.logStartOffset
                )
                truncate(topicPartition, state, at: cut.offset, finished: cut.finished)
            }
        }
    }

    /// Cuts the log at `offset` (nil: no cut). A `finished` truncation makes the partition fetch from its new end;
    /// an unfinished one (the log lacked the source's epoch) asks OffsetForLeaderEpoch again next time.
    private func truncate(_ topicPartition: TopicPartition, _ state: State, at offset: Int64?, finished: Bool) {
        partitions.withLock { partitions in
            guard var current = partitions[topicPartition], current.offset == state.offset,
                let partition = replicaManager.partition(topicPartition), partition.isLeader
            else { return }
            do {
                let before = partition.log.logEndOffset
                if let offset { try partition.truncate(to: offset) }
                current.offset = partition.log.logEndOffset
                partitions[topicPartition] = current
                guard finished else { return }
                current.reconciled = true
                current.delayedUntil = nil
                partitions[topicPartition] = current
                logger.info(
                    "Mirror partition ready to fetch",
                    metadata: [
                        "partition": "\(topicPartition)", "offset": "\(current.offset)",
                        "removed": "\(before - current.offset)",
                    ]
                )
            } catch {
                logger.error("Cannot truncate the mirror: \(error)", metadata: ["partition": "\(topicPartition)"])
                current.delayedUntil = .now + .seconds(1)
                partitions[topicPartition] = current
            }
        }
    }

    // MARK: Fetching

    private func fetch(_ leader: BrokerID, _ owned: [TopicPartition: State]) async throws {
        let request = FetchRequest(
            replicaID: -1,
            maxWaitMs: 500,
            minBytes: 1,
            maxBytes: 10 << 20,
            isolationLevel: 0,
            topics: Dictionary(grouping: owned.keys, by: \.topic).map { topic, partitions in
                .init(
                    topic: topic,
                    partitions: partitions.sorted().map {
                        .init(partition: $0.partition, fetchOffset: owned[$0]!.offset, partitionMaxBytes: 1 << 20)
                    }
                )
            }
        )
        let response = try await send(request, to: leader, maximum: 12)
        guard response.errorCode == .none else { throw AdminError(response.errorCode) }
        var outOfRange: [TopicPartition: State] = [:]
        for topic in response.responses {
            for data in topic.partitions {
                let topicPartition = TopicPartition(topic.topic, data.partitionIndex)
                guard let sent = owned[topicPartition] else { continue }
                switch data.errorCode {
                case .none: apply(data, to: topicPartition, sent: sent)
                case .offsetOutOfRange: outOfRange[topicPartition] = sent
                default:
                    logger.debug(
                        "Mirror fetch refused: \(data.errorCode)",
                        metadata: ["partition": "\(topicPartition)"]
                    )
                    pause(topicPartition, sent)
                }
            }
        }
        if !outOfRange.isEmpty { try await resetOutOfRange(outOfRange) }
    }

    private func apply(_ data: FetchResponse.PartitionData, to topicPartition: TopicPartition, sent: State) {
        partitions.withLock { partitions in
            guard var current = partitions[topicPartition], current.offset == sent.offset, current.reconciled,
                let partition = replicaManager.partition(topicPartition), partition.isLeader
            else { return }
            guard let records = data.records, let whole = ReplicaFetcher.wholeBatches(records), whole.readableBytes > 0
            else { return }
            do throws(StorageError) {
                try replicaManager.appendMirrored(partition, whole)
                current.offset = partition.log.logEndOffset
                partitions[topicPartition] = current
            } catch {
                logger.error("Mirror append failed: \(error)", metadata: ["partition": "\(topicPartition)"])
                replicaManager.logManager.reportFailure(of: topicPartition, error)
                current.delayedUntil = .now + .seconds(1)
                partitions[topicPartition] = current
            }
        }
    }

    /// A fetch offset the source does not have: below its log start, the mirror starts afresh there; otherwise the
    /// source's log got shorter, and the partition reconciles again.
    private func resetOutOfRange(_ owned: [TopicPartition: State]) async throws {
        let starts = try await admin.listOffsets(Array(owned.keys), at: -2)
        for (topicPartition, sent) in owned {
            guard case .success(let start)? = starts[topicPartition] else {
                pause(topicPartition, sent)
                continue
            }
            partitions.withLock { partitions in
                guard var current = partitions[topicPartition], current.offset == sent.offset,
                    let partition = replicaManager.partition(topicPartition), partition.isLeader
                else { return }
                do {
                    if start > partition.log.logEndOffset {
                        try partition.truncateFully(startingAt: start)
                        logger.info(
                            "Mirror starts at the source's log start \(start)",
                            metadata: ["partition": "\(topicPartition)"]
                        )
                    } else {
                        current.reconciled = false
                    }
                    current.offset = partition.log.logEndOffset
                    partitions[topicPartition] = current
                } catch {
                    logger.error("Cannot reset the mirror: \(error)", metadata: ["partition": "\(topicPartition)"])
                    current.delayedUntil = .now + .seconds(1)
                    partitions[topicPartition] = current
                }
            }
        }
    }
}
