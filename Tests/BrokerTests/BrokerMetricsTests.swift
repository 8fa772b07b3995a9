import KafkaCore
import Testing
import ZooKeeper

@testable import KafkaServer

@Suite("Broker metrics")
struct BrokerMetricsTests {
    @Test func percentilesAreWithinOneBucketOfTheTruth() {
        let histogram = LatencyHistogram()
        #expect(histogram.percentile(0.99) == 0)
        for milliseconds in 1...1000 { histogram.record(.milliseconds(milliseconds)) }
        #expect(histogram.count == 1000)
        for (quantile, truth) in [(0.50, 500.0), (0.95, 950.0), (0.99, 990.0), (0.999, 999.0)] {
            let reported = histogram.percentile(quantile)
            // A bucket spans a factor of 2^(1/4) (19%): the reported bound is at or above the truth, and within it.
            #expect(reported >= truth && reported <= truth * 1.19, "p\(quantile): \(reported)")
        }
        #expect(LatencyHistogram.bucket(forMicroseconds: 0) == 0)
        #expect(LatencyHistogram.bucket(forMicroseconds: UInt64.max) == LatencyHistogram.bucketCount - 1)
    }

    @Test func percentilesForgetRequestsTwoWindowsOld() {
        let start = ContinuousClock.now
        let histogram = LatencyHistogram(window: .seconds(60), now: start)
        for _ in 0..<100 { histogram.record(.milliseconds(50)) }
        histogram.rotate(now: start + .seconds(30))  // not yet a window old: nothing turns
        #expect(histogram.count == 100)
        histogram.rotate(now: start + .seconds(61))  // the 50 ms requests are now the previous window
        for _ in 0..<100 { histogram.record(.milliseconds(1)) }
        #expect(histogram.count == 200)
        let median = histogram.percentile(0.5)
        let p99 = histogram.percentile(0.99)
        #expect(median >= 1 && median <= 1.19 && p99 >= 50 && p99 <= 50 * 1.19, "\(median) \(p99)")
        histogram.rotate(now: start + .seconds(122))  // the 50 ms window is dropped
        #expect(histogram.count == 100)
        #expect(histogram.percentile(0.99) <= 1.19)
        histogram.rotate(now: start + .seconds(183))
        #expect(histogram.count == 0 && histogram.percentile(0.99) == 0)
    }

