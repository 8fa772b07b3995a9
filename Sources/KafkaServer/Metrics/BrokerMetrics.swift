import CoreMetrics
import Foundation
public import KafkaCore
public import KafkaStorage
import Prometheus
import Synchronization
public import ZooKeeper

/// The broker's metrics in Prometheus' text format, named as Prometheus' JMX exporter names Kafka's MBeans with its
/// `kafka-2_0_0.yml` rules (lowercased), so dashboards and alerts built for Kafka work unchanged:
///
/// - `kafka_server_brokertopicmetrics_{messagesin,bytesin,bytesout,replicationbytesin,replicationbytesout,`
///   `producemessageconversions,fetchmessageconversions}_total{topic}`
///   (BrokerTopicMetrics `…PerSec` counts; the all-topics series carries `topic=""`, which Prometheus stores as no
///   label at all);
/// - `kafka_network_requestmetrics_requests_total{request,version}`, and `kafka_network_requestmetrics_totaltimems`
///   `{request,quantile}` with `…_totaltimems_count{request}` (Kafka's API names; Fetch also as FetchConsumer or
///   FetchFollower);
/// - `kafka_network_requestmetrics_errors_total{request,error}` (ErrorsPerSec: every error code in every response,
///   `NONE` included, by Kafka's error name);
/// - `kafka_server_zookeeperclientmetrics_zookeeperrequestlatencyms{quantile}` with `…_count`, and
///   `kafka_server_sessionexpirelistener_{zookeeperexpires,zookeeperdisconnects,zookeepersyncconnects,`
///   `zookeeperauthfailures}_total`;
/// - `kafka_server_replicamanager_{isrshrinks,isrexpands}_total`, and the gauges `…_underreplicatedpartitions`,
///   `…_underminisrpartitioncount`, `…_atminisrpartitioncount`, `…_leadercount`, `…_partitioncount`;
///   `kafka_server_replicafetchermanager_maxlag{clientid="Replica"}`; the fetch session cache's
///   `kafka_server_fetchsessioncache_{numincrementalfetchsessions,numincrementalfetchpartitionscached}` and
///   `…_incrementalfetchsessionevictions_total`; per partition held the `kafka_log_log_*` and
///   `kafka_cluster_partition_*` gauges of `PartitionGauges`;
///   `kafka_controller_kafkacontroller_activecontrollercount`,
///   `…_offlinepartitionscount`, `…_globalpartitioncount`, `…_globaltopiccount`, and
///   `kafka_controller_controllerstats_uncleanleaderelections_total`;
/// - `kafka_server_socket_server_metrics_{successful,failed}_authentication_total{listener}` (the SocketServer's
///   authentication counts);
/// - the transaction coordinator's `kafka_coordinator_transaction_transactionmarkerchannelmanager_`
///   `{unknowndestinationqueuesize,logappendretryqueuesize}` and
///   `kafka_server_transaction_coordinator_metrics_partition_load_time_{max,avg}` (Kafka's MBeans and Kafka-metrics
///   group, named as jmx_exporter names beans no rule of `kafka-2_0_0.yml` matches: dots and dashes as `_`).
///
/// Everything goes through swift-metrics with this broker's own `PrometheusMetricsFactory` (no process-wide
/// bootstrap, so several brokers can share a test process). Lifecycle: one per broker, made at startup; counters
/// are incremented by request handlers on any task (atomic; a per-topic or per-request table's lock is taken once
/// to find the entry); gauges are set from the broker's state by `emit(_:)` at each scrape.
public final class BrokerMetrics: Sendable {
    /// What the gauges show, read from the replica manager and the controller at scrape time. The ReplicaManager
    /// counts (partitions, leaders, under-replicated, under and at minimum ISR) are those of `partitions`.
    public struct Gauges: Sendable {
        public var activeController = false
        public var offlinePartitions = 0
        public var globalPartitions = 0
        public var globalTopics = 0
        /// The controller's unclean elections since this broker started (a count that only grows).
        public var uncleanLeaderElections = 0
        /// The followers' largest lag behind their leaders' high watermarks, in messages.
        public var replicaMaxLag: Int64 = 0
        /// Every partition this broker holds.
        var partitions: [PartitionGauges.State] = []
        /// The log cleaner's gauges.
        public var cleaner = LogCleanerManager.Metrics()
        /// The transaction coordinator's gauges.
        public var transactions = TransactionGauges()
        /// The fetch session cache's sessions, partitions and evictions so far.
        var fetchSessions = (sessions: 0, partitions: 0, evictions: 0)

        public init() {}
    }

