import Avro
import Foundation

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Avro values in Confluent's wire format (magic byte 0, a four-byte schema id, the datum) decoded for the message
/// browser through `schema.registry.url`: the writer's schema fetched once per id (`GET /schemas/ids/<id>`) and
/// kept, the datum shown as JSON with its record's field names (unions as their value, bytes as text escapes).
/// One per message read; ids that fail (no registry, unknown id, a datum that does not parse) leave the value to
/// the other renderings.
struct AvroMessages {
    let registryURL: String
    var schemas: [Int32: AvroSchemaDocument?] = [:]

    /// The datum as pretty-printed JSON, or nil when `bytes` is not a Confluent Avro value this registry knows.
    mutating func render(_ bytes: [UInt8]) async -> String? {
        guard bytes.count >= 5, bytes[0] == 0 else { return nil }
        let id = bytes[1..<5].reduce(Int32(0)) { $0 << 8 | Int32($1) }
        if schemas[id] == nil { schemas[id] = await fetch(id) }
        guard let document = schemas[id] ?? nil,
            let (datum, length) = try? AvroBinary.read(bytes[5...], document.root, document),
            5 + length == bytes.count
        else { return nil }
        let object = Self.json(datum, document.root, document)
        guard
            let data = try? JSONSerialization.data(
                withJSONObject: ["schema_id": Int(id), "value": object],
                options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes, .fragmentsAllowed]
            )
        else { return nil }
        return String(decoding: data, as: UTF8.self)
    }

    private func fetch(_ id: Int32) async -> AvroSchemaDocument? {
        guard let url = URL(string: "\(registryURL.trimmingSuffix("/"))/schemas/ids/\(id)") else { return nil }
        var request = URLRequest(url: url)
        request.timeoutInterval = 5
        guard let (data, response) = try? await URLSession.shared.data(for: request),
            (response as? HTTPURLResponse)?.statusCode == 200,
            let body = try? JSONValue.parse(String(decoding: data, as: UTF8.self)),
            body["schemaType"]?.stringValue ?? "AVRO" == "AVRO",
            let text = body["schema"]?.stringValue
        else { return nil }
        return try? AvroSchemaParser(validateDefaults: false).parse(text)
    }

    /// A Foundation JSON object of `value` (of `schema`).
    static func json(_ value: AvroValue, _ schema: AvroSchema, _ document: AvroSchemaDocument) -> Any {
        let schema = document.resolve(schema)
        switch value {
        case .null: return NSNull()
        case .boolean(let flag): return flag
        case .int(let number): return Int(number)
        case .long(let number): return Int(number)
        case .float(let number): return Double(number)
        case .double(let number): return number
        case .bytes(let bytes), .fixed(let bytes):
            return String(decoding: bytes, as: UTF8.self).unicodeScalars.allSatisfy { $0.value >= 0x20 }
                ? String(decoding: bytes, as: UTF8.self) : bytes.map { String(format: "\\u%04x", $0) }.joined()
        case .string(let text), .enumeration(let text): return text
        case .record(let values):
            guard case .record(_, let fields, _) = schema else { return values.map { json($0, schema, document) } }
            var object: [String: Any] = [:]
            for (field, member) in zip(fields, values) { object[field.name] = json(member, field.type, document) }
            return object
        case .array(let items):
            guard case .array(let itemSchema, _) = schema else { return [] as [Any] }
            return items.map { json($0, itemSchema, document) }
        case .map(let entries):
            guard case .map(let valueSchema, _) = schema else { return [:] as [String: Any] }
            return entries.mapValues { json($0, valueSchema, document) }
        case .union(let branch, let member):
            guard case .union(let branches) = schema, branches.indices.contains(branch) else { return NSNull() }
            return json(member, branches[branch], document)
        }
    }
}

extension String {
    fileprivate func trimmingSuffix(_ suffix: String) -> String {
        hasSuffix(suffix) ? String(dropLast(suffix.count)) : self
    }
}
