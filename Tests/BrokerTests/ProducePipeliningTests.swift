import ClusterTestSupport
import KafkaClient
import KafkaCore
import KafkaProtocol
import NIOCore
import NIOPosix
import Synchronization
import Testing

/// A connection's acks=all Produce waiting for its in-sync replicas does not hold back the requests behind it:
/// they are read and appended meanwhile, and every response still comes back in request order. Three real brokers;
/// one follower is stopped (SIGSTOP) so the first produce cannot complete until it is resumed.
@Suite("Produce pipelining", .serialized, .timeLimit(.minutes(5)))
struct ProducePipeliningTests {
    /// The names of the answers, in the order they arrived.
    final class Arrivals: Sendable {
        let names = Mutex<[String]>([])
    }

    static func produce(_ value: String, acks: Int16) -> ProduceRequest {
        var builder = RecordBatchBuilder()
        builder.append(timestamp: 1, key: nil, value: Array(value.utf8))
        return ProduceRequest(
            acks: acks,
            timeoutMs: 120_000,
            topicData: [.init(name: "overlap", partitionData: [.init(index: 0, records: builder.build().buffer)])]
        )
    }

    /// The leader's log end offset (ListOffsets v0 from a debugging replica id reads past the high watermark) and
    /// its high watermark (ListOffsets latest, as a consumer sees it); -1 for either when the broker does not lead
    /// the partition (yet).
    static func offsets(_ connection: KafkaConnection) async throws -> (logEnd: Int64, highWatermark: Int64) {
        let partitions = [ListOffsetsRequest.ListOffsetsPartition(partitionIndex: 0, timestamp: -1)]
        let debug = try await connection.send(
            ListOffsetsRequest(replicaID: -2, topics: [.init(name: "overlap", partitions: partitions)]),
            version: 0
        )
        let consumer = try await connection.send(
            ListOffsetsRequest(replicaID: -1, topics: [.init(name: "overlap", partitions: partitions)]),
            version: 1
        )
        return (
            debug.topics[0].partitions[0].oldStyleOffsets.first ?? -1,
            consumer.topics[0].partitions[0].offset
        )
    }

    @Test func aWaitingAcksAllProduceLetsTheNextRequestsInAndAnswersInOrder() async throws {
        try await withCluster(brokers: 3, properties: ["replica.lag.time.max.ms": "120000"]) { _, brokers in
            let admin = try KafkaAdminClient(properties: ["bootstrap.servers": brokers[0].bootstrap])
            let created = try await admin.createTopics([NewTopic(name: "overlap", replicaAssignment: [[1, 2, 3]])])
            #expect(created["overlap"].map { (try? $0.get()) != nil } == true)
            try await eventually("all three replicas in sync") {
                let partition = try await admin.describeTopics(["overlap"]).first?.partitions.first
                return partition?.leader == 1 && partition?.isr.count == 3
            }
            await admin.close()
            let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
            let address = BrokerAddress(host: "127.0.0.1", port: brokers[0].port)
            let producer = try await KafkaConnection.connect(to: address, clientID: "p", group: group)
            let observer = try await KafkaConnection.connect(to: address, clientID: "o", group: group)

            // The describe above reads broker 1's metadata cache, which may name it leader before it has made its
            // log and serves the partition; a produce sent before that is refused (NOT_LEADER_OR_FOLLOWER).
            try await eventually("broker 1 to serve the partition as its leader") {
                try await Self.offsets(observer) == (logEnd: 0, highWatermark: 0)
            }
            brokers[2].process?.pause()
            let first = producer.write(Self.produce("first", acks: -1), version: 7, timeout: nil)
            let second = producer.write(Self.produce("second", acks: -1), version: 7, timeout: nil)
            let third = producer.write(Self.produce("third", acks: 1), version: 7, timeout: nil)
            // The order the answers arrive in (the third, acks=1, is done first on the broker).
            let arrivals = Arrivals()
            for (name, answer) in [("first", first), ("second", second), ("third", third)] {
                answer.whenComplete { _ in arrivals.names.withLock { $0.append(name) } }
            }
            // All three appended while the first still waits for broker 3 (nothing is committed yet).
            try await eventually(timeout: .seconds(20), "the requests behind the waiting one to be appended") {
                try await Self.offsets(observer) == (logEnd: 3, highWatermark: 0)
            }
            brokers[2].process?.resume()

            let answers = [try await first.get(), try await second.get(), try await third.get()]
            let partitions = answers.map { $0.responses[0].partitionResponses[0] }
            #expect(partitions.map(\.errorCode) == [.none, .none, .none])
            #expect(partitions.map(\.baseOffset) == [0, 1, 2])
            #expect(arrivals.names.withLock { $0 } == ["first", "second", "third"])
            try await eventually("the high watermark to reach the log end") {
                try await Self.offsets(observer) == (logEnd: 3, highWatermark: 3)
            }
            producer.close()
            observer.close()
            try await group.shutdownGracefully()
        }
    }
}
