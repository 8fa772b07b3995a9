import Avro
import KafkaConnect

/// What a distributed worker runs: the connectors and tasks of its assignment, their statuses in the status topic
/// (written with the group generation), the task configurations a connector generates (handed to the leader),
/// and restarts (run here when this worker owns the connector or task, else relayed to the one that does).
extension DistributedHerder {
    // MARK: Connectors

    /// Starts a connector assigned here and publishes its task configurations when they changed.
    func startConnector(_ name: String) async {
        guard let properties = snapshot.connectors[name] else { return }
        let instance: any Connector
        do {
            let config = try ConnectorConfig(properties)
            instance = config.plugin.init()
            instance.initialize(context: HerderConnectorContext { [weak self] in await self?.reconfigureTasks(name) })
            try instance.start(properties)
            connectors[name] = instance
            startedConnectorConfigs[name] = properties
            await reportConnector(name)
            reconfigureTasks(name)
        } catch {
            logger.error("Connector \(name) failed to start: \(error)")
            await statuses.put(
                StatusTopicStore.key(connector: name),
                ConnectorStatus(state: .failed, trace: "\(error)", workerID: worker.workerID),
                generation: generation
            )
        }
    }

    /// The connector's plan (at its start, or when it asked to plan again): a changed plan is handed to the leader.
    func reconfigureTasks(_ name: String) {
        guard let instance = connectors[name], let properties = snapshot.connectors[name],
            let config = try? ConnectorConfig(properties)
        else { return }
        let tasks = instance.taskConfigs(maxTasks: config.tasksMax).map { task in
            properties.merging(task) { _, own in own }
        }
        if publishedTasks(name) != tasks { publishTaskConfigs(name, tasks) }
    }

    /// The task configurations `name` last asked for: on their way to the leader, else in the config topic.
    func publishedTasks(_ name: String) -> [[String: String]]? { pendingTasks[name] ?? snapshot.tasks[name] }

    func stopConnector(_ name: String) {
        startedConnectorConfigs[name] = nil
        // Cancelled but kept: a later hand-off of the connector waits for it to end before writing.
        handOffs[name]?.cancel()
        pendingTasks[name] = nil
        connectors.removeValue(forKey: name)?.stop()
    }

    func reportConnector(_ name: String) async {
        let state: ConnectorState = snapshot.paused.contains(name) ? .paused : .running
        await statuses.put(
            StatusTopicStore.key(connector: name),
            ConnectorStatus(state: state, trace: nil, workerID: worker.workerID),
            generation: generation
        )
    }

    /// Hands task configurations to the leader (written directly when this worker leads), in the background and
    /// again every 250 ms until one attempt is taken (Kafka's `reconfigureConnectorTasksWithRetry`): a hand-off
    /// refused while the group rebalances (409, no leader known) or sent to a leader that just left goes to the
    /// leader of the next generation. With the cooperative protocol the connector keeps running through that
    /// rebalance, so nothing else would send them again. A newer hand-off for the connector, or its stop, ends the
    /// older one.
    ///
    /// Hand-offs of one connector run one after the other (a newer one waits for the older, cancelled, to end),
    /// so an older plan can never be written after a newer one.
    func publishTaskConfigs(_ name: String, _ tasks: [[String: String]]) {
        logger.info("Connector \(name) generated \(tasks.count) task configuration(s)")
        let previous = handOffs[name]
        previous?.cancel()
        pendingTasks[name] = tasks
        handOffs[name] = Task {
            await previous?.value
            defer { if pendingTasks[name] == tasks { pendingTasks[name] = nil } }
            var failures = 0
            while !Task.isCancelled, !stopping, connectors[name] != nil {
                do {
                    try await handOff(name, tasks)
                    if failures > 0 { logger.info("Task configurations of \(name) handed to the leader") }
                    return
                } catch {
                    // One line for the first failure and one a minute after, not one per attempt.
                    if failures % 240 == 0 {
                        logger.warning(
                            "Cannot hand the task configurations of \(name) to the leader yet, retrying every 250 ms: \(error)"
                        )
                    }
                    failures += 1
                    try? await Task.sleep(for: .milliseconds(250))
                }
            }
        }
    }

