/// The Swift for one field of one struct, within the version range of its message.
struct FieldCode {
    let field: Field
    /// The message's valid versions: every condition is simplified within them.
    let valid: Versions
    /// The struct's flexible versions.
    let flexible: Versions
    /// How the struct's code names its flexibility: `flexible`, or a literal when it is the same for every version.
    let flexibleReference: String

    var property: String { Naming.propertyName(field.name) }
    var label: String { Naming.plain(property) }

    /// Present in some valid version at all.
    var exists: Bool { !field.versions.intersecting(valid).isEmpty }
    var isOptional: Bool { !field.nullableVersions.intersecting(field.versions).intersecting(valid).isEmpty }
    var isTagged: Bool { field.tag != nil && !field.taggedVersions.intersecting(valid).isEmpty }

    var presentCondition: String { field.versions.condition(within: valid) }
    var taggedCondition: String { field.taggedVersions.intersecting(field.versions).condition(within: valid) }
    var nullableCondition: String { field.nullableVersions.condition(within: valid) }

    /// The compactness of this field's lengths: the field's own flexibleVersions when it has them (RequestHeader's
    /// ClientId is never compact), else the struct's.
    var compactCondition: String {
        if let own = field.flexibleVersions { return own.condition(within: valid) }
        return flexibleReference
    }

    func swiftType(_ type: FieldType? = nil) -> String {
        switch type ?? field.type {
        case .primitive(let name):
            switch name {
            case "bool": return "Bool"
            case "int8": return "Int8"
            case "int16": return "Int16"
            case "uint16": return "UInt16"
            case "int32": return "Int32"
            case "uint32": return "UInt32"
            case "int64": return "Int64"
            case "float64": return "Double"
            case "string": return "String"
            case "bytes": return "[UInt8]"
            case "records": return "ByteBuffer"
            case "uuid": return "KafkaUUID"
            default: fatalError("unknown primitive type \(name) in \(field.name)")
            }
        case .array(let element): return "[\(swiftType(element))]"
        case .structure(let name): return Naming.typeName(name)
        }
    }

    /// An int16 error code (`ErrorCode`, `PartitionErrorCode`, ...): typed as `KafkaErrorCode`, which keeps codes it
    /// does not name.
    var isErrorCode: Bool {
        guard case .primitive("int16") = field.type else { return false }
        return field.name.hasSuffix("ErrorCode")
    }

    /// The declared type: optional when null is allowed in some version (records always).
    var declaredType: String {
        if case .primitive("records") = field.type { return "ByteBuffer?" }
        if isErrorCode { return "KafkaErrorCode" + (isOptional ? "?" : "") }
        return swiftType() + (isOptional ? "?" : "")
    }