    @Test func exposesJmxExporterNames() {
        let metrics = BrokerMetrics()
        metrics.recordProduced(topic: "orders", messages: 3, bytes: 250)
        metrics.recordProduced(topic: "audit", messages: 2, bytes: 100)
        metrics.recordFetched(topic: "orders", bytes: 250, follower: false)
        metrics.recordFetched(topic: "orders", bytes: 250, follower: true)
        metrics.recordRequest("Produce", version: 9, duration: .milliseconds(3))
        metrics.recordIsrChange(shrink: true)
        var errors = BrokerMetrics.ErrorCounts()
        for code: KafkaErrorCode in [
            .none, .none, .notEnoughReplicas, .none, .notEnoughReplicas, .unknownTopicOrPartition,
        ] {
            errors.add(code)
        }
        metrics.recordErrors("Produce", errors)
        metrics.recordErrors("Produce", errors)
        var gauges = BrokerMetrics.Gauges()
        gauges.activeController = true
        let lines = Set(String(decoding: metrics.emit(gauges), as: UTF8.self).split(separator: "\n").map(String.init))
        for expected in [
            #"kafka_server_brokertopicmetrics_messagesin_total{topic="orders"} 3"#,
            #"kafka_server_brokertopicmetrics_messagesin_total{topic=""} 5"#,
            #"kafka_server_brokertopicmetrics_bytesin_total{topic=""} 350"#,
            #"kafka_server_brokertopicmetrics_bytesout_total{topic="orders"} 250"#,
            #"kafka_server_brokertopicmetrics_replicationbytesout_total{topic="orders"} 250"#,
            #"kafka_network_requestmetrics_requests_total{request="Produce",version="9"} 1"#,
            #"kafka_network_requestmetrics_totaltimems_count{request="Produce"} 1"#,
            #"kafka_network_requestmetrics_errors_total{request="Produce",error="NONE"} 6"#,
            #"kafka_network_requestmetrics_errors_total{request="Produce",error="NOT_ENOUGH_REPLICAS"} 4"#,
            #"kafka_network_requestmetrics_errors_total{request="Produce",error="UNKNOWN_TOPIC_OR_PARTITION"} 2"#,
            "kafka_server_replicamanager_isrshrinks_total 1",
            "kafka_server_replicamanager_isrexpands_total 0",
            "kafka_server_replicamanager_underreplicatedpartitions 0.0",
            "kafka_controller_kafkacontroller_activecontrollercount 1.0",
            "# TYPE kafka_network_requestmetrics_totaltimems gauge",
        ] {
            #expect(lines.contains(expected), "missing \(expected)")
        }
        let p99 = lines.first {
            $0.hasPrefix(#"kafka_network_requestmetrics_totaltimems{request="Produce",quantile="0.99"} "#)
        }
        let milliseconds = p99.flatMap { $0.split(separator: " ").last }.flatMap { Double($0) }
        #expect(milliseconds.map { $0 >= 3 && $0 <= 3 * 1.19 } == true, "p99 line: \(p99 ?? "none")")
    }

    @Test func partitionGaugesFollowThePartitionsHeld() {
        let metrics = BrokerMetrics()
        func lines(_ partitions: [PartitionGauges.State]) -> [String] {
            var gauges = BrokerMetrics.Gauges()
            gauges.partitions = partitions
            gauges.replicaMaxLag = 42
            metrics.recordReplicated(topic: "orders", bytes: 120)
            return String(decoding: metrics.emit(gauges), as: UTF8.self).split(separator: "\n").map(String.init)
        }
        // orders-0 led here with 2 of 3 replicas in sync and min.insync.replicas 2; audit-1 followed here.
        var orders0 = PartitionGauges.State(
            topicPartition: .init("orders", 0),
            size: 4096,
            logStartOffset: 10,
            logEndOffset: 250,
            segments: 2
        )
        (orders0.isLeader, orders0.inSyncReplicas, orders0.replicas, orders0.minInSyncReplicas) = (true, 2, 3, 2)
        var audit1 = PartitionGauges.State(
            topicPartition: .init("audit", 1),
            size: 0,
            logStartOffset: 0,
            logEndOffset: 0,
            segments: 1
        )
        (audit1.inSyncReplicas, audit1.replicas) = (1, 3)
        let both = Set(lines([orders0, audit1]))
        for expected in [
            #"kafka_log_log_size{topic="orders",partition="0"} 4096.0"#,
            #"kafka_log_log_logstartoffset{topic="orders",partition="0"} 10.0"#,
            #"kafka_log_log_logendoffset{topic="orders",partition="0"} 250.0"#,
            #"kafka_log_log_numlogsegments{topic="orders",partition="0"} 2.0"#,
            #"kafka_cluster_partition_underreplicated{topic="orders",partition="0"} 1.0"#,
            #"kafka_cluster_partition_insyncreplicascount{topic="orders",partition="0"} 2.0"#,
            #"kafka_cluster_partition_replicascount{topic="orders",partition="0"} 3.0"#,
            #"kafka_cluster_partition_underminisr{topic="orders",partition="0"} 0.0"#,
            #"kafka_cluster_partition_atminisr{topic="orders",partition="0"} 1.0"#,
            #"kafka_log_log_numlogsegments{topic="audit",partition="1"} 1.0"#,
            // Not the leader: Kafka's partition gauges read 0.
            #"kafka_cluster_partition_underreplicated{topic="audit",partition="1"} 0.0"#,
            #"kafka_cluster_partition_replicascount{topic="audit",partition="1"} 0.0"#,
            #"kafka_server_brokertopicmetrics_replicationbytesin_total{topic="orders"} 120"#,
            // The ReplicaManager counts add up the partitions: only orders-0 is led here.
            "kafka_server_replicamanager_partitioncount 2.0",
            "kafka_server_replicamanager_leadercount 1.0",
            "kafka_server_replicamanager_underreplicatedpartitions 1.0",
            "kafka_server_replicamanager_underminisrpartitioncount 0.0",
            "kafka_server_replicamanager_atminisrpartitioncount 1.0",
            #"kafka_server_replicafetchermanager_maxlag{clientid="Replica"} 42.0"#,
        ] {
            #expect(both.contains(expected), "missing \(expected)")
        }
        // audit-1 moved away: its gauges go; orders-0's stay, with the new figures.
        orders0.logEndOffset = 300
        let one = lines([orders0])
        #expect(!one.contains { $0.contains(#"topic="audit""#) && !$0.hasPrefix("kafka_server_") })
        #expect(one.contains(#"kafka_log_log_logendoffset{topic="orders",partition="0"} 300.0"#))
        #expect(one.contains(#"kafka_server_brokertopicmetrics_replicationbytesin_total{topic="orders"} 240"#))
    }

    @Test func zooKeeperSessionEventsAndLatency() {
        let metrics = BrokerMetrics()
        let transitions: [SessionState] = [
            .connected(sessionID: 1), .connecting, .connected(sessionID: 1), .connecting, .expired, .connecting,
            .connected(sessionID: 2), .authenticationFailed,
        ]
        var previous = SessionState.connecting
        for state in transitions {
            metrics.recordZooKeeperSession(from: previous, to: state)
            previous = state
        }
        metrics.recordZooKeeperRequest(.milliseconds(2))
        let lines = Set(String(decoding: metrics.emit(.init()), as: UTF8.self).split(separator: "\n").map(String.init))
        for expected in [
            "kafka_server_sessionexpirelistener_zookeepersyncconnects_total 3",
            "kafka_server_sessionexpirelistener_zookeeperdisconnects_total 2",
            "kafka_server_sessionexpirelistener_zookeeperexpires_total 1",
            "kafka_server_sessionexpirelistener_zookeeperauthfailures_total 1",
            "kafka_server_zookeeperclientmetrics_zookeeperrequestlatencyms_count 1",
        ] {
            #expect(lines.contains(expected), "missing \(expected)")
        }
        #expect(
            lines.contains {
                $0.hasPrefix(#"kafka_server_zookeeperclientmetrics_zookeeperrequestlatencyms{quantile="0.99"} 2."#)
            }
        )
    }

    @Test func uncleanElectionsAreCountedOnceEach() {
        let metrics = BrokerMetrics()
        func counted(_ total: Int) -> String? {
            var gauges = BrokerMetrics.Gauges()
            gauges.uncleanLeaderElections = total
            return String(decoding: metrics.emit(gauges), as: UTF8.self).split(separator: "\n")
                .first { $0.hasPrefix("kafka_controller_controllerstats_uncleanleaderelections_total ") }
                .map(String.init)
        }
        #expect(counted(0) == "kafka_controller_controllerstats_uncleanleaderelections_total 0")
        #expect(counted(2) == "kafka_controller_controllerstats_uncleanleaderelections_total 2")
        #expect(counted(2) == "kafka_controller_controllerstats_uncleanleaderelections_total 2")
        #expect(counted(3) == "kafka_controller_controllerstats_uncleanleaderelections_total 3")
    }
}