    /// Kafka's TransactionMarkerChannelManager queue sizes and `transaction-coordinator-metrics` load times (NaN
    /// when no `__transaction_state` partition was loaded in the last 30 s, as Kafka shows it).
    public struct TransactionGauges: Sendable {
        public var unknownDestinationQueueSize = 0
        public var logAppendRetryQueueSize = 0
        public var partitionLoadTimeMaxMs = Double.nan
        public var partitionLoadTimeAvgMs = Double.nan

        public init() {}
    }

    struct TopicCounters: Sendable {
        var messagesIn: CoreMetrics.Counter
        var bytesIn: CoreMetrics.Counter
        var bytesOut: CoreMetrics.Counter
        var replicationBytesIn: CoreMetrics.Counter
        var replicationBytesOut: CoreMetrics.Counter
        var produceMessageConversions: CoreMetrics.Counter
        var fetchMessageConversions: CoreMetrics.Counter
    }

    struct RequestVersion: Hashable {
        var name: String
        var version: Int16
    }

    struct RequestError: Hashable {
        var name: String
        var code: KafkaErrorCode
    }

    /// The error codes of one response, counted without allocating in the usual case (all `NONE`).
    public struct ErrorCounts: Sendable {
        var none = 0
        var others: [KafkaErrorCode: Int] = [:]

        public init() {}

        public mutating func add(_ code: KafkaErrorCode) {
            if code == .none { none += 1 } else { others[code, default: 0] += 1 }
        }
    }

    let registry = PrometheusCollectorRegistry()
    let factory: PrometheusMetricsFactory
    private let allTopics: TopicCounters
    private let topics = MetricTable<String, TopicCounters>()
    private let requestCounts = MetricTable<RequestVersion, CoreMetrics.Counter>()
    private let requests = MetricTable<String, LatencyMetric>()
    private let errors = MetricTable<RequestError, CoreMetrics.Counter>()
    private let authentications = MetricTable<String, CoreMetrics.Counter>()
    private let quotaGauges = MetricTable<String, [CoreMetrics.Gauge]>()
    private let isrShrinks: CoreMetrics.Counter
    private let isrExpands: CoreMetrics.Counter
    private let underReplicatedPartitions: CoreMetrics.Gauge
    private let leaderCount: CoreMetrics.Gauge
    private let partitionCount: CoreMetrics.Gauge
    private let offlinePartitions: CoreMetrics.Gauge
    private let globalPartitions: CoreMetrics.Gauge
    private let globalTopics: CoreMetrics.Gauge
    private let uncleanLeaderElections: CoreMetrics.Counter
    /// The unclean election count already added to the counter (scrapes add what is new).
    private let uncleanLeaderElectionsCounted = Mutex(0)
    private let activeControllerCount: CoreMetrics.Gauge
    private let underMinIsrPartitions: CoreMetrics.Gauge
    private let atMinIsrPartitions: CoreMetrics.Gauge
    private let replicaMaxLag: CoreMetrics.Gauge
    private let fetchSessionCount: CoreMetrics.Gauge
    private let fetchSessionPartitions: CoreMetrics.Gauge
    private let fetchSessionEvictions: CoreMetrics.Counter
    private let fetchSessionEvictionsCounted = Mutex(0)
    private let cleanerMaxDirtyPercent: CoreMetrics.Gauge
    private let cleanerUncleanablePartitions: CoreMetrics.Gauge
    private let cleanerRecopyPercent: CoreMetrics.Gauge
    private let cleanerMaxCleanTime: CoreMetrics.Gauge
    private let cleanerTimeSinceLastRun: CoreMetrics.Gauge
    private let zooKeeperLatency: LatencyMetric
    private let zooKeeperExpires: CoreMetrics.Counter
    private let zooKeeperDisconnects: CoreMetrics.Counter
    private let zooKeeperSyncConnects: CoreMetrics.Counter
    private let zooKeeperAuthFailures: CoreMetrics.Counter
    private let partitionGauges: PartitionGauges
    private let unknownDestinationQueueSize: CoreMetrics.Gauge
    private let logAppendRetryQueueSize: CoreMetrics.Gauge
    private let transactionPartitionLoadTimeMax: CoreMetrics.Gauge
    private let transactionPartitionLoadTimeAvg: CoreMetrics.Gauge

