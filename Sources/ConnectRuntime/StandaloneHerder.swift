import Foundation
public import KafkaConnect
public import Logging

/// The connectors of a standalone worker and their tasks (Java's `StandaloneHerder`): creates, reconfigures,
/// pauses, resumes, restarts and deletes them, keeps each one's configuration, target state and status, and
/// runs every task in its own Swift task. Connectors given on the command line are created at start;
/// connectors created over REST live until the worker stops (standalone mode persists nothing but source
/// offsets). An actor: the REST API and the tasks' status reports go through it one at a time.
public actor StandaloneHerder: Herder {
    struct Entry {
        var config: ConnectorConfig
        var instance: (any Connector)?
        var status: ConnectorStatus
        var paused = false
        var taskConfigs: [[String: String]] = []
        var tasks: [ConnectorStatus] = []
    }

    let worker: WorkerConfig
    let offsets: any OffsetBackingStore
    let logger: Logger
    var entries: [String: Entry] = [:]
    /// The running Swift task of each connector task, and a generation that tells a stale report from a new one.
    var running: [ConnectorTaskID: (generation: Int, task: Task<Void, Never>, stop: StopFlag)] = [:]
    var generation = 0
    /// Each task's counters for `/metrics`, kept across the task's restarts until its connector is deleted.
    var counters: [ConnectorTaskID: TaskCounters] = [:]

    public init(worker: WorkerConfig, logger: Logger) throws(ConnectConfigError) {
        self.worker = worker
        offsets = try FileOffsetStore(path: worker.offsetStorageFile ?? "connect.offsets")
        self.logger = logger
    }

    public var connectorNames: [String] { entries.keys.sorted() }

    // MARK: Changes

    /// Creates the connector of `properties`, or reconfigures it when `allowUpdate` (its tasks are restarted
    /// with the new configuration); returns whether it was created.
    @discardableResult
    public func put(_ properties: [String: String], allowUpdate: Bool) async throws(HerderError) -> Bool {
        let config = try ConnectorConfig.requested(properties)
        let exists = entries[config.name] != nil
        if exists && !allowUpdate { throw .conflict("Connector \(config.name) already exists") }
        if exists { await stopConnector(config.name) }
        var entry = Entry(
            config: config,
            status: ConnectorStatus(state: .unassigned, workerID: worker.workerID),
            paused: entries[config.name]?.paused ?? false
        )
        let instance = config.plugin.init()
        instance.initialize(
            context: HerderConnectorContext { [weak self] in await self?.reconfigureTasks(config.name) }
        )
        do {
            try instance.start(properties)
        } catch {
            if !exists { throw .badRequest(error.message) }
            entry.status = ConnectorStatus(state: .failed, trace: error.message, workerID: worker.workerID)
            entries[config.name] = entry
            return false
        }
        entry.instance = instance
        entry.taskConfigs = instance.taskConfigs(maxTasks: config.tasksMax).map { task in
            // Tasks see the connector's settings with the task's own over them, as Connect passes them.
            properties.merging(task) { _, own in own }
        }
        entry.status = ConnectorStatus(state: entry.paused ? .paused : .running, workerID: worker.workerID)
        entry.tasks = entry.taskConfigs.map { _ in ConnectorStatus(state: .unassigned, workerID: worker.workerID) }
        entries[config.name] = entry
        logger.info(
            "Connector \(config.name) \(exists ? "reconfigured" : "created") with \(entry.taskConfigs.count) task(s)"
        )
        if !entry.paused { startTasks(config.name) }
        return !exists
    }

    public func delete(_ name: String) async throws(HerderError) {
        guard entries[name] != nil else { throw .notFound("Connector \(name) not found") }
        await stopConnector(name)
        entries[name] = nil
        counters = counters.filter { $0.key.connector != name }
        logger.info("Connector \(name) deleted")
    }

    public func pause(_ name: String) async throws(HerderError) {
        guard let before = entries[name] else { throw .notFound("Connector \(name) not found") }
        guard !before.paused else { return }
        await stopTasks(name)
        // Deleted while its tasks stopped: nothing is left to pause.
        guard var entry = entries[name] else { return }
        entry.paused = true
        if entry.status.state == .running { entry.status.state = .paused }
        entry.tasks = entry.tasks.map { ConnectorStatus(state: .paused, workerID: $0.workerID) }
        entries[name] = entry
    }

    public func resume(_ name: String) throws(HerderError) {
        guard var entry = entries[name] else { throw .notFound("Connector \(name) not found") }
        guard entry.paused else { return }
        entry.paused = false
        if entry.status.state == .paused { entry.status.state = .running }
        entries[name] = entry
        startTasks(name)
    }

    /// Restarts the connector: it is stopped, started again with its configuration and its tasks re-planned.
    public func restart(_ name: String) async throws(HerderError) {
        guard let entry = entries[name] else { throw .notFound("Connector \(name) not found") }
        try await put(entry.config.properties, allowUpdate: true)
    }

    /// KIP-745's restart: everything, or with `onlyFailed` the connector if it failed (which re-plans and so
    /// restarts its tasks) else, with `includeTasks`, only the tasks that failed.
    public func restart(_ name: String, includeTasks: Bool, onlyFailed: Bool) async throws(HerderError) {
        guard let entry = entries[name] else { throw .notFound("Connector \(name) not found") }
        if !onlyFailed || entry.status.state == .failed { return try await restart(name) }
        guard includeTasks else { return }
        for (index, task) in entry.tasks.enumerated() where task.state == .failed {
            try await restartTask(ConnectorTaskID(name, index))
        }
    }

    public func restartTask(_ id: ConnectorTaskID) async throws(HerderError) {
        guard let entry = entries[id.connector] else { throw .notFound("Connector \(id.connector) not found") }
        guard entry.taskConfigs.indices.contains(id.task) else { throw .notFound("Task \(id) not found") }
        await stopTask(id)
        if !entry.paused { startTask(id) }
    }

    /// Stops every task, storing what they committed; called when the worker stops.
    public func stopAll() async {
        for name in entries.keys.sorted() { await stopConnector(name) }
    }

    // MARK: Reading

    public func config(of name: String) throws(HerderError) -> [String: String] {
        guard let entry = entries[name] else { throw .notFound("Connector \(name) not found") }
        return entry.config.properties
    }

    public func type(of name: String) throws(HerderError) -> ConnectorType {
        guard let entry = entries[name] else { throw .notFound("Connector \(name) not found") }
        return entry.config.plugin.type
    }

    public func taskConfigs(of name: String) throws(HerderError) -> [[String: String]] {
        guard let entry = entries[name] else { throw .notFound("Connector \(name) not found") }
        return entry.taskConfigs
    }

    public func status(of name: String) throws(HerderError) -> (connector: ConnectorStatus, tasks: [ConnectorStatus]) {
        guard let entry = entries[name] else { throw .notFound("No status found for connector \(name)") }
        return (entry.status, entry.tasks)
    }

    /// The worker's metrics as Prometheus text (`ConnectMetrics`).
    public func metricsText() -> String {
        ConnectMetrics.text(
            connectors: entries.keys.sorted().compactMap { name in
                entries[name].map { (name, $0.config.plugin.type, $0.status, $0.tasks) }
            },
            counters: counters
        )
    }

    public func offsets(of name: String) async -> [(partition: String, offset: String)] {
        await offsets.offsets(of: name).map { ($0.partition.compactText, $0.offset.compactText) }
    }
}
