public import KafkaCore

/// A log directory's offset checkpoint (`recovery-point-offset-checkpoint`, `log-start-offset-checkpoint`,
/// `replication-offset-checkpoint`, `cleaner-offset-checkpoint`): one `<topic> <partition> <offset>` line per
/// partition after the version and count lines.
public struct OffsetCheckpointFile: Sendable {
    public static let recoveryPoint = "recovery-point-offset-checkpoint"
    public static let logStartOffset = "log-start-offset-checkpoint"
    public static let replicationOffset = "replication-offset-checkpoint"
    public static let cleanerOffset = "cleaner-offset-checkpoint"

    public let path: String

    public init(directory: String, name: String) {
        path = "\(directory)/\(name)"
    }

    public func write(_ offsets: [TopicPartition: Int64]) throws(StorageError) {
        try CheckpointFile.write(
            path,
            lines: offsets.sorted { $0.key < $1.key }.map { "\($0.key.topic) \($0.key.partition) \($0.value)" }
        )
    }

    /// The offsets, or an empty map when the file does not exist; throws for a malformed file.
    public func read() throws(StorageError) -> [TopicPartition: Int64] {
        guard let lines = try CheckpointFile.read(path) else { return [:] }
        var offsets: [TopicPartition: Int64] = [:]
        for line in lines {
            let parts = line.split(separator: " ")
            guard parts.count == 3, let partition = Int32(parts[1]), let offset = Int64(parts[2]) else {
                throw .inconsistentDirectory(path: path, reason: "malformed line '\(line)'")
            }
            offsets[TopicPartition(String(parts[0]), partition)] = offset
        }
        return offsets
    }
}
