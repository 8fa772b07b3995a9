import KafkaMirror
import Testing

/// `mm2.properties` into flows as Kafka 2.8's `MirrorMakerConfig` does: cluster keys, flow overrides over bare
/// keys, heartbeat-only flows, the worker group and internal topics on the target.
@Suite struct MirrorMakerConfigTests {
    let properties = [
        "clusters": "A, B",
        "A.bootstrap.servers": "a:9092",
        "A.consumer.fetch.min.bytes": "1",
        "B.bootstrap.servers": "b:9092",
        "B.producer.linger.ms": "5",
        "A->B.enabled": "true",
        "A->B.topics": "orders.*",
        "topics": "everything.*",
        "replication.factor": "1",
        "offset.flush.interval.ms": "1000",
    ]

    @Test func flowsAndTheirConnectors() throws {
        let config = try MirrorMakerConfig(properties)
        #expect(config.clusters == ["A", "B"])
        #expect(config.flows.map(\.name) == ["A->B", "B->A"])
        let forward = config.flows[0]
        #expect(forward.enabled)
        #expect(
            forward.connectors.map { $0["name"] } == [
                "MirrorSourceConnector", "MirrorCheckpointConnector", "MirrorHeartbeatConnector",
            ]
        )
        let source = forward.connectors[0]
        #expect(source["connector.class"] == "org.apache.kafka.connect.mirror.MirrorSourceConnector")
        #expect(source["topics"] == "orders.*", "the flow's key wins over the bare one")
        #expect(source["replication.factor"] == "1")
        #expect(source["source.cluster.alias"] == "A" && source["target.cluster.alias"] == "B")
        #expect(source["source.cluster.bootstrap.servers"] == "a:9092")
        #expect(source["source.cluster.consumer.fetch.min.bytes"] == "1")
        #expect(source["target.cluster.bootstrap.servers"] == "b:9092")
        #expect(source["offset.flush.interval.ms"] == nil, "a worker key, not a connector one")
        #expect(source["enabled"] == "true")
        // The reverse flow is not enabled but still beats, so A knows B is there.
        let reverse = config.flows[1]
        #expect(!reverse.enabled)
        #expect(reverse.connectors.map { $0["name"] } == ["MirrorHeartbeatConnector"])
        #expect(reverse.connectors[0]["topics"] == "everything.*")
    }

    @Test func theWorkerLivesOnTheTarget() throws {
        let worker = try MirrorMakerConfig(properties).flows[0].worker
        #expect(worker["bootstrap.servers"] == "b:9092")
        #expect(worker["producer.linger.ms"] == "5")
        #expect(worker["group.id"] == "A-mm2")
        #expect(worker["config.storage.topic"] == "mm2-configs.A.internal")
        #expect(worker["offset.storage.topic"] == "mm2-offsets.A.internal")
        #expect(worker["status.storage.topic"] == "mm2-status.A.internal")
        #expect(worker["offset.flush.interval.ms"] == "1000")
        #expect(worker["scheduled.rebalance.max.delay.ms"] == "0")
        for converter in ["key.converter", "value.converter", "header.converter"] {
            #expect(worker[converter] == "org.apache.kafka.connect.converters.ByteArrayConverter")
        }
    }

    @Test func heartbeatsOffLeavesOnlyEnabledFlows() throws {
        var properties = self.properties
        properties["emit.heartbeats.enabled"] = "false"
        let config = try MirrorMakerConfig(properties)
        #expect(config.flows.map(\.name) == ["A->B"])
        // As in Kafka, the flow still has its heartbeat connector, told to plan no task.
        #expect(config.flows[0].connectors.count == 3)
        #expect(config.flows[0].connectors[2]["emit.heartbeats.enabled"] == "false")
        #expect(try MirrorMakerConfig(self.properties, only: ["A"]).flows.map(\.name) == ["B->A"])
    }

    @Test func mistakesAreNamed() {
        #expect(throws: MirrorConfigError(key: "clusters", reason: "no clusters are named (clusters = A, B)")) {
            try MirrorMakerConfig([:])
        }
        #expect(throws: MirrorConfigError.self) {
            try MirrorMakerConfig(["clusters": "A, B", "A.bootstrap.servers": "a"])
        }
        var bad = properties
        bad["A->B.enabled"] = "yes"
        #expect(throws: MirrorConfigError(key: "A->B.enabled", reason: "yes is not true or false")) {
            try MirrorMakerConfig(bad)
        }
        #expect(throws: MirrorConfigError.self) { try MirrorMakerConfig(properties, only: ["C"]) }
    }
}
