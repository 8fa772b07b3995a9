import CoreMetrics
import Prometheus

/// A Yammer-histogram-like metric as Prometheus' JMX exporter shows Kafka's: `<name>{…,quantile="0.50"}` …
/// `quantile="0.999"` gauges (milliseconds, Kafka's 50th-999th percentile attributes) and a `<name>_count`
/// counter, over a `LatencyHistogram`.
///
/// Lifecycle: made on first use by `BrokerMetrics`; `record` from any task; `publish` at each scrape sets the
/// quantile gauges from the histogram's recent windows.
struct LatencyMetric: Sendable {
    /// Kafka's percentile attributes and the quantile label the exporter gives them ("0.$n").
    static let quantiles: [(Double, String)] = [
        (0.50, "0.50"), (0.75, "0.75"), (0.95, "0.95"), (0.98, "0.98"), (0.99, "0.99"), (0.999, "0.999"),
    ]

    let count: CoreMetrics.Counter
    let histogram = LatencyHistogram()
    let gauges: [(quantile: Double, gauge: CoreMetrics.Gauge)]

    init(_ name: String, dimensions: [(String, String)] = [], factory: PrometheusMetricsFactory) {
        count = CoreMetrics.Counter(label: name + "_count", dimensions: dimensions, factory: factory)
        gauges = Self.quantiles.map { quantile, label in
            (quantile, CoreMetrics.Gauge(label: name, dimensions: dimensions + [("quantile", label)], factory: factory))
        }
    }

    func record(_ duration: Duration) {
        histogram.record(duration)
        count.increment()
    }

    func publish() {
        histogram.rotate()
        for (quantile, gauge) in gauges { gauge.record(histogram.percentile(quantile)) }
    }
}
