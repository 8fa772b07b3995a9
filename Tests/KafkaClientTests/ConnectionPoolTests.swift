import ClusterTestSupport
import KafkaClient
import KafkaCore
import KafkaProtocol
import NIOPosix
import Testing

/// The wire client against a real broker process: pipelining, timeouts, cancellation, reconnection.
@Suite("Connections and the pool", .serialized, .timeLimit(.minutes(3)))
struct ConnectionPoolTests {
    static func address(_ broker: BrokerProcess) -> BrokerAddress {
        BrokerAddress(host: "127.0.0.1", port: broker.port)
    }

    /// A Fetch the broker holds for `maxWaitMs` (nothing to read, min bytes unreachable).
    static func heldFetch(topic: String, maxWaitMs: Int32) -> FetchRequest {
        FetchRequest(
            replicaID: -1,
            maxWaitMs: maxWaitMs,
            minBytes: 1 << 20,
            maxBytes: 1 << 20,
            topics: [.init(topic: topic, partitions: [.init(partition: 0, fetchOffset: 0, partitionMaxBytes: 1 << 20)])]
        )
    }

    /// Asks for `topic` (auto-created) until broker 1 leads its partition 0 and serves it: Metadata may name the
    /// leader (UpdateMetadata) before the broker has taken the partition on (LeaderAndIsr), as in Kafka.
    static func waitForLeader(of topic: String, over connection: KafkaConnection) async throws {
        try await eventually(timeout: .seconds(30), "\(topic) to have a leader") {
            let metadata = try await connection.send(MetadataRequest(topics: [.init(name: topic)]), version: 4)
            guard metadata.topics.first?.partitions.first?.leaderID == 1 else { return false }
            let latest = ListOffsetsRequest(
                replicaID: -1,
                topics: [.init(name: topic, partitions: [.init(partitionIndex: 0, timestamp: -1)])]
            )
            let answer = try await connection.send(latest, version: 1)
            return answer.topics.first?.partitions.first?.errorCode == KafkaErrorCode.none
        }
    }

    @Test func pipelinedRequestsOnOneConnectionEachGetTheirOwnAnswer() async throws {
        try await withCluster { _, brokers in
            let connection = try await KafkaConnection.connect(
                to: Self.address(brokers[0]),
                clientID: "pipelined",
                group: MultiThreadedEventLoopGroup.singleton
            )
            defer { connection.close() }
            // 50 concurrent requests of different kinds over one socket, written without waiting for answers.
            let answers = try await withThrowingTaskGroup(of: (Int, Bool).self) { tasks in
                for index in 0..<50 {
                    tasks.addTask {
                        if index.isMultiple(of: 2) {
                            let metadata = try await connection.send(MetadataRequest(topics: nil), version: 1)
                            return (index, metadata.brokers.map(\.nodeID) == [1])
                        }
                        let versions = try await connection.send(ApiVersionsRequest(), version: 3)
                        return (index, versions.errorCode == .none && versions.apiKeys.contains { $0.apiKey == 1 })
                    }
                }
                return try await tasks.reduce(into: [Int: Bool]()) { $0[$1.0] = $1.1 }
            }
            #expect(answers.count == 50)
            #expect(answers.values.allSatisfy { $0 })
        }
    }

