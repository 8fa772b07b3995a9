/// The Swift for one schema struct (a message or one of its nested structs): stored properties, a memberwise
/// initializer with Kafka's defaults, and a version-aware decoder and encoder.
struct StructCode {
    let name: String
    let fields: [FieldCode]
    let valid: Versions
    let flexible: Versions
    let flexibleReference: String

    init(name: String, fields: [Field], valid: Versions, flexible: Versions) {
        self.name = name
        let condition = flexible.condition(within: valid)
        let reference = condition == "true" || condition == "false" ? condition : "flexible"
        self.fields = fields.map {
            FieldCode(field: $0, valid: valid, flexible: flexible, flexibleReference: reference)
        }.filter(\.exists)
        self.flexibleReference = reference
        self.valid = valid
        self.flexible = flexible
    }

    var flexibleCondition: String { flexible.condition(within: valid) }

    /// Conditions joined with &&, dropping "true"; "false" wins.
    static func all(_ conditions: [String]) -> String {
        let parts = conditions.filter { $0 != "true" }
        if parts.contains("false") { return "false" }
        if parts.isEmpty { return "true" }
        return parts.count == 1 ? parts[0] : parts.map { "(\($0))" }.joined(separator: " && ")
    }

    /// `statements` guarded by `condition`, without the `if` when it always holds and not at all when it never does.
    static func guarded(_ condition: String, _ statements: [String]) -> [String] {
        switch condition {
        case "true": return statements
        case "false": return []
        default: return ["if \(condition) {"] + statements.map { "    " + $0 } + ["}"]
        }
    }

    /// Declares `flexible` when the body uses it.
    private func withFlexible(_ body: [String]) -> [String] {
        let uses = body.contains { $0.contains("flexible") }
        return uses ? ["let flexible = \(flexibleCondition)"] + body : body
    }

    private func regularCondition(_ field: FieldCode) -> String {
        guard field.isTagged else { return field.presentCondition }
        if field.field.taggedVersions.low <= field.field.versions.intersecting(valid).low { return "false" }
        return Self.all([field.presentCondition, "!(\(field.taggedCondition))"])
    }

    /// `errorBearing`: the structs (by type name) with an ErrorCode field here or below, which get
    /// `forEachErrorCode`; empty for requests and data messages.
    func declaration(
        extraMembers: [String],
        conformances: String,
        nested: [StructCode],
        doc: [String],
        errorBearing: Set<String> = []
    ) -> [String] {
        var lines = doc
        lines.append("public struct \(name): \(conformances) {")
        var body: [String] = []
        body += extraMembers
        for field in fields {
            if let about = field.field.about { body.append("/// \(about)") }
            body.append("public var \(field.property): \(field.declaredType) = \(field.defaultValue)")
        }
        if !fields.isEmpty { body.append("") }
        body += memberwiseInit() + [""] + decoder() + [""] + encoder()
        if errorBearing.contains(name) { body += [""] + errorCodeVisitor(errorBearing) }
        for structure in nested {
            body.append("")
            body += structure.declaration(
                extraMembers: [],
                conformances: "Sendable, Equatable",
                nested: [],
                doc: [],
                errorBearing: errorBearing
            )
        }
        lines += body.map { $0.isEmpty ? "" : "    " + $0 }
        lines.append("}")
        return lines
    }

    /// The struct whose name `type` refers to, when it is one (directly or as an array's element).
    private static func structName(_ type: FieldType) -> String? {
        switch type {
        case .structure(let name): Naming.typeName(name)
        case .array(let element): structName(element)
        case .primitive: nil
        }
    }

    /// Whether this struct has an ErrorCode field, or a field of a struct in `bearing`.
    func bearsErrors(_ bearing: Set<String>) -> Bool {
        fields.contains { field in
            field.isErrorCode || Self.structName(field.field.type).map(bearing.contains) == true
        }
    }

    /// `forEachErrorCode(_:)`: every ErrorCode field's value, here and in the nested structs that have any, in
    /// field order (what Kafka's `errorCounts()` counts; absent-at-this-version fields report their default, 0).
    private func errorCodeVisitor(_ bearing: Set<String>) -> [String] {
        var body: [String] = []
        for field in fields {
            let value = "self.\(field: field)"
            if field.isErrorCode {
                body.append(field.declaredType.hasSuffix("?") ? "\(value).map(body)" : "body(\(value))")
            } else if let nested = Self.structName(field.field.type), bearing.contains(nested) {
                let optional = field.declaredType.hasSuffix("?")
                if case .array = field.field.type {
                    body.append("for element in \(value)\(optional ? " ?? []" : "") { element.forEachErrorCode(body) }")
                } else {
                    body.append("\(value)\(optional ? "?" : "").forEachErrorCode(body)")
                }
            }
        }
        return [
            "/// Calls `body` with every error code of this message, nested ones included (Kafka's errorCounts).",
            "public func forEachErrorCode(_ body: (KafkaErrorCode) -> Void) {",
        ] + body.map { "    " + $0 } + ["}"]
    }

