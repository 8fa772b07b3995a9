import Atomics
import Foundation

/// Request latencies in logarithmic buckets, for the percentiles Kafka's RequestMetrics publish (50th, 75th, 95th,
/// 98th, 99th and 999th of `TotalTimeMs`).
///
/// Format: 4 buckets per power of two of microseconds (bucket `i` holds latencies below 2^((i+1)/4) µs), so a
/// percentile is reported as its bucket's upper bound, at most 19% above the true value. Counts are cumulative since
/// the broker started (Kafka's Yammer histograms decay over about five minutes instead).
///
/// Lifecycle: one per request name, made on its first request; `record` is called by any connection's task
/// (each bucket is one atomic counter, no lock); `percentile` by the metrics scrape.
final class LatencyHistogram: Sendable {
    static let bucketsPerOctave = 4
    static let bucketCount = 40 * bucketsPerOctave  // up to 2^40 µs, about 12 days
    private let buckets: [ManagedAtomic<UInt64>]

    init() {
        buckets = (0..<Self.bucketCount).map { _ in ManagedAtomic<UInt64>(0) }
    }

    /// The requests recorded (the buckets' sum).
    var count: UInt64 { buckets.reduce(0) { $0 + $1.load(ordering: .relaxed) } }

    func record(_ duration: Duration) {
        let (seconds, attoseconds) = duration.components
        let microseconds = max(seconds * 1_000_000 + attoseconds / 1_000_000_000_000, 0)
        buckets[Self.bucket(forMicroseconds: UInt64(microseconds))].wrappingIncrement(ordering: .relaxed)
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

    /// The latency in milliseconds below which `quantile` (0...1) of the recorded requests fell; 0 when none.
    func percentile(_ quantile: Double) -> Double {
        let counts = buckets.map { $0.load(ordering: .relaxed) }
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