    /// The default value as a Swift expression.
    var defaultValue: String {
        let text = field.defaultText
        if case .primitive("records") = field.type { return "nil" }
        // As in Kafka's generator: only an explicit "null" default is null; otherwise a nullable field defaults to
        // its empty value.
        if isOptional && text == "null" { return "nil" }
        if isErrorCode { return text.map { "KafkaErrorCode(rawValue: \($0))" } ?? ".none" }
        switch field.type {
        case .primitive(let name):
            switch name {
            case "bool": return text ?? "false"
            case "string": return "\"\((text ?? "").replacingOccurrences(of: "\"", with: "\\\""))\""
            case "bytes": return "[]"
            case "uuid": return ".zero"
            case "float64": return text ?? "0"
            default: return text ?? "0"
            }
        case .array: return "[]"
        case .structure(let name): return "\(Naming.typeName(name))()"
        }
    }

    // MARK: Reading

    /// An expression reading this field from `buffer` (a name of an `inout ByteBuffer`).
    func readExpression(buffer: String, compact: String) -> String {
        if isErrorCode {
            return "KafkaErrorCode(rawValue: try \(buffer).readKafkaInteger(Int16.self, field: \"\(field.name)\"))"
        }
        return readExpression(type: field.type, optional: isOptional, buffer: buffer, compact: compact)
    }

    private func readExpression(type: FieldType, optional: Bool, buffer: String, compact: String) -> String {
        let name = "\"\(field.name)\""
        switch type {
        case .primitive(let primitive):
            switch primitive {
            case "bool": return "try \(buffer).readKafkaBool()"
            case "float64": return "try \(buffer).readKafkaFloat64()"
            case "uuid": return "try \(buffer).readKafkaUUID()"
            case "string":
                return optional
                    ? "try \(buffer).readKafkaNullableString(compact: \(compact), nullable: \(nullableCondition), field: \(name))"
                    : "try \(buffer).readKafkaString(compact: \(compact), field: \(name))"
            case "bytes":
                return optional
                    ? "try \(buffer).readKafkaNullableBytes(compact: \(compact), nullable: \(nullableCondition), field: \(name))"
                    : "try \(buffer).readKafkaBytes(compact: \(compact), field: \(name))"
            case "records": return "try \(buffer).readKafkaRecords(compact: \(compact), field: \(name))"
            default: return "try \(buffer).readKafkaInteger(\(swiftType(type)).self, field: \(name))"
            }
        case .array(let element):
            let inner = readExpression(type: element, optional: false, buffer: "element", compact: compact)
            let closure = "{ (element: inout ByteBuffer) throws(ProtocolError) in \(inner) }"
            return optional
                ? "try \(buffer).readKafkaNullableArray(compact: \(compact), nullable: \(nullableCondition), field: \(name)) \(closure)"
                : "try \(buffer).readKafkaArray(compact: \(compact), field: \(name)) \(closure)"
        case .structure(let structName):
            let read = "try \(Naming.typeName(structName))(from: &\(buffer), version: version)"
            return optional
                ? "try \(buffer).readKafkaStructPresence(nullable: \(nullableCondition), field: \(name)) ? \(read) : nil"
                : read
        }
    }

    // MARK: Writing

    /// Statements writing `value` into `buffer`.
    func writeStatements(value: String, buffer: String, compact: String) -> [String] {
        if isErrorCode { return ["\(buffer).writeKafkaInteger(\(value).rawValue)"] }
        return writeStatements(type: field.type, optional: isOptional, value: value, buffer: buffer, compact: compact)
    }

    private func writeStatements(
        type: FieldType,
        optional: Bool,
        value: String,
        buffer: String,
        compact: String
    )
        -> [String]
    {
        switch type {
        case .primitive(let primitive):
            switch primitive {
            case "bool": return ["\(buffer).writeKafkaBool(\(value))"]
            case "float64": return ["\(buffer).writeKafkaFloat64(\(value))"]
            case "uuid": return ["\(buffer).writeKafkaUUID(\(value))"]
            case "string":
                return [
                    optional
                        ? "\(buffer).writeKafkaNullableString(\(value), compact: \(compact))"
                        : "\(buffer).writeKafkaString(\(value), compact: \(compact))"
                ]
            case "bytes":
                return [
                    optional
                        ? "\(buffer).writeKafkaNullableBytes(\(value), compact: \(compact))"
                        : "\(buffer).writeKafkaBytes(\(value), compact: \(compact))"
                ]
            case "records": return ["\(buffer).writeKafkaRecords(\(value), compact: \(compact))"]
            default: return ["\(buffer).writeKafkaInteger(\(value))"]
            }
        case .array(let element):
            let inner = writeStatements(
                type: element,
                optional: false,
                value: "element",
                buffer: "buffer",
                compact: compact
            ).joined(separator: "; ")
            let function = optional ? "writeKafkaNullableArray" : "writeKafkaArray"
            return ["\(buffer).\(function)(\(value), compact: \(compact)) { buffer, element in \(inner) }"]
        case .structure:
            if optional {
                return [
                    "if let present = \(value) {",
                    "    \(buffer).writeKafkaInteger(Int8(1))",
                    "    present.write(to: &\(buffer), version: version)",
                    "} else {",
                    "    \(buffer).writeKafkaInteger(Int8(-1))",
                    "}",
                ]
            }
            return ["\(value).write(to: &\(buffer), version: version)"]
        }
    }

    // MARK: Samples (test target)

    /// An expression making a random non-default value of this field for the round-trip tests.
    func sampleExpression(messageType: String) -> String {
        let make =
            isErrorCode
            ? "KafkaErrorCode(rawValue: random.integer(Int16.self))"
            : sampleExpression(type: field.type, messageType: messageType)
        if case .primitive("records") = field.type { return make }
        return isOptional ? "random.maybeNil(allowed: \(nullableCondition)) { random in \(make) }" : make
    }

    private func sampleExpression(type: FieldType, messageType: String) -> String {
        switch type {
        case .primitive(let primitive):
            switch primitive {
            case "bool": return "random.bool()"
            case "float64": return "random.double()"
            case "uuid": return "random.uuid()"
            case "string": return "random.string()"
            case "bytes": return "random.bytes()"
            case "records": return "random.records()"
            default: return "random.integer(\(swiftType(type)).self)"
            }
        case .array(let element):
            return "random.array { random in \(sampleExpression(type: element, messageType: messageType)) }"
        case .structure(let name):
            return "\(messageType).\(Naming.typeName(name)).sample(version: version, &random)"
        }
    }
}
