/// Compatibility levels and modes, globally and per subject (`/config`, `/mode`). Switching to IMPORT needs the
/// subject (or, globally, every subject) to have no live schema, and writes a CLEAR_SUBJECT record for each
/// subject concerned, as Confluent does; `mode.mutability=false` refuses every mode change.
extension SchemaRegistryState {
    /// `PUT /config[/{subject}]`.
    public func setCompatibility(
        _ name: String,
        subject: String?
    ) throws(SchemaRegistryError) -> (level: CompatibilityLevel, records: [SchemaRegistryRecord]) {
        guard let level = CompatibilityLevel(name: name) else { throw .invalidCompatibilityLevel }
        if let subject { try checkWritable(subject) }
        return (level, [.config(subject, level)])
    }

    /// `GET /config/{subject}[?defaultToGlobal=true]`.
    public func compatibility(subject: String, defaultToGlobal: Bool) throws(SchemaRegistryError) -> CompatibilityLevel
    {
        if let own = subjectCompatibility[subject] { return own }
        guard defaultToGlobal else { throw .subjectLevelCompatibilityNotConfigured(subject) }
        return compatibility(of: nil)
    }

    /// `DELETE /config/{subject}`: the level it had.
    public func deleteCompatibility(
        subject: String
    ) throws(SchemaRegistryError) -> (level: CompatibilityLevel, records: [SchemaRegistryRecord]) {
        guard subjects[subject] != nil || subjectCompatibility[subject] != nil else { throw .subjectNotFound(subject) }
        try checkWritable(subject)
        return (compatibility(of: subject), [.config(subject, nil)])
    }

    /// `PUT /mode[/{subject}]`.
    public func setMode(
        _ name: String,
        subject: String?,
        mutable: Bool,
        force: Bool = false
    ) throws(SchemaRegistryError) -> (mode: RegistryMode, records: [SchemaRegistryRecord]) {
        guard mutable else { throw .notPermitted("Mode changes are not allowed") }
        guard let mode = RegistryMode(name: name) else { throw .invalidMode }
        var records: [SchemaRegistryRecord] = []
        if mode == .import {
            let concerned = subject.map { [$0] } ?? subjectNames()
            if !force && concerned.contains(where: { !versions(of: $0).isEmpty }) {
                throw .notPermitted("Cannot import since found existing subjects")
            }
            records += concerned.filter { subjects[$0] != nil }.map { .clearSubject($0) }
        }
        return (mode, records + [.mode(subject, mode)])
    }

    /// `GET /mode/{subject}`: its own mode (40409 without one).
    public func mode(subject: String, defaultToGlobal: Bool = false) throws(SchemaRegistryError) -> RegistryMode {
        if let own = subjectModes[subject] { return own }
        guard defaultToGlobal else { throw .subjectLevelModeNotConfigured(subject) }
        return mode(of: nil)
    }

    /// `DELETE /mode/{subject}`: the mode it had.
    public func deleteMode(
        subject: String,
        mutable: Bool
    ) throws(SchemaRegistryError) -> (mode: RegistryMode, records: [SchemaRegistryRecord]) {
        guard mutable else { throw .notPermitted("Mode changes are not allowed") }
        guard let own = subjectModes[subject] else { throw .subjectNotFound(subject) }
        return (own, [.mode(subject, nil)])
    }
}
