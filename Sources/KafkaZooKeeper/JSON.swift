import Foundation

/// Kafka's znode values are compact UTF-8 JSON; this reads and writes them with Foundation, keeping each field's
/// JSON type exactly as Kafka writes it (some numbers are strings: timestamps, `/cluster/id`'s version, producer id
/// blocks). Key order is not significant to any reader.
enum ZNodeJSON {
    static func encode(_ object: [String: Any]) -> [UInt8] {
        // Sorted keys make the bytes deterministic; readers (Kafka, Burrow, kazoo scripts) parse JSON.
        let data = try! JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])
        return Array(data)
    }

    static func decode(_ bytes: [UInt8]?, path: String) throws(ZNodeError) -> [String: Any] {
        guard let bytes, !bytes.isEmpty else { throw .empty(path: path) }
        guard let object = try? JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any] else {
            throw .malformed(path: path, reason: "not a JSON object: \(String(decoding: bytes, as: UTF8.self))")
        }
        return object
    }

    static func int(_ value: Any?) -> Int64? {
        if let number = value as? NSNumber { return number.int64Value }
        if let text = value as? String { return Int64(text) }
        return nil
    }
}

/// A znode that does not hold what Kafka writes there.
public enum ZNodeError: Error, Sendable, Equatable, CustomStringConvertible {
    case empty(path: String)
    case malformed(path: String, reason: String)
    case unsupportedVersion(path: String, version: Int64)

    public var description: String {
        switch self {
        case .empty(let path): "\(path) holds no data"
        case .malformed(let path, let reason): "\(path) is malformed: \(reason)"
        case .unsupportedVersion(let path, let version): "\(path) has unsupported version \(version)"
        }
    }
}
