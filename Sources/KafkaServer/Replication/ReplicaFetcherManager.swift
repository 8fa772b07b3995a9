import KafkaCore
import KafkaReplication
import Logging
import NIOPosix
import Synchronization

/// The replica fetchers of this broker, one per source broker (Kafka's `ReplicaFetcherManager` with
/// `num.replica.fetchers=1`). LeaderAndIsr and StopReplica add and remove partitions; a fetcher starts with its
/// first partition and stops with its last. Any task may call.
final class ReplicaFetcherManager: Sendable {
    let brokerID: BrokerID
    let replicaManager: ReplicaManager
    let settings: ReplicaFetcher.Settings
    let group: MultiThreadedEventLoopGroup
    let metrics: BrokerMetrics
    let logger: Logger
    private let fetchers = Mutex<[LeaderEndpoint: ReplicaFetcher]>([:])

    init(
        brokerID: BrokerID,
        replicaManager: ReplicaManager,
        settings: ReplicaFetcher.Settings,
        group: MultiThreadedEventLoopGroup,
        metrics: BrokerMetrics,
        logger: Logger
    ) {
        self.brokerID = brokerID
        self.replicaManager = replicaManager
        self.settings = settings
        self.group = group
        self.metrics = metrics
        self.logger = logger
    }

    /// Starts fetching `topicPartition` from `leader` at `leaderEpoch`, truncating first.
    func add(_ topicPartition: TopicPartition, leader: LeaderEndpoint, leaderEpoch: Int32) {
        remove([topicPartition])
        let started = fetchers.withLock { fetchers -> ReplicaFetcher? in
            if let existing = fetchers[leader] {
                existing.add(topicPartition, leaderEpoch: leaderEpoch)
                return nil
            }
            let fetcher = ReplicaFetcher(
                source: leader,
                brokerID: brokerID,
                replicaManager: replicaManager,
                settings: settings,
                group: group,
                metrics: metrics,
                logger: logger
            )
            fetcher.add(topicPartition, leaderEpoch: leaderEpoch)
            fetchers[leader] = fetcher
            return fetcher
        }
        started?.start()
    }

    func remove(_ topicPartitions: [TopicPartition]) {
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
    var maxLag: Int64 {
        let all = fetchers.withLock { Array($0.values) }
        return all.map(\.maxLag).max() ?? 0
    }

    func shutdown() {
        let all = fetchers.withLock { fetchers in
            defer { fetchers = [:] }
            return Array(fetchers.values)
        }
        for fetcher in all { fetcher.stop() }
    }
}
