import KafkaConnect
import Logging
import Synchronization

extension StandaloneHerder {
    func startTasks(_ name: String) {
        guard let entry = entries[name] else { return }
        for index in entry.taskConfigs.indices { startTask(ConnectorTaskID(name, index)) }
    }

    /// Starts one task in its own Swift task; its converters are the connector's when it names them, else the
    /// worker's. The task reports RUNNING once started and FAILED (with the error as its trace) if it stops by
    /// an error; a task stopped (pause, restart, delete, worker stop) commits what it has and ends quietly.
    func startTask(_ id: ConnectorTaskID) {
        guard let entry = entries[id.connector], entry.taskConfigs.indices.contains(id.task) else { return }
        generation += 1
        let generation = self.generation
        let stop = StopFlag()
        let counters = self.counters[id] ?? TaskCounters()
        self.counters[id] = counters
        let task = TaskLauncher.launch(
            id,
            config: entry.config,
            taskConfig: entry.taskConfigs[id.task],
            worker: worker,
            offsets: offsets,
            counters: counters,
            stop: stop,
            logger: logger,
            running: { await self.report(id, generation, .running, nil) },
            failed: { await self.report(id, generation, .failed, $0) }
        )
        running[id] = (generation, task, stop)
    }

    /// A task's new state, unless the report comes from a task run that was since stopped or replaced.
    func report(_ id: ConnectorTaskID, _ generation: Int, _ state: ConnectorState, _ trace: String?) {
        guard running[id]?.generation == generation, var entry = entries[id.connector],
            entry.tasks.indices.contains(id.task)
        else { return }
        entry.tasks[id.task] = ConnectorStatus(state: state, trace: trace, workerID: worker.workerID)
        entries[id.connector] = entry
        if state == .failed { running[id] = nil }
    }

    /// Stops a task and waits until it has committed its offsets and stopped, or `task.shutdown.graceful.timeout.ms`
    /// passed (a task that cannot reach the cluster); then it is cancelled and left behind, as Connect abandons it.
    func stopTask(_ id: ConnectorTaskID) async {
        guard let (_, task, stop) = running.removeValue(forKey: id) else { return }
        stop.set()
        if await !TaskLauncher.finished(task, within: .milliseconds(worker.taskShutdownTimeoutMs)) {
            logger.error("Graceful stop of task \(id) failed: not stopped within task.shutdown.graceful.timeout.ms")
            task.cancel()
        }
        if var entry = entries[id.connector], entry.tasks.indices.contains(id.task) {
            entry.tasks[id.task] = ConnectorStatus(state: .unassigned, workerID: worker.workerID)
            entries[id.connector] = entry
        }
    }

    func stopTasks(_ name: String) async {
        for id in running.keys.filter({ $0.connector == name }).sorted() { await stopTask(id) }
    }

    func stopConnector(_ name: String) async {
        await stopTasks(name)
        entries[name]?.instance?.stop()
        entries[name]?.instance = nil
    }
}

extension StandaloneHerder {
    /// The connector asked to plan its tasks again: when the plan changed, its tasks restart with the new one.
    func reconfigureTasks(_ name: String) async {
        guard let entry = entries[name], let instance = entry.instance else { return }
        let tasks = instance.taskConfigs(maxTasks: entry.config.tasksMax).map { task in
            entry.config.properties.merging(task) { _, own in own }
        }
        guard tasks != entry.taskConfigs else { return }
        await stopTasks(name)
        guard entries[name] != nil else { return }
        entries[name]?.taskConfigs = tasks
        entries[name]?.tasks = tasks.map { _ in ConnectorStatus(state: .unassigned, workerID: worker.workerID) }
        logger.info("Connector \(name) reconfigured its tasks: \(tasks.count) task(s)")
        if entries[name]?.paused == false { startTasks(name) }
    }
}

/// The `ConnectorContext` either herder gives a connector: a reconfiguration request runs on the herder.
struct HerderConnectorContext: ConnectorContext {
    let reconfigure: @Sendable () async -> Void

    func requestTaskReconfiguration() { Task { await reconfigure() } }
}