    private func memberwiseInit() -> [String] {
        guard !fields.isEmpty else { return ["public init() {}"] }
        var lines = ["public init() {}", "", "public init("]
        lines += fields.enumerated().map { index, field in
            "    \(field.property): \(field.declaredType) = \(field.defaultValue)\(index == fields.count - 1 ? "" : ",")"
        }
        lines.append(") {")
        lines += fields.map { "    self.\(field: $0) = \($0.property)" }
        lines.append("}")
        return lines
    }

    private func decoder() -> [String] {
        var body: [String] = fields.isEmpty ? [] : ["self.init()"]
        for field in fields {
            body += Self.guarded(
                regularCondition(field),
                ["self.\(field: field) = \(field.readExpression(buffer: "buffer", compact: field.compactCondition))"]
            )
        }
        let tagged = fields.filter(\.isTagged)
        var taggedSection: [String]
        if tagged.isEmpty {
            taggedSection = ["try buffer.skipTaggedFields()"]
        } else {
            taggedSection = ["try buffer.readTaggedFields { tag, field throws(ProtocolError) in", "    switch tag {"]
            for field in tagged.sorted(by: { $0.field.tag! < $1.field.tag! }) {
                let condition = field.taggedCondition == "true" ? "" : " where \(field.taggedCondition)"
                taggedSection.append("    case \(field.field.tag!)\(condition):")
                taggedSection.append(
                    "        self.\(field: field) = \(field.readExpression(buffer: "field", compact: "true"))"
                )
            }
            taggedSection += ["    default: break", "    }", "}"]
        }
        body += Self.guarded(flexibleReference, taggedSection)
        let signature = "public init(from buffer: inout ByteBuffer, version: Int16) throws(ProtocolError) {"
        let initialized = fields.isEmpty ? ["self.init()"] : []
        return [signature] + withFlexible(initialized + body).map { "    " + $0 } + ["}"]
    }

    private func encoder() -> [String] {
        var body: [String] = []
        for field in fields {
            body += Self.guarded(
                regularCondition(field),
                field.writeStatements(value: "self.\(field: field)", buffer: "buffer", compact: field.compactCondition)
            )
        }
        let tagged = fields.filter(\.isTagged).sorted(by: { $0.field.tag! < $1.field.tag! })
        var taggedSection: [String] = []
        if tagged.isEmpty {
            taggedSection = ["buffer.writeUnsignedVarint(0)"]
        } else {
            taggedSection = ["var taggedCount: UInt32 = 0"]
            for field in tagged {
                taggedSection += Self.guarded(
                    Self.all([field.taggedCondition, "self.\(field: field) != \(field.defaultValue)"]),
                    ["taggedCount += 1"]
                )
            }
            taggedSection.append("buffer.writeUnsignedVarint(taggedCount)")
            for field in tagged {
                let write = field.writeStatements(value: "self.\(field: field)", buffer: "buffer", compact: "true")
                taggedSection += Self.guarded(
                    Self.all([field.taggedCondition, "self.\(field: field) != \(field.defaultValue)"]),
                    ["buffer.writeTaggedField(tag: \(field.field.tag!)) { buffer in"] + write.map { "    " + $0 } + [
                        "}"
                    ]
                )
            }
        }
        body += Self.guarded(flexibleReference, taggedSection)
        return ["public func write(to buffer: inout ByteBuffer, version: Int16) {"]
            + withFlexible(body).map { "    " + $0 } + ["}"]
    }

    /// The test target's sample factory: every field present at `version` gets a random non-default value.
    func sampleFactory(typePath: String, messageType: String) -> [String] {
        var lines = [
            "extension \(typePath) {", "    static func sample(version: Int16, _ random: inout SampleRandom) -> Self {",
        ]
        lines.append(fields.isEmpty ? "        let value = Self()" : "        var value = Self()")
        for field in fields {
            lines += Self.guarded(
                field.presentCondition,
                ["value.\(field: field) = \(field.sampleExpression(messageType: messageType))"]
            ).map { "        " + $0 }
        }
        lines += ["        return value", "    }", "}"]
        return lines
    }
}

extension String.StringInterpolation {
    /// `\(field: f)`: the property name for use after `self.` (keywords need no escaping there).
    mutating func appendInterpolation(field: FieldCode) {
        appendLiteral(field.label)
    }
}
