public import Avro
public import KafkaConnect

/// Where a worker keeps its source tasks' offsets: a file for a standalone worker (`FileOffsetStore`), the
/// `offset.storage.topic` for a distributed one (`OffsetTopicStore`). Keys and values are the JSON texts
/// distributed mode writes to `connect-offsets` (`SourceOffsets` makes them). Its source tasks read and store
/// through it, one at a time (an actor).
public protocol OffsetBackingStore: Actor {
    /// The stored offset of `key` (both as JSON text), as current as the store can tell.
    func get(_ key: String) async -> String?
    /// Stores offsets (nil removes one) and returns once they are durable.
    func store(_ entries: [String: String?]) async throws(ConnectDataError)
    /// The offsets kept for `connector`, as (source partition, offset) JSON pairs.
    func offsets(of connector: String) async -> [(partition: JSONValue, offset: JSONValue)]
}
