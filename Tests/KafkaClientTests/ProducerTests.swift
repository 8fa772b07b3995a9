import ClusterTestSupport
import KafkaCore
import KafkaProtocol
import NIOCore
import NIOPosix
import Synchronization
import Testing

@testable import KafkaClient

/// The Swift producer against real broker processes: keyed records land on Java's partitions at the offsets it
/// reports, every codec and acks setting writes what was sent, and the bad cases fail only the records concerned.
@Suite("Producer", .serialized, .timeLimit(.minutes(5)))
struct ProducerTests {
    static func producer(_ bootstrap: String, _ properties: [String: String] = [:]) throws -> KafkaProducer {
        try KafkaProducer(properties: ["bootstrap.servers": bootstrap, "linger.ms": "5"].merging(properties) { $1 })
    }

    /// Every record of `partition` from offset 0, read with Fetch as a consumer would.
    static func readAll(_ partition: TopicPartition, from bootstrap: String) async throws -> [Record] {
        let port = Int(bootstrap.split(separator: ":")[1])!
        let connection = try await KafkaConnection.connect(
            to: BrokerAddress(host: "127.0.0.1", port: port),
            clientID: "reader",
            group: MultiThreadedEventLoopGroup.singleton
        )
        defer { connection.close() }
        var records: [Record] = []
        while true {
            let request = FetchRequest(
                replicaID: -1,
                maxWaitMs: 0,
                minBytes: 0,
                maxBytes: 1 << 24,
                topics: [
                    .init(
                        topic: partition.topic,
                        partitions: [
                            .init(
                                partition: partition.partition,
                                fetchOffset: Int64(records.last.map { $0.offset + 1 } ?? 0),
                                partitionMaxBytes: 1 << 22
                            )
                        ]
                    )
                ]
            )
            let response = try await connection.send(request, version: 4)
            guard let data = response.responses.first?.partitions.first, data.errorCode == KafkaErrorCode.none,
                var bytes = data.records, bytes.readableBytes > 0
            else { return records }
            var progressed = false
            while let batch = try RecordBatch.nextBatch(from: &bytes) {
                for record in try batch.records(decompressionLimit: 1 << 26)
                where record.offset >= (records.last.map { $0.offset + 1 } ?? 0) {
                    records.append(record)
                    progressed = true
                }
            }
            if !progressed { return records }
        }
    }

    @Test func keyedRecordsLandOnJavasPartitionsAtTheOffsetsReported() async throws {
        try await withCluster { _, brokers in
            let producer = try Self.producer(brokers[0].bootstrap)
            let written = try await withThrowingTaskGroup(of: (Int, RecordMetadata).self) { tasks in
                for index in 0..<2_000 {
                    tasks.addTask {
                        let metadata = try await producer.send(
                            topic: "keyed",
                            key: Array("key-\(index % 50)".utf8),
                            value: Array("value-\(index)".utf8)
                        )
                        return (index, metadata)
                    }
                }
                return try await tasks.reduce(into: [Int: RecordMetadata]()) { $0[$1.0] = $1.1 }
            }
            await producer.close()
            #expect(written.count == 2_000)
            for (index, metadata) in written {
                // Three partitions (num.partitions=3): Java's toPositive(murmur2(key)) % 3.
                #expect(metadata.partition == Partitioner.partition(forKey: Array("key-\(index % 50)".utf8), count: 3))
            }
            for partition in PartitionID(0)..<3 {
                let records = try await Self.readAll(TopicPartition("keyed", partition), from: brokers[0].bootstrap)
                let reported = written.filter { $0.value.partition == partition }
                #expect(records.count == reported.count)
                let byOffset = Dictionary(uniqueKeysWithValues: records.map { ($0.offset, $0) })
                for (index, metadata) in reported {
                    let record = try #require(byOffset[metadata.offset])
                    #expect(record.value.map { String(buffer: $0) } == "value-\(index)")
                    #expect(record.key.map { String(buffer: $0) } == "key-\(index % 50)")
                }
            }
        }
    }

