/// Where the registry's state lives and how its records are written: the server's `_schemas`-backed store, or an
/// in-memory one for unit tests. `update` runs `decide` on the current state — with the smallest id a new schema
/// may take (the start of the writer's id range) — and writes the records it returns, one update at a time,
/// returning once they are applied (so a client reads its own writes).
public protocol SchemaStore: Sendable {
    var state: SchemaRegistryState { get async throws(SchemaRegistryError) }
    func update<Answer: Sendable>(
        _ decide:
            @Sendable (SchemaRegistryState, _ idFloor: Int32) throws(SchemaRegistryError) -> (
                Answer, [SchemaRegistryRecord]
            )
    ) async throws(SchemaRegistryError) -> Answer
}

/// A store that applies records in memory: the records are what would be written to `_schemas`, kept in order.
public actor InMemorySchemaStore: SchemaStore {
    public private(set) var current: SchemaRegistryState
    public private(set) var written: [SchemaRegistryRecord] = []

    public init(defaultCompatibility: CompatibilityLevel = .backward) {
        current = SchemaRegistryState(defaultCompatibility: defaultCompatibility)
    }

    public var state: SchemaRegistryState { current }

    public func update<Answer: Sendable>(
        _ decide:
            @Sendable (SchemaRegistryState, _ idFloor: Int32) throws(SchemaRegistryError) -> (
                Answer, [SchemaRegistryRecord]
            )
    ) async throws(SchemaRegistryError) -> Answer {
        let (answer, records) = try decide(current, 1)
        for record in records {
            current.apply(record)
            written.append(record)
        }
        return answer
    }
}
