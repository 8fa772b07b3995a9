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
import ServiceLifecycle
import ZooKeeper

/// A SwiftKafka broker: everything one `swiftkafka-broker` process runs.
///
/// The composition root. Startup, in Kafka's order: `assemble()` (`KafkaBroker+Assembly.swift`) connects to ZooKeeper,
/// settles the broker id, loads the logs and makes the parts; `run()` binds the listeners, registers
/// `/brokers/ids/<id>`, and runs the broker's services under one swift-service-lifecycle `ServiceGroup`: the
/// controller's event loop, the listeners and `/metrics`, the ZooKeeper watch router and session listener, the
/// scheduled jobs, and the controlled shutdown. The cancellation of `run()` (SIGTERM) is a graceful shutdown: the
/// services stop in the reverse of their start order, so the controlled shutdown runs while the listeners and the
/// controller still serve, and the controller resigns last. Then checkpoints and the clean-shutdown marker are
/// written and the ZooKeeper session is closed (so the registration goes at once). After a session expiry the broker
/// opens a new session, registers again and contends for `/controller` again.
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
        let parts = try await assemble()
        let (config, logger, zk, metrics) = (self.config, parts.logger, parts.zk, parts.metrics)
        let (group, listeners, advertised) = (parts.group, parts.listeners, parts.advertised)
        let (replicaManager, fetcherManager, controller) = (
            parts.replicaManager, parts.fetcherManager, parts.controller
        )
        let dispatcher = RequestDispatcher(
            apis: ApiTable.make(parts.services),
            logger: logger,
            metrics: metrics,
            quotas: parts.services.quotas
        )
        var bound: [KafkaListener] = []
        for endpoint in listeners {
            bound.append(
                try await KafkaListener.bind(
                    name: endpoint.listenerName,
                    host: endpoint.host,
                    port: Int(endpoint.port),
                    maxRequestSize: config.socketRequestMaxBytes,
                    maxIdleMs: config.connectionsMaxIdleMs,
                    security: try ListenerSecurity.make(
                        listener: endpoint.listenerName,
                        protocolName: endpoint.securityProtocol,
                        config: config,
                        scramCredentials: parts.services.scramCredentials
                    ),
                    dispatcher: dispatcher,
                    group: group,
                    logger: logger
                )
            )
        }
        let registration = BrokerRegistration(
            id: parts.brokerID,
            endpoints: advertised.map { endpoint in
                var endpoint = endpoint
                if endpoint.port == 0, let actual = bound.first(where: { $0.name == endpoint.listenerName }) {
                    endpoint.port = Int32(actual.port)
                }
                if endpoint.host.isEmpty { endpoint.host = ProcessInfo.processInfo.hostName }
                return endpoint
            },
            rack: config.brokerRack,
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
                    logCleaner: parts.logCleaner,
                    replicaManager: replicaManager,
                    fetcherManager: fetcherManager,
                    controller: controller,
                    transactionCoordinator: parts.services.transactionTopic.coordinator,
                    markerSender: parts.services.markerSender,
                    fetchSessions: parts.services.fetchSessions
                )
            }
        }
        try await register(registration, zk: zk, epoch: parts.services.brokerEpoch)
        let metricsURL = metricsServer.map {
            "http://\(config.metricsHost.isEmpty ? "0.0.0.0" : config.metricsHost):\($0.port)/metrics"
        }
        logger.info(
            "Started broker",
            metadata: [
                "clusterId": "\(parts.clusterID)", "listeners": "\(registration.endpoints.map(\.description))",
                "logDirs": "\(config.logDirs)",
                "metrics": "\(metricsURL ?? "off")",
            ]
        )

        let serviceGroup = ServiceGroup(
            configuration: .init(
                services: services(parts, listeners: bound, metricsServer: metricsServer, registration: registration)
                    .map {
                        .init(
                            service: $0,
                            successTerminationBehavior: .gracefullyShutdownGroup,
                            failureTerminationBehavior: .gracefullyShutdownGroup
                        )
                    },
                logger: logger
            )
        )
        controller.enqueue(.elect)
        // The group runs in its own task, so that cancelling `run()` (SIGTERM) does not cut the services off: the
        // cancellation only starts the graceful shutdown.
        let serving = Task { try await serviceGroup.run() }
        await withTaskCancellationHandler {
            if case .failure(let error) = await serving.result { logger.error("Broker stopped: \(error)") }
        } onCancel: {
            Task { await serviceGroup.triggerGracefulShutdown() }
        }

        fetcherManager.shutdown()
        parts.channel.shutdown()
        parts.services.markerSender.shutdown()
        try? parts.logManager.checkpointHighWatermarks(replicaManager.highWatermarks)
        // With the connections closed and the fetchers stopped, nothing appends: the producers as of each log end.
        for partition in replicaManager.allPartitions { partition.writeProducerSnapshot() }
        parts.logManager.shutdown()
        await parts.zookeeper.close()
        try? await group.shutdownGracefully()
        logger.info("Shut down cleanly")
    }

    /// The broker's services in start order (they stop in the reverse order).
    private func services(
        _ parts: BrokerAssembly,
        listeners: [KafkaListener],
        metricsServer: MetricsHTTPServer?,
        registration: BrokerRegistration
    ) -> [any Service] {
        let (config, controller, replicaManager) = (self.config, parts.controller, parts.replicaManager)
        let groupCoordinator = parts.groupCoordinator
        var services: [any Service] = [ControllerService(controller: controller)]
        for listener in listeners {
            services.append(
                ServedUntilShutdown(name: "listener \(listener.name)", serve: listener.run, close: listener.close)
            )
        }
        if let metricsServer {
            services.append(ServedUntilShutdown(name: "metrics", serve: metricsServer.run, close: metricsServer.close))
        }
        let configChanges = ConfigChangeListener(services: parts.services)
        let aclChanges = AclChangeListener(services: parts.services)
        services.append(
            ZooKeeperWatchRouter(
                zookeeper: parts.zookeeper,
                configChanges: configChanges,
                aclChanges: aclChanges,
                controller: controller
            )
        )
        services.append(
            ZooKeeperSessionListener(
                states: parts.zookeeper.sessionStates(),
                metrics: parts.metrics,
                controller: controller,
                reestablish: {
                    await self.reestablish(
                        zookeeper: parts.zookeeper,
                        zk: parts.zk,
                        registration: registration,
                        controller: controller,
                        brokerEpoch: parts.services.brokerEpoch
                    )
                    // The old session's watches are gone: set them again, applying what was announced meanwhile.
                    await configChanges.process()
                    for path in AclChangeListener.paths { await aclChanges.process(path) }
                }
            )
        )
        services.append(
            LogMaintenance(
                logManager: parts.logManager,
                replicaManager: replicaManager,
                retentionCheckInterval: .milliseconds(config.logRetentionCheckIntervalMs),
                checkpointInterval: .milliseconds(config.logFlushOffsetCheckpointIntervalMs)
            )
        )
        if config.logCleanerEnable {
            services.append(
                LogCleanerService(manager: parts.logCleaner, backoff: .milliseconds(config.logCleanerBackoffMs))
            )
        }
        if !config.clusterLinks.isEmpty {
            services.append(
                ClusterLinkManager(
                    links: config.clusterLinks,
                    replicaManager: replicaManager,
                    local: parts.localClient,
                    logger: logger
                )
            )
        }
        // Kafka's isr-expiration task: every half replica.lag.time.max.ms.
        let maxLag = config.replicaLagTimeMaxMs
        services.append(
            PeriodicTask(name: "isr-expiration", interval: .milliseconds(max(maxLag / 2, 10))) {
                replicaManager.shrinkIsrs(maxLagMs: maxLag)
            }
        )
        // Kafka's ReplicaAlterLogDirsThread: copies replicas moving between log directories (AlterReplicaLogDirs).
        services.append(
            PeriodicTask(name: "replica-alter-log-dirs", interval: .milliseconds(50)) {
                await replicaManager.moveFutureLogs()
            }
        )
        services.append(
            PeriodicTask(name: "group-member-expiration", interval: .seconds(1)) {
                await groupCoordinator.expireMembers()
            }
        )
        let transactions = parts.services.transactionTopic.coordinator
        services.append(
            PeriodicTask(
                name: "transaction-abort-timed-out",
                interval: .milliseconds(config.transactionAbortTimedOutCleanupIntervalMs)
            ) { await transactions.abortTimedOutTransactions() }
        )
        services.append(
            PeriodicTask(
                name: "transactional-id-expiration",
                interval: .milliseconds(config.transactionRemoveExpiredCleanupIntervalMs)
            ) { await transactions.removeExpiredTransactionalIDs() }
        )
        let producerExpirationMs = config.transactionalIDExpirationMs
        let clock = parts.services.clock
        services.append(
            PeriodicTask(
                name: "producer-id-expiration",
                interval: .milliseconds(config.producerIDExpirationCheckIntervalMs)
            ) {
                let now = clock.milliseconds
                for partition in replicaManager.allPartitions {
                    partition.removeExpiredProducers(now: now, expirationMs: producerExpirationMs)
                }
            }
        )
        let retentionMs = config.offsetsRetentionMinutes * 60_000
        services.append(
            PeriodicTask(name: "offsets-expiration", interval: .milliseconds(config.offsetsRetentionCheckIntervalMs)) {
                await groupCoordinator.expireOffsets(retentionMs: retentionMs)
            }
        )
        if config.autoLeaderRebalanceEnable {
            let threshold = config.leaderImbalancePerBrokerPercentage
            services.append(
                PeriodicTask(
                    name: "auto-leader-rebalance",
                    interval: .seconds(config.leaderImbalanceCheckIntervalSeconds)
                ) {
                    controller.enqueue(.autoLeaderRebalance(thresholdPercent: threshold))
                }
            )
        }
        services.append(
            ControlledShutdownService(
                enabled: config.controlledShutdownEnable,
                controlledShutdown: {
                    await self.controlledShutdown(
                        brokerID: parts.brokerID,
                        zk: parts.zk,
                        controller: controller,
                        listenerName: parts.interBrokerListener,
                        group: parts.group,
                        logger: parts.logger
                    )
                },
                groupCoordinator: groupCoordinator
            )
        )
        return services
    }

    /// The `/metrics` text: gauges read from the partitions this broker holds and, on the controller, the cluster.
    static func scrape(
        _ metrics: BrokerMetrics,
        logCleaner: LogCleanerManager,
        replicaManager: ReplicaManager,
        fetcherManager: ReplicaFetcherManager,
        controller: Controller,
        transactionCoordinator: TransactionCoordinator,
        markerSender: TransactionMarkerSender,
        fetchSessions: FetchSessionCache
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
                minInSyncReplicas: log.config.minInSyncReplicas,
                lastStableOffsetLag: state.highWatermark - state.lastStableOffset
            )
        }
        gauges.replicaMaxLag = fetcherManager.maxLag
        let cluster = controller.metricsSnapshot
        gauges.activeController = cluster.active
        gauges.offlinePartitions = cluster.offlinePartitions
        gauges.globalPartitions = cluster.partitions
        gauges.globalTopics = cluster.topics
        gauges.uncleanLeaderElections = cluster.uncleanLeaderElections
        gauges.cleaner = logCleaner.metrics
        gauges.fetchSessions = fetchSessions.stats
        let coordinator = await transactionCoordinator.metrics
        gauges.transactions.unknownDestinationQueueSize = markerSender.unknownDestinations
        gauges.transactions.logAppendRetryQueueSize = coordinator.logAppendRetryQueueSize
        gauges.transactions.partitionLoadTimeMaxMs = coordinator.partitionLoadTimeMaxMs
        gauges.transactions.partitionLoadTimeAvgMs = coordinator.partitionLoadTimeAvgMs
        return metrics.emit(gauges)
    }

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
}
