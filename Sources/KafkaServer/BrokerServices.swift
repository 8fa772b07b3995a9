public import KafkaController
public import KafkaCoordinator
public import KafkaCore
public import KafkaReplication
public import KafkaStorage
public import KafkaZooKeeper
public import Logging

/// The broker's parts that request handlers use. Built once at startup; every part is safe to share.
public struct BrokerServices: Sendable {
    public var brokerID: BrokerID
    public var config: BrokerConfig
    public var metadataCache: MetadataCache
    public var replicaManager: ReplicaManager
    public var zk: KafkaZkClient
    public var controller: Controller
    public var clock: any KafkaClock
    public var logger: Logger
    public var groupCoordinator: GroupCoordinator
    public var offsetsTopic: OffsetsTopicManager
    public var transactionTopic: TransactionTopicManager
    var producerIDs: ProducerIDManager
    var markerSender: TransactionMarkerSender
    public var metrics: BrokerMetrics
    /// Checks produced records' schema ids for topics with schema validation on.
    var schemaValidator: SchemaIDValidator
    var fetcherManager: ReplicaFetcherManager
    var brokerEpoch: BrokerEpoch
    /// Every user's SCRAM credentials from `/config/users`, kept current by `ConfigChangeListener`.
    var scramCredentials: ScramCredentialCache
    /// Whether a request may do what it asks (`authorizer.class.name`), over the ACLs kept current from ZooKeeper.
    public var authorizer: BrokerAuthorizer
    /// Client quotas from `/config/users` and `/config/clients`, and the managers that enforce them.
    var quotas: ClientQuotas
    /// Fetch sessions (KIP-227), `max.incremental.fetch.session.cache.slots` of them.
    var fetchSessions: FetchSessionCache

    /// Why a request from the controller must be refused: it comes from an older controller epoch than one already
    /// seen (STALE_CONTROLLER_EPOCH; nil `controllerEpoch` skips that check), or was meant for an earlier
    /// registration of this broker (STALE_BROKER_EPOCH). Nil when it may be applied.
    func fencingError(controllerEpoch: Int32?, brokerEpoch: Int64) -> KafkaErrorCode? {
        if let controllerEpoch, controllerEpoch < metadataCache.controllerEpoch { return .staleControllerEpoch }
        return self.brokerEpoch.isStale(brokerEpoch) ? .staleBrokerEpoch : nil
    }

    /// A topic's log config: the broker defaults with the topic's overrides from ZooKeeper.
    public func logConfig(for topic: String) async -> LogConfig {
        let overrides = (try? await zk.getEntityConfig(type: "topics", name: topic)) ?? [:]
        return (try? TopicConfig.apply(overrides, to: config.logConfig)) ?? config.logConfig
    }
}