    public init() {
        factory = PrometheusMetricsFactory(registry: registry)
        let factory = factory
        allTopics = Self.topicCounters("", factory: factory)
        isrShrinks = CoreMetrics.Counter(label: "kafka_server_replicamanager_isrshrinks_total", factory: factory)
        isrExpands = CoreMetrics.Counter(label: "kafka_server_replicamanager_isrexpands_total", factory: factory)
        func gauge(_ name: String) -> CoreMetrics.Gauge { CoreMetrics.Gauge(label: name, factory: factory) }
        underReplicatedPartitions = gauge("kafka_server_replicamanager_underreplicatedpartitions")
        leaderCount = gauge("kafka_server_replicamanager_leadercount")
        partitionCount = gauge("kafka_server_replicamanager_partitioncount")
        offlinePartitions = gauge("kafka_controller_kafkacontroller_offlinepartitionscount")
        globalPartitions = gauge("kafka_controller_kafkacontroller_globalpartitioncount")
        globalTopics = gauge("kafka_controller_kafkacontroller_globaltopiccount")
        uncleanLeaderElections = CoreMetrics.Counter(
            label: "kafka_controller_controllerstats_uncleanleaderelections_total",
            factory: factory
        )
        activeControllerCount = gauge("kafka_controller_kafkacontroller_activecontrollercount")
        underMinIsrPartitions = gauge("kafka_server_replicamanager_underminisrpartitioncount")
        atMinIsrPartitions = gauge("kafka_server_replicamanager_atminisrpartitioncount")
        partitionGauges = PartitionGauges(factory: factory)
        cleanerMaxDirtyPercent = gauge("kafka_log_logcleanermanager_max_dirty_percent")
        cleanerUncleanablePartitions = gauge("kafka_log_logcleanermanager_uncleanable_partitions_count")
        cleanerRecopyPercent = gauge("kafka_log_logcleaner_cleaner_recopy_percent")
        cleanerMaxCleanTime = gauge("kafka_log_logcleaner_max_clean_time_secs")
        cleanerTimeSinceLastRun = gauge("kafka_log_logcleanermanager_time_since_last_run_ms")
        let markerChannel = "kafka_coordinator_transaction_transactionmarkerchannelmanager"
        unknownDestinationQueueSize = gauge("\(markerChannel)_unknowndestinationqueuesize")
        logAppendRetryQueueSize = gauge("\(markerChannel)_logappendretryqueuesize")
        transactionPartitionLoadTimeMax = gauge("kafka_server_transaction_coordinator_metrics_partition_load_time_max")
        transactionPartitionLoadTimeAvg = gauge("kafka_server_transaction_coordinator_metrics_partition_load_time_avg")
        zooKeeperLatency = LatencyMetric(
            "kafka_server_zookeeperclientmetrics_zookeeperrequestlatencyms",
            factory: factory
        )
        func sessionCounter(_ name: String) -> CoreMetrics.Counter {
            CoreMetrics.Counter(label: "kafka_server_sessionexpirelistener_\(name)_total", factory: factory)
        }
        zooKeeperExpires = sessionCounter("zookeeperexpires")
        zooKeeperDisconnects = sessionCounter("zookeeperdisconnects")
        zooKeeperSyncConnects = sessionCounter("zookeepersyncconnects")
        zooKeeperAuthFailures = sessionCounter("zookeeperauthfailures")
        replicaMaxLag = CoreMetrics.Gauge(
            label: "kafka_server_replicafetchermanager_maxlag",
            dimensions: [("clientid", "Replica")],
            factory: factory
        )
        fetchSessionCount = gauge("kafka_server_fetchsessioncache_numincrementalfetchsessions")
        fetchSessionPartitions = gauge("kafka_server_fetchsessioncache_numincrementalfetchpartitionscached")
        fetchSessionEvictions = CoreMetrics.Counter(
            label: "kafka_server_fetchsessioncache_incrementalfetchsessionevictions_total",
            factory: factory
        )
    }

    private static func topicCounters(_ topic: String, factory: PrometheusMetricsFactory) -> TopicCounters {
        func counter(_ name: String) -> CoreMetrics.Counter {
            CoreMetrics.Counter(
                label: "kafka_server_brokertopicmetrics_\(name)_total",
                dimensions: [("topic", topic)],
                factory: factory
            )
        }
        return TopicCounters(
            messagesIn: counter("messagesin"),
            bytesIn: counter("bytesin"),
            bytesOut: counter("bytesout"),
            replicationBytesIn: counter("replicationbytesin"),
            replicationBytesOut: counter("replicationbytesout"),
            produceMessageConversions: counter("producemessageconversions"),
            fetchMessageConversions: counter("fetchmessageconversions")
        )
    }

    /// A produce request appended `messages` records in `bytes` bytes of batches to `topic`.
    public func recordProduced(topic: String, messages: Int64, bytes: Int) {
        let counters = topics.entry(topic) { Self.topicCounters(topic, factory: factory) }
        counters.messagesIn.increment(by: messages)
        allTopics.messagesIn.increment(by: messages)
        counters.bytesIn.increment(by: Int64(bytes))
        allTopics.bytesIn.increment(by: Int64(bytes))
    }

