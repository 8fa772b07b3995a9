/// Kafka's scalar vocabulary. Aliases, not wrappers: the generated protocol messages carry these values as
/// plain integers, and the names say what each integer means where the broker handles it.

/// A broker's `broker.id`.
public typealias BrokerID = Int32
/// A position in a partition's log.
public typealias Offset = Int64
/// The epoch of a partition's leadership; it rises with every new leader.
public typealias LeaderEpoch = Int32
/// The epoch of the controller (`/controller_epoch`); it rises with every new controller.
public typealias ControllerEpoch = Int32
/// An idempotent or transactional producer's id (from InitProducerId).
public typealias ProducerID = Int64
/// The epoch of a producer id.
public typealias ProducerEpoch = Int16
/// A partition's index within its topic.
public typealias PartitionID = Int32
/// A consumer group's name.
public typealias GroupID = String
