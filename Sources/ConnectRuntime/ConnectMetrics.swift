import KafkaConnect
import Synchronization

/// A task's counters, bumped by its worker task and read by `/metrics`; atomics, so neither side waits.
final class TaskCounters: Sendable {
    /// Source: records returned by `poll`. Sink: records consumed.
    let recordsIn = Atomic<Int>(0)
    /// Source: records acknowledged by the cluster. Sink: records handed to `put`.
    let recordsOut = Atomic<Int>(0)
    let offsetCommits = Atomic<Int>(0)
    /// The longest offset commit so far, in microseconds.
    let offsetCommitMaxMicros = Atomic<Int>(0)
    let recordErrors = Atomic<Int>(0)
    let recordsSkipped = Atomic<Int>(0)
    let deadLetterRequests = Atomic<Int>(0)

    enum Counter {
        case recordsIn, recordsOut, recordErrors, recordsSkipped, deadLetterRequests
    }

    func add(_ counter: Counter, _ count: Int = 1) {
        switch counter {
        case .recordsIn: recordsIn.wrappingAdd(count, ordering: .relaxed)
        case .recordsOut: recordsOut.wrappingAdd(count, ordering: .relaxed)
        case .recordErrors: recordErrors.wrappingAdd(count, ordering: .relaxed)
        case .recordsSkipped: recordsSkipped.wrappingAdd(count, ordering: .relaxed)
        case .deadLetterRequests: deadLetterRequests.wrappingAdd(count, ordering: .relaxed)
        }
    }

    func committed(after duration: Duration) {
        offsetCommits.wrappingAdd(1, ordering: .relaxed)
        let micros = Int(duration.components.seconds * 1_000_000 + duration.components.attoseconds / 1_000_000_000_000)
        var current = offsetCommitMaxMicros.load(ordering: .relaxed)
        while micros > current {
            let (exchanged, original) = offsetCommitMaxMicros.compareExchange(
                expected: current,
                desired: micros,
                ordering: .relaxed
            )
            if exchanged { break }
            current = original
        }
    }
}

/// `GET /metrics`: Prometheus text with the names Kafka Connect's metrics get through the JMX exporter
/// (`kafka_connect_<group>_<attribute>`, labels `connector` and `task`): the worker's connector and task counts,
/// each connector's and task's status (one series per state, 1 for the current one), source and sink record
/// totals, offset commits (count and longest time), the error handler's totals (`task-error-metrics`), and
/// MirrorMaker 2's metrics when the worker runs its connectors (`MirrorMetrics`).
enum ConnectMetrics {
    static func text(
        connectors: [(
            name: String, type: ConnectorType, status: ConnectorStatus, tasks: [ConnectorStatus]
        )],
        counters: [ConnectorTaskID: TaskCounters]
    ) -> String {
        var out = ""
        func family(_ name: String, _ type: String, _ help: String) {
            out += "# HELP \(name) \(help)\n# TYPE \(name) \(type)\n"
        }
        func escape(_ text: String) -> String {
            text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
                .replacingOccurrences(of: "\n", with: "\\n")
        }
        family(
            "kafka_connect_connect_worker_metrics_connector_count",
            "gauge",
            "The number of connectors run in this worker."
        )
        out += "kafka_connect_connect_worker_metrics_connector_count \(connectors.count)\n"
        family("kafka_connect_connect_worker_metrics_task_count", "gauge", "The number of tasks run in this worker.")
        out += "kafka_connect_connect_worker_metrics_task_count \(connectors.reduce(0) { $0 + $1.tasks.count })\n"
        let states: [ConnectorState] = [.unassigned, .running, .paused, .failed]
        family(
            "kafka_connect_connector_metrics_status",
            "gauge",
            "The status of the connector (1 for its current state)."
        )
        for connector in connectors {
            for state in states {
                out +=
                    "kafka_connect_connector_metrics_status{connector=\"\(escape(connector.name))\","
                    + "status=\"\(state.rawValue.lowercased())\"} \(connector.status.state == state ? 1 : 0)\n"
            }
        }
        family(
            "kafka_connect_connector_task_metrics_status",
            "gauge",
            "The status of the connector task (1 for its current state)."
        )
        for connector in connectors {
            for (index, task) in connector.tasks.enumerated() {
                for state in states {
                    out +=
                        "kafka_connect_connector_task_metrics_status{connector=\"\(escape(connector.name))\",task=\"\(index)\","
                        + "status=\"\(state.rawValue.lowercased())\"} \(task.state == state ? 1 : 0)\n"
                }
            }
        }
        let types = Dictionary(connectors.map { ($0.name, $0.type) }, uniquingKeysWith: { a, _ in a })
        let series: [(name: String, help: String, type: ConnectorType?, value: (TaskCounters) -> Int)] = [
            (
                "kafka_connect_source_task_metrics_source_record_poll_total", "Records polled by the source task.",
                .source, { $0.recordsIn.load(ordering: .relaxed) }
            ),
            (
                "kafka_connect_source_task_metrics_source_record_write_total",
                "Records written to Kafka by the source task (acknowledged).", .source,
                { $0.recordsOut.load(ordering: .relaxed) }
            ),
            (
                "kafka_connect_sink_task_metrics_sink_record_read_total", "Records read from Kafka by the sink task.",
                .sink, { $0.recordsIn.load(ordering: .relaxed) }
            ),
            (
                "kafka_connect_sink_task_metrics_sink_record_send_total", "Records put into the sink task.", .sink,
                { $0.recordsOut.load(ordering: .relaxed) }
            ),
            (
                "kafka_connect_connector_task_metrics_offset_commit_completion_total", "Offset commits completed.", nil,
                { $0.offsetCommits.load(ordering: .relaxed) }
            ),
            (
                "kafka_connect_task_error_metrics_total_record_errors",
                "Records that failed conversion or transformation.", nil, { $0.recordErrors.load(ordering: .relaxed) }
            ),
            (
                "kafka_connect_task_error_metrics_total_records_skipped",
                "Records skipped because of errors (errors.tolerance=all).", nil,
                { $0.recordsSkipped.load(ordering: .relaxed) }
            ),
            (
                "kafka_connect_task_error_metrics_deadletterqueue_produce_requests",
                "Records written to the dead-letter queue.", nil, { $0.deadLetterRequests.load(ordering: .relaxed) }
            ),
        ]
        let ids = counters.keys.sorted()
        for entry in series {
            family(entry.name, "counter", entry.help)
            for id in ids where entry.type == nil || types[id.connector] == entry.type {
                guard let task = counters[id] else { continue }
                out += "\(entry.name){connector=\"\(escape(id.connector))\",task=\"\(id.task)\"} \(entry.value(task))\n"
            }
        }
        family(
            "kafka_connect_connector_task_metrics_offset_commit_max_time_ms",
            "gauge",
            "The longest offset commit, in milliseconds."
        )
        for id in ids {
            guard let task = counters[id] else { continue }
            let millis = Double(task.offsetCommitMaxMicros.load(ordering: .relaxed)) / 1000
            out +=
                "kafka_connect_connector_task_metrics_offset_commit_max_time_ms{connector=\"\(escape(id.connector))\",task=\"\(id.task)\"} \(millis)\n"
        }
        // MirrorMaker 2's connectors, when this worker runs them.
        out += MirrorMetrics.shared.text()
        return out
    }
}
