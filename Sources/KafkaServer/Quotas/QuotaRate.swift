/// A rate over Kafka's sampled windows (`org.apache.kafka.common.metrics.stats.Rate` with `SampledStat`):
/// `samples` windows of `windowMs` each; a value is added to the window of its time; the rate is the sum of the
/// windows not older than `samples` windows, divided by the time they span, padded to at least `samples - 1` whole windows
/// (so a client's first burst is measured over the full span, as Kafka measures it). A value; its owner serializes it.
struct QuotaRate: Sendable {
    let samples: Int
    let windowMs: Int64
    private var windows: [(start: Int64, value: Double)] = []

    init(samples: Int, windowMs: Int64) {
        self.samples = max(samples, 2)
        self.windowMs = max(windowMs, 1)
    }

    mutating func record(_ value: Double, now: Int64) {
        purge(now: now)
        if let last = windows.last, now < last.start + windowMs {
            windows[windows.count - 1].value += value
        } else {
            windows.append((start: now, value: value))
            if windows.count > samples { windows.removeFirst(windows.count - samples) }
        }
    }

    /// Per second.
    func rate(now: Int64) -> Double { measure(now: now).rate }

    /// Kafka's `ClientQuotaManager.throttleTime`: how long the client must pause so that its rate falls back to
    /// `bound` — (rate − bound) / bound × span; 0 when within the bound.
    func throttleMs(bound: Double, now: Int64) -> Int64 {
        let (rate, spanMs) = measure(now: now)
        guard bound > 0, rate > bound else { return 0 }
        return Int64(((rate - bound) / bound * Double(spanMs)).rounded())
    }

    /// The rate over the live windows and the span it is measured over: Kafka's `Rate.windowSize`, the time since
    /// the oldest window began plus the whole windows missing to make `samples - 1`.
    private func measure(now: Int64) -> (rate: Double, spanMs: Int64) {
        let live = windows.filter { now - $0.start < Int64(samples) * windowMs }
        let elapsed = now - (live.first?.start ?? now)
        let span = max(elapsed + max(Int64(samples - 1) - elapsed / windowMs, 0) * windowMs, 1)
        return (live.reduce(0) { $0 + $1.value } / (Double(span) / 1000), span)
    }

    private mutating func purge(now: Int64) {
        windows.removeAll { now - $0.start >= Int64(samples) * windowMs }
    }
}
