import Synchronization

/// The console's own `/metrics` (Prometheus text): requests by method and status, and the time they took. Updated
/// by every request handler under one mutex (a few additions per request, off any data path).
final class ConsoleMetrics: Sendable {
    private struct Figures {
        var requests: [String: Int] = [:]
        var seconds: Double = 0
        var count = 0
    }

    private let figures = Mutex(Figures())

    func record(method: String, status: Int, since started: ContinuousClock.Instant) {
        let elapsed = ContinuousClock.now - started
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        figures.withLock {
            $0.requests["method=\"\(method)\",status=\"\(status)\"", default: 0] += 1
            $0.seconds += seconds
            $0.count += 1
        }
    }

    func text() -> String {
        figures.withLock { figures in
            var lines = [
                "# HELP swiftkafka_console_requests_total HTTP requests served, by method and status.",
                "# TYPE swiftkafka_console_requests_total counter",
            ]
            for (labels, count) in figures.requests.sorted(by: { $0.key < $1.key }) {
                lines.append("swiftkafka_console_requests_total{\(labels)} \(count)")
            }
            lines += [
                "# HELP swiftkafka_console_request_seconds Time spent answering requests.",
                "# TYPE swiftkafka_console_request_seconds summary",
                "swiftkafka_console_request_seconds_sum \(figures.seconds)",
                "swiftkafka_console_request_seconds_count \(figures.count)",
            ]
            return lines.joined(separator: "\n") + "\n"
        }
    }
}
