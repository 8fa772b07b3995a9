import Foundation
import KafkaClient
import KafkaController
import KafkaCoordinator
import KafkaCore
import KafkaProtocol
import KafkaReplication
import KafkaStorage
import KafkaZooKeeper
import Logging
import NIOCore
import NIOPosix
import ZooKeeper

/// Everything one broker process runs, made and wired once at startup: the first step of `KafkaBroker.run()`.
/// Nothing here serves yet; `run()` binds the listeners, registers the broker and starts the services over these
/// parts. Every part is safe to share between tasks.
struct BrokerAssembly: Sendable {
    var brokerID: BrokerID
    /// This cluster as a client reaches it from here: the inter-broker listener, secured as brokers are.
    var localClient: ClientConfiguration
    var clusterID: String
    var listeners: [EndPoint]
    var advertised: [EndPoint]
    var interBrokerListener: String
    var zookeeper: ZooKeeperClient
    var zk: KafkaZkClient
    var logManager: LogManager
    var logCleaner: LogCleanerManager
    var group: MultiThreadedEventLoopGroup
    var channel: TCPBrokerChannel
    var metrics: BrokerMetrics
    var replicaManager: ReplicaManager
    var fetcherManager: ReplicaFetcherManager
    var controller: Controller
    var groupCoordinator: GroupCoordinator
    var services: BrokerServices
    var logger: Logger
}

