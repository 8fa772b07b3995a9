import Foundation
public import KafkaConnect

/// `org.apache.kafka.connect.file.FileStreamSinkConnector`, Kafka 2.8's demo sink: `file` (standard output when
/// unset) and the sink settings (`topics` or `topics.regex`). Each record's value is appended as one line (a
/// string as is, null as `null`, anything else as its JSON text); `flush` makes the lines durable (fsync) before
/// the worker commits the consumed offsets.
public final class FileStreamSinkConnector: SinkConnector {
    public static let className = "org.apache.kafka.connect.file.FileStreamSinkConnector"
    public static let version = ConnectVersion.kafka
    public static let taskType: any SinkTask.Type = FileStreamSinkTask.self
    public static let configKeys: [ConfigKey] = [
        ConfigKey(
            "file",
            .string,
            default: nil,
            .high,
            "Destination filename. If not specified, the standard output will be used"
        )
    ]

    private var config: [String: String] = [:]

    public init() {}

    public func start(_ config: [String: String]) throws(ConnectConfigError) { self.config = config }

    public func taskConfigs(maxTasks: Int) -> [[String: String]] {
        Array(repeating: config.filter { $0.key == "file" }, count: max(1, maxTasks))
    }

    public func stop() {}
}

/// The task of `FileStreamSinkConnector`: appends lines to its file (opened for append, created when missing).
public final class FileStreamSinkTask: SinkTask {
    private var descriptor: Int32 = -1
    private var path = "stdout"
    private var pending: [UInt8] = []

    public init() {}

    public func start(_ config: [String: String]) async throws {
        guard let file = config["file"], !file.isEmpty else {
            descriptor = STDOUT_FILENO
            return
        }
        path = file
        descriptor = open(file, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else {
            throw ConnectDataError("Couldn't find or create file '\(file)' for FileStreamSinkTask")
        }
    }

    public func put(_ records: [SinkRecord]) async throws {
        for record in records {
            switch record.value {
            case nil: pending += Array("null".utf8)
            case .string(let text)?: pending += Array(text.utf8)
            case let other?:
                pending += StringConverter.text(of: other).utf8
            }
            pending.append(UInt8(ascii: "\n"))
        }
        if pending.count >= 1 << 20 { try write() }
    }

    public func flush() async throws {
        try write()
        if descriptor > STDERR_FILENO && fsync(descriptor) != 0 {
            throw ConnectDataError("cannot sync \(path): \(String(cString: strerror(errno)))")
        }
    }

    private func write() throws {
        var written = 0
        while written < pending.count {
            let count = pending.withUnsafeBytes {
                Foundation.write(descriptor, $0.baseAddress! + written, $0.count - written)
            }
            if count < 0 {
                if errno == EINTR { continue }
                throw ConnectDataError("cannot write \(path): \(String(cString: strerror(errno)))")
            }
            written += count
        }
        pending.removeAll(keepingCapacity: true)
    }

    public func stop() async {
        try? write()
        if descriptor > STDERR_FILENO { close(descriptor) }
        descriptor = -1
    }
}