    /// One attempt: written here when this worker leads, else sent to the leader's internal endpoint.
    private func handOff(_ name: String, _ tasks: [[String: String]]) async throws {
        guard let assignment else { throw HerderError.unavailable("no assignment yet: the group is rebalancing") }
        if isLeader { return try await putTaskConfigs(name, tasks) }
        let body = JSONValue.array(
            tasks.map { task in .object(JSONObject(task.sorted { $0.key < $1.key }.map { ($0.key, .string($0.value)) }))
            }
        )
        let bytes = Array(body.compactText.utf8)
        var headers: [(String, String)] = []
        if sessioned {
            guard let key = snapshot.sessionKey else {
                throw HerderError.unavailable("no session key yet to sign the request with")
            }
            headers = key.headers(signing: bytes, algorithm: settings.signatureAlgorithm)
        }
        let answer = try await RestClient.send(
            method: "POST",
            baseURL: assignment.leaderURL,
            target: "/connectors/\(Self.pathSegment(name))/tasks?forward=false",
            body: bytes,
            headers: headers
        )
        guard (200..<300).contains(answer.status) else {
            throw RestClient.Failure(
                description: "HTTP \(answer.status) \(String(decoding: answer.body, as: UTF8.self))"
            )
        }
    }

    // MARK: Tasks

    func startTask(_ id: ConnectorTaskID) {
        guard running[id] == nil, let properties = snapshot.connectors[id.connector],
            let taskConfig = snapshot.tasks[id.connector]?[safe: id.task]
        else { return }
        let config: ConnectorConfig
        do {
            config = try ConnectorConfig(properties)
        } catch {
            Task { await self.reportTask(id, .failed, error.message) }
            return
        }
        if snapshot.paused.contains(id.connector) {
            Task { await self.reportTask(id, .paused, nil) }
            return
        }
        runs += 1
        let run = runs
        let stop = StopFlag()
        let counters = self.counters[id] ?? TaskCounters()
        self.counters[id] = counters
        let task = TaskLauncher.launch(
            id,
            config: config,
            taskConfig: taskConfig,
            worker: worker,
            offsets: offsetStore,
            counters: counters,
            stop: stop,
            logger: logger,
            running: { await self.report(id, run, .running, nil) },
            failed: { await self.report(id, run, .failed, $0) }
        )
        running[id] = (run, task, stop)
        startedConfigs[id] = taskConfig
    }

    /// Restarts each running connector and task whose configuration in the config topic is no longer the one it
    /// started with (a connector reconfigured, or one that re-planned with the same number of tasks, while a
    /// rebalance ran and took the new snapshot as already applied). A task whose configuration is gone stops.
    func restartStale() async {
        for name in connectors.keys.sorted() {
            guard let current = snapshot.connectors[name], current != startedConnectorConfigs[name] else { continue }
            logger.info("Connector \(name) restarts with its new configuration")
            stopConnector(name)
            await startConnector(name)
        }
        for id in running.keys.sorted() {
            let current = snapshot.tasks[id.connector]?[safe: id.task]
            guard current != startedConfigs[id] else { continue }
            await stopTask(id, status: current == nil)
            if current != nil {
                logger.info("Task \(id) restarts with its new configuration")
                startTask(id)
            }
        }
    }

    /// A task's report, unless it comes from a run that was since stopped or replaced.
    func report(_ id: ConnectorTaskID, _ run: Int, _ state: ConnectorState, _ trace: String?) async {
        guard running[id]?.run == run else { return }
        if state == .failed { running[id] = nil }
        await reportTask(id, state, trace)
    }

    func reportTask(_ id: ConnectorTaskID, _ state: ConnectorState, _ trace: String?) async {
        await statuses.put(
            StatusTopicStore.key(task: id),
            ConnectorStatus(state: state, trace: trace, workerID: worker.workerID),
            generation: generation
        )
    }

