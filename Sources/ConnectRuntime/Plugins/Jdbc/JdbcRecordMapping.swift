import KafkaConnect

/// How a sink record maps to table columns (Confluent's `FieldsMetadata`): the primary key columns as
/// `pk.mode` says — none; `kafka` (`__connect_topic`, `__connect_partition`, `__connect_offset`, or the three
/// `pk.fields` names); `record_key` (a primitive key as the one `pk.fields` column, or a struct key's fields);
/// `record_value` (the value's fields named by `pk.fields`, default all) — then the value struct's other fields
/// (`fields.whitelist` when set). Values need a struct schema; a tombstone maps only its key (for DELETE).
struct JdbcRecordMapping: Equatable {
    struct Column: Equatable {
        var name: String
        var schema: ConnectSchema
    }

    var keyColumns: [Column]
    var valueColumns: [Column]

    var columns: [Column] { keyColumns + valueColumns }

    static let kafkaColumns = ["__connect_topic", "__connect_partition", "__connect_offset"]

    init(_ record: SinkRecord, _ config: JdbcSinkConfig) throws(ConnectDataError) {
        var valueStruct: ConnectSchema?
        if record.value != nil {
            guard let schema = record.valueSchema, schema.type == .struct else {
                throw ConnectDataError(
                    "Sink connector requires records with a non-null Struct value and non-null Struct schema, "
                        + "but found record at (topic='\(record.topic)',partition=\(record.kafkaPartition),"
                        + "offset=\(record.kafkaOffset)) with a \(record.valueSchema?.type.rawValue ?? "null") schema"
                )
            }
            valueStruct = schema
        }
        switch config.pkMode {
        case .none:
            keyColumns = []
        case .kafka:
            let names = config.pkFields.isEmpty ? Self.kafkaColumns : config.pkFields
            keyColumns = zip(names, [ConnectSchema.string, .int32, .int64]).map { Column(name: $0, schema: $1) }
        case .recordKey:
            guard let keySchema = record.keySchema else {
                throw ConnectDataError("PK mode for table is RECORD_KEY, but record key schema is missing")
            }
            if keySchema.type == .struct {
                let names = config.pkFields.isEmpty ? keySchema.fields.map(\.name) : config.pkFields
                keyColumns = try names.map { name throws(ConnectDataError) in
                    guard let field = keySchema.field(name) else {
                        throw ConnectDataError(
                            "PK mode for table is RECORD_KEY with configured PK fields \(config.pkFields), but record key schema does not contain field: \(name)"
                        )
                    }
                    return Column(name: name, schema: field.schema)
                }
            } else {
                guard config.pkFields.count == 1 else {
                    throw ConnectDataError(
                        "Need exactly one PK column defined since the key schema for records is a primitive type, defined columns are: \(config.pkFields)"
                    )
                }
                keyColumns = [Column(name: config.pkFields[0], schema: keySchema)]
            }
        case .recordValue:
            guard let valueStruct else {
                throw ConnectDataError("PK mode for table is RECORD_VALUE, but the record has no value")
            }
            let names = config.pkFields.isEmpty ? valueStruct.fields.map(\.name) : config.pkFields
            keyColumns = try names.map { name throws(ConnectDataError) in
                guard let field = valueStruct.field(name) else {
                    throw ConnectDataError(
                        "PK mode for table is RECORD_VALUE with configured PK fields \(config.pkFields), but record value schema does not contain field: \(name)"
                    )
                }
                return Column(name: name, schema: field.schema)
            }
        }
        let keyNames = Set(keyColumns.map(\.name))
        valueColumns = (valueStruct?.fields ?? []).filter { field in
            !keyNames.contains(field.name)
                && (config.fieldsWhitelist.isEmpty || config.fieldsWhitelist.contains(field.name))
        }.map { Column(name: $0.name, schema: $0.schema) }
    }

    /// The key columns' values of `record`, in `keyColumns` order.
    func keyValues(_ record: SinkRecord, _ config: JdbcSinkConfig) -> [ConnectValue?] {
        switch config.pkMode {
        case .none: return []
        case .kafka: return [.string(record.topic), .int32(record.kafkaPartition), .int64(record.kafkaOffset)]
        case .recordKey:
            if case .struct(let key)? = record.key { return keyColumns.map { key[$0.name] } }
            return [record.key]
        case .recordValue:
            guard case .struct(let value)? = record.value else { return keyColumns.map { _ in nil } }
            return keyColumns.map { value[$0.name] }
        }
    }

    /// The value columns' values of `record`, in `valueColumns` order.
    func valueValues(_ record: SinkRecord) -> [ConnectValue?] {
        guard case .struct(let value)? = record.value else { return valueColumns.map { _ in nil } }
        return valueColumns.map { value[$0.name] }
    }
}
