public import KafkaStorage

/// Where an acks=all append must be replicated to: the offset after its records, in the leadership that wrote them
/// (`Partition.State.leaderTerm`). Made by `Partition.appendAsLeader`, given back to `checkEnoughReplicasReach`.
public struct ReplicationTarget: Sendable, Equatable {
    /// The high watermark that covers the append.
    public var offset: Int64
    var leaderTerm: Int
}

/// What `Partition.appendAsLeader` did: the log's account of the append, read through as its own fields
/// (`firstOffset`, `lastOffset`, …), and what acks=all waits for.
@dynamicMemberLookup
public struct LeaderAppend: Sendable {
    public var info: LogAppendInfo
    public var replicationTarget: ReplicationTarget

    public subscript<Value>(dynamicMember keyPath: KeyPath<LogAppendInfo, Value>) -> Value {
        info[keyPath: keyPath]
    }
}
