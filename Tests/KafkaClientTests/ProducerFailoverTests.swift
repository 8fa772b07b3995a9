import ClusterTestSupport
import KafkaCore
import NIOCore
import Synchronization
import Testing

@testable import KafkaClient

/// The idempotent producer across a leader killed with SIGKILL (three brokers, replication 3, min.insync 2):
/// every acknowledged record is in the log once, none is lost, and each key's records keep their order.
@Suite("Producer failover", .serialized, .timeLimit(.minutes(6)))
struct ProducerFailoverTests {
    @Test func anIdempotentProducerLosesAndDuplicatesNothingWhenALeaderIsKilled() async throws {
        try await withCluster(brokers: 3) { _, brokers in
            let bootstrap = brokers.map(\.bootstrap).joined(separator: ",")
            let admin = try KafkaAdminClient(properties: ["bootstrap.servers": bootstrap])
            let created = try await admin.createTopics([
                NewTopic(
                    name: "failover",
                    numPartitions: 3,
                    replicationFactor: 3,
                    configs: ["min.insync.replicas": "2"]
                )
            ])
            try created["failover"]?.get()
            let producer = try KafkaProducer(properties: [
                "bootstrap.servers": bootstrap, "linger.ms": "2", "request.timeout.ms": "5000",
            ])
            let total = 20_000
            let acknowledged = Mutex<[Int: RecordMetadata]>([:])
            let failures = Mutex<[String]>([])
            var killed: Int32?
            for index in 0..<total {
                let key = "k-\(index % 100)"
                try await producer.send(topic: "failover", key: Array(key.utf8), value: Array("\(key):\(index)".utf8)) {
                    switch $0 {
                    case .success(let metadata): acknowledged.withLock { $0[index] = metadata }
                    case .failure(let error): failures.withLock { $0.append("\(index): \(error)") }
                    }
                }
                if index == total / 3 {
                    await producer.flush()
                    // Kill the leader of partition 0 while the rest is still being sent.
                    let leader = try #require(
                        try await admin.describeTopics(["failover"]).first?.partitions.first?.leader
                    )
                    killed = leader
                    await brokers[Int(leader) - 1].kill()
                }
            }
            await producer.close()
            #expect(failures.withLock { $0 }.isEmpty, "\(failures.withLock { $0.prefix(5) })")
            #expect(acknowledged.withLock { $0.count } == total)

            // Read everything back from the brokers left.
            let survivors = brokers.filter { $0.id != killed }.map(\.bootstrap).joined(separator: ",")
            let consumer = try KafkaConsumer(properties: [
                "bootstrap.servers": survivors, "auto.offset.reset": "earliest",
            ])
            try await consumer.assign((0..<3).map { TopicPartition("failover", $0) })
            var records: [ConsumerRecord] = []
            let deadline = ContinuousClock.now + .seconds(90)
            while records.count < total, ContinuousClock.now < deadline {
                records += try await consumer.poll(timeout: .milliseconds(500))
            }
            await consumer.close()
            let values = records.map { String(buffer: $0.value!) }
            #expect(values.count == total, "read \(values.count) of \(total)")
            #expect(Set(values).count == values.count, "no record twice")
            // Each acknowledged record is where the producer was told it is.
            let byPosition = Dictionary(
                records.map { ("\($0.partition):\($0.offset)", String(buffer: $0.value!)) },
                uniquingKeysWith: { first, _ in first }
            )
            let misplaced = acknowledged.withLock { written in
                written.filter { index, metadata in
                    byPosition["\(metadata.partition):\(metadata.offset)"] != "k-\(index % 100):\(index)"
                }.count
            }
            #expect(misplaced == 0)
            // Per key, the records are in the order they were sent.
            var last: [String: Int] = [:]
            var outOfOrder = 0
            for record in records.sorted(by: { ($0.partition, $0.offset) < ($1.partition, $1.offset) }) {
                let parts = String(buffer: record.value!).split(separator: ":")
                let (key, index) = (String(parts[0]), Int(parts[1])!)
                if let previous = last[key], previous > index { outOfOrder += 1 }
                last[key] = index
            }
            #expect(outOfOrder == 0)
            await admin.close()
        }
    }
}