    /// A fetch sent `bytes` bytes of `topic`'s records, to a consumer or (`follower`) to a follower.
    public func recordFetched(topic: String, bytes: Int, follower: Bool) {
        guard bytes > 0 else { return }
        let counters = topics.entry(topic) { Self.topicCounters(topic, factory: factory) }
        if follower {
            counters.replicationBytesOut.increment(by: Int64(bytes))
            allTopics.replicationBytesOut.increment(by: Int64(bytes))
        } else {
            counters.bytesOut.increment(by: Int64(bytes))
            allTopics.bytesOut.increment(by: Int64(bytes))
        }
    }

    /// `messages` records of `topic` were converted between message formats: up to v2 for a Produce v0-2
    /// (`produce`), or down to v0/v1 for a Fetch v0-3.
    public func recordConversions(topic: String, messages: Int, produce: Bool) {
        guard messages > 0 else { return }
        let counters = topics.entry(topic) { Self.topicCounters(topic, factory: factory) }
        if produce {
            counters.produceMessageConversions.increment(by: Int64(messages))
            allTopics.produceMessageConversions.increment(by: Int64(messages))
        } else {
            counters.fetchMessageConversions.increment(by: Int64(messages))
            allTopics.fetchMessageConversions.increment(by: Int64(messages))
        }
    }

    /// A follower appended `bytes` bytes of `topic`'s batches fetched from the leader.
    public func recordReplicated(topic: String, bytes: Int) {
        let counters = topics.entry(topic) { Self.topicCounters(topic, factory: factory) }
        counters.replicationBytesIn.increment(by: Int64(bytes))
        allTopics.replicationBytesIn.increment(by: Int64(bytes))
    }

    /// A connection on `listener` finished its authentication (SASL exchange or TLS client certificate), well or not;
    /// with `reauthentication`, a KIP-368 re-authentication of an authenticated connection.
    public func recordAuthentication(listener: String, succeeded: Bool, reauthentication: Bool = false) {
        let name = (succeeded ? "successful" : "failed") + (reauthentication ? "_reauthentication" : "_authentication")
        authentications.entry("\(listener)/\(name)") {
            CoreMetrics.Counter(
                label: "kafka_server_socket_server_metrics_\(name)_total",
                dimensions: [("listener", listener)],
                factory: factory
            )
        }.increment()
    }

    /// A quota owner's byte rate and the throttle time its last request earned (Kafka's `type=Produce|Fetch,
    /// user=…,client-id=…` `byte-rate` and `throttle-time`; an empty part is an empty label).
    public func recordQuota(_ type: String, user: String, clientID: String, rate: Double, throttleMs: Int64) {
        let gauges = quotaGauges.entry("\(type)/\(user)/\(clientID)") {
            // Kafka's sensors: byte-rate for Produce and Fetch, request-time (percent of one thread) for Request.
            [type == "Request" ? "request_time" : "byte_rate", "throttle_time"].map {
                CoreMetrics.Gauge(
                    label: "kafka_server_\(type.lowercased())_\($0)",
                    dimensions: [("user", user), ("client_id", clientID)],
                    factory: factory
                )
            }
        }
        gauges[0].record(rate)
        gauges[1].record(Double(throttleMs))
    }

    /// One request of `name` (Kafka's API name) at `version` took `duration` from decoding to its response.
    public func recordRequest(_ name: String, version: Int16, duration: Duration) {
        requestCounts.entry(RequestVersion(name: name, version: version)) {
            CoreMetrics.Counter(
                label: "kafka_network_requestmetrics_requests_total",
                dimensions: [("request", name), ("version", "\(version)")],
                factory: factory
            )
        }.increment()
        recordTime(name, duration: duration)
    }

    /// The error codes of one response to a `name` request.
    public func recordErrors(_ name: String, _ counts: ErrorCounts) {
        if counts.none > 0 { errorCounter(name, .none).increment(by: Int64(counts.none)) }
        for (code, count) in counts.others { errorCounter(name, code).increment(by: Int64(count)) }
    }

    private func errorCounter(_ name: String, _ code: KafkaErrorCode) -> CoreMetrics.Counter {
        errors.entry(RequestError(name: name, code: code)) {
            CoreMetrics.Counter(
                label: "kafka_network_requestmetrics_errors_total",
                dimensions: [("request", name), ("error", code.name)],
                factory: factory
            )
        }
    }

