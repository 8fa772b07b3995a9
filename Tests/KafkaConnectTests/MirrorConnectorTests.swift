import KafkaConnect
import Testing

@testable import ConnectRuntime

/// MirrorMaker 2's connectors without clusters: when offset syncs are due (Kafka 3.5's rule), the connector
/// settings, the task partition lists, and how partitions and groups are dealt to tasks.
@Suite struct MirrorConnectorTests {
    @Test func offsetSyncsFollowKafka35() {
        var state = OffsetSyncState(maxOffsetLag: 100)
        let first = state.update(upstream: 0, downstream: 0)
        #expect(first, "the first record syncs")
        // A one-to-one copy syncs again once a group there would land 100 records behind.
        var synced: [Int64] = []
        for offset in Int64(1)..<350 where state.update(upstream: offset, downstream: offset) { synced.append(offset) }
        #expect(synced == [101, 202, 303])
        // A gap upstream (compaction, transaction markers) syncs at once, and so does the target going backwards.
        let gap = state.update(upstream: 360, downstream: 350)
        let next = state.update(upstream: 361, downstream: 351)
        let backwards = state.update(upstream: 362, downstream: 10)
        #expect(gap && !next && backwards)
    }

    @Test func settingsAndClientKeys() throws {
        let properties = [
            "source.cluster.alias": "A", "target.cluster.alias": "B",
            "source.cluster.bootstrap.servers": "a:9092", "source.cluster.consumer.fetch.min.bytes": "1",
            "source.cluster.producer.linger.ms": "5", "topics": "orders, pay.*",
            "emit.heartbeats.interval.seconds": "0.5", "refresh.topics.enabled": "false",
        ]
        let settings = try MirrorConnectorConfig(properties)
        #expect(
            settings.sourceClient("consumer", properties) == ["bootstrap.servers": "a:9092", "fetch.min.bytes": "1"]
        )
        #expect(settings.sourceClient("producer", properties) == ["bootstrap.servers": "a:9092", "linger.ms": "5"])
        #expect(settings.topics.matches("payments") && !settings.topics.matches("orders2"))
        #expect(settings.emitHeartbeatsInterval == .milliseconds(500))
        #expect(settings.refreshTopicsInterval == nil)
        #expect(settings.syncGroupOffsetsInterval == nil, "off by default, as in Kafka 2.8")
        #expect(settings.replicationFactor == 2 && settings.offsetLagMax == 100)
        #expect(throws: ConnectConfigError.self) { try MirrorConnectorConfig([:]) }
        #expect(throws: ConnectConfigError.self) {
            try MirrorConnectorConfig(["source.cluster.alias": "A", "replication.policy.class": "x.Custom"])
        }
    }

    @Test func assignedPartitionsKeepDashedTopicNames() throws {
        let parsed = try MirrorSourceTask.parse("orders-eu-0,orders-eu-11,a-1")
        #expect(parsed.map { "\($0.topic)/\($0.partition)" } == ["orders-eu/0", "orders-eu/11", "a/1"])
        #expect(throws: ConnectConfigError.self) { try MirrorSourceTask.parse("nopartition") }
    }

    @Test func sourcePartitionAndOffsetAreMm2s() {
        let partition = MirrorSourceTask.sourcePartition("A", .init("orders", 3))
        #expect(
            SourceOffsets.key(connector: "MirrorSourceConnector", partition: partition)
                == #"["MirrorSourceConnector",{"cluster":"A","partition":3,"topic":"orders"}]"#
        )
        #expect(MirrorSourceTask.offset(in: .stringMap(["offset": .int64(41)])) == 41)
        #expect(MirrorSourceTask.offset(in: .stringMap(["position": .int64(41)])) == nil)
    }
}