    /// Stops a task (it commits its offsets), waiting up to `task.shutdown.graceful.timeout.ms`; with `status`,
    /// reports it UNASSIGNED, as Connect does for a task it gives up.
    func stopTask(_ id: ConnectorTaskID, status: Bool) async {
        guard let (_, task, stop) = running.removeValue(forKey: id) else { return }
        startedConfigs[id] = nil
        stop.set()
        if await !TaskLauncher.finished(task, within: .milliseconds(worker.taskShutdownTimeoutMs)) {
            logger.error("Graceful stop of task \(id) failed: not stopped within task.shutdown.graceful.timeout.ms")
            task.cancel()
        }
        if status { await reportTask(id, .unassigned, nil) }
    }

    /// Stops every task and connector this worker runs (before a rebalance, and when the worker stops).
    func stopAllWork() async {
        for id in running.keys.sorted() { await stopTask(id, status: true) }
        for name in connectors.keys.sorted() {
            stopConnector(name)
            await statuses.put(
                StatusTopicStore.key(connector: name),
                ConnectorStatus(state: .unassigned, trace: nil, workerID: worker.workerID),
                generation: generation
            )
        }
    }

    // MARK: Restarts

    /// The URL of the worker that runs `name` (the connector) or `task`, as the leader assigned them.
    func owner(ofConnector name: String? = nil, task: ConnectorTaskID? = nil) -> String? {
        memberAssignments.first { entry in
            if let name { return entry.work.connectors.contains(name) }
            if let task { return entry.work.tasks.contains(task) }
            return false
        }?.url
    }

    public func restart(_ name: String) async throws(HerderError) {
        _ = try properties(of: name)
        if owned.connectors.contains(name) {
            stopConnector(name)
            await startConnector(name)
            return
        }
        try requireLeader()
        guard let owner = owner(ofConnector: name) else { throw .conflict("Connector \(name) is not assigned yet") }
        throw .forward(owner)
    }

    public func restartTask(_ id: ConnectorTaskID) async throws(HerderError) {
        guard (snapshot.tasks[id.connector] ?? []).indices.contains(id.task) else {
            _ = try properties(of: id.connector)
            throw .notFound("Task \(id) not found")
        }
        if owned.tasks.contains(id) {
            await stopTask(id, status: false)
            startTask(id)
            return
        }
        try requireLeader()
        guard let owner = owner(task: id) else { throw .conflict("Task \(id) is not assigned yet") }
        throw .forward(owner)
    }

    /// KIP-745's restart, run by the leader: the connector if asked (or if it failed, with `onlyFailed`), then
    /// its tasks (all, or the failed ones), each where it runs.
    public func restart(_ name: String, includeTasks: Bool, onlyFailed: Bool) async throws(HerderError) {
        let (connector, tasks) = try await status(of: name)
        try requireLeader()
        if !onlyFailed || connector.state == .failed { try await restartHere(connector: name, task: nil) }
        guard includeTasks else { return }
        for (index, task) in tasks.enumerated() where !onlyFailed || task.state == .failed {
            try await restartHere(connector: nil, task: ConnectorTaskID(name, index))
        }
    }

    /// Restarts a connector or task here when it runs here, else asks its owner over REST.
    private func restartHere(connector name: String?, task: ConnectorTaskID?) async throws(HerderError) {
        let owner: String?
        let target: String
        if let name {
            if owned.connectors.contains(name) { return try await restart(name) }
            owner = self.owner(ofConnector: name)
            target = "/connectors/\(Self.pathSegment(name))/restart?forward=false"
        } else if let task {
            if owned.tasks.contains(task) { return try await restartTask(task) }
            owner = self.owner(task: task)
            target = "/connectors/\(Self.pathSegment(task.connector))/tasks/\(task.task)/restart?forward=false"
        } else {
            return
        }
        guard let owner else { throw .conflict("Cannot restart: not assigned yet (a rebalance is under way)") }
        do {
            let answer = try await RestClient.send(method: "POST", baseURL: owner, target: target, body: [])
            guard (200..<300).contains(answer.status) else {
                throw RestClient.Failure(description: "HTTP \(answer.status)")
            }
        } catch {
            throw .unavailable("Cannot restart at \(owner): \(error)")
        }
    }

    /// A connector name as one percent-encoded path segment.
    static func pathSegment(_ name: String) -> String {
        name.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed.subtracting(["/"])) ?? name
    }
}

extension Array {
    subscript(safe index: Int) -> Element? { indices.contains(index) ? self[index] : nil }
}
