import ClusterTestSupport
import Foundation
import KafkaClient
import NIOCore
import Testing

/// The README's producer and consumer examples, verbatim between the markers: this file compiling is the proof that
/// they compile, the test compares them with the README's code blocks, and runs them against a broker.
@Suite("README examples", .serialized, .timeLimit(.minutes(3)))
struct ReadmeExamplesTests {
    static func producerExample(_ bootstrap: String) async throws {
        // README producer begin
        let producer = try KafkaProducer(properties: ["bootstrap.servers": bootstrap, "linger.ms": "5"])
        let written = try await producer.send(topic: "orders", key: Array("id-1".utf8), value: Array("paid".utf8))
        print("written to \(written.topic)-\(written.partition) at offset \(written.offset)")
        await producer.close()
        // README producer end
    }

    static func consumerExample(_ bootstrap: String) async throws {
        // README consumer begin
        let consumer = try KafkaConsumer(properties: [
            "bootstrap.servers": bootstrap, "group.id": "billing", "auto.offset.reset": "earliest",
        ])
        try await consumer.subscribe(topics: ["orders"])
        for try await record in consumer.records {
            print(record.partition, record.offset, record.value.map { String(buffer: $0) } ?? "null")
            break  // a service keeps reading
        }
        await consumer.close()
        // README consumer end
    }

    /// The lines between `// README <name> begin` and `end` in this file, without their indentation.
    static func snippet(_ name: String) throws -> String {
        let source = try String(contentsOfFile: #filePath, encoding: .utf8)
        let lines = source.components(separatedBy: "\n")
        let begin = try #require(lines.firstIndex { $0.hasSuffix("// README \(name) begin") })
        let end = try #require(lines.firstIndex { $0.hasSuffix("// README \(name) end") })
        return lines[(begin + 1)..<end].map { $0.hasPrefix("        ") ? String($0.dropFirst(8)) : $0 }
            .joined(separator: "\n")
    }

    @Test func theReadmeShowsTheseExamples() throws {
        let readmePath = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../../README.md").path
        let readme = try String(contentsOfFile: readmePath, encoding: .utf8)
        for name in ["producer", "consumer"] {
            let code = try Self.snippet(name)
            #expect(code.count > 100)
            #expect(readme.contains(code + "\n```"), "README.md does not show the \(name) example of this file")
        }
    }

    @Test func theExamplesRunAgainstABroker() async throws {
        try await withCluster { _, brokers in
            try await Self.producerExample(brokers[0].bootstrap)
            try await Self.consumerExample(brokers[0].bootstrap)
        }
    }
}
