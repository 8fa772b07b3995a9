import ClusterTestSupport
import KafkaCore
import KafkaProtocol
import NIOCore
import Synchronization
import Testing

@testable import KafkaClient

/// The Swift consumer against real broker processes: assigned partitions read from where they are told, group
/// members split the partitions and resume from committed offsets, and the offset lookups answer as Kafka does.
@Suite("Consumer", .serialized, .timeLimit(.minutes(5)))
struct ConsumerTests {
    /// Writes `count` records "<prefix>-<i>" with keys "k-<i % 20>" to `topic` and returns them by partition.
    static func produce(
        _ count: Int,
        to topic: String,
        prefix: String = "v",
        bootstrap: String
    ) async throws
        -> [PartitionID: [String]]
    {
        let producer = try KafkaProducer(properties: ["bootstrap.servers": bootstrap, "linger.ms": "2"])
        let written = Mutex<[PartitionID: [(Offset, String)]]>([:])
        for index in 0..<count {
            let value = "\(prefix)-\(index)"
            try await producer.send(topic: topic, key: Array("k-\(index % 20)".utf8), value: Array(value.utf8)) {
                switch $0 {
                case .success(let metadata):
                    written.withLock { $0[metadata.partition, default: []].append((metadata.offset, value)) }
                case .failure(let error):
                    Issue.record("\(value) was not written: \(error)")
                }
            }
        }
        await producer.close()
        return written.withLock { $0 }.mapValues { $0.sorted { $0.0 < $1.0 }.map(\.1) }
    }

    static func consumer(_ bootstrap: String, _ properties: [String: String] = [:]) throws -> KafkaConsumer {
        try KafkaConsumer(
            properties: ["bootstrap.servers": bootstrap, "auto.offset.reset": "earliest"].merging(properties) { $1 }
        )
    }

    /// Polls until `count` records came or `limit` passed.
    static func poll(
        _ consumer: KafkaConsumer,
        until count: Int,
        limit: Duration = .seconds(30)
    ) async throws
        -> [ConsumerRecord]
    {
        var records: [ConsumerRecord] = []
        let deadline = ContinuousClock.now + limit
        while records.count < count, ContinuousClock.now < deadline {
            records += try await consumer.poll(timeout: .milliseconds(500))
        }
        return records
    }

    /// One poll of each consumer at the same time (a rebalance needs every member to poll).
    static func pollTogether(_ consumers: [KafkaConsumer]) async throws -> [ConsumerRecord] {
        try await withThrowingTaskGroup(of: [ConsumerRecord].self) { tasks in
            for consumer in consumers { tasks.addTask { try await consumer.poll(timeout: .milliseconds(300)) } }
            return try await tasks.reduce(into: []) { $0 += $1 }
        }
    }

    @Test func anAssignedPartitionIsReadInOrderFromWhereItIsTold() async throws {
        try await withCluster { _, brokers in
            let bootstrap = brokers[0].bootstrap
            let written = try await Self.produce(900, to: "assigned", bootstrap: bootstrap)
            let consumer = try Self.consumer(bootstrap, ["max.poll.records": "100"])
            let partitions = (PartitionID(0)..<3).map { TopicPartition("assigned", $0) }
            try await consumer.assign(partitions)
            let records = try await Self.poll(consumer, until: 900)
            #expect(records.count == 900)
            for partition in partitions {
                let read = records.filter { $0.partition == partition.partition }
                #expect(read.map { String(buffer: $0.value!) } == written[partition.partition] ?? [])
                #expect(read.map(\.offset) == (0..<Int64(read.count)).map { $0 })
                #expect(try await consumer.position(partition) == Int64(read.count))
            }
            // seek moves the next poll; the end offsets are the counts written.
            let first = partitions[0]
            try await consumer.seek(first, to: 5)
            let again = try await Self.poll(consumer, until: 1)
            #expect(again.first?.offset == 5)
            #expect(again.first.map { String(buffer: $0.value!) } == written[0]?[5])
            let ends = try await consumer.endOffsets(partitions)
            let starts = try await consumer.beginningOffsets(partitions)
            for partition in partitions {
                #expect(ends[partition] == Int64(written[partition.partition]?.count ?? 0))
                #expect(starts[partition] == 0)
            }
            await consumer.close()
            await #expect(throws: ConsumerError.closed) { _ = try await consumer.poll(timeout: .zero) }
        }
    }

