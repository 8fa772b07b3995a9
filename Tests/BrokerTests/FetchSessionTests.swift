import ClusterTestSupport
import KafkaClient
import KafkaCore
import KafkaProtocol
import NIOCore
import NIOPosix
import Testing

/// Fetch sessions (KIP-227) over the wire, against a real broker: a full fetch with epoch 0 opens a session, an
/// incremental fetch naming no partition reads the whole session and is answered with only the partition that
/// changed, a repeated epoch and an unknown id are refused with Kafka's errors, forgotten partitions leave the
/// session, and epoch -1 closes it.
@Suite("Fetch sessions", .serialized, .timeLimit(.minutes(3)))
struct FetchSessionTests {
    static func produce(_ value: String, partition: Int32) -> ProduceRequest {
        var builder = RecordBatchBuilder()
        builder.append(timestamp: 1, key: nil, value: Array(value.utf8))
        return ProduceRequest(
            acks: 1,
            timeoutMs: 10_000,
            topicData: [
                .init(name: "sessions", partitionData: [.init(index: partition, records: builder.build().buffer)])
            ]
        )
    }

    static func fetch(
        session: Int32,
        epoch: Int32,
        partitions: [(Int32, Int64)],
        forgotten: [Int32] = [],
        maxWaitMs: Int32 = 100
    ) -> FetchRequest {
        FetchRequest(
            replicaID: -1,
            maxWaitMs: maxWaitMs,
            minBytes: 1,
            maxBytes: 1 << 20,
            sessionID: session,
            sessionEpoch: epoch,
            topics: partitions.isEmpty
                ? []
                : [
                    .init(
                        topic: "sessions",
                        partitions: partitions.map {
                            .init(partition: $0.0, fetchOffset: $0.1, partitionMaxBytes: 1 << 20)
                        }
                    )
                ],
            forgottenTopicsData: forgotten.isEmpty ? [] : [.init(topic: "sessions", partitions: forgotten)]
        )
    }

    /// (partition, high watermark, has records) of each partition an answer carries.
    static func carried(_ response: FetchResponse) -> [(Int32, Int64, Bool)] {
        response.responses.flatMap { topic in
            topic.partitions.map { ($0.partitionIndex, $0.highWatermark, ($0.records?.readableBytes ?? 0) > 0) }
        }
    }

    @Test func anIncrementalFetchCarriesOnlyWhatChanged() async throws {
        try await withCluster(brokers: 1) { _, brokers in
            let admin = try KafkaAdminClient(properties: ["bootstrap.servers": brokers[0].bootstrap])
            let created = try await admin.createTopics([NewTopic(name: "sessions", replicaAssignment: [[1], [1], [1]])])
            #expect(created["sessions"].map { (try? $0.get()) != nil } == true)
            await admin.close()
            let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
            let connection = try await KafkaConnection.connect(
                to: BrokerAddress(host: "127.0.0.1", port: brokers[0].port),
                clientID: "sessions",
                group: group
            )
            try await eventually("the partitions to take produces") {
                try await connection.send(Self.produce("a", partition: 0), version: 8)
                    .responses[0].partitionResponses[0].errorCode == .none
            }

            // Epoch 0: a full answer with a new session id.
            let full = try await connection.send(
                Self.fetch(session: 0, epoch: 0, partitions: [(0, 0), (1, 0), (2, 0)]),
                version: 12
            )
            #expect(full.errorCode == .none)
            #expect(full.sessionID != 0)
            #expect(Self.carried(full).map(\.0).sorted() == [0, 1, 2])
            let session = full.sessionID

            // Partition 0's record was read: epoch 1 names only its new position, and with nothing new is answered
            // with no partition.
            let quiet = try await connection.send(
                Self.fetch(session: session, epoch: 1, partitions: [(0, 1)]),
                version: 12
            )
            #expect(quiet.errorCode == .none)
            #expect(quiet.sessionID == session)
            #expect(Self.carried(quiet).isEmpty)

            // A record in partition 1: epoch 2 (still naming nothing) carries partition 1 alone, from offset 0.
            _ = try await connection.send(Self.produce("b", partition: 1), version: 8)
            let news = try await connection.send(Self.fetch(session: session, epoch: 2, partitions: []), version: 12)
            #expect(news.errorCode == .none)
            #expect(Self.carried(news).map(\.0) == [1])
            #expect(Self.carried(news).first?.1 == 1)
            #expect(Self.carried(news).first?.2 == true)

            // Epoch 2 again, and an unknown session, are refused with no partitions.
            let stale = try await connection.send(Self.fetch(session: session, epoch: 2, partitions: []), version: 12)
            #expect(stale.errorCode == .invalidFetchSessionEpoch)
            #expect(stale.responses.isEmpty)
            let unknown = try await connection.send(
                Self.fetch(session: session &+ 1, epoch: 1, partitions: []),
                version: 12
            )
            #expect(unknown.errorCode == .fetchSessionIDNotFound)

            // Epoch 3 moves partition 1 past its record and forgets partition 0: nothing is carried, although
            // partition 0 has a new record at its position.
            _ = try await connection.send(Self.produce("c", partition: 0), version: 8)
            let moved = try await connection.send(
                Self.fetch(session: session, epoch: 3, partitions: [(1, 1)], forgotten: [0]),
                version: 12
            )
            #expect(moved.errorCode == .none)
            #expect(Self.carried(moved).isEmpty)

            // Epoch -1 closes the session: that fetch is answered in full with session id 0, and the id is gone.
            let closing = try await connection.send(
                Self.fetch(session: session, epoch: -1, partitions: [(0, 0)]),
                version: 12
            )
            #expect(closing.sessionID == 0)
            #expect(Self.carried(closing).map(\.0) == [0])
            let gone = try await connection.send(Self.fetch(session: session, epoch: 4, partitions: []), version: 12)
            #expect(gone.errorCode == .fetchSessionIDNotFound)
            connection.close()
            try await group.shutdownGracefully()
        }
    }
}
