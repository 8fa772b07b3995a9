import ArgumentParser
import Foundation
import KafkaClient
import Synchronization

/// `swiftkafka-admin producer-perf-test`: `kafka-producer-perf-test` on the Swift producer. It sends
/// `--num-records` records of `--record-size` random uppercase letters (one payload, as Kafka's tool), at most
/// `--throughput` per second (-1: as fast as it can), and prints Kafka 2.8's lines: every five seconds
/// `N records sent, R records/sec (M MB/sec), A ms avg latency, X ms max latency.`, and at the end the same with
/// the 50th, 95th, 99th and 99.9th percentile latencies. Latency is from `send` to the record's acknowledgement.
/// `--latency-microseconds` (SwiftKafka's own flag) adds a line with the percentiles in microseconds, for
/// comparisons below Kafka's whole milliseconds.
struct ProducerPerfTestCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "producer-perf-test",
        abstract: "Measure the producer's throughput and latency (kafka-producer-perf-test)."
    )

    @Option(help: "The topic to write to.")
    var topic: String
    @Option(help: "How many records to send.")
    var numRecords: Int
    @Option(help: "Each record's size in bytes.")
    var recordSize: Int
    @Option(parsing: .unconditional, help: "The most records per second; -1 for no limit.")
    var throughput: Double
    @Option(parsing: .upToNextOption, help: "Producer properties as key=value (bootstrap.servers=... is needed).")
    var producerProps: [String] = []
    @Flag(help: "Also print the latency percentiles in microseconds (not in Kafka's tool).")
    var latencyMicroseconds = false

    func run() async throws {
        var properties: [String: String] = [:]
        for (key, value) in try parseAssignments(producerProps, option: "--producer-props") { properties[key] = value }
        let producer: KafkaProducer
        do {
            producer = try KafkaProducer(properties: properties, logger: stderrLogger("swiftkafka.producer-perf-test"))
        } catch {
            throw ValidationError("\(error)")
        }
        let payload = (0..<recordSize).map { _ in UInt8.random(in: 65...90) }
        let stats = PerfStats(expected: numRecords, recordSize: recordSize)
        let reporter = Task {
            while !Task.isCancelled {
                try? await Task.sleep(for: .seconds(5))
                if Task.isCancelled { return }
                print(stats.windowLine())
            }
        }
        // ArgumentParser's property wrappers are slow to read: the loop uses locals.
        let (topic, numRecords, throughput) = (topic, numRecords, throughput)
        let start = ContinuousClock.now
        for index in 0..<numRecords {
            let sentAt = ContinuousClock.now
            try await producer.send(topic: topic, value: payload) { result in
                stats.record(latency: ContinuousClock.now - sentAt, failed: (try? result.get()) == nil)
            }
            if throughput > 0 {
                // Kafka's Throttler: sleep while ahead of the target rate.
                let due = start + .seconds(Double(index + 1) / throughput)
                if due > .now { try await Task.sleep(until: due) }
            }
        }
        await producer.close()
        reporter.cancel()
        print(stats.totalLine(elapsed: ContinuousClock.now - start))
        if latencyMicroseconds { print(stats.microsecondsLine()) }
        if stats.failures > 0 {
            FileHandle.standardError.write(Data("\(stats.failures) records failed\n".utf8))
            throw ExitCode(1)
        }
    }
}

/// The counts and latencies of a perf test, shared with delivery callbacks.
final class PerfStats: Sendable {
    private struct State {
        var latenciesUs: [Int32] = []
        var count = 0
        var failures = 0
        var totalLatencyMs = 0.0
        var maxLatencyMs = 0.0
        var windowStart = ContinuousClock.now
        var windowCount = 0
        var windowLatencyMs = 0.0
        var windowMaxMs = 0.0
    }

    private let state: Mutex<State>
    let recordSize: Int

    init(expected: Int, recordSize: Int) {
        var initial = State()
        initial.latenciesUs.reserveCapacity(expected)
        state = Mutex(initial)
        self.recordSize = recordSize
    }

    var failures: Int { state.withLock(\.failures) }

    func record(latency: Duration, failed: Bool) {
        let milliseconds = Double(latency.components.seconds) * 1000 + Double(latency.components.attoseconds) / 1e15
        state.withLock { state in
            if failed { state.failures += 1 }
            state.count += 1
            state.latenciesUs.append(Int32(clamping: Int(milliseconds * 1000)))
            state.totalLatencyMs += milliseconds
            state.maxLatencyMs = max(state.maxLatencyMs, milliseconds)
            state.windowCount += 1
            state.windowLatencyMs += milliseconds
            state.windowMaxMs = max(state.windowMaxMs, milliseconds)
        }
    }

    /// Kafka's five-second line, starting a new window.
    func windowLine() -> String {
        state.withLock { state in
            let elapsed = (ContinuousClock.now - state.windowStart).seconds
            let rate = Double(state.windowCount) / max(elapsed, 1e-9)
            let line = String(
                format: "%d records sent, %.1f records/sec (%.2f MB/sec), %.1f ms avg latency, %.1f ms max latency.",
                state.windowCount,
                rate,
                rate * Double(recordSize) / 1024 / 1024,
                state.windowLatencyMs / Double(max(state.windowCount, 1)),
                state.windowMaxMs
            )
            state.windowStart = .now
            state.windowCount = 0
            state.windowLatencyMs = 0
            state.windowMaxMs = 0
            return line
        }
    }

    /// Kafka's summary line with percentiles.
    func totalLine(elapsed: Duration) -> String {
        state.withLock { state in
            let rate = Double(state.count) / max(elapsed.seconds, 1e-9)
            let sorted = state.latenciesUs.sorted()
            func percentile(_ p: Double) -> Int32 { Self.percentile(p, of: sorted) / 1000 }
            return String(
                format: "%d records sent, %f records/sec (%.2f MB/sec), %.2f ms avg latency, %.2f ms max latency, "
                    + "%d ms 50th, %d ms 95th, %d ms 99th, %d ms 99.9th.",
                state.count,
                rate,
                rate * Double(recordSize) / 1024 / 1024,
                state.totalLatencyMs / Double(max(state.count, 1)),
                state.maxLatencyMs,
                percentile(0.5),
                percentile(0.95),
                percentile(0.99),
                percentile(0.999)
            )
        }
    }
}

extension PerfStats {
    /// The percentiles in microseconds (SwiftKafka's own line).
    func microsecondsLine() -> String {
        let sorted = state.withLock { $0.latenciesUs.sorted() }
        return String(
            format: "latency percentiles: %d us 50th, %d us 95th, %d us 99th, %d us 99.9th.",
            Self.percentile(0.5, of: sorted),
            Self.percentile(0.95, of: sorted),
            Self.percentile(0.99, of: sorted),
            Self.percentile(0.999, of: sorted)
        )
    }

    /// Kafka's percentile: the element at `p` × count in the sorted latencies.
    static func percentile(_ p: Double, of sorted: [Int32]) -> Int32 {
        sorted.isEmpty ? 0 : sorted[min(sorted.count - 1, Int(Double(sorted.count) * p))]
    }
}

extension Duration {
    /// The duration in seconds, as a Double.
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}
