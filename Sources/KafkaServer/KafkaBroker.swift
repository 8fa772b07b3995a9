import Foundation
import KafkaController
import KafkaCoordinator
public import KafkaCore
import KafkaProtocol
import KafkaReplication
import KafkaStorage
import KafkaZooKeeper
public import Logging
import NIOCore
import NIOPosix
import ZooKeeper

/// A SwiftKafka broker: everything one `swiftkafka-broker` process runs.
///
/// Startup, in Kafka's order: connect to ZooKeeper (creating the chroot), create the persistent paths and the
/// cluster id, settle the broker id (`broker.id`, `meta.properties`, or `/brokers/seqid`), load the logs (recovering
/// after an unclean shutdown), bind the listeners, register `/brokers/ids/<id>`, contend for `/controller`. Then it
/// serves until its task is cancelled (SIGTERM), and shuts down cleanly: listeners closed, checkpoints and the
/// clean-shutdown marker written, ZooKeeper session closed (so its registration goes at once).
/// After a ZooKeeper session expiry it opens a new session, registers again and contends for `/controller` again.
public final class KafkaBroker: Sendable {
    public let config: BrokerConfig
    let logger: Logger
    let clock: any KafkaClock

    public init(config: BrokerConfig, clock: any KafkaClock = SystemClock(), logger: Logger) {
        self.config = config
        self.clock = clock
        self.logger = logger
    }

    public struct StartupError: Error, CustomStringConvertible {
        public var description: String
    }

