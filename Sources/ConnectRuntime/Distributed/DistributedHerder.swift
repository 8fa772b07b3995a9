import Avro
import KafkaClient
public import KafkaConnect
public import Logging
import NIOPosix

/// The connectors of a distributed worker cluster (Java's `DistributedHerder`), as one worker sees and runs them.
/// The cluster's state lives in Kafka: configurations in the config topic (`ConfigTopicStore`), source offsets in
/// the offsets topic (`OffsetTopicStore`), statuses in the status topic (`StatusTopicStore`). The workers form a
/// group of protocol type `connect` (`GroupMember`): with `connect.protocol=eager` Connect's `default` protocol,
/// whose leader deals everything round-robin (`EagerAssignor`) and whose members stop all their work before each
/// rebalance; otherwise the incremental cooperative `compatible` protocol (KIP-415, `IncrementalAssignor`), whose
/// members keep running through a rebalance and stop only what the leader revokes, or `sessioned` (its version 2,
/// KIP-507), where the leader keeps a `SessionKey` in the config topic and accepts task configurations from other
/// workers only when signed with it.
///
/// Requests: reads are answered from this worker's copy of the config topic; creating, reconfiguring and deleting
/// connectors and writing task configurations are the leader's (a follower answers `HerderError.forward` with the
/// leader's URL, and the REST layer relays the request); pausing and resuming write the target state from any
/// worker; a restart goes to the worker that runs the connector or task (through the leader, which knows).
///
/// Lifecycle: `start` (internal topics, then the loop in its own task: read the config topic, rejoin when the set
/// of connectors or tasks changed, run the assignment, apply target states), `stop` (stop every task, leave the
/// group, close the topics). An actor: REST requests, the loop and the tasks' reports go through it one at a time.
public actor DistributedHerder: Herder {
    let worker: WorkerConfig
    let settings: DistributedConfig
    /// This worker's REST URL, as the other workers reach it (`rest.advertised.*`).
    let url: String
    let logger: Logger
    let configs: ConfigTopicStore
    let offsetStore: OffsetTopicStore
    let statuses: StatusTopicStore
    let member: GroupMember
    var snapshot = ConfigTopicStore.Snapshot()
    /// The snapshot the loop last acted on: the next read is compared with it.
    var applied = ConfigTopicStore.Snapshot()
    /// The last assignment received (nil while rebalancing: no leader is known) and its generation.
    var assignment: ConnectProtocol.Assignment?
    var generation: Int32 = -1
    /// The protocol the group chose at the last rebalance.
    var protocolName: String?
    /// What this worker runs: with the EAGER protocol the last assignment, with the cooperative one what it kept
    /// plus what was added since.
    var owned = EagerAssignor.Work()
    /// The leader's view of the last assignment it computed: each member's URL and what it runs with it.
    var memberAssignments: [(url: String, work: EagerAssignor.Work)] = []
    /// The leader's memory for the cooperative protocol (previous assignment, scheduled rebalance).
    var incremental: IncrementalAssignor
    /// When the cooperative leader asked for the next rebalance (its `delay`).
    var rejoinAt: ContinuousClock.Instant?
    /// Connectors running here, with the task configurations they generated.
    var connectors: [String: any Connector] = [:]
    /// Task configurations on their way to the leader, by connector: retried until one is taken (`handOff`).
    var handOffs: [String: Task<Void, Never>] = [:]
    /// The task configurations of each hand-off under way.
    var pendingTasks: [String: [[String: String]]] = [:]
    var running: [ConnectorTaskID: (run: Int, task: Task<Void, Never>, stop: StopFlag)] = [:]
    /// The configuration each running connector started with.
    var startedConnectorConfigs: [String: [String: String]] = [:]
    /// The configuration each running task started with.
    var startedConfigs: [ConnectorTaskID: [String: String]] = [:]
    var runs = 0
    var counters: [ConnectorTaskID: TaskCounters] = [:]
    var loop: Task<Void, Never>?
    var stopping = false

    public init(worker: WorkerConfig, logger: Logger) throws(ConnectConfigError) {
        guard let settings = worker.distributed else { throw ConnectConfigError("not a distributed worker") }
        self.worker = worker
        self.settings = settings
        incremental = IncrementalAssignor(maxDelayMs: settings.scheduledRebalanceMaxDelayMs)
        url = "http://\(worker.workerID)/"
        self.logger = logger
        // The worker's own clients (internal topics, group): not the tasks' `producer.*` / `consumer.*` settings,
        // as in Connect. Member ids are the client id and a UUID.
        let clientProperties = [
            "bootstrap.servers": worker.bootstrapServers.joined(separator: ","),
            "client.id": "connect-\(worker.workerID)",
        ]
        func log(_ name: String, _ partitions: Int32, _ factor: Int16) -> KafkaBasedLog {
            KafkaBasedLog(
                topic: .init(name: name, partitions: partitions, replicationFactor: factor),
                clientProperties: clientProperties,
                logger: logger
            )
        }
        configs = ConfigTopicStore(log: log(settings.configTopic, 1, settings.configReplicationFactor), logger: logger)
        offsetStore = OffsetTopicStore(
            log: log(settings.offsetTopic, settings.offsetPartitions, settings.offsetReplicationFactor),
            logger: logger
        )
        statuses = StatusTopicStore(
            log: log(settings.statusTopic, settings.statusPartitions, settings.statusReplicationFactor),
            logger: logger
        )
        let cluster: Cluster
        do {
            cluster = try Cluster(
                configuration: try ClientConfiguration(properties: clientProperties),
                group: MultiThreadedEventLoopGroup.singleton,
                logger: logger
            )
        } catch {
            throw ConnectConfigError("Invalid worker client settings: \(error)")
        }
        member = GroupMember(
            settings: .init(
                groupID: settings.groupID,
                protocolType: ConnectProtocol.protocolType,
                sessionTimeoutMs: settings.sessionTimeoutMs,
                rebalanceTimeoutMs: settings.rebalanceTimeoutMs,
                heartbeatIntervalMs: settings.heartbeatIntervalMs,
                retryBackoffMs: 100,
                requestTimeoutMs: 40_000
            ),
            cluster: cluster,
            logger: logger
        )
    }

    var isLeader: Bool { assignment.map { $0.leaderURL == url } ?? false }

    /// Whether the workers speak the incremental cooperative protocol (KIP-415) rather than EAGER.
    var cooperative: Bool { settings.connectProtocol != "eager" }
    /// Whether the group agreed on `sessioned` (KIP-507): internal requests are signed and checked.
    var sessioned: Bool { protocolName == ConnectProtocol.sessioned }

    // MARK: Reading

    public var connectorNames: [String] {
        get async {
            await catchUp()
            return snapshot.connectors.keys.sorted()
        }
    }

    /// Before answering a read, this worker reads the config topic to its end, so that a change another worker
    /// acknowledged shows here at once (Kafka's followers answer from what their reader thread has applied so far,
    /// which can lag by a fetch). Best effort: with the cluster unreachable the read is answered from what this
    /// worker has, after at most two seconds.
    func catchUp() async {
        if let current = try? await configs.refresh(timeout: .seconds(2)) { snapshot = current }
    }

    func properties(of name: String) throws(HerderError) -> [String: String] {
        guard let properties = snapshot.connectors[name] else { throw .notFound("Connector \(name) not found") }
        return properties
    }

    public func config(of name: String) async throws(HerderError) -> [String: String] {
        await catchUp()
        return try properties(of: name)
    }

    public func type(of name: String) async throws(HerderError) -> ConnectorType {
        await catchUp()
        let properties = try properties(of: name)
        guard let plugin = properties["connector.class"].flatMap(Plugins.connector(named:)) else {
            throw .badRequest("Connector \(name) names an unknown connector class")
        }
        return plugin.type
    }

    public func taskConfigs(of name: String) async throws(HerderError) -> [[String: String]] {
        await catchUp()
        _ = try properties(of: name)
        return snapshot.tasks[name] ?? []
    }

    public func status(
        of name: String
    ) async throws(HerderError) -> (
        connector: ConnectorStatus, tasks: [ConnectorStatus]
    ) {
        await catchUp()
        _ = try properties(of: name)
        try? await statuses.refresh()
        guard let connector = await statuses.status(StatusTopicStore.key(connector: name)) else {
            throw .notFound("No status found for connector \(name)")
        }
        var tasks: [ConnectorStatus] = []
        for index in (snapshot.tasks[name] ?? []).indices {
            let status = await statuses.status(StatusTopicStore.key(task: ConnectorTaskID(name, index)))
            tasks.append(status ?? ConnectorStatus(state: .unassigned, trace: nil, workerID: ""))
        }
        return (connector, tasks)
    }

    public func metricsText() -> String {
        ConnectMetrics.text(
            connectors: connectors.keys.sorted().compactMap { name in
                guard let properties = snapshot.connectors[name],
                    let plugin = properties["connector.class"].flatMap(Plugins.connector(named:))
                else { return nil }
                let paused = snapshot.paused.contains(name)
                let status = ConnectorStatus(state: paused ? .paused : .running, trace: nil, workerID: worker.workerID)
                let tasks = running.keys.filter { $0.connector == name }.sorted().map { _ in status }
                return (name, plugin.type, status, tasks)
            },
            counters: counters
        )
    }

    public func offsets(of name: String) async -> [(partition: String, offset: String)] {
        await offsetStore.offsets(of: name).map { ($0.partition.compactText, $0.offset.compactText) }
    }

    // MARK: Changes

    /// The leader's URL, or the refusal a follower answers with so that the request is relayed to it.
    func requireLeader() throws(HerderError) {
        guard let assignment else { throw .forward(nil) }
        if assignment.leaderURL != url { throw .forward(assignment.leaderURL) }
    }

    @discardableResult
    public func put(_ properties: [String: String], allowUpdate: Bool) async throws(HerderError) -> Bool {
        let config = try ConnectorConfig.requested(properties)
        try requireLeader()
        try Self.validate(properties, plugin: config.plugin)
        try await refresh()
        let exists = snapshot.connectors[config.name] != nil
        if exists && !allowUpdate { throw .conflict("Connector \(config.name) already exists") }
        try await write { try await self.configs.putConnectorConfig(config.name, properties) }
        logger.info("Connector \(config.name) \(exists ? "reconfigured" : "created")")
        return !exists
    }

    /// Refuses a configuration the validate endpoint finds errors in, with Connect's message.
    static func validate(_ properties: [String: String], plugin: any Connector.Type) throws(HerderError) {
        let validation = ConnectorValidation.validate(properties, plugin: plugin)
        let messages = (validation["configs"]?.arrayValue ?? []).flatMap { config in
            (config["value"]?["errors"]?.arrayValue ?? []).compactMap(\.stringValue)
        }
        guard !messages.isEmpty else { return }
        throw .badRequest(
            "Connector configuration is invalid and contains the following \(messages.count) error(s):\n"
                + messages.joined(separator: "\n")
                + "\nYou can also find the above list of errors at the endpoint "
                + "`/connector-plugins/{connectorType}/config/validate`"
        )
    }

    public func delete(_ name: String) async throws(HerderError) {
        try requireLeader()
        try await refresh()
        _ = try properties(of: name)
        try await write { try await self.configs.removeConnector(name) }
        logger.info("Connector \(name) deleted")
    }

    public func pause(_ name: String) async throws(HerderError) {
        try await refresh()
        _ = try properties(of: name)
        try await write { try await self.configs.putTargetState(name, paused: true) }
    }

    public func resume(_ name: String) async throws(HerderError) {
        try await refresh()
        _ = try properties(of: name)
        try await write { try await self.configs.putTargetState(name, paused: false) }
    }

    /// The internal `POST /connectors/{name}/tasks`: the connector's owner hands the leader its task configurations.
    /// The internal request a follower sends with the task configurations its connector generated; in a
    /// `sessioned` group only with a valid signature under the current session key (Kafka's checks and messages).
    public func putTaskConfigs(
        _ name: String,
        _ tasks: [[String: String]],
        signed: InternalRequest
    ) async throws(HerderError) {
        try requireLeader()
        if sessioned {
            guard let key = snapshot.sessionKey else {
                throw .conflict("The leader has not generated a session key yet; a rebalance is under way.")
            }
            do {
                try key.verify(
                    body: signed.body,
                    signature: signed.signature,
                    algorithm: signed.algorithm,
                    verification: settings.verificationAlgorithms
                )
            } catch {
                logger.warning("Forbidden request to update tasks for connector \(name): \(error.message)")
                throw error
            }
        }
        try await putTaskConfigs(name, tasks)
    }

    /// Writes task configurations (the leader's own connectors' directly, a follower's after the checks above).
    func putTaskConfigs(_ name: String, _ tasks: [[String: String]]) async throws(HerderError) {
        try requireLeader()
        try await refresh()
        _ = try properties(of: name)
        guard snapshot.tasks[name] != tasks else { return }
        // A hand-off replaced by a newer plan while it waited must not write the older one.
        if Task.isCancelled { throw .unavailable("the task configurations of \(name) were replaced") }
        try await write { try await self.configs.putTaskConfigs(name, tasks) }
    }

    /// Writes to the config topic and reads it back, so this worker answers its next read with the change.
    func write(_ change: @Sendable () async throws -> Void) async throws(HerderError) {
        do {
            try await change()
        } catch {
            throw .unavailable("Cannot write to the config topic \(settings.configTopic): \(error)")
        }
        try await refresh()
    }

    func refresh() async throws(HerderError) {
        do {
            snapshot = try await configs.refresh()
        } catch {
            throw .unavailable("Cannot read the config topic \(settings.configTopic): \(error)")
        }
    }
}
