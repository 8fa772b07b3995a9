public import Avro

/// The read endpoints: subjects, versions, schemas by id, and the response entities as Confluent 6.2 writes them
/// (members in its order, `schemaType` only when not AVRO, `references` only when there are some).
extension SchemaRegistryState {
    /// `GET /subjects[?deleted=true]`, sorted.
    public func subjectNames(includeDeleted: Bool = false) -> [String] {
        subjects.keys.filter { !versions(of: $0, includeDeleted: includeDeleted).isEmpty }.sorted()
    }

    /// `GET /subjects/{subject}/versions[?deleted=true]`.
    public func versionNumbers(subject: String, includeDeleted: Bool = false) throws(SchemaRegistryError) -> [Int32] {
        let found = versions(of: subject, includeDeleted: includeDeleted)
        guard !found.isEmpty else { throw .subjectNotFound(subject) }
        return found.map(\.version)
    }

    /// `GET /subjects/{subject}/versions/{version}[?deleted=true]`.
    public func version(
        subject: String,
        _ spec: VersionSpec,
        includeDeleted: Bool = false
    ) throws(SchemaRegistryError) -> SchemaVersionValue {
        let found = versions(of: subject, includeDeleted: includeDeleted)
        guard !found.isEmpty else { throw .subjectNotFound(subject) }
        switch spec {
        case .latest:
            return found.last!
        case .number(let number):
            guard let value = found.first(where: { $0.version == number }) else { throw .versionNotFound(number) }
            return value
        }
    }

    /// `GET /schemas/ids/{id}[?format=]`: soft-deleted schemas too (old messages still decode). Confluent 7.0's
    /// `format=resolved` gives an Avro schema with the named types of its references written in full where they are
    /// first used; any other format (Confluent's rule, for formats added later) the stored text.
    public func schema(id: Int32, format: String? = nil) throws(SchemaRegistryError) -> StoredSchema {
        guard var stored = schemasByID[id] else { throw .schemaNotFound(id) }
        if format == "resolved", stored.schemaType == "AVRO", !stored.references.isEmpty,
            let value = subjects.values.lazy.flatMap(\.values).first(where: { $0.id == id }),
            let document = try? referencedDocument(value)
        {
            stored.schema = document.canonicalText(of: document.root)
        }
        return stored
    }

    /// `GET /schemas/ids/{id}/versions[?deleted=true]`: the subject versions registered with `id`.
    public func subjectVersions(
        id: Int32,
        includeDeleted: Bool = false
    ) throws(SchemaRegistryError) -> [SchemaVersionValue] {
        guard schemasByID[id] != nil else { throw .schemaNotFound(id) }
        return subjects.keys.sorted().flatMap { subject in
            versions(of: subject, includeDeleted: includeDeleted).filter { $0.id == id }
        }
    }

    /// `GET /subjects/{subject}/versions/{version}/referencedby`: ids of live schemas that reference the version.
    public func referencedBy(subject: String, version: Int32) -> [Int32] {
        Set(
            subjects.values.flatMap(\.values).filter { value in
                !value.deleted && value.references.contains { $0.subject == subject && $0.version == version }
            }.map(\.id)
        ).sorted()
    }

    // MARK: Entities

    /// A subject version as the API returns it: `{"subject","version","id"[,"schemaType"][,"references"],"schema"}`.
    public static func entity(_ value: SchemaVersionValue) -> JSONValue {
        var object = JSONObject()
        object["subject"] = .string(value.subject)
        object["version"] = .number(JSONNumber(String(value.version)))
        object["id"] = .number(JSONNumber(String(value.id)))
        if value.schemaType != "AVRO" { object["schemaType"] = .string(value.schemaType) }
        if !value.references.isEmpty { object["references"] = .array(value.references.map(\.json)) }
        object["schema"] = .string(value.schema)
        return .object(object)
    }

    /// A schema by id as the API returns it: `{["schemaType",]"schema"[,"references"]}`.
    public static func entity(_ stored: StoredSchema) -> JSONValue {
        var object = JSONObject()
        if stored.schemaType != "AVRO" { object["schemaType"] = .string(stored.schemaType) }
        object["schema"] = .string(stored.schema)
        if !stored.references.isEmpty { object["references"] = .array(stored.references.map(\.json)) }
        return .object(object)
    }
}
