import ClusterTestSupport
import Foundation
import KafkaClient
import KafkaCore
import KafkaProtocol
import NIOCore
import NIOPosix
import Testing

@testable import KafkaServer

/// A real broker process with a real ZooKeeper, driven by kcat (Debian's librdkafka 2.0.2) and raw sockets.
@Suite("Broker with real clients", .serialized, .timeLimit(.minutes(5)))
struct BrokerClientTests {
    static let kcat = "/usr/bin/kcat"

    /// "key-i<TAB>value-i" lines for kcat -K '\t'.
    static func lines(_ count: Int, prefix: String = "") -> Data {
        Data((0..<count).map { "\(prefix)key-\($0)\t\(prefix)value-\($0)\n" }.joined().utf8)
    }

    static func produce(
        _ broker: BrokerProcess,
        topic: String,
        count: Int,
        codec: String = "none",
        prefix: String = ""
    )
        async throws
    {
        let result = try await Subprocess.run(
            kcat,
            [
                "-b", broker.bootstrap, "-P", "-t", topic, "-K", "\t", "-z", codec, "-H", "codec=\(codec)", "-X",
                "linger.ms=5",
            ],
            input: lines(count, prefix: prefix)
        )
        #expect(result.status == 0, "kcat produce failed: \(result.stderr)")
    }

    /// Waits until the broker's metadata names a leader for every partition of `topic` (after a restart the
    /// controller hands partitions back a moment after the broker has started).
    static func waitForLeaders(_ broker: BrokerProcess, topic: String) async throws {
        try await eventually(timeout: .seconds(60), "leaders for \(topic)") {
            let metadata = try await Subprocess.run(kcat, ["-b", broker.bootstrap, "-L", "-t", topic])
            let lines = metadata.stdout.split(separator: "\n").filter { $0.contains("partition ") }
            return !lines.isEmpty && lines.allSatisfy { $0.contains("leader \(broker.id),") }
        }
    }

    /// `actual` holds exactly `expected`, reported briefly when it does not.
    static func expectSameValues(_ actual: [String], _ expected: Set<String>, _ what: String) {
        let found = Set(actual)
        let missing = expected.subtracting(found)
        let unexpected = found.subtracting(expected)
        #expect(actual.count == expected.count, "\(what): \(actual.count) messages, expected \(expected.count)")
        #expect(missing.isEmpty, "\(what): \(missing.count) missing, e.g. \(missing.prefix(3))")
        #expect(unexpected.isEmpty, "\(what): \(unexpected.count) unexpected, e.g. \(unexpected.prefix(3))")
    }

    /// Every message of the topic as (partition, offset, key, value, headers), read with kcat to the end.
    static func consume(_ broker: BrokerProcess, topic: String) async throws -> [(Int, Int64, String, String, String)] {
        let result = try await Subprocess.run(
            kcat,
            ["-b", broker.bootstrap, "-C", "-t", topic, "-o", "beginning", "-e", "-q", "-f", "%p|%o|%k|%s|%h\n"]
        )
        #expect(result.status == 0, "kcat consume failed: \(result.stderr)")
        return result.stdout.split(separator: "\n").map { line in
            let fields = line.split(separator: "|", omittingEmptySubsequences: false).map(String.init)
            return (Int(fields[0])!, Int64(fields[1])!, fields[2], fields[3], fields[4])
        }
    }

    /// Per partition: offsets are 0, 1, 2, ... and values ("[<round>-]value-<n>") appear in the order they were
    /// produced: by round, then by n.
    static func checkOrder(_ messages: [(Int, Int64, String, String, String)]) {
        for (partition, group) in Dictionary(grouping: messages, by: \.0) {
            let sorted = group.sorted { $0.1 < $1.1 }
            #expect(sorted.map(\.1) == Array(0..<Int64(sorted.count)), "partition \(partition) offsets")
            let produced = sorted.map { message -> (String, Int) in
                let parts = message.3.split(separator: "-")
                return (parts.count > 2 ? String(parts[0]) : "", Int(parts.last!)!)
            }
            let firstBreak = zip(produced, produced.dropFirst()).first { !($0.0 < $0.1) }
            #expect(firstBreak == nil, "partition \(partition): \(String(describing: firstBreak)) out of order")
        }
    }

