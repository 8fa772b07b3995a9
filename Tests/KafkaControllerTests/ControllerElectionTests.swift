import KafkaController
import KafkaCore
import KafkaTestSupport
import KafkaZooKeeper
import Testing
import ZooKeeper

/// The controller's decisions against an in-memory ZooKeeper: new partitions, broker loss (clean and unclean),
/// controller failover with epoch fencing, controlled shutdown.
@Suite("Controller elections")
struct ControllerElectionTests {
    @Test func newPartitionsGetTheFirstLiveReplicaAsLeaderAndEveryLiveReplicaInTheIsr() async throws {
        let cluster = try await ControllerHarness()
        for id: BrokerID in [1, 2] { try await cluster.register(id) }
        let channel = RecordingBrokerChannel()
        let controller = cluster.controller(1, channel: channel)
        await controller.process(.elect)
        #expect(controller.isActive)
        try await cluster.createTopic("orders", [0: [1, 2], 1: [3, 2], 2: [3]])
        await controller.process(.topicChange)

        #expect(
            try await cluster.state("orders", 0)
                == LeaderAndIsr(leader: 1, leaderEpoch: 0, isr: [1, 2], controllerEpoch: 1, zkVersion: 0)
        )
        #expect(try await cluster.state("orders", 1)?.leader == 2)
        #expect(try await cluster.state("orders", 1)?.isr == [2])
        // No live replica: no state until one registers.
        #expect(try await cluster.state("orders", 2) == nil)
        try await settle("LeaderAndIsr to both brokers") {
            channel.leaders(sentTo: 1)[TopicPartition("orders", 0)] == [1]
                && channel.leaders(sentTo: 2)[TopicPartition("orders", 1)] == [2]
        }

