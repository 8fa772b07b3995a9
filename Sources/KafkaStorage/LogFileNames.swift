import Foundation
public import KafkaCore

/// Kafka's file names in a partition directory (`LogFileUtils`): a segment is `<base offset>.log` with its
/// `.index` and `.timeindex`, the base offset written as 20 zero-padded digits; files being deleted carry a
/// `.deleted` suffix, the compactor's output `.cleaned` and then `.swap`.
public enum LogFileNames {
    public static let logSuffix = ".log"
    public static let indexSuffix = ".index"
    public static let timeIndexSuffix = ".timeindex"
    public static let deletedSuffix = ".deleted"
    public static let cleanedSuffix = ".cleaned"
    public static let swapSuffix = ".swap"
    public static let leaderEpochCheckpoint = "leader-epoch-checkpoint"

    /// "00000000000000001234" for 1234.
    public static func offsetPrefix(_ offset: Int64) -> String {
        let digits = String(offset)
        return String(repeating: "0", count: max(0, 20 - digits.count)) + digits
    }

    public static func logFile(_ directory: String, _ baseOffset: Int64, suffix: String = "") -> String {
        "\(directory)/\(offsetPrefix(baseOffset))\(logSuffix)\(suffix)"
    }

    public static func indexFile(_ directory: String, _ baseOffset: Int64, suffix: String = "") -> String {
        "\(directory)/\(offsetPrefix(baseOffset))\(indexSuffix)\(suffix)"
    }

    public static func timeIndexFile(_ directory: String, _ baseOffset: Int64, suffix: String = "") -> String {
        "\(directory)/\(offsetPrefix(baseOffset))\(timeIndexSuffix)\(suffix)"
    }

    /// The base offset in a segment file's name, or nil when the name is not a segment file's.
    public static func baseOffset(ofFileNamed name: String) -> Int64? {
        guard let dot = name.firstIndex(of: "."), name.distance(from: name.startIndex, to: dot) == 20 else {
            return nil
        }
        return Int64(name[..<dot])
    }

    /// "topic-3" for a partition's directory name.
    public static func directoryName(_ topicPartition: TopicPartition) -> String { topicPartition.description }

    /// The partition a directory name stands for ("my-topic-3" → my-topic, 3), or nil.
    public static func topicPartition(ofDirectoryNamed name: String) -> TopicPartition? {
        guard let dash = name.lastIndex(of: "-"), let partition = Int32(name[name.index(after: dash)...]),
            partition >= 0, dash > name.startIndex
        else { return nil }
        return TopicPartition(String(name[..<dash]), partition)
    }

    /// Kafka's `<topic>-<partition>.<uuid>-future` (or `-delete`): the directory name with a unique id and suffix.
    public static func directoryName(_ topicPartition: TopicPartition, uniqueSuffix suffix: String) -> String {
        let id = UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
        return "\(directoryName(topicPartition)).\(id)\(suffix)"
    }

    /// The partition of a `<topic>-<partition>.<uuid>-future` directory, or nil.
    public static func topicPartition(ofFutureDirectoryNamed name: String) -> TopicPartition? {
        guard name.hasSuffix("-future"), let dot = name.lastIndex(of: ".") else { return nil }
        return topicPartition(ofDirectoryNamed: String(name[..<dot]))
    }
}
