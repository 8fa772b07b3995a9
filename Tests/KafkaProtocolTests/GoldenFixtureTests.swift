import Foundation
import KafkaProtocol
import NIOCore
import Testing

/// Request bytes captured from real clients (kcat/librdkafka 2.0.2, confluent-kafka 2.16.1, kafka-python 3.0.12,
/// aiokafka 0.14.0) by `Fixtures/capture.py`: every frame decodes and re-encodes to the same bytes, and every
/// produced batch holds the records the capture script sent.
@Suite("Golden bytes from real clients")
struct GoldenFixtureTests {
    struct Frame {
        var scenario: String
        var api: String
        var version: Int16
        var bytes: ByteBuffer
    }

    static let frames: [Frame] = {
        let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("Fixtures/golden")
        let files = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        return files.sorted().flatMap { file -> [Frame] in
            let text = (try? String(contentsOf: directory.appendingPathComponent(file), encoding: .utf8)) ?? ""
            return text.split(separator: "\n").map { line in
                let parts = line.split(separator: " ")
                let hex = Array(parts[2].utf8)
                let bytes = stride(from: 0, to: hex.count, by: 2).map {
                    UInt8(String(decoding: hex[$0..<($0 + 2)], as: UTF8.self), radix: 16)!
                }
                return Frame(
                    scenario: String(file.dropLast(4)),
                    api: String(parts[0]),
                    version: Int16(parts[1].dropFirst())!,
                    bytes: ByteBuffer(bytes: bytes)
                )
            }
        }
    }()

    @Test func everyCapturedFrameDecodesAndReencodesExactly() throws {
        #expect(Self.frames.count > 150)
        var decoded = 0
        var newerThanSchemas: [String] = []
        var unknownKeys: Set<Int16> = []
        for frame in Self.frames {
            let request: RequestFrame
            do {
                request = try RequestFrame(frame: frame.bytes)
            } catch .unknownApiKey(let key) {
                unknownKeys.insert(key)
                continue
            }
            guard request.apiKey.schemaVersions.contains(request.apiVersion) else {
                newerThanSchemas.append("\(request.apiKey.name) v\(request.apiVersion)")
                continue
            }
            try reencode(request, as: request.apiKey.requestType, original: frame)
            decoded += 1
        }
        #expect(decoded > 150)
        #expect(decoded + newerThanSchemas.count + unknownKeys.count > 0)
        #expect(
            decoded + newerThanSchemas.count
                == Self.frames.count - Self.frames.filter { $0.api == "71" }.count
        )
        // librdkafka 2.16 asks for GetTelemetrySubscriptions (71) because the mock advertises it; SwiftKafka does not.
        #expect(unknownKeys == [71])
        // Metadata v13 is Kafka 4's; confluent-kafka used it because the mock advertises it.
        #expect(Set(newerThanSchemas) == ["Metadata v13"])
    }

    private func reencode<R: KafkaRequest>(_ request: RequestFrame, as _: R.Type, original: Frame) throws {
        var body = request.body
        let message = try R(from: &body, version: request.apiVersion)
        #expect(body.readableBytes == 0, "\(original.scenario) \(original.api) v\(original.version): bytes left")
        var encoded = ByteBuffer()
        request.header.write(to: &encoded, version: request.apiKey.requestHeaderVersion(for: request.apiVersion))
        message.write(to: &encoded, version: request.apiVersion)
        #expect(
            encoded == original.bytes,
            "\(original.scenario) \(original.api) v\(original.version) re-encodes differently"
        )
    }

    @Test func producedBatchesHoldTheCapturedRecords() throws {
        var batches = 0
        var codecsSeen: Set<String> = []
        for frame in Self.frames where frame.api == "Produce" {
            let request = try RequestFrame(frame: frame.bytes)
            let produce: ProduceRequest = try request.decodeBody()
            let topic = try #require(produce.topicData.first)
            #expect(topic.name == "golden")
            let codec = String(frame.scenario.split(separator: "-").last!)
            for partition in topic.partitionData {
                var records = try #require(partition.records)
                while let batch = try RecordBatch.nextBatch(from: &records) {
                    try batch.validate(maxSize: 1 << 20, decompressionLimit: 1 << 20)
                    #expect(batch.compressionCodec?.description == codec, "\(frame.scenario)")
                    codecsSeen.insert(codec)
                    let decoded = try batch.records(decompressionLimit: 1 << 20)
                    #expect(decoded.map { $0.key.map { String(buffer: $0) } } == ["key-0", "key-1", "key-2"])
                    #expect(decoded.map { $0.value.map { String(buffer: $0) } } == ["value-0", "value-1", "value-2"])
                    for record in decoded {
                        #expect(record.headers == [RecordHeader(key: "trace", value: ByteBuffer(string: "golden"))])
                    }
                    if frame.scenario.contains("idempotent") || frame.scenario.hasPrefix("confluent")
                        || frame.scenario.hasPrefix("aiokafka")
                    {
                        #expect(batch.hasProducerID, "\(frame.scenario) should be idempotent")
                        #expect(batch.baseSequence == 0)
                    }
                    batches += 1
                }
            }
        }
        #expect(batches == 21)
        #expect(codecsSeen == ["none", "gzip", "snappy", "lz4", "zstd"])
    }

    @Test func apiVersionsRequestsNameTheirClients() throws {
        let names = Set(
            try Self.frames.filter { $0.api == "ApiVersions" && $0.version >= 3 }.map { frame in
                let request: ApiVersionsRequest = try RequestFrame(frame: frame.bytes).decodeBody()
                return request.clientSoftwareName
            }
        )
        #expect(names == ["librdkafka", "confluent-kafka-python"])
    }
}
