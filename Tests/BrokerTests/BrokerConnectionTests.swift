import ClusterTestSupport
import Foundation
import KafkaClient
import KafkaCore
import KafkaProtocol
import NIOCore
import NIOPosix
import Testing
import ZooKeeper

@testable import KafkaServer

/// Connection-level behaviour of a real broker: ordering, acks=0, many connections, ZooKeeper session loss.
@Suite("Broker connections", .serialized, .timeLimit(.minutes(5)))
struct BrokerConnectionTests {
    static func frame<Request: KafkaRequest>(_ request: Request, version: Int16, correlationID: Int32) -> [UInt8] {
        var buffer = ByteBuffer()
        buffer.writeInteger(Int32(0))
        RequestHeader(
            requestApiKey: Request.apiKey.rawValue,
            requestApiVersion: version,
            correlationID: correlationID,
            clientID: "t"
        )
        .write(to: &buffer, version: Request.apiKey.requestHeaderVersion(for: version))
        request.write(to: &buffer, version: version)
        buffer.setInteger(Int32(buffer.readableBytes - 4), at: 0)
        return Array(buffer.readableBytesView)
    }

    @Test func pipelinedRequestsAreAnsweredInOrderAndAcksZeroGetsNoAnswer() async throws {
        try await withCluster { _, brokers in
            let broker = brokers[0]
            try await BrokerClientTests.produce(broker, topic: "pipelined", count: 10)
            var builder = RecordBatchBuilder()
            builder.append(timestamp: 1, key: [1], value: [2])
            let fireAndForget = ProduceRequest(
                acks: 0,
                timeoutMs: 1000,
                topicData: [.init(name: "pipelined", partitionData: [.init(index: 0, records: builder.build().buffer)])]
            )
            // Four requests in one write: the third (acks=0) must not be answered.
            let bytes =
                Self.frame(MetadataRequest(topics: nil), version: 1, correlationID: 1)
                + Self.frame(ApiVersionsRequest(), version: 0, correlationID: 2)
                + Self.frame(fireAndForget, version: 7, correlationID: 3)
                + Self.frame(
                    ListOffsetsRequest(
                        replicaID: -1,
                        topics: [.init(name: "pipelined", partitions: [.init(partitionIndex: 0, timestamp: -1)])]
                    ),
                    version: 1,
                    correlationID: 4
                )
            let reply = await RawClient.exchange(port: broker.port, send: bytes, timeout: .seconds(2))
            var buffer = ByteBuffer(bytes: reply.bytes)
            var correlationIDs: [Int32] = []
            var lastOffset: Int64 = -1
            while let size = buffer.readInteger(as: Int32.self), var response = buffer.readSlice(length: Int(size)) {
                let id = response.readInteger(as: Int32.self)!
                correlationIDs.append(id)
                if id == 4 {
                    lastOffset = try ListOffsetsResponse(from: &response, version: 1).topics[0].partitions[0].offset
                }
            }
            #expect(correlationIDs == [1, 2, 4])
            // The acks=0 record was appended before ListOffsets was handled: partition 0 grew by one.
            let before = try await BrokerClientTests.consume(broker, topic: "pipelined").filter { $0.0 == 0 }.count
            #expect(lastOffset == Int64(before))
        }
    }

    @Test func manyConnectionsAtOnce() async throws {
        try await withCluster { _, brokers in
            let broker = brokers[0]
            let group = MultiThreadedEventLoopGroup(numberOfThreads: 2)
            let answered = try await withThrowingTaskGroup(of: Int.self) { tasks in
                for index in 0..<200 {
                    tasks.addTask {
                        let connection = try await KafkaConnection.connect(
                            to: BrokerAddress(host: "127.0.0.1", port: broker.port),
                            clientID: "c\(index)",
                            group: group
                        )
                        defer { connection.close() }
                        let versions = try await connection.send(ApiVersionsRequest(), version: 0)
                        let metadata = try await connection.send(MetadataRequest(topics: nil), version: 1)
                        return versions.errorCode == .none && metadata.brokers.count == 1 ? 1 : 0
                    }
                }
                return try await tasks.reduce(0, +)
            }
            #expect(answered == 200)
            try await group.shutdownGracefully()
        }
    }

    /// The broker's ZooKeeper path goes silent until its session expires: its registration disappears, and once
    /// the path heals it registers again on a new session (a new broker epoch) and becomes controller again.
    @Test func aBrokerReRegistersAfterItsSessionExpires() async throws {
        try await withZooKeeper { ensemble in
            let proxy = try await FaultProxy.start(targetPort: ensemble.servers[0].clientPort)
            let broker = try BrokerProcess.start(
                id: 1,
                zookeeper: "127.0.0.1:\(proxy.port)/kafka",
                properties: ["zookeeper.session.timeout.ms": "2000"]
            )
            do {
                try await broker.waitUntilReady()
                let observer = ZooKeeperClient(
                    connectString: ensemble.connectString(chroot: "/kafka"),
                    sessionTimeout: .seconds(10)
                )
                try await observer.connect()
                let firstEpoch = try #require(try await observer.exists("/brokers/ids/1")).czxid
                let events = observer.watchEvents()
                _ = try await observer.exists("/brokers/ids/1", watch: true)
                proxy.blackhole()
                _ = try await waitFor(events, "the registration to expire") { $0.kind == .nodeDeleted }
                proxy.heal()
                try await eventually(timeout: .seconds(30), "the broker to register again") {
                    guard let stat = try await observer.exists("/brokers/ids/1") else { return false }
                    return stat.czxid != firstEpoch
                }
                try await eventually(timeout: .seconds(30), "a controller") {
                    try await observer.exists("/controller") != nil
                }
                try await BrokerClientTests.produce(broker, topic: "after-expiry", count: 100)
                #expect(try await BrokerClientTests.consume(broker, topic: "after-expiry").count == 100)
                let log = (try? String(contentsOf: broker.logFile, encoding: .utf8)) ?? ""
                #expect(log.contains("Re-registered after the ZooKeeper session expired"))
                await observer.close()
                await broker.stop()
                broker.remove()
                await proxy.stop()
            } catch {
                print(broker.logTail())
                await broker.kill()
                broker.remove()
                await proxy.stop()
                throw error
            }
        }
    }
}
