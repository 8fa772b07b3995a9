/// Kafka's rack-unaware replica assignment (`AdminUtils.assignReplicasToBrokers`): brokers sorted; a random start;
/// partition p's first replica is `brokers[(p + start) % n]`; each follower is shifted by
/// `1 + (shift + j) % (n - 1)`, and the shift grows every n partitions, so leaders and followers spread evenly.
public enum ReplicaAssignment {
    public enum Failure: Error, Equatable {
        case invalidReplicationFactor(requested: Int, available: Int)
        case invalidPartitions(Int)
    }

    public static func assign(
        partitions: Int,
        replicationFactor: Int,
        brokers: [BrokerID],
        startPartition: Int = 0,
        fixedStart: Int? = nil
    ) throws(Failure) -> [PartitionID: [BrokerID]] {
        guard partitions > 0 else { throw .invalidPartitions(partitions) }
        let brokers = brokers.sorted()
        guard replicationFactor > 0, replicationFactor <= brokers.count else {
            throw .invalidReplicationFactor(requested: replicationFactor, available: brokers.count)
        }
        let count = brokers.count
        let startIndex = fixedStart ?? Int.random(in: 0..<count)
        var shift = fixedStart ?? Int.random(in: 0..<count)
        var result: [PartitionID: [BrokerID]] = [:]
        var partition = max(0, startPartition)
        for _ in 0..<partitions {
            if partition > 0 && partition % count == 0 { shift += 1 }
            let first = (partition + startIndex) % count
            var replicas = [brokers[first]]
            for follower in 0..<(replicationFactor - 1) {
                let step = 1 + (shift + follower) % (count - 1)
                replicas.append(brokers[(first + step) % count])
            }
            result[PartitionID(partition)] = replicas
            partition += 1
        }
        return result
    }
}
