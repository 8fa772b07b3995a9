import KafkaCore
import Testing

/// Kafka's replica assignment, rack-unaware and rack-aware, against the expectations of Kafka's own
/// `AdminRackAwareTest` and `AdminZkClientTest` (fixed start index, so nothing is random).
@Suite struct ReplicaAssignmentTests {
    @Test func rackUnawareAsKafka() throws {
        // AdminZkClientTest.testReplicaAssignment: 5 brokers, 10 partitions, 3 replicas, start 0.
        let assignment = try ReplicaAssignment.assign(
            partitions: 10,
            replicationFactor: 3,
            brokers: [0, 1, 2, 3, 4],
            fixedStart: 0
        )
        #expect(
            assignment == [
                0: [0, 1, 2], 1: [1, 2, 3], 2: [2, 3, 4], 3: [3, 4, 0], 4: [4, 0, 1],
                5: [0, 2, 3], 6: [1, 3, 4], 7: [2, 4, 0], 8: [3, 0, 1], 9: [4, 1, 2],
            ]
        )
    }

    /// AdminRackAwareTest.testGetRackAlternatedBrokerListAndAssignReplicasToBrokers.
    @Test func rackAlternatedBrokerListAndAssignment() throws {
        let racks: [(id: BrokerID, rack: String?)] = [
            (0, "rack1"), (1, "rack3"), (2, "rack3"), (3, "rack2"), (4, "rack2"), (5, "rack1"),
        ]
        var rackOf: [BrokerID: String] = [:]
        for broker in racks { rackOf[broker.id] = broker.rack }
        #expect(ReplicaAssignment.rackAlternated(rackOf) == [0, 3, 1, 5, 4, 2])
        let assignment = try ReplicaAssignment.assign(
            partitions: 7,
            replicationFactor: 3,
            brokers: racks,
            fixedStart: 0
        )
        #expect(
            assignment == [
                0: [0, 3, 1], 1: [3, 1, 5], 2: [1, 5, 4], 3: [5, 4, 2], 4: [4, 2, 0], 5: [2, 0, 3], 6: [0, 4, 2],
            ]
        )
    }

    @Test func everyPartitionSpansEveryRackItCan() throws {
        let brokers: [(id: BrokerID, rack: String?)] = [
            (1, "a"), (2, "a"), (3, "b"), (4, "b"), (5, "c"), (6, "c"),
        ]
        let rackOf = Dictionary(uniqueKeysWithValues: brokers.map { ($0.id, $0.rack!) })
        for start in 0..<6 {
            let assignment = try ReplicaAssignment.assign(
                partitions: 12,
                replicationFactor: 3,
                brokers: brokers,
                fixedStart: start
            )
            for replicas in assignment.values {
                #expect(Set(replicas.map { rackOf[$0]! }).count == 3, "replicas \(replicas) share a rack")
            }
            // Leaders spread evenly: each broker leads two of the twelve.
            let leaders = Dictionary(grouping: assignment.values.map { $0[0] }, by: { $0 }).mapValues(\.count)
            #expect(leaders.values.allSatisfy { $0 == 2 })
        }
        #expect(throws: ReplicaAssignment.Failure.partialRackInformation) {
            try ReplicaAssignment.assign(partitions: 1, replicationFactor: 1, brokers: [(1, "a"), (2, nil)])
        }
    }
}