    @Test func latestResetReadsOnlyWhatIsWrittenAfterTheStartAndOffsetsForTimesFindsTheFirstAtOrAfter() async throws {
        try await withCluster { _, brokers in
            let bootstrap = brokers[0].bootstrap
            _ = try await Self.produce(50, to: "later", prefix: "old", bootstrap: bootstrap)
            let consumer = try Self.consumer(bootstrap, ["auto.offset.reset": "latest"])
            let partitions = (PartitionID(0)..<3).map { TopicPartition("later", $0) }
            try await consumer.assign(partitions)
            for partition in partitions { _ = try await consumer.position(partition) }
            let before = ContinuousClock.now
            let written = try await Self.produce(30, to: "later", prefix: "new", bootstrap: bootstrap)
            let records = try await Self.poll(consumer, until: 30)
            #expect(records.count == 30)
            #expect(records.allSatisfy { String(buffer: $0.value!).hasPrefix("new-") })
            #expect(written.values.map(\.count).reduce(0, +) == 30)
            _ = before
            let found = try await consumer.offsetsForTimes([partitions[0]: 0, partitions[1]: Int64.max - 1])
            #expect(found[partitions[0]]??.offset == 0)
            #expect(found[partitions[1]] == .some(nil))
            await consumer.close()
        }
    }

    @Test func groupMembersSplitThePartitionsAndResumeFromCommittedOffsets() async throws {
        try await withCluster(properties: ["num.partitions": "6"]) { _, brokers in
            let bootstrap = brokers[0].bootstrap
            let written = try await Self.produce(1_200, to: "grouped", bootstrap: bootstrap)
            let group = ["group.id": "g1", "enable.auto.commit": "false", "heartbeat.interval.ms": "500"]
            let first = try Self.consumer(bootstrap, group)
            let second = try Self.consumer(bootstrap, group)
            try await first.subscribe(topics: ["grouped"])
            try await second.subscribe(topics: ["grouped"])
            // Both poll until the group settled with both members (each owning three partitions) and all is read.
            var seen: [String: Int] = [:]
            let deadline = ContinuousClock.now + .seconds(60)
            while ContinuousClock.now < deadline {
                for record in try await Self.pollTogether([first, second]) {
                    seen[String(buffer: record.value!), default: 0] += 1
                }
                let firstCount = await first.assignedPartitions().count
                let secondCount = await second.assignedPartitions().count
                if seen.count == 1_200, firstCount == 3, secondCount == 3 { break }
            }
            #expect(seen.count == 1_200)
            #expect(Set(seen.keys) == Set(written.values.joined()))
            let firstOwned = Set(await first.assignedPartitions())
            let secondOwned = Set(await second.assignedPartitions())
            #expect(firstOwned.count == 3 && secondOwned.count == 3)
            #expect(firstOwned.isDisjoint(with: secondOwned))
            // Commit, leave; a new member of the group starts where the commits say, reading nothing again.
            try await first.commitSync()
            try await second.commitSync()
            let committed = try await first.committed(Array(firstOwned))
            for partition in firstOwned {
                #expect(committed[partition]?.offset == Int64(written[partition.partition]?.count ?? 0))
            }
            await first.close()
            await second.close()
            let more = try await Self.produce(60, to: "grouped", prefix: "more", bootstrap: bootstrap)
            let third = try Self.consumer(bootstrap, group)
            try await third.subscribe(topics: ["grouped"])
            let records = try await Self.poll(third, until: 60)
            #expect(records.count == 60)
            #expect(Set(records.map { String(buffer: $0.value!) }) == Set(more.values.joined()))
            #expect(Set(await third.assignedPartitions()).count == 6)
            await third.close()
        }
    }

