import Avro
import KafkaConnect

/// `io.confluent.connect.avro.AvroConverter` (Confluent Platform 6.2): Connect data as Confluent's wire format —
/// a zero magic byte, the schema's registry id as four big-endian bytes, then the datum in Avro's binary encoding —
/// with schemas mapped by `AvroData` and registered in (or looked up from) a schema registry. Settings are Confluent's:
/// `schema.registry.url` (required; a comma-separated list, tried in order), `auto.register.schemas` (default true:
/// `POST /subjects/{subject}/versions`; false: the schema must already be registered), `key.subject.name.strategy` /
/// `value.subject.name.strategy` (`TopicNameStrategy`, the default: `<topic>-key` / `<topic>-value`;
/// `RecordNameStrategy`: the record's full name; `TopicRecordNameStrategy`: `<topic>-<full name>`). Reading fetches
/// the writer's schema by id (cached) and maps it back. A registry that cannot be reached or answers 5xx makes a
/// retriable error (retried for the connector's `errors.retry.timeout`). Not supported (refused): basic auth to the registry,
/// `use.latest.version`, `enhanced.avro.schema.support`. Made per task and side; its registry client's caches are
/// the converter's.
struct AvroConverter: Converter {
    static let className = "io.confluent.connect.avro.AvroConverter"

    enum SubjectNameStrategy: String {
        case topicName = "io.confluent.kafka.serializers.subject.TopicNameStrategy"
        case recordName = "io.confluent.kafka.serializers.subject.RecordNameStrategy"
        case topicRecordName = "io.confluent.kafka.serializers.subject.TopicRecordNameStrategy"
    }

    let isKey: Bool
    let autoRegister: Bool
    let strategy: SubjectNameStrategy
    let registry: SchemaRegistryClient

    init(properties: [String: String], isKey: Bool) throws(ConnectConfigError) {
        guard let urls = properties["schema.registry.url"] else {
            throw ConnectConfigError(
                "Missing required configuration \"schema.registry.url\" which has no default value."
            )
        }
        self.isKey = isKey
        autoRegister = try Self.flag(properties, "auto.register.schemas", default: true)
        for unsupported in ["use.latest.version", "enhanced.avro.schema.support"]
        where try Self.flag(properties, unsupported, default: false) {
            throw ConnectConfigError("\(unsupported)=true is not supported by this AvroConverter")
        }
        if let source = properties["basic.auth.credentials.source"],
            properties["basic.auth.user.info"] != nil
                || source.uppercased() == "SASL_INHERIT"
        {
            throw ConnectConfigError(
                "basic.auth.credentials.source \(source): authentication to the schema registry is not supported yet"
            )
        }
        let strategyKey = isKey ? "key.subject.name.strategy" : "value.subject.name.strategy"
        let strategyName = properties[strategyKey] ?? SubjectNameStrategy.topicName.rawValue
        guard
            let strategy = SubjectNameStrategy(rawValue: strategyName)
                ?? [SubjectNameStrategy.topicName, .recordName, .topicRecordName].first(where: {
                    $0.rawValue.hasSuffix(".\(strategyName)")
                })
        else {
            throw ConnectConfigError(
                "Invalid value \(strategyName) for configuration \(strategyKey): Class \(strategyName) could not be found."
            )
        }
        self.strategy = strategy
        let list = urls.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        guard !list.isEmpty, list.allSatisfy({ RestClient.hostAndPort($0) != nil }) else {
            throw ConnectConfigError(
                "Invalid value \(urls) for configuration schema.registry.url: expected http:// URLs"
            )
        }
        registry = SchemaRegistryClient(urls: list)
    }

    func fromConnectData(
        topic: String,
        schema: ConnectSchema?,
        value: ConnectValue?
    ) async throws(ConnectDataError)
        -> [UInt8]?
    {
        guard let schema else {
            if value == nil { return nil }
            throw ConnectDataError("Failed to serialize Avro data from topic \(topic) : a value without a schema")
        }
        guard value != nil || schema.defaultValue != nil || !schema.isOptional else { return nil }
        do {
            let datum = try AvroData.avroValue(value, schema)
            let document: AvroSchemaDocument
            let id: Int32
            if let known = registry.written(schema, topic: topic) {
                document = known.0
                id = known.1
            } else {
                document = try AvroData.avroSchema(schema)
                id = try await registry.id(of: document, subject: try subject(topic, document), register: autoRegister)
                registry.remember(schema, topic: topic, document, id)
            }
            var bytes: [UInt8] = [0]
            withUnsafeBytes(of: id.bigEndian) { bytes += $0 }
            try AvroBinary.write(datum, document.root, document, to: &bytes)
            return bytes
        } catch {
            throw ConnectDataError(
                "Failed to serialize Avro data from topic \(topic) : \(error)",
                retriable: (error as? SchemaRegistryClient.Failure)?.retriable == true
            )
        }
    }

    func toConnectData(topic: String, bytes: [UInt8]?) async throws(ConnectDataError) -> SchemaAndValue {
        guard let bytes else { return .null }
        do {
            guard bytes.count >= 5, bytes[0] == 0 else { throw ConnectDataError("Unknown magic byte!") }
            let id = bytes[1..<5].reduce(Int32(0)) { $0 << 8 | Int32($1) }
            let (document, schema) = try await registry.schema(id: id)
            // Read in place after the five-byte header, no copy of the payload.
            let (datum, length) = try AvroBinary.read(bytes[5...], document.root, document)
            guard 5 + length == bytes.count else {
                throw ConnectDataError("\(bytes.count - 5 - length) bytes left after the datum")
            }
            return SchemaAndValue(schema, try AvroData.connectValue(datum, document.root, document, schema))
        } catch {
            throw ConnectDataError(
                "Failed to deserialize data for topic \(topic) to Avro: \(error)",
                retriable: (error as? SchemaRegistryClient.Failure)?.retriable == true
            )
        }
    }

    /// The subject the strategy names for this topic and schema.
    func subject(_ topic: String, _ document: AvroSchemaDocument) throws(ConnectDataError) -> String {
        let recordName: () throws(ConnectDataError) -> String = { () throws(ConnectDataError) in
            guard case .record(let named, _, _) = document.root else {
                throw ConnectDataError("\(strategy.rawValue) needs a record schema, not \(document.root.typeName)")
            }
            return named.name.fullName
        }
        switch strategy {
        case .topicName: return topic + (isKey ? "-key" : "-value")
        case .recordName: return try recordName()
        case .topicRecordName: return "\(topic)-\(try recordName())"
        }
    }

    static func flag(_ properties: [String: String], _ key: String, default: Bool) throws(ConnectConfigError) -> Bool {
        switch properties[key]?.lowercased() {
        case nil: return `default`
        case "true": return true
        case "false": return false
        case let other?:
            throw ConnectConfigError(
                "Invalid value \(other) for configuration \(key): Expected value to be either true or false"
            )
        }
    }
}

/// The converters a worker can make: Kafka's built-in ones and those that need the runtime's I/O.
enum WorkerConverters {
    static let known: [(className: String, type: any Converter.Type)] =
        Converters.known + [(AvroConverter.className, AvroConverter.self)]

    static func make(
        className: String,
        properties: [String: String],
        isKey: Bool
    ) throws(ConnectConfigError)
        -> any Converter
    {
        try Converters.make(className: className, properties: properties, isKey: isKey, known: known)
    }
}