    @Test func kcatProducesAndConsumesWithEveryCodec() async throws {
        try await withCluster { _, brokers in
            let broker = brokers[0]
            for codec in ["none", "gzip", "snappy", "lz4", "zstd"] {
                try await Self.produce(broker, topic: "codec-\(codec)", count: 100_000, codec: codec)
                let messages = try await Self.consume(broker, topic: "codec-\(codec)")
                Self.expectSameValues(
                    messages.map { "\($0.2)=\($0.3)" },
                    Set((0..<100_000).map { "key-\($0)=value-\($0)" }),
                    codec
                )
                #expect(messages.allSatisfy { $0.4 == "codec=\(codec)" })
                Self.checkOrder(messages)
                // The batches are stored as the client compressed them (librdkafka sends a batch uncompressed when
                // compressing would not make it smaller).
                let segment = broker.logDirectory.appendingPathComponent("codec-\(codec)-0/00000000000000000000.log")
                let bytes = [UInt8](try Data(contentsOf: segment))
                var codecs: [Int] = []
                var position = 0
                while position + 61 <= bytes.count {
                    let length = bytes[(position + 8)..<(position + 12)].reduce(0) { $0 << 8 | Int($1) }
                    codecs.append(Int(bytes[position + 22]) & 7)
                    position += 12 + length
                }
                let expected = ["none": 0, "gzip": 1, "snappy": 2, "lz4": 3, "zstd": 4][codec]!
                #expect(
                    codecs.allSatisfy { $0 == expected || $0 == 0 } && codecs.contains(expected),
                    "\(codec): \(Set(codecs))"
                )
            }
        }
    }

    @Test func acknowledgedMessagesSurviveACleanRestartAndAKill() async throws {
        try await withCluster { _, brokers in
            let broker = brokers[0]
            try await Self.produce(broker, topic: "durable", count: 10_000, prefix: "a-")
            try await broker.restart(crash: false)
            try await Self.waitForLeaders(broker, topic: "durable")
            try await Self.produce(broker, topic: "durable", count: 10_000, prefix: "b-")
            try await broker.restart(crash: true)
            try await Self.waitForLeaders(broker, topic: "durable")
            let messages = try await Self.consume(broker, topic: "durable")
            Self.expectSameValues(
                messages.map(\.3),
                Set((0..<10_000).flatMap { ["a-value-\($0)", "b-value-\($0)"] }),
                "after kill -9"
            )
            Self.checkOrder(messages)
            #expect((try? String(contentsOf: broker.logFile, encoding: .utf8))?.contains("Recovered the log") == true)
        }
    }

    @Test func badInputClosesOnlyItsConnectionWhileAProducerGoesOn() async throws {
        try await withCluster(properties: ["socket.request.max.bytes": "1048576"]) { _, brokers in
            let broker = brokers[0]
            let producer = Task { try await Self.produce(broker, topic: "steady", count: 50_000) }

            // Garbage (an HTTP request read as a frame size of 1.2 GB): closed.
            let http = await RawClient.exchange(port: broker.port, send: Array("GET / HTTP/1.1\r\n\r\n".utf8))
            #expect(http.closedByBroker && http.bytes.isEmpty)
            // A frame over socket.request.max.bytes: closed.
            var oversized = ByteBuffer()
            oversized.writeInteger(Int32(2 << 20))
            oversized.writeBytes([UInt8](repeating: 1, count: 100))
            #expect(
                await RawClient.exchange(port: broker.port, send: Array(oversized.readableBytesView)).closedByBroker
            )
            // An unknown API key: closed.
            #expect(
                await RawClient.exchange(port: broker.port, send: Self.frame(apiKey: 99, version: 0, body: []))
                    .closedByBroker
            )
            // Garbage inside a well-framed request: closed.
            #expect(
                await RawClient.exchange(
                    port: broker.port,
                    send: Self.frame(apiKey: 3, version: 1, body: [0xFF, 0xFF, 0xFF, 0x00])
                ).closedByBroker
            )
            // A truncated frame: the broker waits for the rest and the connection stays open until the client goes.
            let truncated = await RawClient.exchange(
                port: broker.port,
                send: [0, 0, 0, 50, 0, 18],
                timeout: .seconds(1)
            )
            #expect(!truncated.closedByBroker && truncated.bytes.isEmpty)

            // ApiVersions at a version the broker does not serve: UNSUPPORTED_VERSION in a v0 body.
            let unsupported = await RawClient.exchange(
                port: broker.port,
                send: Self.frame(apiKey: 18, version: 9, body: [0, 0], headerVersion: 2),
                timeout: .seconds(1)
            )
            var reply = ByteBuffer(bytes: unsupported.bytes)
            #expect(reply.readInteger(as: Int32.self).map(Int.init) == reply.readableBytes)
            #expect(reply.readInteger(as: Int32.self) == 7)  // correlation id
            let body = try ApiVersionsResponse(from: &reply, version: 0)
            #expect(body.errorCode == .unsupportedVersion)
            #expect(body.apiKeys.contains { $0.apiKey == 18 && $0.maxVersion == 3 })

            let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
            let connection = try await KafkaConnection.connect(
                to: BrokerAddress(host: "127.0.0.1", port: broker.port),
                clientID: "bad-input",
                group: group
            )
            // A batch whose CRC is wrong: CORRUPT_MESSAGE, and the partition takes nothing.
            var batch = RecordBatchBuilder()
            batch.append(timestamp: 1, key: Array("k".utf8), value: Array("v".utf8))
            var corrupt = batch.build().buffer
            corrupt.setInteger(UInt32(0xDEADBEEF), at: RecordBatch.crcOffset)
            let corruptResponse = try await connection.send(
                Self.produceRequest(topic: "steady", records: corrupt),
                version: 7
            )
            #expect(
                corruptResponse.responses.first?.partitionResponses.first?.errorCode
                    == KafkaErrorCode.corruptMessage
            )
            // Magic 1 inside Produce v3+: INVALID_RECORD.
            var legacy = batch.build().buffer
            legacy.setInteger(Int8(1), at: RecordBatch.magicOffset)
            let legacyResponse = try await connection.send(
                Self.produceRequest(topic: "steady", records: legacy),
                version: 7
            )
            #expect(
                legacyResponse.responses.first?.partitionResponses.first?.errorCode
                    == KafkaErrorCode.invalidRecord
            )
            // A v2 batch inside Produce v2 (which carries message formats v0/v1): INVALID_RECORD, as Kafka 2.8.
            let oldVersion = try await connection.send(
                Self.produceRequest(topic: "steady", records: batch.build().buffer),
                version: 2
            )
            #expect(
                oldVersion.responses.first?.partitionResponses.first?.errorCode
                    == KafkaErrorCode.invalidRecord
            )
            // A version beyond what is advertised: that connection is closed.
            await #expect(throws: (any Error).self) {
                _ = try await connection.send(
                    Self.produceRequest(topic: "steady", records: batch.build().buffer),
                    version: 11
                )
            }
            connection.close()
            try await group.shutdownGracefully()

            try await producer.value
            let messages = try await Self.consume(broker, topic: "steady")
            #expect(messages.count == 50_000)
            Self.checkOrder(messages)
            let log = (try? String(contentsOf: broker.logFile, encoding: .utf8)) ?? ""
            #expect(log.contains("Closing connection"))
            #expect(broker.isRunning)
        }
    }

    static func produceRequest(topic: String, records: ByteBuffer) -> ProduceRequest {
        ProduceRequest(
            acks: -1,
            timeoutMs: 5000,
            topicData: [.init(name: topic, partitionData: [.init(index: 0, records: records)])]
        )
    }

    /// A frame with a request header (v1 unless told) and the given body.
    static func frame(apiKey: Int16, version: Int16, body: [UInt8], headerVersion: Int16 = 1) -> [UInt8] {
        var buffer = ByteBuffer()
        buffer.writeInteger(Int32(0))
        buffer.writeInteger(apiKey)
        buffer.writeInteger(version)
        buffer.writeInteger(Int32(7))
        buffer.writeKafkaNullableString("raw", compact: false)
        if headerVersion >= 2 { buffer.writeUnsignedVarint(0) }
        buffer.writeBytes(body)
        buffer.setInteger(Int32(buffer.readableBytes - 4), at: 0)
        return Array(buffer.readableBytesView)
    }
}