    @Test func aPatternSubscriptionReadsEveryMatchingTopic() async throws {
        try await withCluster { _, brokers in
            let bootstrap = brokers[0].bootstrap
            _ = try await Self.produce(30, to: "metrics-a", bootstrap: bootstrap)
            _ = try await Self.produce(30, to: "metrics-b", bootstrap: bootstrap)
            _ = try await Self.produce(30, to: "other", bootstrap: bootstrap)
            let consumer = try Self.consumer(bootstrap, ["group.id": "patterned"])
            try await consumer.subscribe(pattern: "metrics-.*")
            let records = try await Self.poll(consumer, until: 60)
            #expect(records.count == 60)
            #expect(Set(records.map(\.topic)) == ["metrics-a", "metrics-b"])
            #expect(await consumer.subscribedTopics() == ["metrics-a", "metrics-b"])
            await consumer.close()
        }
    }

    /// Counts the rebalance callbacks a member gets.
    final class RebalanceCounter: ConsumerRebalanceListener {
        let revoked = Mutex(0)
        let assigned = Mutex<[[TopicPartition]]>([])

        func partitionsRevoked(_ partitions: [TopicPartition], consumer: KafkaConsumer) async {
            revoked.withLock { $0 += 1 }
        }

        func partitionsAssigned(_ partitions: [TopicPartition], consumer: KafkaConsumer) async {
            assigned.withLock { $0.append(partitions) }
        }
    }

    @Test func aStaticMemberRestartedWithinTheSessionTimeoutTakesItsPartitionsBackWithoutARebalance() async throws {
        try await withCluster(properties: ["num.partitions": "4"]) { _, brokers in
            let bootstrap = brokers[0].bootstrap
            _ = try await Self.produce(40, to: "static", bootstrap: bootstrap)
            func member(_ instance: String) throws -> KafkaConsumer {
                try Self.consumer(
                    bootstrap,
                    [
                        "group.id": "statics", "group.instance.id": instance, "session.timeout.ms": "30000",
                        "heartbeat.interval.ms": "500",
                    ]
                )
            }
            let first = try member("one")
            let second = try member("two")
            let watcher = RebalanceCounter()
            try await first.subscribe(topics: ["static"])
            try await second.subscribe(topics: ["static"], listener: watcher)
            let deadline = ContinuousClock.now + .seconds(60)
            while ContinuousClock.now < deadline {
                _ = try await Self.pollTogether([first, second])
                let counts = (await first.assignedPartitions().count, await second.assignedPartitions().count)
                if counts.0 == 2, counts.1 == 2 { break }
            }
            let firstOwned = await first.assignedPartitions()
            #expect(firstOwned.count == 2)
            let revocationsBefore = watcher.revoked.withLock { $0 }
            // The static member goes away without LeaveGroup and comes back under the same instance id.
            await first.close()
            let again = try member("one")
            try await again.subscribe(topics: ["static"])
            let rejoined = ContinuousClock.now + .seconds(30)
            while await again.assignedPartitions().isEmpty, ContinuousClock.now < rejoined {
                _ = try await Self.pollTogether([again, second])
            }
            for _ in 0..<5 { _ = try await Self.pollTogether([again, second]) }
            #expect(await again.assignedPartitions() == firstOwned)
            #expect(watcher.revoked.withLock { $0 } == revocationsBefore, "the other member saw no rebalance")
            await again.close()
            await second.close()
        }
    }

    @Test func misuseIsRefusedByName() async throws {
        #expect(throws: ConfigError.self) {
            try KafkaConsumer(properties: ["bootstrap.servers": "127.0.0.1:1", "group.idd": "x"])
        }
        #expect(throws: ConfigError.self) {
            try KafkaConsumer(
                properties: ["bootstrap.servers": "127.0.0.1:1", "partition.assignment.strategy": "fastest"]
            )
        }
        let consumer = try KafkaConsumer(properties: ["bootstrap.servers": "127.0.0.1:1"])
        await #expect(throws: ConsumerError.illegalState("subscribe needs a group.id")) {
            try await consumer.subscribe(topics: ["t"])
        }
        await #expect(throws: ConsumerError.illegalState("t-0 is not assigned")) {
            try await consumer.seek(TopicPartition("t", 0), to: 1)
        }
        await consumer.close()
    }
}
