public import CoreMetrics

/// The client's metrics through swift-metrics (whatever backend the application bootstrapped, or the factory it
/// hands the client), named after the Java client's (`record-send-total`, `records-lag`, ...) in Prometheus style,
/// each with the `client_id` dimension. Made once per client; the data path only increments.
struct ProducerMetrics: Sendable {
    let recordsSent: Counter
    let recordErrors: Counter
    let requestLatency: Timer

    init(clientID: String, factory: any MetricsFactory) {
        let dimensions = [("client_id", clientID)]
        recordsSent = Counter(label: "kafka_producer_record_send_total", dimensions: dimensions, factory: factory)
        recordErrors = Counter(label: "kafka_producer_record_error_total", dimensions: dimensions, factory: factory)
        requestLatency = Timer(label: "kafka_producer_request_latency", dimensions: dimensions, factory: factory)
    }
}

struct ConsumerMetrics: Sendable {
    let clientID: String
    let factory: any MetricsFactory
    let recordsConsumed: Counter
    let fetchLatency: Timer

    init(clientID: String, factory: any MetricsFactory) {
        self.clientID = clientID
        self.factory = factory
        let dimensions = [("client_id", clientID)]
        recordsConsumed = Counter(
            label: "kafka_consumer_records_consumed_total",
            dimensions: dimensions,
            factory: factory
        )
        fetchLatency = Timer(label: "kafka_consumer_fetch_latency", dimensions: dimensions, factory: factory)
    }

    /// A partition's lag (high watermark minus position), set after each fetch answer.
    func recordLag(_ lag: Int64, topic: String, partition: Int32) {
        Gauge(
            label: "kafka_consumer_records_lag",
            dimensions: [("client_id", clientID), ("topic", topic), ("partition", "\(partition)")],
            factory: factory
        ).record(lag)
    }
}
