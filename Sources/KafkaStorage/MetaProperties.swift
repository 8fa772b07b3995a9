/// A log directory's `meta.properties`, as ZooKeeper-era Kafka writes it (Java properties, version 0):
///
///     #
///     #<date>
///     cluster.id=<id>
///     version=0
///     broker.id=<id>
///
/// It ties the directory to one broker and one cluster, so a directory moved to the wrong broker is refused.
public struct MetaProperties: Sendable, Equatable {
    public static let fileName = "meta.properties"

    public var brokerID: Int32?
    public var clusterID: String?

    public init(brokerID: Int32?, clusterID: String?) {
        self.brokerID = brokerID
        self.clusterID = clusterID
    }

    /// The properties of `directory`, or nil when it has no `meta.properties`.
    public static func read(directory: String) throws(StorageError) -> MetaProperties? {
        let path = "\(directory)/\(fileName)"
        guard let text = CheckpointFile.readText(path) else { return nil }
        var values: [String: String] = [:]
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            guard let equals = line.firstIndex(of: "=") else { continue }
            values[String(line[..<equals]).trimmingWhitespace()] = String(line[line.index(after: equals)...])
                .trimmingWhitespace()
        }
        guard values["version"] == "0" || values["version"] == "1" else {
            throw .inconsistentDirectory(
                path: path,
                reason: "unsupported meta.properties version \(values["version"] ?? "none")"
            )
        }
        return MetaProperties(brokerID: values["broker.id"].flatMap { Int32($0) }, clusterID: values["cluster.id"])
    }

    public func write(directory: String, date: String) throws(StorageError) {
        var lines = ["#", "#\(date)"]
        if let clusterID { lines.append("cluster.id=\(clusterID)") }
        lines.append("version=0")
        if let brokerID { lines.append("broker.id=\(brokerID)") }
        try CheckpointFile.writeAtomically(
            "\(directory)/\(Self.fileName)",
            contents: lines.joined(separator: "\n") + "\n"
        )
    }
}

extension String {
    func trimmingWhitespace() -> String {
        var result = Substring(self)
        while let first = result.first, first == " " || first == "\t" || first == "\r" { result.removeFirst() }
        while let last = result.last, last == " " || last == "\t" || last == "\r" { result.removeLast() }
        return String(result)
    }
}