    /// Runs the broker until the calling task is cancelled, then shuts it down cleanly.
    public func run() async throws {
        // Kafka's `KafkaConfig values:` block, one line per key, so a grep finds what the broker really uses.
        for (key, value) in config.effectiveValues { logger.info("KafkaConfig \(key) = \(value)") }
        let protocolMap = Dictionary(
            config.listenerSecurityProtocolMap.split(separator: ",").compactMap { entry -> (String, String)? in
                let parts = entry.split(separator: ":")
                return parts.count == 2 ? (String(parts[0]).uppercased(), String(parts[1]).uppercased()) : nil
            },
            uniquingKeysWith: { first, _ in first }
        )
        let listeners = try Self.endpoints(config.listeners, "listeners", protocolMap)
        let advertised =
            try config.advertisedListeners.map { try Self.endpoints($0, "advertised.listeners", protocolMap) }
            ?? listeners
        let interBrokerListener = config.interBrokerListenerName?.uppercased() ?? listeners[0].listenerName

        // ZooKeeper.
        let zookeeperConfiguration = ZooKeeperConfiguration(
            connectString: config.zookeeperConnect,
            sessionTimeout: .milliseconds(config.zookeeperSessionTimeoutMs),
            connectionTimeout: .milliseconds(config.zookeeperConnectionTimeout)
        )
        try await KafkaZkClient.ensureChroot(zookeeperConfiguration)
        let zookeeper = ZooKeeperClient(configuration: zookeeperConfiguration, logger: logger)
        try await zookeeper.connect()
        let zk = KafkaZkClient(zookeeper: zookeeper, clock: clock, logger: logger)
        try await zk.createPersistentPaths()
        let clusterID = try await zk.getOrCreateClusterID(proposed: KafkaUUID.random().description)

        // Logs and the broker id.
        let logManager = try LogManager(
            configuration: .init(logDirectories: config.logDirs, defaultConfig: config.logConfig),
            clock: clock,
            logger: logger
        )
        let stored = try logManager.readMetaProperties()
        if let storedCluster = stored?.clusterID, storedCluster != clusterID {
            throw StartupError(
                description:
                    "The cluster id \(clusterID) does not match the stored cluster id \(storedCluster) in meta.properties"
            )
        }
        var brokerID = config.brokerID
        if brokerID < 0 { brokerID = stored?.brokerID ?? -1 }
        if brokerID < 0 { brokerID = try await zk.generateBrokerSequenceID(reservedMaxID: config.reservedBrokerMaxID) }
        if let storedID = stored?.brokerID, storedID != brokerID {
            throw StartupError(
                description: "broker.id \(brokerID) does not match the stored broker.id \(storedID) in meta.properties"
            )
        }
        var logger = self.logger
        logger[metadataKey: "broker"] = "\(brokerID)"
        try await logManager.startup()
        try logManager.writeMetaProperties(MetaProperties(brokerID: brokerID, clusterID: clusterID))

        let group = MultiThreadedEventLoopGroup(numberOfThreads: max(2, System.coreCount))
        let channel = TCPBrokerChannel(
            listenerName: interBrokerListener,
            clientID: "broker-\(brokerID)-controller",
            group: group
        )
        let metadataCache = MetadataCache(clusterID: clusterID)
        let brokerLogger = logger
        let commitTimeoutMs = config.offsetsCommitTimeoutMs
        let metrics = BrokerMetrics()
        zookeeper.observeRequestLatency { metrics.recordZooKeeperRequest($0) }
        let replicaManager = ReplicaManager(brokerID: brokerID, logManager: logManager, logger: logger) {
            proposal in
            // A leader's own ISR write: conditional on the znode version it was given, then announced.
            let state = LeaderAndIsr(
                leader: proposal.leader,
                leaderEpoch: proposal.leaderEpoch,
                isr: proposal.isr,
                controllerEpoch: metadataCache.controllerEpoch,
                zkVersion: proposal.zkVersion
            )
            do {
                guard
                    let version = try await zk.updateLeaderAndIsr(
                        proposal.topicPartition,
                        state,
                        epochZkVersion: nil
                    )
                else { return nil }
                metrics.recordIsrChange(shrink: proposal.shrinks)
                try? await zk.propagateIsrChanges([proposal.topicPartition])
                return version
            } catch {
                brokerLogger.warning("Cannot write the ISR of \(proposal.topicPartition): \(error)")
                return nil
            }
        }
        let fetcherManager = ReplicaFetcherManager(
            brokerID: brokerID,
            replicaManager: replicaManager,
            settings: .init(
                maxWaitMs: config.replicaFetchWaitMaxMs,
                minBytes: config.replicaFetchMinBytes,
                maxBytes: config.replicaFetchResponseMaxBytes,
                partitionMaxBytes: config.replicaFetchMaxBytes,
                backoff: .milliseconds(config.replicaFetchBackoffMs)
            ),
            makeEndpoint: { [brokerID] in TCPLeaderEndpoint(leader: $0, brokerID: brokerID, group: group) },
            onReplicated: { metrics.recordReplicated(topic: $0, bytes: $1) },
            logger: logger
        )
        let controller = Controller(
            brokerID: brokerID,
            zk: zk,
            channel: channel,
            uncleanLeaderElectionDefault: config.uncleanLeaderElectionEnable,
            logger: logger
        )
        let offsetsTopicPartitions = config.offsetsTopicNumPartitions
        let topicStore =
            config.offsetsStorage == "kafka"
            ? TopicOffsetStore(partitions: offsetsTopicPartitions, clock: clock) { partition, records in
                let result = replicaManager.appendRecords(
                    TopicPartition(OffsetsTopicManager.topic, partition),
                    records: records,
                    requiredAcks: -1
                )
                guard result.errorCode == .none else { throw OffsetCommitFailure(code: result.errorCode) }
                // Offsets count once the offsets partition's ISR holds them (offsets.commit.required.acks=-1).
                let replicated = await replicaManager.waitForReplication(
                    TopicPartition(OffsetsTopicManager.topic, partition),
                    requiredOffset: result.nextOffset,
                    deadline: .now + .milliseconds(commitTimeoutMs)
                )
                guard replicated == .none else { throw OffsetCommitFailure(code: replicated) }
            } : nil
        let offsetStore: any OffsetStore = topicStore ?? ZooKeeperOffsetStore(zk: zk)
        let groupCoordinator = GroupCoordinator(
            configuration: .init(
                minSessionTimeoutMs: config.groupMinSessionTimeoutMs,
                maxSessionTimeoutMs: config.groupMaxSessionTimeoutMs,
                initialRebalanceDelayMs: config.groupInitialRebalanceDelayMs,
                maxSize: config.groupMaxSize
            ),
            offsetStore: offsetStore,
            clock: clock,
            logger: logger
        )
        let services = BrokerServices(
            brokerID: brokerID,
            config: config,
            metadataCache: metadataCache,
            replicaManager: replicaManager,
            zk: zk,
            controller: controller,
            clock: clock,
            logger: logger,
            groupCoordinator: groupCoordinator,
            offsetsTopic: OffsetsTopicManager(
                partitionCount: offsetsTopicPartitions,
                topicStore: topicStore,
                coordinator: groupCoordinator
            ),
            metrics: metrics,
            fetcherManager: fetcherManager,
            brokerEpoch: BrokerEpoch()
        )

        let dispatcher = RequestDispatcher(apis: ApiTable.make(services), logger: logger, metrics: metrics)

        var bound: [KafkaListener] = []
        for endpoint in listeners {
            bound.append(
                try await KafkaListener.bind(
                    name: endpoint.listenerName,
                    host: endpoint.host,
                    port: Int(endpoint.port),
                    maxRequestSize: config.socketRequestMaxBytes,
                    dispatcher: dispatcher,
                    group: group,
                    logger: logger
                )
            )
        }
        let registration = BrokerRegistration(
            id: brokerID,
            endpoints: advertised.map { endpoint in
                var endpoint = endpoint
                if endpoint.port == 0, let actual = bound.first(where: { $0.name == endpoint.listenerName }) {
                    endpoint.port = Int32(actual.port)
                }
                if endpoint.host.isEmpty { endpoint.host = ProcessInfo.processInfo.hostName }
                return endpoint
            },
            timestamp: clock.milliseconds
        )
        var metricsServer: MetricsHTTPServer?
        if config.metricsPort >= 0 {
            metricsServer = try await MetricsHTTPServer.bind(
                host: config.metricsHost,
                port: Int(config.metricsPort),
                group: group,
                logger: logger
            ) {
                await Self.scrape(
                    metrics,
                    replicaManager: replicaManager,
                    fetcherManager: fetcherManager,
                    controller: controller
                )
            }
        }
        try await register(registration, zk: zk, epoch: services.brokerEpoch)
        logger.info(
            "Started broker",
            metadata: [
                "clusterId": "\(clusterID)", "listeners": "\(registration.endpoints.map(\.description))",
                "logDirs": "\(config.logDirs)",
                "metrics":
                    "\(metricsServer.map { "http://\(config.metricsHost.isEmpty ? "0.0.0.0" : config.metricsHost):\($0.port)/metrics" } ?? "off")",
            ]
        )

        // Serving runs in its own task, so that cancelling `run()` (SIGTERM) does not cut it off: the cancellation
        // only signals it, and it shuts down in Kafka's order, controlled shutdown while the listeners still answer.
        let (shutdownSignal, requestShutdown) = AsyncStream.makeStream(of: Never.self)
        let boundListeners = bound
        let boundMetricsServer = metricsServer
        let servingLogger = logger
        let serving = Task {
            await withThrowingTaskGroup(of: Void.self) { tasks in
                for listener in boundListeners { tasks.addTask { try await listener.run() } }
                if let boundMetricsServer { tasks.addTask { try await boundMetricsServer.run() } }
                let events = zookeeper.watchEvents()
                let configChanges = ConfigChangeListener(services: services)
                await configChanges.start()
                tasks.addTask {
                    for await event in events {
                        if event.path == ZkPaths.configChanges {
                            await configChanges.process()
                        } else if let controllerEvent = ControllerEvent(watch: event) {
                            controller.enqueue(controllerEvent)
                        }
                    }
                }
                let sessions = zookeeper.sessionStates()
                tasks.addTask {
                    // The stream opens with the current state: the first connection counts as a SyncConnected.
                    var previous = SessionState.connecting
                    for await state in sessions {
                        services.metrics.recordZooKeeperSession(from: previous, to: state)
                        previous = state
                        guard state == .expired else { continue }
                        controller.enqueue(.sessionExpired)
                        await self.reestablish(
                            zookeeper: zookeeper,
                            zk: zk,
                            registration: registration,
                            controller: controller,
                            brokerEpoch: services.brokerEpoch
                        )
                    }
                }
                tasks.addTask { try await self.periodicTasks(logManager: logManager, replicaManager: replicaManager) }
                if self.config.autoLeaderRebalanceEnable {
                    tasks.addTask {
                        while true {
                            try await Task.sleep(for: .seconds(self.config.leaderImbalanceCheckIntervalSeconds))
                            controller.enqueue(
                                .autoLeaderRebalance(thresholdPercent: self.config.leaderImbalancePerBrokerPercentage)
                            )
                        }
                    }
                }
                tasks.addTask {
                    // Kafka's isr-expiration task: every half replica.lag.time.max.ms.
                    let maxLag = self.config.replicaLagTimeMaxMs
                    while true {
                        try await Task.sleep(for: .milliseconds(max(maxLag / 2, 10)))
                        replicaManager.shrinkIsrs(maxLagMs: maxLag)
                    }
                }
                tasks.addTask {
                    let checkInterval = Duration.milliseconds(self.config.offsetsRetentionCheckIntervalMs)
                    var lastExpiry = ContinuousClock.now
                    while true {
                        try await Task.sleep(for: .seconds(1))
                        await groupCoordinator.expireMembers()
                        if ContinuousClock.now - lastExpiry >= checkInterval {
                            await groupCoordinator.expireOffsets(
                                retentionMs: self.config.offsetsRetentionMinutes * 60_000
                            )
                            lastExpiry = ContinuousClock.now
                        }
                    }
                }
                tasks.addTask {
                    for await _ in shutdownSignal {}
                    throw ShutdownRequested()
                }
                tasks.addTask { await controller.run() }
                controller.enqueue(.elect)
                do {
                    try await tasks.next()
                } catch is ShutdownRequested {
                } catch {
                    servingLogger.error("Broker stopped: \(error)")
                }
                servingLogger.info("Shutting down")
                if self.config.controlledShutdownEnable {
                    await self.controlledShutdown(
                        brokerID: brokerID,
                        zk: zk,
                        controller: controller,
                        listenerName: interBrokerListener,
                        group: group,
                        logger: servingLogger
                    )
                }
                // Members waiting in a join or sync get NOT_COORDINATOR and find the next coordinator.
                await groupCoordinator.unload { _ in true }
                tasks.cancelAll()
            }
        }
        await withTaskCancellationHandler {
            _ = await serving.result
        } onCancel: {
            requestShutdown.finish()
        }

        await controller.process(.shutdown)
        fetcherManager.shutdown()
        for listener in bound { await listener.close() }
        await metricsServer?.close()
        channel.closeAll()
        try? logManager.checkpointHighWatermarks(
            Dictionary(uniqueKeysWithValues: replicaManager.allPartitions.map { ($0.topicPartition, $0.highWatermark) })
        )
        logManager.shutdown()
        await zookeeper.close()
        try? await group.shutdownGracefully()
        logger.info("Shut down cleanly")
    }

