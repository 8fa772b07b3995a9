import KafkaConnect
import Logging
import Synchronization

/// Starts and stops one connector task in its own Swift task, for either herder: the task's converters are the
/// connector's when it names them, else the worker's; a source task runs as `WorkerSourceTask` (offsets in the
/// herder's `OffsetBackingStore`), a sink task as `WorkerSinkTask`. The task reports `running` once started and
/// `failed` (with the error) if it stops by an error; a task stopped by its flag (pause, restart, delete,
/// rebalance, worker stop) commits what it has and ends quietly. Stateless: the herder keeps the handles.
enum TaskLauncher {
    static func launch(
        _ id: ConnectorTaskID,
        config: ConnectorConfig,
        taskConfig: [String: String],
        worker: WorkerConfig,
        offsets: any OffsetBackingStore,
        counters: TaskCounters,
        stop: StopFlag,
        logger: Logger,
        running: @escaping @Sendable () async -> Void,
        failed: @escaping @Sendable (String) async -> Void
    ) -> Task<Void, Never> {
        var logger = logger
        logger[metadataKey: "task"] = "\(id)"
        let plugin = config.plugin
        return Task.detached {
            do {
                let keyConverter = try WorkerConverters.make(
                    className: config.keyConverter ?? worker.keyConverter,
                    properties: config.keyConverter == nil
                        ? worker.keyConverterProperties : config.keyConverterProperties,
                    isKey: true
                )
                let valueConverter = try WorkerConverters.make(
                    className: config.valueConverter ?? worker.valueConverter,
                    properties: config.valueConverter == nil
                        ? worker.valueConverterProperties : config.valueConverterProperties,
                    isKey: false
                )
                var clientProperties = ["bootstrap.servers": worker.bootstrapServers.joined(separator: ",")]
                let flushInterval = Duration.milliseconds(worker.offsetFlushIntervalMs)
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
                        rawHeaders: worker.headerConverter.hasSuffix("ByteArrayConverter"),
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
                await failed("\(error)")
            }
        }
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
