/// `org.apache.kafka.connect.transforms.ReplaceField$Key|$Value`: keeps only `include` fields (when set), drops
/// `exclude` ones (2.8 still reads the older `whitelist` / `blacklist`), and renames by `renames=old:new,...`.
/// Works on structs (the schema rebuilt) and schemaless maps; a null value passes unchanged.
public struct ReplaceField: Transformation {
    let side: RecordSide
    let include: [String]
    let exclude: [String]
    let renames: [String: String]

    public init(config: [String: String]) throws(ConnectConfigError) { try self.init(config: config, side: .value) }

    public init(config: [String: String], side: RecordSide) throws(ConnectConfigError) {
        self.side = side
        include = TransformSupport.list(config["include"] ?? config["whitelist"])
        exclude = TransformSupport.list(config["exclude"] ?? config["blacklist"])
        var renames: [String: String] = [:]
        for pair in TransformSupport.list(config["renames"]) {
            let parts = pair.split(separator: ":", omittingEmptySubsequences: false)
            guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else {
                throw ConnectConfigError(
                    "Invalid value \(config["renames"] ?? "") for configuration renames: Invalid rename mapping: \(pair)"
                )
            }
            renames[String(parts[0])] = String(parts[1])
        }
        self.renames = renames
    }

    func keeps(_ name: String) -> Bool { !exclude.contains(name) && (include.isEmpty || include.contains(name)) }

    func renamed(_ name: String) -> String { renames[name] ?? name }

    public func apply<Record: ConnectRecord>(_ record: Record) throws(ConnectDataError) -> Record? {
        let value = side.value(of: record)
        if value == nil { return record }
        guard let schema = side.schema(of: record) else {
            let entries = try TransformSupport.requireMap(value, "field replacement")
            let kept = entries.compactMap { entry -> ConnectValue.MapEntry? in
                guard case .string(let name)? = entry.key, keeps(name) else { return nil }
                return .init(.string(renamed(name)), entry.value)
            }
            return side.replacing(record, schema: nil, value: .map(kept))
        }
        let original = try TransformSupport.requireStruct(value, "field replacement")
        let fields = schema.fields.filter { keeps($0.name) }
        let updated = TransformSupport.structSchema(like: schema, fields: fields.map { (renamed($0.name), $0.schema) })
        var values: [String: ConnectValue?] = [:]
        for field in fields { values[renamed(field.name)] = original[field.name] }
        return side.replacing(record, schema: updated, value: try TransformSupport.makeStruct(updated, values))
    }
}
