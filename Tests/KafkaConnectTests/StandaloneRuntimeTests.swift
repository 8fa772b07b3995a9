import Avro
import Foundation
import KafkaConnect
import Testing

@testable import ConnectRuntime

/// The standalone worker's pieces that need no broker: its properties, connector settings, the offsets file and
/// the FileStream tasks on real files.
@Suite struct StandaloneRuntimeTests {
    func temporaryDirectory() throws -> String {
        let path = NSTemporaryDirectory() + "swiftkafka-connect-test-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    @Test func workerPropertiesAsConnectReadsThem() throws {
        let text = """
            bootstrap.servers=PLAINTEXT://127.0.0.1:9092,127.0.0.1:9093
            key.converter=org.apache.kafka.connect.json.JsonConverter
            value.converter=org.apache.kafka.connect.storage.StringConverter
            key.converter.schemas.enable=false
            offset.storage.file.filename=/tmp/connect.offsets
            offset.flush.interval.ms=10000
            listeners=http://127.0.0.1:18083
            producer.linger.ms=5
            plugin.path=/usr/share/java
            made.up=1
            """
        let (config, warnings) = try WorkerConfig.parse(
            properties: text,
            overrides: [("rest.advertised.host.name", "w1")]
        )
        #expect(config.bootstrapServers == ["127.0.0.1:9092", "127.0.0.1:9093"])
        #expect(config.keyConverterProperties == ["schemas.enable": "false"])
        #expect(config.offsetFlushIntervalMs == 10_000)
        #expect(config.restHost == "127.0.0.1" && config.restPort == 18083)
        #expect(config.producerProperties == ["linger.ms": "5"])
        #expect(config.workerID == "w1:18083")
        #expect(warnings.contains { $0.contains("plugin.path") })
        #expect(warnings.contains { $0.contains("'made.up'") })
        #expect(throws: ConnectConfigError.self) { try WorkerConfig.parse(properties: "value.converter=x") }
        #expect(throws: ConnectConfigError.self) {
            try WorkerConfig.parse(
                properties:
                    "key.converter=a\nvalue.converter=b\noffset.flush.interval.ms=-1\noffset.storage.file.filename=f"
            )
        }
    }

    @Test func connectorSettingsAreChecked() throws {
        let sink = try ConnectorConfig(["name": "s", "connector.class": "FileStreamSink", "topics": "a, b"])
        #expect(sink.plugin.className == FileStreamSinkConnector.className)
        #expect(sink.topics == ["a", "b"])
        let source = try ConnectorConfig([
            "name": "f", "connector.class": "FileStreamSourceConnector", "topic": "t", "tasks.max": "3",
        ])
        #expect(source.plugin.className == FileStreamSourceConnector.className && source.tasksMax == 3)
        #expect(throws: ConnectConfigError.self) {
            try ConnectorConfig(["name": "s", "connector.class": "FileStreamSink"])
        }
        #expect(throws: ConnectConfigError.self) {
            try ConnectorConfig([
                "name": "s", "connector.class": "FileStreamSink", "topics": "a", "topics.regex": "b.*",
            ])
        }
        #expect(throws: ConnectConfigError.self) { try ConnectorConfig(["name": "s", "connector.class": "Nope"]) }
        #expect(throws: ConnectConfigError.self) {
            try ConnectorConfig(["name": "s", "connector.class": "FileStreamSink", "topics": "a", "tasks.max": "0"])
        }
        #expect(throws: ConnectConfigError.self) {
            try ConnectorConfig(["name": "s", "connector.class": "FileStreamSink", "topics": "a", "transforms": "x"])
        }
        let connector = FileStreamSourceConnector()
        #expect(throws: ConnectConfigError.self) { try connector.start(["topic": "a,b"]) }
    }

    @Test func offsetsSurviveAReloadAndACorruptFileIsRefused() async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/connect.offsets"
        let store = try FileOffsetStore(path: path)
        let partition = ConnectValue.stringMap(["filename": .string("/tmp/in.txt")])
        let key = try #require(SourceOffsets.key(connector: "local-file-source", partition: partition))
        #expect(key == #"["local-file-source",{"filename":"/tmp/in.txt"}]"#)
        try await store.store([key: SourceOffsets.text(.stringMap(["position": .int64(1234)]))])
        let reloaded = try FileOffsetStore(path: path)
        let offset = await SourceOffsets(connector: "local-file-source", store: reloaded).offset(for: partition)
        #expect(offset == .stringMap(["position": .int64(1234)]))
        #expect(await SourceOffsets(connector: "other", store: reloaded).offset(for: partition) == nil)
        try "[[\"k\"".write(toFile: path, atomically: true, encoding: .utf8)
        #expect(throws: ConnectConfigError.self) { try FileOffsetStore(path: path) }
    }

    struct Offsets: SourceTaskContext {
        var position: Int64?
        func offset(for partition: ConnectValue) async -> ConnectValue? {
            position.map { .stringMap(["position": .int64($0)]) }
        }
    }

    @Test func theFileSourceSplitsLinesAndResumesAtItsOffset() async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/in.txt"
        try "one\r\ntwo\rthree\nfø\npartial".write(toFile: path, atomically: true, encoding: .utf8)
        let task = FileStreamSourceTask()
        try await task.start(["file": path, "topic": "t", "batch.size": "2"], context: Offsets())
        var records: [SourceRecord] = []
        for _ in 0..<4 { records += try await task.poll() }
        #expect(records.map(\.value) == [.string("one"), .string("two"), .string("three"), .string("fø")])
        #expect(records.map { $0.sourceOffset?["position"] } == [.int64(5), .int64(9), .int64(15), .int64(19)])
        #expect(records.allSatisfy { $0.sourcePartition == .stringMap(["filename": .string(path)]) && $0.topic == "t" })
        await task.stop()

        let resumed = FileStreamSourceTask()
        try await resumed.start(["file": path, "topic": "t"], context: Offsets(position: 15))
        let handle = try #require(FileHandle(forWritingAtPath: path))
        handle.seekToEndOfFile()
        handle.write(Data(" line\n".utf8))
        try handle.close()
        var again: [SourceRecord] = []
        for _ in 0..<3 where again.count < 2 { again += try await resumed.poll() }
        #expect(again.map(\.value) == [.string("fø"), .string("partial line")])
        await resumed.stop()
    }

    @Test func theFileSinkAppendsOneLinePerValue() async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/out.txt"
        let task = FileStreamSinkTask()
        try await task.start(["file": path])
        try await task.put([
            SinkRecord(topic: "t", kafkaPartition: 0, kafkaOffset: 0, valueSchema: .string, value: .string("a")),
            SinkRecord(topic: "t", kafkaPartition: 0, kafkaOffset: 1, valueSchema: nil, value: nil),
            SinkRecord(
                topic: "t",
                kafkaPartition: 0,
                kafkaOffset: 2,
                valueSchema: nil,
                value: .stringMap(["k": .int64(1)])
            ),
        ])
        try await task.flush()
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "a\nnull\n{\"k\":1}\n")
        await task.stop()
    }
}
