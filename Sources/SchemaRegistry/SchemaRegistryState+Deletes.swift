/// Deletes, as Confluent 6.2: a soft delete first (a version's SCHEMA record rewritten with `"deleted":true`, or
/// one DELETE_SUBJECT record for a subject, which also clears the subject's compatibility and mode), then, only
/// after it, a permanent one (tombstones for the SCHEMA keys). A version another live schema references stays.
/// Soft-deleted schemas stay readable by id.
extension SchemaRegistryState {
    /// `DELETE /subjects/{subject}/versions/{version}[?permanent=true]`: the version deleted, and the records.
    public func deleteVersion(
        subject: String,
        _ spec: VersionSpec,
        permanent: Bool
    ) throws(SchemaRegistryError) -> (version: Int32, records: [SchemaRegistryRecord]) {
        try checkWritable(subject)
        let all = versions(of: subject, includeDeleted: true)
        guard !all.isEmpty else { throw .subjectNotFound(subject) }
        let value: SchemaVersionValue
        switch spec {
        case .latest:
            guard let latest = (permanent ? all : versions(of: subject)).last else { throw .subjectNotFound(subject) }
            value = latest
        case .number(let number):
            guard let found = all.first(where: { $0.version == number }) else { throw .versionNotFound(number) }
            value = found
        }
        if !referencedBy(subject: subject, version: value.version).isEmpty {
            throw .referenceExists(
                "One or more references exist to the schema {subject=\(subject),version=\(value.version)}"
            )
        }
        if permanent {
            guard value.deleted else { throw .versionNotSoftDeleted(subject, value.version) }
            return (
                value.version,
                [SchemaRegistryRecord(key: .schema(subject: subject, version: value.version), value: nil)]
            )
        }
        guard !value.deleted else { throw .versionSoftDeleted(subject, value.version) }
        var deleted = value
        deleted.deleted = true
        var records: [SchemaRegistryRecord] = [.schema(deleted)]
        // The last live version gone: the subject's own settings go too.
        if versions(of: subject).count == 1 { records += clearedSettings(subject) }
        return (value.version, records)
    }

    /// `DELETE /subjects/{subject}[?permanent=true]`: the versions deleted, and the records.
    public func deleteSubject(
        subject: String,
        permanent: Bool
    ) throws(SchemaRegistryError) -> (versions: [Int32], records: [SchemaRegistryRecord]) {
        try checkWritable(subject)
        let all = versions(of: subject, includeDeleted: true)
        guard !all.isEmpty else { throw .subjectNotFound(subject) }
        let live = versions(of: subject)
        for value in all where !referencedBy(subject: subject, version: value.version).isEmpty {
            throw .referenceExists(
                "One or more references exist to the schema {subject=\(subject),version=\(value.version)}"
            )
        }
        if permanent {
            guard live.isEmpty else { throw .subjectNotSoftDeleted(subject) }
            return (
                all.map(\.version),
                all.map { SchemaRegistryRecord(key: .schema(subject: subject, version: $0.version), value: nil) }
            )
        }
        guard !live.isEmpty else { throw .subjectSoftDeleted(subject) }
        return (live.map(\.version), [.deleteSubject(subject, upTo: all.last!.version)] + clearedSettings(subject))
    }

    func checkWritable(_ subject: String) throws(SchemaRegistryError) {
        let mode = mode(of: subject)
        if mode == .readOnly || mode == .readOnlyOverride {
            throw .notPermitted("Subject \(subject) is in read-only mode")
        }
    }

    func clearedSettings(_ subject: String) -> [SchemaRegistryRecord] {
        (subjectCompatibility[subject] != nil ? [.config(subject, nil)] : [])
            + (subjectModes[subject] != nil ? [.mode(subject, nil)] : [])
    }
}