        try await cluster.register(3)
        await controller.process(.brokerChange)
        #expect(try await cluster.state("orders", 2)?.leader == 3)
        #expect(controller.metricsSnapshot.partitions == 3)
        #expect(controller.metricsSnapshot.offlinePartitions == 0)
        await cluster.stop()
    }

    @Test func aLostBrokersLeadershipsMoveToTheNextInSyncReplica() async throws {
        let cluster = try await ControllerHarness()
        for id: BrokerID in [1, 2, 3] { try await cluster.register(id) }
        let controller = cluster.controller(1)
        await controller.process(.elect)
        try await cluster.createTopic("t", [0: [2, 3, 1], 1: [1, 2, 3]])
        await controller.process(.topicChange)

        cluster.expire(2)
        await controller.process(.brokerChange)
        let moved = try #require(try await cluster.state("t", 0))
        #expect(moved.leader == 3)
        #expect(moved.isr == [3, 1])
        #expect(moved.leaderEpoch == 1)
        #expect(moved.controllerEpoch == 1)
        // A follower that goes only leaves the ISR; the leader stays and the epoch still rises.
        let kept = try #require(try await cluster.state("t", 1))
        #expect(kept.leader == 1)
        #expect(kept.isr == [1, 3])
        #expect(kept.leaderEpoch == 1)
        await cluster.stop()
    }

    @Test func withoutAnInSyncReplicaThePartitionGoesOfflineUnlessUncleanElectionIsEnabled() async throws {
        let cluster = try await ControllerHarness()
        for id: BrokerID in [1, 2, 3] { try await cluster.register(id) }
        let controller = cluster.controller(1)
        await controller.process(.elect)
        try await cluster.createTopic("clean", [0: [2, 3]])
        try await cluster.createTopic("unclean", [0: [2, 3]], config: ["unclean.leader.election.enable": "true"])
        await controller.process(.topicChange)
        // The leader (2) shrank each ISR to itself, as a leader does when its follower lags.
        for topic in ["clean", "unclean"] {
            var state = try #require(try await cluster.state(topic, 0))
            state.isr = [2]
            _ = try await cluster.zk(2).updateLeaderAndIsr(TopicPartition(topic, 0), state, epochZkVersion: nil)
            try await cluster.zk(2).propagateIsrChanges([TopicPartition(topic, 0)])
        }
        await controller.process(.isrChangeNotification)

        cluster.expire(2)
        await controller.process(.brokerChange)
        let offline = try #require(try await cluster.state("clean", 0))
        #expect(offline.leader == LeaderAndIsr.noLeader)
        #expect(offline.isr == [2])
        let unclean = try #require(try await cluster.state("unclean", 0))
        #expect(unclean.leader == 3)
        #expect(unclean.isr == [3])
        #expect(controller.metricsSnapshot.uncleanLeaderElections == 1)
        #expect(controller.metricsSnapshot.offlinePartitions == 1)

        // The last in-sync replica returns: the offline partition gets it back as leader.
        cluster.session(2).reconnect()
        try await cluster.register(2)
        await controller.process(.brokerChange)
        #expect(try await cluster.state("clean", 0)?.leader == 2)
        #expect(controller.metricsSnapshot.offlinePartitions == 0)
        await cluster.stop()
    }

    @Test func aNewControllerTakesOverWithAHigherEpochAndTheOldOneIsFencedOut() async throws {
        let cluster = try await ControllerHarness()
        for id: BrokerID in [1, 2, 3] { try await cluster.register(id) }
        let first = cluster.controller(1)
        let second = cluster.controller(2)
        await first.process(.elect)
        await second.process(.elect)
        #expect(first.isActive)
        #expect(!second.isActive)
        try await cluster.createTopic("t", [0: [1, 2, 3]])
        await first.process(.topicChange)

        // Broker 1's session expires, but its controller has not heard of it yet (a zombie): broker 2 wins.
        cluster.expire(1)
        await second.process(.elect)
        #expect(second.isActive)
        #expect(try await cluster.admin.getControllerEpoch()?.epoch == 2)
        let afterFailover = try #require(try await cluster.state("t", 0))
        #expect(afterFailover.leader == 2)
        #expect(afterFailover.controllerEpoch == 2)

        // The zombie comes back on a new session and acts on a stale view: its fenced write fails, it resigns, and
        // the partition state is the new controller's.
        cluster.session(1).reconnect()
        try await cluster.register(1)
        await first.process(.brokerChange)
        #expect(!first.isActive)
        #expect(try await cluster.state("t", 0) == afterFailover)
        await cluster.stop()
    }

    @Test func controlledShutdownMovesLeadershipAndRefusesAStaleBrokerEpoch() async throws {
        let cluster = try await ControllerHarness()
        var epochs: [BrokerID: Int64] = [:]
        for id: BrokerID in [1, 2, 3] { epochs[id] = try await cluster.register(id) }
        let controller = cluster.controller(1)
        let passive = cluster.controller(2)
        await controller.process(.elect)
        await passive.process(.elect)
        try await cluster.createTopic("t", [0: [2, 3], 1: [2], 2: [3, 2]])
        await controller.process(.topicChange)

        let notController = await passive.controlledShutdown(brokerID: 2, brokerEpoch: epochs[2]!)
        #expect(notController.errorCode == .notController)
        let stale = await controller.controlledShutdown(brokerID: 2, brokerEpoch: epochs[2]! - 1)
        #expect(stale.errorCode == .staleBrokerEpoch)
        #expect(try await cluster.state("t", 0)?.leader == 2)

        let result = await controller.controlledShutdown(brokerID: 2, brokerEpoch: epochs[2]!)
        #expect(result.errorCode == .none)
        #expect(result.remaining.isEmpty)  // the single-replica partition cannot move and does not count
        let moved = try #require(try await cluster.state("t", 0))
        #expect(moved.leader == 3)
        #expect(moved.isr == [3])
        #expect(try await cluster.state("t", 1)?.leader == 2)
        #expect(try await cluster.state("t", 2)?.isr == [3])
        await cluster.stop()
    }

    @Test func watchesMapToControllerEvents() {
        #expect(ControllerEvent(watch: WatchEvent(kind: .nodeChildrenChanged, path: "/brokers/ids")) == .brokerChange)
        #expect(ControllerEvent(watch: WatchEvent(kind: .nodeDeleted, path: "/controller")) == .elect)
        #expect(ControllerEvent(watch: WatchEvent(kind: .nodeChildrenChanged, path: "/brokers/topics")) == .topicChange)
        #expect(
            ControllerEvent(watch: WatchEvent(kind: .nodeDataChanged, path: "/brokers/topics/orders"))
                == .partitionModification(topic: "orders")
        )
        #expect(
            ControllerEvent(
                watch: WatchEvent(kind: .nodeDataChanged, path: "/brokers/topics/orders/partitions/0/state")
            )
                == nil
        )
        #expect(
            ControllerEvent(watch: WatchEvent(kind: .nodeCreated, path: "/admin/reassign_partitions"))
                == .partitionReassignment
        )
        #expect(ControllerEvent(watch: WatchEvent(kind: .nodeChildrenChanged, path: "/config/changes")) == nil)
    }
}