    /// The `/metrics` text: gauges read from the partitions this broker holds and, on the controller, the cluster.
    static func scrape(
        _ metrics: BrokerMetrics,
        replicaManager: ReplicaManager,
        fetcherManager: ReplicaFetcherManager,
        controller: Controller
    ) async -> [UInt8] {
        var gauges = BrokerMetrics.Gauges()
        gauges.partitions = replicaManager.allPartitions.map { partition in
            let state = partition.current
            let log = partition.log
            return .init(
                topicPartition: partition.topicPartition,
                size: log.sizeInBytes,
                logStartOffset: log.logStartOffset,
                logEndOffset: log.logEndOffset,
                segments: log.segmentCount,
                isLeader: state.leader == replicaManager.brokerID,
                inSyncReplicas: state.isr.count,
                replicas: state.replicas.count,
                minInSyncReplicas: log.config.minInSyncReplicas
            )
        }
        gauges.replicaMaxLag = fetcherManager.maxLag
        let cluster = controller.metricsSnapshot
        gauges.activeController = cluster.active
        gauges.offlinePartitions = cluster.offlinePartitions
        gauges.globalPartitions = cluster.partitions
        gauges.globalTopics = cluster.topics
        gauges.uncleanLeaderElections = cluster.uncleanLeaderElections
        return metrics.emit(gauges)
    }

