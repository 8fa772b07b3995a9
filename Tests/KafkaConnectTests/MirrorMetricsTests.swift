import KafkaCore
import Testing

@testable import ConnectRuntime

/// MirrorMaker 2's metrics without clusters: the two-sample window's statistics and rates, and the Prometheus
/// text with Strimzi's names and labels.
@Suite struct MirrorMetricsTests {
    let start = ContinuousClock.now

    @Test func theWindowKeepsTwoSamplesOfThirtySeconds() {
        var stat = WindowedStat()
        #expect(stat.avg(now: start).isNaN && stat.min(now: start).isNaN && stat.max(now: start).isNaN)
        stat.record(10, now: start)
        stat.record(30, now: start + .seconds(10))
        stat.record(20, now: start + .seconds(40))  // a second sample
        #expect(stat.last == 20 && stat.total == 60 && stat.totalCount == 3)
        #expect(stat.min(now: start + .seconds(40)) == 10)
        #expect(stat.max(now: start + .seconds(40)) == 30)
        #expect(stat.avg(now: start + .seconds(40)) == 20)
        // The first sample ages out after two windows; the second is still counted.
        #expect(stat.min(now: start + .seconds(65)) == 20)
        #expect(stat.avg(now: start + .seconds(65)) == 20)
        // Both out of the window: nothing to say, the totals stay.
        #expect(stat.avg(now: start + .seconds(200)).isNaN && stat.total == 60)
    }

    @Test func ratesDivideByTheSpanAtLeastOneWindow() {
        var stat = WindowedStat()
        for second in 0..<10 { stat.record(100, now: start + .seconds(second)) }
        // Ten values within 10 s: divided by the 30 s minimum span, as Kafka's Rate does.
        #expect(abs(stat.countRate(now: start + .seconds(10)) - 10.0 / 30) < 1e-9)
        #expect(abs(stat.sumRate(now: start + .seconds(10)) - 1000.0 / 30) < 1e-9)
        for second in 30..<50 { stat.record(100, now: start + .seconds(second)) }
        #expect(abs(stat.countRate(now: start + .seconds(50)) - 30.0 / 50) < 1e-9)
    }

    @Test func theTextUsesStrimzisNamesAndLabels() {
        let metrics = MirrorMetrics()
        #expect(metrics.text().isEmpty)
        metrics.partition(target: "B", TopicPartition("A.orders", 2)).update { stats in
            stats.bytes.record(100, now: start)
            stats.bytes.record(50, now: start)
            stats.recordAge.record(7, now: start)
            stats.replicationLatency.record(12, now: start)
        }
        // A restarted task gets the same figures: counts go on.
        #expect(metrics.partition(target: "B", TopicPartition("A.orders", 2)).value.bytes.totalCount == 2)
        metrics.checkpoint(
            .init(source: "A", target: "B", group: "billing", partition: TopicPartition("A.orders", 2))
        ).update { $0.record(4, now: start) }
        let text = metrics.text(now: start + .seconds(1))
        let labels = #"{target="B",topic="A.orders",partition="2"}"#
        #expect(text.contains("kafka_connect_mirror_source_connector_record_count\(labels) 2\n"))
        #expect(text.contains("kafka_connect_mirror_source_connector_byte_count\(labels) 150\n"))
        #expect(text.contains("kafka_connect_mirror_source_connector_byte_rate\(labels) 5\n"))
        #expect(text.contains("kafka_connect_mirror_source_connector_record_age_ms_max\(labels) 7\n"))
        #expect(text.contains("kafka_connect_mirror_source_connector_replication_latency_ms\(labels) 12\n"))
        #expect(text.contains("# TYPE kafka_connect_mirror_source_connector_record_count counter\n"))
        #expect(
            text.contains(
                #"kafka_connect_mirror_checkpoint_connector_checkpoint_latency_ms_avg{source="A",target="B",group="billing",topic="A.orders",partition="2"} 4"#
            )
        )
    }
}
