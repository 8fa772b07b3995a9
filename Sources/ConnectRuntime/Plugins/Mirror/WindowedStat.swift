/// A measured value's total since start, its last value, and its min, max, average and rates over a window of two
/// samples of 30 s (Kafka's `SampledStat` with `metrics.num.samples=2`, `metrics.sample.window.ms=30000`): a
/// sample older than two windows is forgotten; a rate divides by the time the samples span, at least one window
/// (Kafka's `Rate`). A value, kept under its owner's lock.
struct WindowedStat: Sendable {
    static let window: Duration = .seconds(30)

    private struct Sample: Sendable {
        var start: ContinuousClock.Instant
        var count: Int64 = 0
        var sum: Double = 0
        var min = Double.infinity
        var max = -Double.infinity
    }

    private var current: Sample?
    private var previous: Sample?
    private(set) var last = Double.nan
    private(set) var total: Double = 0
    private(set) var totalCount: Int64 = 0

    mutating func record(_ value: Double, now: ContinuousClock.Instant = .now) {
        roll(now)
        current!.count += 1
        current!.sum += value
        current!.min = Swift.min(current!.min, value)
        current!.max = Swift.max(current!.max, value)
        last = value
        total += value
        totalCount += 1
    }

    /// Starts a new sample when the current one is a window old; forgets samples older than two windows.
    private mutating func roll(_ now: ContinuousClock.Instant) {
        guard let sample = current else {
            current = Sample(start: now)
            return
        }
        guard now - sample.start >= Self.window else { return }
        previous = now - sample.start >= Self.window * 2 ? nil : sample
        current = Sample(start: now)
    }

    private func samples(_ now: ContinuousClock.Instant) -> [Sample] {
        [previous, current].compactMap { $0 }.filter { now - $0.start < Self.window * 2 }
    }

    func min(now: ContinuousClock.Instant = .now) -> Double {
        let samples = samples(now).filter { $0.count > 0 }
        return samples.isEmpty ? .nan : samples.map(\.min).min()!
    }

    func max(now: ContinuousClock.Instant = .now) -> Double {
        let samples = samples(now).filter { $0.count > 0 }
        return samples.isEmpty ? .nan : samples.map(\.max).max()!
    }

    func avg(now: ContinuousClock.Instant = .now) -> Double {
        let samples = samples(now)
        let count = samples.reduce(0) { $0 + $1.count }
        return count == 0 ? .nan : samples.reduce(0) { $0 + $1.sum } / Double(count)
    }

    /// Values recorded per second over the window.
    func countRate(now: ContinuousClock.Instant = .now) -> Double {
        rate(samples(now).reduce(0) { $0 + Double($1.count) }, now)
    }

    /// The values' sum per second over the window.
    func sumRate(now: ContinuousClock.Instant = .now) -> Double {
        rate(samples(now).reduce(0) { $0 + $1.sum }, now)
    }

    private func rate(_ amount: Double, _ now: ContinuousClock.Instant) -> Double {
        guard let oldest = samples(now).first else { return 0 }
        let span = Swift.max(now - oldest.start, Self.window)
        let seconds = Double(span.components.seconds) + Double(span.components.attoseconds) / 1e18
        return amount / seconds
    }
}
