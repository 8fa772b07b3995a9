import KafkaCore
import KafkaZooKeeper
import Testing

/// `ClusterInvariants` on hand-built trees: a healthy cluster passes, and each kind of damage is named.
@Suite("Cluster invariants")
struct ClusterInvariantsTests {
    private func healthy() -> ClusterSnapshot {
        var snapshot = ClusterSnapshot()
        snapshot.brokers = (1...3).map { id in
            ClusterSnapshot.Broker(
                registration: BrokerRegistration(
                    id: id,
                    endpoints: [EndPoint(listenerName: "PLAINTEXT", host: "127.0.0.1", port: 9091 + id)],
                    timestamp: 0
                ),
                session: Int64(id)
            )
        }
        snapshot.controller = .init(brokerID: 1, session: 1)
        snapshot.controllerEpoch = 4
        snapshot.topics["t"] = TopicAssignment(topic: "t", partitions: [0: [1, 2, 3], 1: [2, 3, 1]])
        snapshot.states[TopicPartition("t", 0)] = LeaderAndIsr(
            leader: 1,
            leaderEpoch: 2,
            isr: [1, 2, 3],
            controllerEpoch: 4
        )
        snapshot.states[TopicPartition("t", 1)] = LeaderAndIsr(
            leader: 2,
            leaderEpoch: 0,
            isr: [2, 3],
            controllerEpoch: 3
        )
        return snapshot
    }

    private func kinds(_ snapshot: ClusterSnapshot) -> [String] {
        ClusterInvariants.check(snapshot).map(\.kind)
    }

    @Test func healthyClusterPasses() {
        #expect(ClusterInvariants.check(healthy()).isEmpty)
        #expect(healthy().isUnderReplicated(TopicPartition("t", 1)))
        #expect(!healthy().isOffline(TopicPartition("t", 1)))
    }

    @Test func eachDamageIsNamed() {
        var noController = healthy()
        noController.controller = nil
        #expect(kinds(noController) == ["controller"])

        var unregisteredController = healthy()
        unregisteredController.controller = .init(brokerID: 9, session: 9)
        #expect(kinds(unregisteredController) == ["controller"])

        var futureEpoch = healthy()
        futureEpoch.states[TopicPartition("t", 0)]?.controllerEpoch = 5
        #expect(kinds(futureEpoch) == ["controller-epoch"])

        var leaderOutside = healthy()
        leaderOutside.states[TopicPartition("t", 0)]?.isr = [2, 3]
        #expect(
            ClusterInvariants.check(leaderOutside).map(\.description) == [
                "leader-not-in-isr: t-0: leader 1 is not in its ISR [2, 3]"
            ]
        )

        var isrOutside = healthy()
        isrOutside.states[TopicPartition("t", 1)]?.isr = [2, 3, 7]
        #expect(kinds(isrOutside) == ["isr-not-in-replicas"])

        var brokerGone = healthy()
        brokerGone.brokers.removeLast()
        #expect(kinds(brokerGone) == ["replica-broker-missing", "replica-broker-missing"])

        var offline = healthy()
        offline.states[TopicPartition("t", 1)]?.leader = -1
        #expect(kinds(offline) == ["offline"])

        var missingState = healthy()
        missingState.states[TopicPartition("t", 1)] = nil
        #expect(kinds(missingState) == ["partition-state"])

        var stale = healthy()
        stale.pending = [
            .init(path: "/admin/reassign_partitions", ageMs: 61_000),
            .init(path: "/isr_change_notification/isr_change_0000000001", ageMs: 1_000),
            .init(path: "/admin/delete_topics/gone", ageMs: 0),
        ]
        #expect(
            ClusterInvariants.check(stale).map(\.description) == [
                "stale-node: /admin/reassign_partitions has waited 61 s for the controller",
                "stale-node: /admin/delete_topics/gone asks to delete a topic that does not exist",
            ]
        )
    }
}