    /// The total time of a request counted under a second name (FetchConsumer, FetchFollower).
    public func recordTime(_ name: String, duration: Duration) {
        requests.entry(name) {
            LatencyMetric("kafka_network_requestmetrics_totaltimems", dimensions: [("request", name)], factory: factory)
        }.record(duration)
    }

    /// One ZooKeeper request took `duration` (ZooKeeperClientMetrics ZooKeeperRequestLatencyMs).
    public func recordZooKeeperRequest(_ duration: Duration) {
        zooKeeperLatency.record(duration)
    }

    /// The ZooKeeper session went from `previous` to `current` (SessionExpireListener's counts of the events
    /// Kafka's ZooKeeper client sees: SyncConnected, Disconnected, Expired, AuthFailed).
    public func recordZooKeeperSession(from previous: SessionState, to current: SessionState) {
        switch current {
        case .connected where !previous.isConnected: zooKeeperSyncConnects.increment()
        case .connecting where previous.isConnected: zooKeeperDisconnects.increment()
        case .expired where previous != .expired: zooKeeperExpires.increment()
        case .authenticationFailed where previous != .authenticationFailed: zooKeeperAuthFailures.increment()
        default: break
        }
    }

    /// A leader's ISR change was written: it shrank or grew.
    public func recordIsrChange(shrink: Bool) {
        (shrink ? isrShrinks : isrExpands).increment()
    }

    /// The exposition text: the gauges set from `state`, the request percentiles computed, then every metric.
    public func emit(_ state: Gauges) -> [UInt8] {
        let partitions = state.partitions
        underReplicatedPartitions.record(partitions.count(where: \.isUnderReplicated))
        leaderCount.record(partitions.count(where: \.isLeader))
        partitionCount.record(partitions.count)
        offlinePartitions.record(state.offlinePartitions)
        globalPartitions.record(state.globalPartitions)
        globalTopics.record(state.globalTopics)
        let newUnclean = uncleanLeaderElectionsCounted.withLock { counted in
            defer { counted = max(counted, state.uncleanLeaderElections) }
            return max(state.uncleanLeaderElections - counted, 0)
        }
        if newUnclean > 0 { uncleanLeaderElections.increment(by: Int64(newUnclean)) }
        activeControllerCount.record(state.activeController ? 1 : 0)
        underMinIsrPartitions.record(partitions.count(where: \.isUnderMinIsr))
        atMinIsrPartitions.record(partitions.count(where: \.isAtMinIsr))
        replicaMaxLag.record(state.replicaMaxLag)
        fetchSessionCount.record(state.fetchSessions.sessions)
        fetchSessionPartitions.record(state.fetchSessions.partitions)
        let newEvictions = fetchSessionEvictionsCounted.withLock { counted in
            defer { counted = max(counted, state.fetchSessions.evictions) }
            return max(state.fetchSessions.evictions - counted, 0)
        }
        if newEvictions > 0 { fetchSessionEvictions.increment(by: Int64(newEvictions)) }
        cleanerMaxDirtyPercent.record(state.cleaner.maxDirtyPercent)
        cleanerUncleanablePartitions.record(state.cleaner.uncleanablePartitions)
        cleanerRecopyPercent.record(state.cleaner.recopyPercent)
        cleanerMaxCleanTime.record(state.cleaner.maxCleanTimeSeconds)
        let lastRun = state.cleaner.lastRunMilliseconds
        cleanerTimeSinceLastRun.record(lastRun > 0 ? Int64(Date().timeIntervalSince1970 * 1000) - lastRun : 0)
        unknownDestinationQueueSize.record(state.transactions.unknownDestinationQueueSize)
        logAppendRetryQueueSize.record(state.transactions.logAppendRetryQueueSize)
        transactionPartitionLoadTimeMax.record(state.transactions.partitionLoadTimeMaxMs)
        transactionPartitionLoadTimeAvg.record(state.transactions.partitionLoadTimeAvgMs)
        partitionGauges.publish(state.partitions)
        for metric in requests.values { metric.publish() }
        zooKeeperLatency.publish()
        return registry.emitToBuffer()
    }
}

/// Metrics made on first use, by key (a topic, a request name): one lock, taken once per lookup; the metric itself
/// is made under it, so each key gets exactly one.
private final class MetricTable<Key: Hashable & Sendable, Value: Sendable>: Sendable {
    private let table = Mutex<[Key: Value]>([:])

    func entry(_ key: Key, make: () -> Value) -> Value {
        table.withLock { table in
            if let existing = table[key] { return existing }
            let made = make()
            table[key] = made
            return made
        }
    }

    var values: [Value] { table.withLock { Array($0.values) } }
}
