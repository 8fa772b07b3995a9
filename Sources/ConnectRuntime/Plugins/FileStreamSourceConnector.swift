import Foundation
public import KafkaConnect

/// `org.apache.kafka.connect.file.FileStreamSourceConnector`, Kafka 2.8's demo source with its settings: `file`
/// (standard input when unset), `topic`, `batch.size` (2000). One task; each line of the file becomes a record
/// with a string value and no key, its source partition `{"filename": file}` and offset `{"position": bytes}`
/// (the byte just past the line), so a restarted task resumes after the last line whose offset was stored.
public final class FileStreamSourceConnector: SourceConnector {
    public static let className = "org.apache.kafka.connect.file.FileStreamSourceConnector"
    public static let version = ConnectVersion.kafka
    public static let taskType: any SourceTask.Type = FileStreamSourceTask.self
    public static let configKeys: [ConfigKey] = [
        ConfigKey(
            "file",
            .string,
            default: nil,
            .high,
            "Source filename. If not specified, the standard input will be used"
        ),
        ConfigKey("topic", .list, default: nil, required: true, .high, "The topic to publish data to"),
        ConfigKey(
            "batch.size",
            .int,
            default: "2000",
            .low,
            "The maximum number of records the Source task can read from file one time"
        ),
    ]

    private var config: [String: String] = [:]

    public init() {}

    public func start(_ config: [String: String]) throws(ConnectConfigError) {
        let topics = (config["topic"] ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        guard topics.count == 1, !topics[0].isEmpty else {
            throw ConnectConfigError(
                "'topic' in FileStreamSourceConnector configuration requires definition of a single topic"
            )
        }
        if let size = config["batch.size"], Int32(size) == nil {
            throw ConnectConfigError("Invalid value \(size) for configuration batch.size: Not a number of type INT")
        }
        self.config = config
        self.config["topic"] = topics[0]
    }

    public func taskConfigs(maxTasks: Int) -> [[String: String]] {
        // Only one input stream makes sense.
        var task: [String: String] = ["topic": config["topic"] ?? "", "batch.size": config["batch.size"] ?? "2000"]
        if let file = config["file"] { task["file"] = file }
        return [task]
    }

    public func stop() {}
}

/// The task of `FileStreamSourceConnector`: tails its file from the stored position. Lines end at `\n`, `\r` or
/// `\r\n`; a partial last line waits for its end. Positions count bytes (Java counts UTF-16 characters, which
/// breaks resuming past non-ASCII text).
public final class FileStreamSourceTask: SourceTask {
    static let valueSchema = ConnectSchema.string
    private var path: String?
    private var topic = ""
    private var batchSize = 2000
    private var descriptor: Int32 = -1
    private var buffer: [UInt8] = []
    /// The byte position just past the last line returned.
    private var position: Int64 = 0
    private var readBuffer = [UInt8](repeating: 0, count: 64 << 10)

    public init() {}

    var sourcePartition: ConnectValue? { path.map { .stringMap(["filename": .string($0)]) } }

    public func start(_ config: [String: String], context: any SourceTaskContext) async throws {
        path = config["file"].flatMap { $0.isEmpty ? nil : $0 }
        topic = config["topic"] ?? ""
        batchSize = Int(config["batch.size"] ?? "") ?? 2000
        if let partition = sourcePartition, let offset = await context.offset(for: partition) {
            guard let stored = offset["position"]?.integerValue else {
                throw ConnectConfigError("Offset position is the incorrect type")
            }
            position = stored
        }
        if path == nil { descriptor = STDIN_FILENO }
    }

    public func poll() async throws -> [SourceRecord] {
        if descriptor < 0 {
            guard let path else { return [] }
            let opened = open(path, O_RDONLY | O_CLOEXEC)
            guard opened >= 0 else {
                // Java waits for the file to be created.
                try await Task.sleep(for: .milliseconds(250))
                return []
            }
            if position > 0 && lseek(opened, off_t(position), SEEK_SET) < 0 {
                close(opened)
                throw ConnectDataError("cannot seek \(path) to \(position): \(String(cString: strerror(errno)))")
            }
            descriptor = opened
        }
        var records = extractLines()
        if records.isEmpty {
            let count = readBuffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if count < 0 {
                throw ConnectDataError("cannot read \(path ?? "stdin"): \(String(cString: strerror(errno)))")
            }
            if count == 0 {
                try await Task.sleep(for: .milliseconds(250))
                return []
            }
            buffer.append(contentsOf: readBuffer[..<count])
            records = extractLines()
        }
        return records
    }

    /// Up to `batch.size` whole lines from the buffer, as records.
    private func extractLines() -> [SourceRecord] {
        var records: [SourceRecord] = []
        var start = 0
        var index = 0
        while index < buffer.count && records.count < batchSize {
            let byte = buffer[index]
            guard byte == UInt8(ascii: "\n") || byte == UInt8(ascii: "\r") else {
                index += 1
                continue
            }
            var end = index + 1
            if byte == UInt8(ascii: "\r") {
                guard index + 1 < buffer.count else { break }  // `\r\n` or `\r` alone: wait to see
                if buffer[index + 1] == UInt8(ascii: "\n") { end += 1 }
            }
            let line = String(decoding: buffer[start..<index], as: UTF8.self)
            position += Int64(end - start)
            records.append(
                SourceRecord(
                    sourcePartition: sourcePartition,
                    sourceOffset: path == nil ? nil : .stringMap(["position": .int64(position)]),
                    topic: topic,
                    valueSchema: Self.valueSchema,
                    value: .string(line),
                    timestamp: Int64(Date().timeIntervalSince1970 * 1000)
                )
            )
            start = end
            index = end
        }
        buffer.removeFirst(start)
        return records
    }

    public func stop() async {
        if descriptor > STDIN_FILENO { close(descriptor) }
        descriptor = -1
    }
}
