/// Kafka's replica assignment (`AdminUtils.assignReplicasToBrokers`). Rack-unaware: brokers sorted; a random start;
/// partition p's first replica is `brokers[(p + start) % n]`; each follower is shifted by
/// `1 + (shift + j) % (n - 1)`, and the shift grows every n partitions, so leaders and followers spread evenly.
/// Rack-aware (KIP-36, when brokers have racks): the same walk over the brokers listed rack by rack in turn, a
/// follower skipped while some rack (then some broker) has no replica yet, so each partition's replicas cover as
/// many racks as they can. Pure functions.
public enum ReplicaAssignment {
    public enum Failure: Error, Equatable {
        case invalidReplicationFactor(requested: Int, available: Int)
        case invalidPartitions(Int)
        /// Some brokers have a rack and some do not (Kafka's "Not all brokers have rack information").
        case partialRackInformation
    }

    /// Rack-aware when any broker has a rack (then every broker must), otherwise as `assign(brokers:)`.
    public static func assign(
        partitions: Int,
        replicationFactor: Int,
        brokers: [(id: BrokerID, rack: String?)],
        startPartition: Int = 0,
        fixedStart: Int? = nil
    ) throws(Failure) -> [PartitionID: [BrokerID]] {
        let ids = brokers.map(\.id)
        if brokers.allSatisfy({ $0.rack == nil }) {
            return try assign(
                partitions: partitions,
                replicationFactor: replicationFactor,
                brokers: ids,
                startPartition: startPartition,
                fixedStart: fixedStart
            )
        }
        guard brokers.allSatisfy({ $0.rack != nil }) else { throw .partialRackInformation }
        guard partitions > 0 else { throw .invalidPartitions(partitions) }
        guard replicationFactor > 0, replicationFactor <= brokers.count else {
            throw .invalidReplicationFactor(requested: replicationFactor, available: brokers.count)
        }
        var rackOf: [BrokerID: String] = [:]
        for broker in brokers { rackOf[broker.id] = broker.rack }
        let arranged = rackAlternated(rackOf)
        let count = arranged.count
        let rackCount = Set(rackOf.values).count
        let startIndex = fixedStart ?? Int.random(in: 0..<count)
        var shift = fixedStart ?? Int.random(in: 0..<count)
        var result: [PartitionID: [BrokerID]] = [:]
        var partition = max(0, startPartition)
        for _ in 0..<partitions {
            if partition > 0 && partition % count == 0 { shift += 1 }
            let first = (partition + startIndex) % count
            var replicas = [arranged[first]]
            var racks: Set<String> = [rackOf[arranged[first]]!]
            var k = 0
            for _ in 0..<(replicationFactor - 1) {
                while true {
                    let step = 1 + (shift * rackCount + k) % (count - 1)
                    let broker = arranged[(first + step) % count]
                    let rack = rackOf[broker]!
                    k += 1
                    if (!racks.contains(rack) || racks.count == rackCount)
                        && (!replicas.contains(broker) || replicas.count == count)
                    {
                        replicas.append(broker)
                        racks.insert(rack)
                        break
                    }
                }
            }
            result[PartitionID(partition)] = replicas
            partition += 1
        }
        return result
    }

    /// Kafka's `getRackAlternatedBrokerList`: racks sorted, each rack's brokers sorted, taken one rack at a time.
    public static func rackAlternated(_ rackOf: [BrokerID: String]) -> [BrokerID] {
        let byRack = Dictionary(grouping: rackOf.keys, by: { rackOf[$0]! }).mapValues { $0.sorted() }
        let racks = byRack.keys.sorted()
        var next = Dictionary(uniqueKeysWithValues: racks.map { ($0, 0) })
        var result: [BrokerID] = []
        var rackIndex = 0
        while result.count < rackOf.count {
            let rack = racks[rackIndex]
            if let position = next[rack], position < byRack[rack]!.count {
                result.append(byRack[rack]![position])
                next[rack] = position + 1
            }
            rackIndex = (rackIndex + 1) % racks.count
        }
        return result
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
