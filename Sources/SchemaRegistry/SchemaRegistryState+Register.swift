import Avro

/// A schema as a client sends it to register, look up or check.
public struct SchemaRequest: Sendable, Equatable {
    public var schema: String
    public var schemaType: String
    public var references: [SchemaReference]
    /// IMPORT mode only: the id and version to register it under.
    public var id: Int32?
    public var version: Int32?

    public init(
        schema: String,
        schemaType: String = "AVRO",
        references: [SchemaReference] = [],
        id: Int32? = nil,
        version: Int32? = nil
    ) {
        self.schema = schema
        self.schemaType = schemaType
        self.references = references
        self.id = id
        self.version = version
    }
}

/// Registration, lookup and compatibility checks, as Confluent 6.2's `KafkaSchemaRegistry.register`: a schema
/// already live in the subject answers its id at once (no compatibility check); then the mode gate (READONLY
/// refuses; an id or version needs IMPORT, none needs READWRITE); the schema parsed strictly (defaults checked);
/// the same schema under any subject reuses its id; the version after every version ever used; compatibility
/// against the live versions the subject's level names (not in IMPORT); re-registering a soft-deleted schema
/// tombstones its older soft-deleted versions.
extension SchemaRegistryState {
    /// The schema types this registry stores (`GET /schemas/types`, Confluent's order). Avro schemas are parsed,
    /// canonicalised and checked for compatibility; JSON Schemas are stored as compact JSON and Protobuf schemas as
    /// sent, and their compatibility is not checked: a subject of either type takes a second version only under
    /// NONE (42201 otherwise, rather than a check that is not made).
    public static let schemaTypes = ["JSON", "PROTOBUF", "AVRO"]

    /// A schema parsed with its references: the stored form and, for Avro, the document.
    struct Parsed {
        var stored: StoredSchema
        var document: AvroSchemaDocument?
    }

    func parse(_ request: SchemaRequest, validateDefaults: Bool) throws(SchemaRegistryError) -> Parsed {
        let type = request.schemaType.uppercased()
        guard Self.schemaTypes.contains(type) else {
            throw .invalidSchema("unknown schema type \(request.schemaType)")
        }
        for reference in request.references where subjects[reference.subject]?[reference.version] == nil {
            throw .invalidSchema(
                "reference \(reference.name) to \(reference.subject) version \(reference.version) not found"
            )
        }
        switch type {
        case "JSON":
            guard let json = try? JSONValue.parse(request.schema),
                json.objectValue != nil || json == .bool(true) || json == .bool(false)
            else { throw .invalidSchema("not a JSON Schema (an object or a boolean)") }
            let text = json.jacksonNormalized.compactText
            return Parsed(
                stored: StoredSchema(schemaType: type, schema: text, references: request.references),
                document: nil
            )
        case "PROTOBUF":
            let text = request.schema.trimmingWhitespace
            guard !text.isEmpty else { throw .invalidSchema("Empty schema") }
            return Parsed(
                stored: StoredSchema(schemaType: type, schema: text, references: request.references),
                document: nil
            )
        default:
            break
        }
        var imported: [AvroSchemaDocument] = []
        for reference in request.references {
            let value = subjects[reference.subject]![reference.version]!
            do {
                imported.append(try referencedDocument(value))
            } catch {
                throw .invalidSchema("reference \(reference.name): \(error)")
            }
        }
        do {
            let document = try AvroSchemaParser(validateDefaults: validateDefaults).parse(
                request.schema,
                references: imported
            )
            return Parsed(
                stored: StoredSchema(schemaType: type, schema: document.canonicalText, references: request.references),
                document: document
            )
        } catch {
            throw .invalidSchema(error.message)
        }
    }

    /// A stored version parsed again (leniently: it was checked when registered), its own references first.
    func referencedDocument(_ value: SchemaVersionValue, depth: Int = 0) throws(AvroSchemaError) -> AvroSchemaDocument {
        guard depth < 32 else { throw AvroSchemaError("references nested too deeply") }
        var imported: [AvroSchemaDocument] = []
        for reference in value.references {
            guard let nested = subjects[reference.subject]?[reference.version] else {
                throw AvroSchemaError("reference \(reference.name) not found")
            }
            imported.append(try referencedDocument(nested, depth: depth + 1))
        }
        return try AvroSchemaParser(validateDefaults: false).parse(value.schema, references: imported)
    }

