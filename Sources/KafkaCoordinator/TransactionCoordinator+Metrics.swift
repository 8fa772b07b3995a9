import KafkaCore

/// The coordinator's side of Kafka's transaction coordinator metrics: `partition-load-time-max` and
/// `partition-load-time-avg` of the `transaction-coordinator-metrics` group (milliseconds to load a
/// `__transaction_state` partition, over the loads completed in the last 30 seconds; NaN when there were none, as
/// Kafka's Max and Avg answer) and the TransactionMarkerChannelManager's LogAppendRetryQueueSize (completions whose
/// CompleteCommit/CompleteAbort write failed and is being retried). Read by the broker's `/metrics` scrape.
extension TransactionCoordinator {
    public struct Metrics: Sendable {
        public var partitionLoadTimeMaxMs = Double.nan
        public var partitionLoadTimeAvgMs = Double.nan
        public var logAppendRetryQueueSize = 0

        public init() {}
    }

    /// Kafka's sensor window for the load times.
    static let loadTimeWindowMs: Int64 = 30_000

    public var metrics: Metrics {
        let since = clock.milliseconds - Self.loadTimeWindowMs
        let recent = partitionLoads.filter { $0.completedMs > since }.map { Double($0.durationMs) }
        var metrics = Metrics()
        if let longest = recent.max() {
            metrics.partitionLoadTimeMaxMs = longest
            metrics.partitionLoadTimeAvgMs = recent.reduce(0, +) / Double(recent.count)
        }
        metrics.logAppendRetryQueueSize = completionsRetryingAppend
        return metrics
    }

    func recordPartitionLoad(startedMs: Int64) {
        let now = clock.milliseconds
        partitionLoads.removeAll { $0.completedMs <= now - Self.loadTimeWindowMs }
        partitionLoads.append((completedMs: now, durationMs: max(0, now - startedMs)))
    }
}
