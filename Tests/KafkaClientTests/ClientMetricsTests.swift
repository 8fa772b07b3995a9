import ClusterTestSupport
import KafkaCore
import MetricsTestKit
import Testing

@testable import KafkaClient

/// The clients' swift-metrics: records sent and failed, request latency, records consumed and each partition's lag.
@Suite("Client metrics", .serialized, .timeLimit(.minutes(3)))
struct ClientMetricsTests {
    @Test func producerAndConsumerCountWhatTheyDidAndTheLag() async throws {
        try await withCluster(properties: ["message.max.bytes": "20000"]) { _, brokers in
            let bootstrap = brokers[0].bootstrap
            let metrics = TestMetrics()
            let producer = try KafkaProducer(
                properties: ["bootstrap.servers": bootstrap, "client.id": "p1"],
                metrics: metrics
            )
            for index in 0..<50 { _ = try await producer.send(topic: "m", value: [UInt8(index)], partition: 0) }
            _ = try? await producer.send(topic: "m", value: Array(repeating: 0, count: 30_000), partition: 0)
            await producer.close()
            let sent = try metrics.expectCounter("kafka_producer_record_send_total", [("client_id", "p1")])
            #expect(sent.totalValue == 50)
            let failed = try metrics.expectCounter("kafka_producer_record_error_total", [("client_id", "p1")])
            #expect(failed.totalValue == 1)
            let latency = try metrics.expectTimer("kafka_producer_request_latency", [("client_id", "p1")])
            #expect(latency.values.count >= 1 && latency.values.allSatisfy { $0 > 0 })

            let consumer = try KafkaConsumer(
                properties: [
                    "bootstrap.servers": bootstrap, "client.id": "c1", "auto.offset.reset": "earliest",
                    "max.poll.records": "20",
                ],
                metrics: metrics
            )
            try await consumer.assign([TopicPartition("m", 0)])
            var read = 0
            let deadline = ContinuousClock.now + .seconds(30)
            while read < 20, ContinuousClock.now < deadline {
                read += try await consumer.poll(timeout: .milliseconds(500)).count
            }
            let lag = try metrics.expectGauge(
                "kafka_consumer_records_lag",
                [("client_id", "c1"), ("topic", "m"), ("partition", "0")]
            )
            #expect(lag.lastValue == Double(50 - read))
            while read < 50, ContinuousClock.now < deadline {
                read += try await consumer.poll(timeout: .milliseconds(500)).count
            }
            let consumed = try metrics.expectCounter("kafka_consumer_records_consumed_total", [("client_id", "c1")])
            #expect(consumed.totalValue == 50)
            #expect(lag.lastValue == 0)
            await consumer.close()
        }
    }
}
