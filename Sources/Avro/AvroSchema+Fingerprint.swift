/// The Avro specification's Parsing Canonical Form and its CRC-64-AVRO fingerprint (what fastavro and Avro's own
/// libraries compute to recognise a schema regardless of docs, aliases, properties and spelling): full names
/// (no `namespace`), only `type, name, fields, symbols, items, values, size` in the order `name, type, fields,
/// symbols, items, values, size`, primitives as plain strings, a named type in full once and by full name after.
/// Confluent's ids do not use it (they hash `canonicalText`).
extension AvroSchemaDocument {
    public var parsingCanonicalForm: String {
        var written: Set<String> = []
        var out = ""
        writeParsingForm(root, written: &written, to: &out)
        return out
    }

    /// CRC-64-AVRO (Rabin) of the Parsing Canonical Form's UTF-8 bytes.
    public var fingerprint: UInt64 { Self.crc64Avro(Array(parsingCanonicalForm.utf8)) }

    func writeParsingForm(_ schema: AvroSchema, written: inout Set<String>, to out: inout String) {
        func named(_ type: String, _ named: AvroNamedType) -> Bool {
            guard written.insert(named.name.fullName).inserted else {
                JSONValue.writeString(named.name.fullName, to: &out)
                return false
            }
            out += "{\"name\":"
            JSONValue.writeString(named.name.fullName, to: &out)
            out += ",\"type\":\"\(type)\""
            return true
        }
        switch schema {
        case .primitive(let primitive, _):
            JSONValue.writeString(primitive.rawValue, to: &out)
        case .reference(let name):
            if written.contains(name.fullName) || definitions[name.fullName] == nil {
                JSONValue.writeString(name.fullName, to: &out)
            } else {
                writeParsingForm(definitions[name.fullName]!, written: &written, to: &out)
            }
        case .record(let type, let fields, let isError):
            guard named(isError ? "error" : "record", type) else { return }
            out += ",\"fields\":["
            for (index, field) in fields.enumerated() {
                if index > 0 { out += "," }
                out += "{\"name\":"
                JSONValue.writeString(field.name, to: &out)
                out += ",\"type\":"
                writeParsingForm(field.type, written: &written, to: &out)
                out += "}"
            }
            out += "]}"
        case .enumeration(let type, let symbols, _):
            guard named("enum", type) else { return }
            out += ",\"symbols\":" + JSONValue.array(symbols.map { .string($0) }).compactText + "}"
        case .fixed(let type, let size):
            guard named("fixed", type) else { return }
            out += ",\"size\":\(size)}"
        case .array(let items, _):
            out += "{\"type\":\"array\",\"items\":"
            writeParsingForm(items, written: &written, to: &out)
            out += "}"
        case .map(let values, _):
            out += "{\"type\":\"map\",\"values\":"
            writeParsingForm(values, written: &written, to: &out)
            out += "}"
        case .union(let branches):
            out += "["
            for (index, branch) in branches.enumerated() {
                if index > 0 { out += "," }
                writeParsingForm(branch, written: &written, to: &out)
            }
            out += "]"
        }
    }

    static let crc64Empty: UInt64 = 0xc15d_213a_a4d7_a795
    static let crc64Table: [UInt64] = (0..<256).map { index in
        var fingerprint = UInt64(index)
        for _ in 0..<8 { fingerprint = (fingerprint >> 1) ^ (crc64Empty & (0 &- (fingerprint & 1))) }
        return fingerprint
    }

    static func crc64Avro(_ bytes: [UInt8]) -> UInt64 {
        var fingerprint = crc64Empty
        for byte in bytes { fingerprint = (fingerprint >> 8) ^ crc64Table[Int((fingerprint ^ UInt64(byte)) & 0xff)] }
        return fingerprint
    }
}
