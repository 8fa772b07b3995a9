import KafkaClient
import KafkaCore
import KafkaReplication
import Logging
import ServiceLifecycle
import Synchronization

/// This broker's cluster links (`cluster.link.<name>.*`, `BrokerConfig.clusterLinks`): every second it looks at the
/// partitions this broker leads and makes each link's `ClusterLinkFetcher` follow exactly those of its mirror
/// topics (`mirror.link=<name>`), so leadership moves, new mirror topics and deleted ones are followed without
/// being told, and runs each link's `ClusterLinkOffsetSync`. A mirror topic naming a link this broker does not
/// define is logged once and not fetched. A service of the broker: graceful shutdown stops every fetcher.
final class ClusterLinkManager: Service, Sendable {
    let links: [String: [String: String]]
    let replicaManager: ReplicaManager
    /// This cluster, as the link's group offsets are committed to it: the inter-broker listener and its security.
    let local: ClientConfiguration
    let logger: Logger
    private let fetchers = Mutex<[String: ClusterLinkFetcher]>([:])
    private let unknownLinks = Mutex<Set<String>>([])

    init(links: [String: [String: String]], replicaManager: ReplicaManager, local: ClientConfiguration, logger: Logger)
    {
        self.links = links
        self.replicaManager = replicaManager
        self.local = local
        self.logger = logger
    }

    func run() async throws {
        try? await cancelWhenGracefulShutdown {
            let offsetSyncs = self.makeOffsetSyncs()
            let localAdmin =
                offsetSyncs.isEmpty ? nil : try? KafkaAdminClient(configuration: self.local, logger: self.logger)
            while !Task.isCancelled {
                self.reconcile()
                if let localAdmin {
                    for (name, sync) in offsetSyncs {
                        guard let fetcher = self.fetchers.withLock({ $0[name] }) else { continue }
                        let topics = Set(fetcher.followed.filter { $0.partition == 0 }.map(\.topic))
                        await sync.syncIfDue(topics: topics, source: fetcher.admin, local: localAdmin)
                    }
                }
                try? await Task.sleep(for: .seconds(1))
            }
            for sync in offsetSyncs.values { await sync.close() }
            localAdmin?.cluster.close()
        }
        let all = fetchers.withLock { fetchers in
            defer { fetchers = [:] }
            return Array(fetchers.values)
        }
        for fetcher in all { fetcher.stop() }
    }

    private func makeOffsetSyncs() -> [String: ClusterLinkOffsetSync] {
        var offsetSyncs: [String: ClusterLinkOffsetSync] = [:]
        for (name, properties) in links {
            do {
                offsetSyncs[name] = try ClusterLinkOffsetSync(name: name, properties: properties, logger: logger)
            } catch {
                logger.error("Cluster link \(name) cannot sync group offsets: \(error)")
            }
        }
        return offsetSyncs
    }

    /// Makes the fetchers follow the mirror partitions led here.
    func reconcile() {
        var wanted: [String: Set<TopicPartition>] = [:]
        for partition in replicaManager.allPartitions where partition.isLeader {
            let link = partition.log.config.mirrorLink
            guard !link.isEmpty else { continue }
            guard links[link] != nil else {
                if unknownLinks.withLock({ $0.insert(link).inserted }) {
                    logger.error(
                        "Mirror topic \(partition.topicPartition.topic) names cluster link \(link), which this broker does not define (cluster.link.\(link).bootstrap.servers)"
                    )
                }
                continue
            }
            wanted[link, default: []].insert(partition.topicPartition)
        }
        var stopped: [ClusterLinkFetcher] = []
        var started: [ClusterLinkFetcher] = []
        fetchers.withLock { fetchers in
            for (name, fetcher) in fetchers {
                let gone = fetcher.followed.subtracting(wanted[name] ?? [])
                if !gone.isEmpty, fetcher.remove(gone) {
                    fetchers[name] = nil
                    stopped.append(fetcher)
                }
            }
            for (name, partitions) in wanted {
                let fetcher: ClusterLinkFetcher
                if let existing = fetchers[name] {
                    fetcher = existing
                } else {
                    do {
                        fetcher = try ClusterLinkFetcher(
                            name: name,
                            properties: links[name] ?? [:],
                            replicaManager: replicaManager,
                            logger: logger
                        )
                    } catch {
                        if unknownLinks.withLock({ $0.insert(name).inserted }) {
                            logger.error("Cluster link \(name) cannot start: \(error)")
                        }
                        continue
                    }
                    fetchers[name] = fetcher
                    started.append(fetcher)
                }
                for topicPartition in partitions.subtracting(fetcher.followed) { fetcher.add(topicPartition) }
            }
        }
        for fetcher in stopped { fetcher.stop() }
        for fetcher in started { fetcher.start() }
    }
}
