public import KafkaCore
public import Logging
import Synchronization

/// The replica fetchers of this broker, one per source broker (Kafka's `ReplicaFetcherManager` with
/// `num.replica.fetchers=1`). LeaderAndIsr and StopReplica add and remove partitions; a fetcher starts with its
/// first partition and stops with its last. Any task may call.
public final class ReplicaFetcherManager: Sendable {
    let brokerID: BrokerID
    let replicaManager: ReplicaManager
    let settings: ReplicaFetcher.Settings
    let makeEndpoint: @Sendable (LeaderBroker) -> any LeaderEndpoint
    let onReplicated: @Sendable (String, Int) -> Void
    let logger: Logger
    private let fetchers = Mutex<[LeaderBroker: ReplicaFetcher]>([:])

    /// `makeEndpoint` makes the way to a leader (one per fetcher); `onReplicated` hears of every follower append
    /// (topic, bytes).
    public init(
        brokerID: BrokerID,
        replicaManager: ReplicaManager,
        settings: ReplicaFetcher.Settings,
        makeEndpoint: @escaping @Sendable (LeaderBroker) -> any LeaderEndpoint,
        onReplicated: @escaping @Sendable (String, Int) -> Void = { _, _ in },
        logger: Logger
    ) {
        self.brokerID = brokerID
        self.replicaManager = replicaManager
        self.settings = settings
        self.makeEndpoint = makeEndpoint
        self.onReplicated = onReplicated
        self.logger = logger
    }

    /// Starts fetching `topicPartition` from `leader` at `leaderEpoch`, truncating first.
    public func add(_ topicPartition: TopicPartition, leader: LeaderBroker, leaderEpoch: Int32) {
        remove([topicPartition])
        let started = fetchers.withLock { fetchers -> ReplicaFetcher? in
            if let existing = fetchers[leader] {
                existing.add(topicPartition, leaderEpoch: leaderEpoch)
                return nil
            }
            let fetcher = ReplicaFetcher(
                source: leader,
                endpoint: makeEndpoint(leader),
                brokerID: brokerID,
                replicaManager: replicaManager,
                settings: settings,
                onReplicated: onReplicated,
                logger: logger
            )
            fetcher.add(topicPartition, leaderEpoch: leaderEpoch)
            fetchers[leader] = fetcher
            return fetcher
        }
        started?.start()
    }

    public func remove(_ topicPartitions: [TopicPartition]) {
        let idle = fetchers.withLock { fetchers -> [ReplicaFetcher] in
            var idle: [ReplicaFetcher] = []
            for (source, fetcher) in fetchers where fetcher.remove(topicPartitions) {
                fetchers.removeValue(forKey: source)
                idle.append(fetcher)
            }
            return idle
        }
        for fetcher in idle { fetcher.stop() }
    }

    /// Kafka's ReplicaFetcherManager MaxLag: the most messages any followed partition is behind its leader's high
    /// watermark, as of the last fetch.
    public var maxLag: Int64 {
        let all = fetchers.withLock { Array($0.values) }
        return all.map(\.maxLag).max() ?? 0
    }

    public func shutdown() {
        let all = fetchers.withLock { fetchers in
            defer { fetchers = [:] }
            return Array(fetchers.values)
        }
        for fetcher in all { fetcher.stop() }
    }
}
