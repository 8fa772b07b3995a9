import Avro

/// What a registry instance knows: every subject's versions, the schemas by id, and the compatibility and mode
/// settings — built only by applying `_schemas` records in order (Confluent's `KafkaStoreMessageHandler` and
/// `InMemoryCache`), so every instance reading the topic arrives at the same state. The operations
/// (`+Register`, `+Reads`, `+Deletes`, `+Settings`) never change it: they answer, and return the records to write;
/// the writer appends them to `_schemas` and the state changes when they are read back. A value; its owner (the
/// server's store actor) serialises access.
public struct SchemaRegistryState: Sendable {
    /// `schema.compatibility.level` (the global default when no CONFIG record sets one).
    public var defaultCompatibility: CompatibilityLevel
    /// Each subject's versions, by number (soft-deleted ones included, marked).
    public private(set) var subjects: [String: [Int32: SchemaVersionValue]] = [:]
    /// Each id's schema: the first SCHEMA record read with that id wins.
    public private(set) var schemasByID: [Int32: StoredSchema] = [:]
    public private(set) var globalCompatibility: CompatibilityLevel?
    public private(set) var subjectCompatibility: [String: CompatibilityLevel] = [:]
    public private(set) var globalMode: RegistryMode?
    public private(set) var subjectModes: [String: RegistryMode] = [:]
    /// The largest id read so far (the next one is one more).
    public private(set) var maxID: Int32 = 0
    var idsByContent: [StoredSchema: Int32] = [:]

    /// A schema as ids name it: its type, canonical text and references.
    public struct StoredSchema: Sendable, Hashable {
        public var schemaType: String
        public var schema: String
        public var references: [SchemaReference]
    }

    public init(defaultCompatibility: CompatibilityLevel = .backward) {
        self.defaultCompatibility = defaultCompatibility
    }

    /// Applies one record read from `_schemas`.
    public mutating func apply(_ record: SchemaRegistryRecord) {
        switch record.key {
        case .schema(let subject, let version):
            guard let text = record.value else {
                subjects[subject]?[version] = nil
                if subjects[subject]?.isEmpty == true { subjects[subject] = nil }
                return
            }
            guard let value = SchemaVersionValue(text: text) else { return }
            let stored = StoredSchema(schemaType: value.schemaType, schema: value.schema, references: value.references)
            // Confluent's validateUpdate: an id already taken by another schema is not taken over.
            if let existing = schemasByID[value.id], existing != stored { return }
            schemasByID[value.id] = stored
            if idsByContent[stored] == nil { idsByContent[stored] = value.id }
            maxID = max(maxID, value.id)
            subjects[subject, default: [:]][version] = value
        case .config(let subject):
            let level = record.value.flatMap { try? JSONValue.parse($0) }?["compatibilityLevel"]?.stringValue
                .flatMap(CompatibilityLevel.init(name:))
            if let subject { subjectCompatibility[subject] = level } else { globalCompatibility = level }
        case .mode(let subject):
            let mode = record.value.flatMap { try? JSONValue.parse($0) }?["mode"]?.stringValue
                .flatMap(RegistryMode.init(name:))
            if let subject { subjectModes[subject] = mode } else { globalMode = mode }
        case .deleteSubject(let subject):
            guard let text = record.value, let json = try? JSONValue.parse(text),
                let upTo = json["version"].flatMap(SchemaRegistryKey.int32)
            else { return }
            for version in (subjects[subject] ?? [:]).keys where version <= upTo {
                subjects[subject]?[version]?.deleted = true
            }
        case .clearSubject(let subject):
            subjects[subject] = subjects[subject]?.filter { !$0.value.deleted }
            if subjects[subject]?.isEmpty == true { subjects[subject] = nil }
        case .noop:
            break
        }
    }

    // MARK: Shared lookups

    /// The subject's versions, oldest first; soft-deleted ones only when asked.
    func versions(of subject: String, includeDeleted: Bool = false) -> [SchemaVersionValue] {
        (subjects[subject] ?? [:]).values.filter { includeDeleted || !$0.deleted }.sorted { $0.version < $1.version }
    }

    /// The compatibility level that applies to `subject`: its own, else the global one, else the default.
    public func compatibility(of subject: String?) -> CompatibilityLevel {
        subject.flatMap { subjectCompatibility[$0] } ?? globalCompatibility ?? defaultCompatibility
    }

    /// The mode that applies to `subject`: READONLY_OVERRIDE set globally beats everything, then the subject's,
    /// then the global one, else READWRITE.
    public func mode(of subject: String?) -> RegistryMode {
        if globalMode == .readOnlyOverride { return .readOnlyOverride }
        return subject.flatMap { subjectModes[$0] } ?? globalMode ?? .readWrite
    }
}
