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
        let config = entry.config
        let taskConfig = entry.taskConfigs[id.task]
        let worker = self.worker
        let offsets = self.offsets
        var logger = self.logger
        logger[metadataKey: "task"] = "\(id)"
        let plugin = config.plugin
        let stop = StopFlag()
        let counters = self.counters[id] ?? TaskCounters()
        self.counters[id] = counters
        let task = Task.detached {
            do {
                let keyConverter = try Converters.make(
                    className: config.keyConverter ?? worker.keyConverter,
                    properties: config.keyConverter == nil
                        ? worker.keyConverterProperties : config.keyConverterProperties,
                    isKey: true
                )
                let valueConverter = try Converters.make(
                    className: config.valueConverter ?? worker.valueConverter,
                    properties: config.valueConverter == nil
                        ? worker.valueConverterProperties : config.valueConverterProperties,
                    isKey: false
                )
                var clientProperties = ["bootstrap.servers": worker.bootstrapServers.joined(separator: ",")]
                let flushInterval = Duration.milliseconds(worker.offsetFlushIntervalMs)
                let running: @Sendable () async -> Void = { await self.report(id, generation, .running, nil) }
                if let source = plugin as? any SourceConnector.Type {
                    clientProperties.merge(worker.producerProperties) { _, own in own }
                    try await WorkerSourceTask(
                        id: id,
                        taskType: source.taskType,
                        config: taskConfig,
                        transforms: config.transforms,
                        errors: config.errors,
                        keyConverter: keyConverter,
                        valueConverter: valueConverter,
                        producerProperties: clientProperties,
                        counters: counters,
                        offsets: offsets,
                        flushInterval: flushInterval,
                        logger: logger
                    ).run(until: stop, running: running)
                } else if let sink = plugin as? any SinkConnector.Type {
                    clientProperties.merge(worker.consumerProperties) { _, own in own }
                    try await WorkerSinkTask(
                        id: id,
                        taskType: sink.taskType,
                        config: taskConfig,
                        topics: config.topics,
                        topicsRegex: config.topicsRegex,
                        transforms: config.transforms,
                        keyConverter: keyConverter,
                        valueConverter: valueConverter,
                        keyConverterClass: config.keyConverter ?? worker.keyConverter,
                        valueConverterClass: config.valueConverter ?? worker.valueConverter,
                        errors: config.errors,
                        consumerProperties: clientProperties,
                        counters: counters,
                        flushInterval: flushInterval,
                        logger: logger
                    ).run(until: stop, running: running)
                }
            } catch {
                logger.error("Task \(id) failed: \(error)")
                await self.report(id, generation, .failed, "\(error)")
            }
        }
        running[id] = (generation, task, stop)
    }

    /// A task's new state, unless the report comes from a task run that was since stopped or replaced.
    func report(_ id: ConnectorTaskID, _ generation: Int, _ state: State, _ trace: String?) {
        guard running[id]?.generation == generation, var entry = entries[id.connector],
            entry.tasks.indices.contains(id.task)
        else { return }
        entry.tasks[id.task] = Status(state: state, trace: trace, workerID: worker.workerID)
        entries[id.connector] = entry
        if state == .failed { running[id] = nil }
    }

    /// Stops a task and waits until it has committed its offsets and stopped, or `task.shutdown.graceful.timeout.ms`
    /// passed (a task that cannot reach the cluster); then it is cancelled and left behind, as Connect abandons it.
    func stopTask(_ id: ConnectorTaskID) async {
        guard let (_, task, stop) = running.removeValue(forKey: id) else { return }
        stop.set()
        if await !Self.finished(task, within: .milliseconds(worker.taskShutdownTimeoutMs)) {
            logger.error("Graceful stop of task \(id) failed: not stopped within task.shutdown.graceful.timeout.ms")
            task.cancel()
        }
        if var entry = entries[id.connector], entry.tasks.indices.contains(id.task) {
            entry.tasks[id.task] = Status(state: .unassigned, workerID: worker.workerID)
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

    /// Whether `task` ends within `timeout` (without waiting longer for it).
    static func finished(_ task: Task<Void, Never>, within timeout: Duration) async -> Bool {
        let outcome = FirstOutcome()
        return await withCheckedContinuation { continuation in
            outcome.await(continuation)
            Task {
                await task.value
                outcome.resume(true)
            }
            Task {
                try? await Task.sleep(for: timeout)
                outcome.resume(false)
            }
        }
    }
}

/// A continuation resumed by the first of several racers; the later ones find it gone.
private final class FirstOutcome: Sendable {
    private let continuation = Mutex<CheckedContinuation<Bool, Never>?>(nil)

    func await(_ continuation: CheckedContinuation<Bool, Never>) { self.continuation.withLock { $0 = continuation } }

    func resume(_ outcome: Bool) { continuation.withLock { $0.take() }?.resume(returning: outcome) }
}