    @Test func aRequestTimesOutAloneAndTheConnectionStaysUsable() async throws {
        try await withCluster(properties: ["auto.create.topics.enable": "true"]) { _, brokers in
            let connection = try await KafkaConnection.connect(
                to: Self.address(brokers[0]),
                clientID: "timeouts",
                group: MultiThreadedEventLoopGroup.singleton
            )
            defer { connection.close() }
            try await Self.waitForLeader(of: "held", over: connection)
            await #expect(throws: KafkaConnection.TimedOut.self) {
                _ = try await connection.send(
                    Self.heldFetch(topic: "held", maxWaitMs: 3000),
                    version: 4,
                    timeout: .milliseconds(200)
                )
            }
            // The held fetch is still in the broker; a later request on the same connection is answered after it.
            let after = try await connection.send(ApiVersionsRequest(), version: 0)
            #expect(after.errorCode == .none)
            #expect(connection.isOpen)
        }
    }

    @Test func aCancelledRequestFailsAtOnce() async throws {
        try await withCluster(properties: ["auto.create.topics.enable": "true"]) { _, brokers in
            let connection = try await KafkaConnection.connect(
                to: Self.address(brokers[0]),
                clientID: "cancel",
                group: MultiThreadedEventLoopGroup.singleton
            )
            defer { connection.close() }
            try await Self.waitForLeader(of: "c", over: connection)
            let held = Task { try await connection.send(Self.heldFetch(topic: "c", maxWaitMs: 20_000), version: 4) }
            try await Task.sleep(for: .milliseconds(200))
            held.cancel()
            let result = await held.result
            #expect(throws: CancellationError.self) { try result.get() }
        }
    }

    @Test func thePoolSharesOneConnectionAndReconnectsAfterTheBrokerRestarts() async throws {
        try await withCluster { _, brokers in
            let pool = ConnectionPool(clientID: "pool", group: MultiThreadedEventLoopGroup.singleton)
            defer { pool.closeAll() }
            let address = Self.address(brokers[0])
            let first = try await withThrowingTaskGroup(of: ObjectIdentifier.self) { tasks in
                for _ in 0..<8 { tasks.addTask { ObjectIdentifier(try await pool.connection(to: address)) } }
                return try await tasks.reduce(into: Set<ObjectIdentifier>()) { $0.insert($1) }
            }
            #expect(first.count == 1)
            let before = try await pool.connection(to: address)

            await brokers[0].stop()
            await #expect(throws: (any Error).self) {
                _ = try await pool.send(ApiVersionsRequest(), version: 0, to: address)
            }
            #expect(!before.isOpen)
            try brokers[0].start()
            try await brokers[0].waitUntilReady()
            let answer = try await pool.send(ApiVersionsRequest(), version: 0, to: address)
            #expect(answer.errorCode == .none)
            #expect(try await pool.connection(to: address) !== before)
        }
    }

    @Test func aFailedConnectIsNotKeptAndTheNextRequestConnects() async throws {
        let port = try FreePort.allocate()[0]
        let pool = ConnectionPool(clientID: "nowhere", group: MultiThreadedEventLoopGroup.singleton)
        let nowhere = BrokerAddress(host: "127.0.0.1", port: port)
        await #expect(throws: (any Error).self) {
            _ = try await pool.send(ApiVersionsRequest(), version: 0, to: nowhere)
        }
        // The failed attempt is not kept: once something listens there, the next request connects.
        let listener = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .bind(host: "127.0.0.1", port: port).get()
        defer { listener.close(promise: nil) }
        let connection = try await pool.connection(to: nowhere)
        #expect(connection.isOpen)
        pool.closeAll()
    }

    @Test func withABackoffAFailedAddressIsNotTriedAgainUntilTheBackoffPassed() async throws {
        let port = try FreePort.allocate()[0]
        let pool = ConnectionPool(
            clientID: "backoff",
            group: MultiThreadedEventLoopGroup.singleton,
            reconnectBackoff: (initial: .milliseconds(400), max: .seconds(1))
        )
        let nowhere = BrokerAddress(host: "127.0.0.1", port: port)
        await #expect(throws: (any Error).self) { _ = try await pool.connection(to: nowhere) }
        // Something listens now, but within the backoff the pool does not try.
        let listener = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .bind(host: "127.0.0.1", port: port).get()
        defer { listener.close(promise: nil) }
        await #expect(throws: ConnectionPool.BackingOff.self) { _ = try await pool.connection(to: nowhere) }
        try await Task.sleep(for: .milliseconds(600))
        let connection = try await pool.connection(to: nowhere)
        #expect(connection.isOpen)
        pool.closeAll()
    }

    @Test func aShutDownPoolClosesItsConnectionsAndMakesNoNewOnes() async throws {
        let port = try FreePort.allocate()[0]
        let listener = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .bind(host: "127.0.0.1", port: port).get()
        defer { listener.close(promise: nil) }
        let pool = ConnectionPool(clientID: "shut-down", group: MultiThreadedEventLoopGroup.singleton)
        let address = BrokerAddress(host: "127.0.0.1", port: port)
        let open = try await pool.connection(to: address)
        #expect(open.isOpen)
        pool.shutdown()
        try await eventually(timeout: .seconds(10), "the pooled connection to close") { !open.isOpen }
        // The listener still accepts, but the pool no longer connects.
        await #expect(throws: ConnectionPool.ShutDown.self) { _ = try await pool.connection(to: address) }
        await #expect(throws: ConnectionPool.ShutDown.self) {
            _ = try await pool.send(ApiVersionsRequest(), version: 0, to: address)
        }
    }
}
