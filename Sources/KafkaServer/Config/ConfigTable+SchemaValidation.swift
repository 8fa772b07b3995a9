import KafkaStorage

/// Broker-side schema id validation (Confluent Server's feature, with its names; Redpanda's topic keys accepted as
/// synonyms): the registry to ask, and the topic switches that make the broker refuse records whose key or value
/// does not carry a schema id registered for the topic (`SchemaIDValidator`).
extension ConfigTable {
    static let schemaValidation: [ConfigKey] = [
        .broker(
            "confluent.schema.registry.url",
            \.schemaRegistryURL,
            "The schema registry topics with confluent.key/value.schema.validation are checked against; empty: none (such topics then refuse every record)."
        ),
        .log(
            nil,
            topic: "confluent.value.schema.validation",
            \.valueSchemaValidation,
            "Refuse (INVALID_RECORD) a batch with a non-null value that is not 0x00 + the id of a schema registered for the topic's value subject."
        ),
        .log(
            nil,
            topic: "confluent.key.schema.validation",
            \.keySchemaValidation,
            "The same check for record keys."
        ),
        .log(
            nil,
            topic: "confluent.value.subject.name.strategy",
            \.valueSubjectNameStrategy,
            "The subject a value's schema id must be registered under: TopicNameStrategy (<topic>-value); with another strategy any subject will do."
        ),
        .log(
            nil,
            topic: "confluent.key.subject.name.strategy",
            \.keySubjectNameStrategy,
            "The same for keys (<topic>-key)."
        ),
        .log(
            nil,
            topic: "redpanda.value.schema.id.validation",
            \.valueSchemaValidation,
            "Redpanda's name for confluent.value.schema.validation."
        ),
        .log(
            nil,
            topic: "redpanda.key.schema.id.validation",
            \.keySchemaValidation,
            "Redpanda's name for confluent.key.schema.validation."
        ),
    ]
}