extension KafkaBroker {
    /// Kafka's startup order up to serving: the effective configuration logged, ZooKeeper connected (chroot,
    /// persistent paths, cluster id), the broker id settled (`broker.id`, `meta.properties` or `/brokers/seqid`),
    /// the logs loaded (recovered after an unclean shutdown), then the replica manager, fetchers, controller and
    /// group coordinator made over them.
    func assemble() async throws -> BrokerAssembly {
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
        let interBrokerListener =
            config.interBrokerListenerName?.uppercased() ?? config.securityInterBrokerProtocol
            ?? listeners[0].listenerName

        // ZooKeeper.
        var zookeeperConfiguration = ZooKeeperConfiguration(
            connectString: config.zookeeperConnect,
            sessionTimeout: .milliseconds(config.zookeeperSessionTimeoutMs),
            connectionTimeout: .milliseconds(config.zookeeperConnectionTimeout)
        )
        do {
            zookeeperConfiguration.digestCredentials = try ZooKeeperCredentials.fromEnvironment(
                ProcessInfo.processInfo.environment
            )
        } catch {
            throw StartupError(description: "\(error)")
        }
        if config.zookeeperSetAcl {
            // Kafka's KafkaServer.initZkClient: ACLs without an identity to own them would lock everyone out.
            guard zookeeperConfiguration.digestCredentials != nil else {
                throw StartupError(
                    description:
                        "zookeeper.set.acl is true, but the broker has no ZooKeeper credentials: set KAFKA_OPTS=-Djava.security.auth.login.config=<JAAS file with a Client section>"
                )
            }
            zookeeperConfiguration.acl = .secure(
                sensitivePrefixes: ZkPaths.sensitiveRootPaths,
                openPaths: [ZkPaths.consumers]
            )
        }
        try await KafkaZkClient.ensureChroot(zookeeperConfiguration)
        let zookeeper = ZooKeeperClient(configuration: zookeeperConfiguration, logger: logger)
        try await zookeeper.connect()
        let zk = KafkaZkClient(zookeeper: zookeeper, clock: clock, logger: logger)
        try await zk.createPersistentPaths()
        let clusterID = try await zk.getOrCreateClusterID(proposed: KafkaUUID.random().description)
        let scramCredentials = ScramCredentialCache()
        let metrics = BrokerMetrics()
        let quotas = ClientQuotas(config: config, metrics: metrics, clock: clock)
        for user in try await zk.zookeeper.children("/config/users") {
            let userConfig = try await zk.getEntityConfig(type: "users", name: user)
            if let name = Sanitizer.desanitize(user) { scramCredentials.update(user: name, config: userConfig) }
            if let entity = ClientQuotaEntity(entityPath: "users/\(user)") {
                quotas.cache.update(entity, config: userConfig)
            }
            for client in (try? await zk.zookeeper.children("/config/users/\(user)/clients")) ?? [] {
                guard let entity = ClientQuotaEntity(entityPath: "users/\(user)/clients/\(client)") else { continue }
                quotas.cache.update(
                    entity,
                    config: try await zk.getEntityConfig(type: "users", name: "\(user)/clients/\(client)")
                )
            }
        }
        for client in try await zk.zookeeper.children("/config/clients") {
            guard let entity = ClientQuotaEntity(entityPath: "clients/\(client)") else { continue }
            quotas.cache.update(entity, config: try await zk.getEntityConfig(type: "clients", name: client))
        }
        let authorizer = BrokerAuthorizer(config: config, logger: logger)
        if authorizer.isEnabled {
            try await zk.createAclPaths()
            authorizer.load(try await zk.getAllAcls())
        }

        // Logs and the broker id.
        let logManager = try LogManager(
            configuration: .init(logDirectories: config.logDirs, defaultConfig: config.logConfig),
            clock: clock,
            logger: logger
        )
        // Kafka halts a broker whose every log directory has failed, so that its partitions are led elsewhere.
        logManager.failures.onAllFailed { [logger] reason in
            logger.critical("Shutdown broker because \(reason)")
            exit(1)
        }
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

        // Brokers reach each other on the inter-broker listener, secured as that listener is.
        guard let interBrokerEndpoint = listeners.first(where: { $0.listenerName == interBrokerListener }) else {
            throw BrokerConfig.Error(
                key: "inter.broker.listener.name",
                reason: "\(interBrokerListener) is not one of the listeners"
            )
        }
        let interBrokerSecurity = try TLSSettings.interBrokerSecurity(
            config,
            listener: interBrokerListener,
            protocolName: interBrokerEndpoint.securityProtocol
        )
        let group = MultiThreadedEventLoopGroup(numberOfThreads: max(2, System.coreCount))
        let channel = TCPBrokerChannel(
            listenerName: interBrokerListener,
            clientID: "broker-\(brokerID)-controller",
            group: group,
            security: interBrokerSecurity
        )
        let metadataCache = MetadataCache(clusterID: clusterID)
        let brokerLogger = logger
        let commitTimeoutMs = config.offsetsCommitTimeoutMs
        zookeeper.observeRequestLatency { metrics.recordZooKeeperRequest($0) }
        let replicaManager = ReplicaManager(
            brokerID: brokerID,
            logManager: logManager,
            logger: logger,
            timers: group
        ) {
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
            makeEndpoint: { [brokerID] in
                TCPLeaderEndpoint(leader: $0, brokerID: brokerID, group: group, security: interBrokerSecurity)
            },
            onReplicated: { metrics.recordReplicated(topic: $0, bytes: $1) },
            logger: logger
        )
        let controller = Controller(
            brokerID: brokerID,
            zk: zk,
            channel: channel,
            uncleanLeaderElectionDefault: config.uncleanLeaderElectionEnable,
            interBrokerListener: interBrokerListener,
            logger: logger
        )
        let offsetsTopicPartitions = config.offsetsTopicNumPartitions
        let topicStore =
            config.offsetsStorage == "kafka"
            ? TopicOffsetStore(partitions: offsetsTopicPartitions, clock: clock) { partition, records in
                // As Kafka's group coordinator: the coordinator's origin (a transactional commit's sequence is not
                // a producer's; its epoch is still checked).
                let result = replicaManager.appendRecords(
                    TopicPartition(OffsetsTopicManager.topic, partition),
                    records: records,
                    requiredAcks: -1,
                    origin: .coordinator
                )
                guard result.errorCode == .none, let target = result.replicationTarget else {
                    throw OffsetCommitFailure(code: result.errorCode)
                }
                // Offsets count once the offsets partition's ISR holds them (offsets.commit.required.acks=-1).
                let replicated = await replicaManager.waitForReplication(
                    TopicPartition(OffsetsTopicManager.topic, partition),
                    target: target,
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
        let producerIDs = ProducerIDManager(brokerID: brokerID, zk: zk)
        let markerSender = TransactionMarkerSender(
            listenerName: interBrokerListener,
            metadataCache: metadataCache,
            group: group,
            security: interBrokerSecurity,
            logger: logger
        )
        let transactionTimeoutMs = config.requestTimeoutMs
        let transactionCoordinator = TransactionCoordinator(
            configuration: .init(
                partitionCount: config.transactionStateLogNumPartitions,
                maxTimeoutMs: config.transactionMaxTimeoutMs,
                idExpirationMs: config.transactionalIDExpirationMs
            ),
            append: { partition, records in
                await TransactionTopicManager.append(
                    records,
                    partition: partition,
                    replicaManager: replicaManager,
                    timeoutMs: transactionTimeoutMs
                )
            },
            sendMarkers: { markers, isCurrent in await markerSender.send(markers, stillCoordinator: isCurrent) },
            nextProducerID: { try await producerIDs.nextProducerID() },
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
            transactionTopic: TransactionTopicManager(coordinator: transactionCoordinator),
            producerIDs: producerIDs,
            markerSender: markerSender,
            metrics: metrics,
            schemaValidator: SchemaIDValidator(registryURL: config.schemaRegistryURL, logger: logger),
            fetcherManager: fetcherManager,
            brokerEpoch: BrokerEpoch(),
            scramCredentials: scramCredentials,
            authorizer: authorizer,
            quotas: quotas,
            fetchSessions: FetchSessionCache(maxSlots: Int(config.maxIncrementalFetchSessionCacheSlots))
        )

        var localClient = ClientConfiguration()
        let localEndpoint = advertised.first { $0.listenerName == interBrokerListener } ?? interBrokerEndpoint
        localClient.bootstrapServers = ["\(localEndpoint.host):\(localEndpoint.port)"]
        localClient.clientID = "broker-\(brokerID)-cluster-links"
        localClient.securityOverride = interBrokerSecurity
        return BrokerAssembly(
            brokerID: brokerID,
            localClient: localClient,
            clusterID: clusterID,
            listeners: listeners,
            advertised: advertised,
            interBrokerListener: interBrokerListener,
            zookeeper: zookeeper,
            zk: zk,
            logManager: logManager,
            logCleaner: LogCleanerManager(logManager: logManager, logger: logger),
            group: group,
            channel: channel,
            metrics: metrics,
            replicaManager: replicaManager,
            fetcherManager: fetcherManager,
            controller: controller,
            groupCoordinator: groupCoordinator,
            services: services,
            logger: logger
        )
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
