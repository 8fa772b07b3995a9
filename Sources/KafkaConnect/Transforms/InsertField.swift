/// `org.apache.kafka.connect.transforms.InsertField$Key|$Value`: adds fields from the record's metadata —
/// `topic.field`, `partition.field`, `offset.field` (sink records only), `timestamp.field` — and `static.field`
/// with `static.value`. A name ending in `!` is a required field, `?` (the default) an optional one. With a
/// schema the struct's schema gains the fields (the timestamp as Connect's Timestamp); without one the map gains
/// entries (the timestamp as its milliseconds). A null value (a tombstone) passes unchanged.
public struct InsertField: Transformation {
    struct Spec: Sendable {
        var name: String
        var optional: Bool

        init?(_ text: String?) {
            guard let text, !text.isEmpty else { return nil }
            if text.hasSuffix("!") {
                name = String(text.dropLast())
                optional = false
            } else {
                name = text.hasSuffix("?") ? String(text.dropLast()) : text
                optional = true
            }
        }
    }

    let side: RecordSide
    let topic: Spec?
    let partition: Spec?
    let offset: Spec?
    let timestamp: Spec?
    let staticField: Spec?
    let staticValue: String?

    public init(config: [String: String]) throws(ConnectConfigError) { try self.init(config: config, side: .value) }

    public init(config: [String: String], side: RecordSide) throws(ConnectConfigError) {
        self.side = side
        topic = Spec(config["topic.field"])
        partition = Spec(config["partition.field"])
        offset = Spec(config["offset.field"])
        timestamp = Spec(config["timestamp.field"])
        staticField = Spec(config["static.field"])
        staticValue = config["static.value"]
        if topic == nil && partition == nil && offset == nil && timestamp == nil && staticField == nil {
            throw ConnectConfigError(
                "No field insertion configured: set one of topic.field, partition.field, offset.field, "
                    + "timestamp.field or static.field"
            )
        }
    }

    public func apply<Record: ConnectRecord>(_ record: Record) throws(ConnectDataError) -> Record? {
        let value = side.value(of: record)
        if value == nil { return record }
        if offset != nil && record.sinkOffset == nil {
            throw ConnectDataError(
                "Offset insertion is only supported for sink connectors, record is of type: SourceRecord"
            )
        }
        let inserted: [(Spec, ConnectSchema, ConnectValue?)] = [
            topic.map { ($0, $0.optional ? .optionalString : .string, .string(record.topic)) },
            partition.map { ($0, $0.optional ? .optionalInt32 : .int32, record.partition.map { .int32($0) }) },
            offset.map { ($0, $0.optional ? .optionalInt64 : .int64, record.sinkOffset.map { .int64($0) }) },
            timestamp.map { spec in
                let schema = ConnectSchema(
                    type: .int64,
                    optional: spec.optional,
                    name: ConnectSchema.timestampName,
                    version: 1
                )
                return (spec, schema, record.timestamp.map { .int64($0) })
            },
            staticField.map { ($0, $0.optional ? .optionalString : .string, staticValue.map { .string($0) }) },
        ].compactMap { $0 }
        guard let schema = side.schema(of: record) else {
            var entries = try TransformSupport.requireMap(value, "field insertion")
            for (spec, _, fieldValue) in inserted where fieldValue != nil {
                TransformSupport.put(&entries, spec.name, fieldValue)
            }
            return side.replacing(record, schema: nil, value: .map(entries))
        }
        let original = try TransformSupport.requireStruct(value, "field insertion")
        let updated = TransformSupport.structSchema(
            like: schema,
            fields: schema.fields.map { ($0.name, $0.schema) } + inserted.map { ($0.0.name, $0.1) }
        )
        var values: [String: ConnectValue?] = [:]
        for field in schema.fields { values[field.name] = original[field.name] }
        for (spec, _, fieldValue) in inserted { values[spec.name] = fieldValue }
        return side.replacing(record, schema: updated, value: try TransformSupport.makeStruct(updated, values))
    }
}
