public import Avro
import Foundation
public import KafkaConnect

/// Source offsets of a standalone worker, kept in `offset.storage.file.filename`. Keys and values are the bytes
/// distributed mode writes to `connect-offsets` (JsonConverter without schemas: key `["<connector>",{partition}]`,
/// value the offset map); the file holds them as a JSON array of `[key, value]` text pairs (Java writes a
/// serialized `HashMap`, which only a JVM reads). Every `store` rewrites the file through a temporary file,
/// fsync and rename, so a crash leaves the old or the new offsets, never a torn file. An actor: the worker's
/// source tasks read and store through it.
public actor FileOffsetStore: OffsetBackingStore {
    public let path: String
    private var offsets: [String: String] = [:]

    /// The store of `path`, loaded when the file exists; a file that cannot be read is refused (its offsets
    /// would otherwise be lost silently and every source would start over).
    public init(path: String) throws(ConnectConfigError) {
        self.path = path
        guard FileManager.default.fileExists(atPath: path) else { return }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ConnectConfigError("cannot read the offsets file \(path)")
        }
        do {
            guard case .array(let pairs) = try JSONValue.parse(String(decoding: data, as: UTF8.self)) else {
                throw ConnectConfigError("the offsets file \(path) is not a JSON array")
            }
            for pair in pairs {
                guard case .array(let both) = pair, both.count == 2, let key = both[0].stringValue,
                    let value = both[1].stringValue
                else { throw ConnectConfigError("the offsets file \(path) has an entry that is not [key, value]") }
                offsets[key] = value
            }
        } catch let error as ConnectConfigError {
            throw error
        } catch {
            throw ConnectConfigError("the offsets file \(path) is not valid JSON: \(error)")
        }
    }

    /// The stored offset of `key` (both as JSON text).
    public func get(_ key: String) -> String? { offsets[key] }

    /// Stores offsets (nil removes one) and rewrites the file before returning.
    public func store(_ entries: [String: String?]) throws(ConnectDataError) {
        guard !entries.isEmpty else { return }
        for (key, value) in entries { offsets[key] = value }
        let text = JSONValue.array(
            offsets.sorted { $0.key < $1.key }.map { .array([.string($0.key), .string($0.value)]) }
        ).compactText
        let temporary = path + ".tmp"
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw ConnectDataError("cannot write \(temporary): \(Self.lastError)") }
        let bytes = Array(text.utf8)
        var written = 0
        while written < bytes.count {
            let count = bytes.withUnsafeBytes {
                Foundation.write(descriptor, $0.baseAddress! + written, $0.count - written)
            }
            guard count > 0 else {
                if count < 0 && errno == EINTR { continue }
                close(descriptor)
                throw ConnectDataError("cannot write \(temporary): \(Self.lastError)")
            }
            written += count
        }
        let synced = fsync(descriptor) == 0
        close(descriptor)
        guard synced, rename(temporary, path) == 0 else {
            throw ConnectDataError("cannot store the offsets in \(path): \(Self.lastError)")
        }
    }

    /// The offsets kept for `connector`, as (source partition, offset) JSON pairs.
    public func offsets(of connector: String) -> [(partition: JSONValue, offset: JSONValue)] {
        SourceOffsets.entries(of: connector, in: offsets)
    }

    static var lastError: String { String(cString: strerror(errno)) }
}

/// How a worker names a source partition's offset: the key and value texts distributed mode writes to
/// `connect-offsets` (JsonConverter without schemas), and the reader a source task is given.
struct SourceOffsets: SourceTaskContext {
    let connector: String
    let store: any OffsetBackingStore
    static let converter = JsonConverter(schemasEnabled: false)

    /// `["<connector>",{partition}]`.
    static func key(connector: String, partition: ConnectValue) -> String? {
        try? converter.json(schema: nil, value: .array([.string(connector), partition]))?.compactText
    }

    static func text(_ offset: ConnectValue?) -> String? {
        guard let offset else { return nil }
        return try? converter.json(schema: nil, value: offset)?.compactText
    }

    /// The entries of `connector` among stored key and value texts, as (source partition, offset) JSON pairs.
    static func entries(
        of connector: String,
        in offsets: [String: String]
    ) -> [(partition: JSONValue, offset: JSONValue)] {
        offsets.compactMap { key, value in
            guard case .array(let parts)? = try? JSONValue.parse(key), parts.count == 2,
                parts[0] == .string(connector), let offset = try? JSONValue.parse(value)
            else { return nil }
            return (parts[1], offset)
        }
    }

    func offset(for partition: ConnectValue) async -> ConnectValue? {
        guard let key = Self.key(connector: connector, partition: partition), let text = await store.get(key),
            let json = try? JSONValue.parse(text)
        else { return nil }
        return try? Self.converter.connectData(json).value
    }
}
