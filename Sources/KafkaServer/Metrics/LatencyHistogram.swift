import Atomics
import Foundation
import Synchronization

/// Request latencies in logarithmic buckets, for the percentiles Kafka's RequestMetrics publish (50th, 75th, 95th,
/// 98th, 99th and 999th of `TotalTimeMs`), over the recent past as Kafka's decaying histograms report them.
///
/// Format: 4 buckets per power of two of microseconds (bucket `i` holds latencies below 2^((i+1)/4) µs), so a
/// percentile is reported as its bucket's upper bound, at most 19% above the true value. Two windows of buckets:
/// requests go to the current one; `rotate(now:)` (at a scrape) turns a current window older than `window` into the
/// previous one and starts an empty current one. Percentiles are over both windows: the last `window` to 2 × `window`
/// of requests (Kafka's Yammer histograms weigh about the last five minutes; the default window is 150 s). Windows
/// turn only at scrapes: the first scrape after a long gap still reports everything since the last turn.
///
/// Lifecycle: one per request name, made on its first request; `record` is called by any connection's task
/// (one relaxed load and one atomic increment, no lock); `rotate` and `percentile` by the metrics scrape (a lock
/// orders overlapping scrapes' rotations).
final class LatencyHistogram: Sendable {
    static let bucketsPerOctave = 4
    static let bucketCount = 40 * bucketsPerOctave  // up to 2^40 µs, about 12 days
    let window: Duration
    private let windows: [[ManagedAtomic<UInt64>]]
    /// The index in `windows` that `record` counts into.
    private let current = ManagedAtomic<Int>(0)
    /// When the current window started.
    private let currentStarted: Mutex<ContinuousClock.Instant>

    init(window: Duration = .seconds(150), now: ContinuousClock.Instant = .now) {
        self.window = window
        windows = (0..<2).map { _ in (0..<Self.bucketCount).map { _ in ManagedAtomic<UInt64>(0) } }
        currentStarted = Mutex(now)
    }

    /// The requests in the reported windows.
    var count: UInt64 { windows.joined().reduce(0) { $0 + $1.load(ordering: .relaxed) } }

    func record(_ duration: Duration) {
        let (seconds, attoseconds) = duration.components
        let microseconds = max(seconds * 1_000_000 + attoseconds / 1_000_000_000_000, 0)
        let bucket = Self.bucket(forMicroseconds: UInt64(microseconds))
        windows[current.load(ordering: .relaxed)][bucket].wrappingIncrement(ordering: .relaxed)
    }

    /// Ages the windows: once the current one is `window` old, the previous one is emptied and becomes current.
    /// A request recorded while this runs may be counted in the window that just became the previous one.
    func rotate(now: ContinuousClock.Instant = .now) {
        currentStarted.withLock { started in
            guard now - started >= window else { return }
            let previous = 1 - current.load(ordering: .relaxed)
            for bucket in windows[previous] { bucket.store(0, ordering: .relaxed) }
            current.store(previous, ordering: .relaxed)
            started = now
        }
    }

    /// Each bucket's upper bound in microseconds: 2^((i+1)/4).
    static let upperBounds: [Double] = (0..<bucketCount).map { exp2(Double($0 + 1) / Double(bucketsPerOctave)) }

    /// The bucket of `microseconds`: the first whose upper bound is above it (binary search).
    static func bucket(forMicroseconds microseconds: UInt64) -> Int {
        let value = Double(microseconds)
        var low = 0
        var high = bucketCount - 1
        while low < high {
            let middle = (low + high) / 2
            if value < upperBounds[middle] { high = middle } else { low = middle + 1 }
        }
        return low
    }

    /// The latency in milliseconds below which `quantile` (0...1) of the requests in both windows fell; 0 when
    /// none.
    func percentile(_ quantile: Double) -> Double {
        let counts = (0..<Self.bucketCount).map { index in
            windows[0][index].load(ordering: .relaxed) + windows[1][index].load(ordering: .relaxed)
        }
        let recorded = counts.reduce(0, +)
        guard recorded > 0 else { return 0 }
        let rank = UInt64((quantile * Double(recorded)).rounded(.up))
        var seen: UInt64 = 0
        for (index, count) in counts.enumerated() {
            seen += count
            if seen >= max(rank, 1) { return Self.milliseconds(Self.upperBounds[index]) }
        }
        return Self.milliseconds(Self.upperBounds[Self.bucketCount - 1])
    }

    /// Microseconds as milliseconds to the microsecond (4.871, not 4.870992343051145).
    private static func milliseconds(_ microseconds: Double) -> Double {
        microseconds.rounded() / 1000
    }
}