    /// SIGTERM (the cancellation of `run()`) reached the serving task.
    struct ShutdownRequested: Error {}

    /// Registers the broker. A registration still held by the previous process's session (after a crash) goes when
    /// that session expires: wait for it, up to one and a half session timeouts, instead of failing at once.
    private func register(_ registration: BrokerRegistration, zk: KafkaZkClient, epoch: BrokerEpoch) async throws {
        let deadline = ContinuousClock.now + .milliseconds(config.zookeeperSessionTimeoutMs * 3 / 2)
        var warned = false
        while true {
            do {
                epoch.set(try await zk.registerBroker(registration))
                return
            } catch KafkaZkClient.Failure.brokerIDInUse(let id) where ContinuousClock.now < deadline {
                if !warned {
                    logger.warning(
                        "Broker id \(id) is still registered by an earlier session; waiting for that session to expire"
                    )
                    warned = true
                }
                try await Task.sleep(for: .milliseconds(250))
            }
        }
    }

    /// After a session expiry: a new session, the registration again, and another try for `/controller`.
    private func reestablish(
        zookeeper: ZooKeeperClient,
        zk: KafkaZkClient,
        registration: BrokerRegistration,
        controller: Controller,
        brokerEpoch: BrokerEpoch
    ) async {
        while !Task.isCancelled {
            do {
                try await zookeeper.connect()
                try await register(registration, zk: zk, epoch: brokerEpoch)
                controller.enqueue(.elect)
                logger.info("Re-registered after the ZooKeeper session expired")
                return
            } catch {
                logger.error("Cannot re-register with ZooKeeper yet: \(error)")
                try? await Task.sleep(for: .seconds(1))
            }
        }
    }