    @Test func everyCodecAndAcksSettingWritesWhatWasSent() async throws {
        try await withCluster { _, brokers in
            for codec in CompressionCodec.allCases {
                for acks in ["0", "1", "all"] {
                    let topic = "c-\(codec)-\(acks)"
                    if acks == "0" {
                        // acks=0 learns nothing of a refusal: a send before the broker leads the new topic's
                        // partition is dropped (Kafka's semantics), so the topic gets its leader first.
                        let port = Int(brokers[0].bootstrap.split(separator: ":")[1])!
                        let connection = try await KafkaConnection.connect(
                            to: BrokerAddress(host: "127.0.0.1", port: port),
                            clientID: "leader-wait",
                            group: MultiThreadedEventLoopGroup.singleton
                        )
                        defer { connection.close() }
                        try await ConnectionPoolTests.waitForLeader(of: topic, over: connection)
                    }
                    let producer = try Self.producer(
                        brokers[0].bootstrap,
                        ["compression.type": "\(codec)", "acks": acks, "enable.idempotence": "\(acks == "all")"]
                    )
                    let offsets = Mutex<[Int64]>([])
                    for index in 0..<300 {
                        try await producer.send(
                            topic: topic,
                            value: Array(repeating: UInt8(index % 251), count: 100),
                            partition: 0
                        ) { result in
                            if case .success(let metadata) = result { offsets.withLock { $0.append(metadata.offset) } }
                        }
                    }
                    await producer.close()
                    let reported = offsets.withLock { $0 }
                    #expect(reported.count == 300, "\(topic)")
                    if acks == "0" {
                        #expect(reported.allSatisfy { $0 == -1 })
                    } else {
                        #expect(reported.sorted() == (0..<300).map(Int64.init), "\(topic)")
                    }
                    // acks=0: close() returns once the requests are written, so the broker may still be appending.
                    var records = try await Self.readAll(TopicPartition(topic, 0), from: brokers[0].bootstrap)
                    let deadline = ContinuousClock.now + .seconds(10)
                    while acks == "0", records.count < 300, .now < deadline {
                        try await Task.sleep(for: .milliseconds(50))
                        records = try await Self.readAll(TopicPartition(topic, 0), from: brokers[0].bootstrap)
                    }
                    #expect(records.count == 300, "\(topic)")
                    #expect(
                        records.enumerated().allSatisfy {
                            $1.value?.getInteger(at: 0, as: UInt8.self) == UInt8($0 % 251)
                        }
                    )
                }
            }
        }
    }

    @Test func aRecordAboveTheBrokersLimitFailsAloneWithMessageTooLarge() async throws {
        try await withCluster(properties: ["message.max.bytes": "20000"]) { _, brokers in
            let producer = try Self.producer(brokers[0].bootstrap)
            let before = try await producer.send(topic: "limits", value: Array(repeating: 1, count: 100), partition: 0)
            await #expect {
                _ = try await producer.send(topic: "limits", value: Array(repeating: 2, count: 30_000), partition: 0)
            } throws: { error in
                guard case .broker(let code, _)? = error as? ProducerError else { return false }
                return code == .messageTooLarge
            }
            let after = try await producer.send(topic: "limits", value: Array(repeating: 3, count: 100), partition: 0)
            #expect(after.offset == before.offset + 1)
            await producer.close()
        }
    }

    @Test func partitionsAddedToATopicTakeRecordsAfterTheNextMetadataRefresh() async throws {
        try await withCluster { _, brokers in
            let admin = try KafkaAdminClient(properties: ["bootstrap.servers": brokers[0].bootstrap])
            try await admin.createTopics([NewTopic(name: "growing", numPartitions: 2, replicationFactor: 1)])[
                "growing"
            ]?
            .get()
            let producer = try Self.producer(brokers[0].bootstrap, ["metadata.max.age.ms": "300"])
            let keys = (0..<64).map { Array("key-\($0)".utf8) }
            for key in keys {
                let written = try await producer.send(topic: "growing", key: key, value: [1])
                #expect(written.partition == Partitioner.partition(forKey: key, count: 2))
            }
            try await admin.createPartitions(["growing": 4])["growing"]?.get()
            // After a refresh (300 ms) keys go modulo 4, as the Java producer's do; until then modulo 2.
            var seen = Set<Int32>()
            let deadline = ContinuousClock.now + .seconds(20)
            while seen.count < 4, .now < deadline {
                for key in keys {
                    let written = try await producer.send(topic: "growing", key: key, value: [2])
                    #expect(
                        written.partition == Partitioner.partition(forKey: key, count: 2)
                            || written.partition == Partitioner.partition(forKey: key, count: 4)
                    )
                    seen.insert(written.partition)
                }
            }
            #expect(seen == [0, 1, 2, 3])
            await producer.close()
            await admin.close()
        }
    }

    @Test func aTopicThatCannotBeMadeAndAnUnreachableClusterFailWithinMaxBlock() async throws {
        try await withCluster(properties: ["auto.create.topics.enable": "false"]) { _, brokers in
            let producer = try Self.producer(brokers[0].bootstrap, ["max.block.ms": "1500"])
            await #expect(
                throws: ProducerError.broker(
                    .unknownTopicOrPartition,
                    message: "topic nowhere: UNKNOWN_TOPIC_OR_PARTITION (3)"
                )
            ) {
                _ = try await producer.send(topic: "nowhere", value: [1])
            }
            await producer.close()
        }
        let port = try FreePort.allocate()[0]
        let unreachable = try Self.producer("127.0.0.1:\(port)", ["max.block.ms": "1000"])
        await #expect {
            _ = try await unreachable.send(topic: "t", value: [1])
        } throws: { error in
            guard case .timedOut(let what)? = error as? ProducerError else { return false }
            return what.contains("metadata of t")
        }
        await unreachable.close()
    }
}