    /// `POST /subjects/{subject}/versions`: the id, and the records to write (none when already registered). A
    /// new id is the next after every id read, and at least `idFloor` (the start of the id range the writer holds,
    /// when ids are handed out in ranges claimed in ZooKeeper).
    public func register(
        subject: String,
        _ request: SchemaRequest,
        idFloor: Int32 = 1
    ) throws(SchemaRegistryError) -> (id: Int32, records: [SchemaRegistryRecord]) {
        let lookedUp = try parse(request, validateDefaults: false)
        if let existing = versions(of: subject).last(where: { stored(of: $0) == lookedUp.stored }) {
            if let id = request.id, id >= 0, id != existing.id { throw .idDoesNotMatch(id) }
            return (existing.id, [])
        }
        let mode = mode(of: subject)
        if mode == .readOnly || mode == .readOnlyOverride {
            throw .notPermitted("Subject \(subject) is in read-only mode")
        }
        let importing = request.id != nil || request.version != nil
        if importing && mode != .import { throw .notPermitted("Subject \(subject) is not in import mode") }
        if !importing && mode != .readWrite { throw .notPermitted("Subject \(subject) is not in read-write mode") }
        let parsed = try parse(request, validateDefaults: true)

        let all = versions(of: subject, includeDeleted: true)
        let version = request.version ?? ((all.last?.version ?? 0) + 1)
        if request.version != nil, all.contains(where: { $0.version == version }) {
            throw .notPermitted("Overwrite new schema is not permitted.")
        }
        var id: Int32
        if let requested = request.id {
            if let taken = schemasByID[requested], taken != parsed.stored { throw .idDoesNotMatch(requested) }
            id = requested
        } else if let known = idsByContent[parsed.stored] {
            id = known
        } else {
            id = max(maxID + 1, idFloor)
            while schemasByID[id] != nil { id += 1 }
        }
        if mode != .import {
            let level = compatibility(of: subject)
            let previous = versions(of: subject).reversed().map { $0 }
            let against = level.isTransitive ? previous : Array(previous.prefix(1))
            if !(try incompatibilities(parsed, against: against, level: level)).isEmpty {
                throw .incompatible(subject)
            }
        }
        var records: [SchemaRegistryRecord] = all.filter { $0.deleted && $0.id == id }.map {
            SchemaRegistryRecord(key: .schema(subject: subject, version: $0.version), value: nil)
        }
        records.append(
            .schema(
                SchemaVersionValue(
                    subject: subject,
                    version: version,
                    id: id,
                    schemaType: parsed.stored.schemaType,
                    references: parsed.stored.references,
                    schema: parsed.stored.schema
                )
            )
        )
        return (id, records)
    }

    /// `POST /subjects/{subject}`: the version of the subject holding this schema.
    public func lookup(
        subject: String,
        _ request: SchemaRequest,
        includeDeleted: Bool = false
    ) throws(SchemaRegistryError) -> SchemaVersionValue {
        let candidates = versions(of: subject, includeDeleted: includeDeleted)
        guard !candidates.isEmpty else { throw .subjectNotFound(subject) }
        let parsed = try parse(request, validateDefaults: false)
        guard let found = candidates.last(where: { stored(of: $0) == parsed.stored }) else { throw .schemaNotFound() }
        return found
    }

    /// `POST /compatibility/subjects/{subject}/versions[/{version}]`: Avro Java's incompatibility messages (empty:
    /// compatible) against one version (`version`), or, with nil, the versions the subject's level names. A
    /// missing subject, or `latest` of one, is compatible.
    public func checkCompatibility(
        subject: String,
        version: VersionSpec?,
        _ request: SchemaRequest
    ) throws(SchemaRegistryError) -> [String] {
        let parsed = try parse(request, validateDefaults: true)
        let level = compatibility(of: subject)
        let live = versions(of: subject).reversed().map { $0 }
        switch version {
        case nil:
            return try incompatibilities(
                parsed,
                against: level.isTransitive ? live : Array(live.prefix(1)),
                level: level
            )
        case .latest?:
            return try incompatibilities(parsed, against: Array(live.prefix(1)), level: level)
        case .number(let number)?:
            guard let previous = live.first(where: { $0.version == number }) else {
                throw .versionNotFound(number)
            }
            return try incompatibilities(parsed, against: [previous], level: level)
        }
    }

    func stored(of value: SchemaVersionValue) -> StoredSchema {
        StoredSchema(schemaType: value.schemaType, schema: value.schema, references: value.references)
    }

    /// Avro Java's incompatibilities of `parsed` with each of `previous` (newest first), in the directions `level`
    /// names.
    func incompatibilities(
        _ parsed: Parsed,
        against previous: [SchemaVersionValue],
        level: CompatibilityLevel
    ) throws(SchemaRegistryError) -> [String] {
        guard level != .none, !previous.isEmpty else { return [] }
        guard let document = parsed.document else {
            throw .invalidSchema(
                "compatibility of \(parsed.stored.schemaType) schemas is not checked by this registry; a new version "
                    + "needs the subject's compatibility level to be NONE"
            )
        }
        var messages: [String] = []
        for value in previous {
            guard value.schemaType == "AVRO" else {
                messages.append("the previous version \(value.version) is a \(value.schemaType) schema, not AVRO")
                continue
            }
            guard let old = try? referencedDocument(value) else { continue }
            if level.checksBackward {
                messages += AvroCompatibility.check(reader: document, writer: old).map(\.description)
            }
            if level.checksForward {
                messages += AvroCompatibility.check(reader: old, writer: document).map(\.description)
            }
        }
        return messages
    }
}

/// A version in a URL: a number from 1 to 2^31-1, or `latest` (also written -1).
public enum VersionSpec: Sendable, Equatable {
    case latest
    case number(Int32)

    public init(parsing text: String) throws(SchemaRegistryError) {
        if text == "latest" || text == "-1" {
            self = .latest
        } else if let number = Int32(text), number >= 1 {
            self = .number(number)
        } else {
            throw .invalidVersion(text)
        }
    }
}

extension String {
    /// Without leading and trailing whitespace and newlines.
    fileprivate var trimmingWhitespace: String {
        String(drop(while: \.isWhitespace).reversed().drop(while: \.isWhitespace).reversed())
    }
}