    /// Retention, flushes and checkpoints at Kafka's intervals.
    private func periodicTasks(logManager: LogManager, replicaManager: ReplicaManager) async throws {
        var lastRetention = ContinuousClock.now
        var lastCheckpoint = ContinuousClock.now
        while true {
            try await Task.sleep(for: .seconds(1))
            let now = ContinuousClock.now
            logManager.flushDirtyLogs()
            if now - lastRetention >= .milliseconds(config.logRetentionCheckIntervalMs) {
                let highWatermarks = Dictionary(
                    uniqueKeysWithValues: replicaManager.allPartitions.map { ($0.topicPartition, $0.highWatermark) }
                )
                logManager.runRetention { highWatermarks[$0] }
                lastRetention = now
            }
            if now - lastCheckpoint >= .milliseconds(config.logFlushOffsetCheckpointIntervalMs) {
                logManager.checkpointRecoveryPointsAndLogStartOffsets()
                try? logManager.checkpointHighWatermarks(
                    Dictionary(
                        uniqueKeysWithValues: replicaManager.allPartitions.map { ($0.topicPartition, $0.highWatermark) }
                    )
                )
                lastCheckpoint = now
            }
        }
    }

    static func endpoints(_ text: String, _ key: String, _ protocolMap: [String: String]) throws -> [EndPoint] {
        let endpoints = try text.split(separator: ",").map { entry in
            guard let endpoint = EndPoint(String(entry).trimmingCharacters(), securityProtocolMap: protocolMap) else {
                throw BrokerConfig.Error(key: key, reason: "'\(entry)' is not LISTENER://host:port")
            }
            return endpoint
        }
        guard !endpoints.isEmpty else { throw BrokerConfig.Error(key: key, reason: "is empty") }
        return endpoints
    }
}

/// An offsets partition refused a commit (this broker is no longer its leader, or the disk failed).
struct OffsetCommitFailure: Error, CustomStringConvertible {
    var code: KafkaErrorCode
    var description: String { "the offsets partition refused the commit: \(code)" }
}
