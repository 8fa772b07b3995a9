public import KafkaCore
import KafkaZooKeeper

/// The controller's leader elections (Kafka's partition and replica state machines): after broker failures, on
/// controlled shutdown, and the one place every partition state write goes through (`update`).
extension Controller {
    /// ControlledShutdown from `id`: its leaderships move to other ISR members and it leaves every ISR. Returns the
    /// partitions it still leads (no other in-sync replica), NOT_CONTROLLER when this broker is not the controller,
    /// or STALE_BROKER_EPOCH for an old registration. Queued as an event.
    public nonisolated func controlledShutdown(
        brokerID id: BrokerID,
        brokerEpoch: Int64
    ) async -> (errorCode: KafkaErrorCode, remaining: [TopicPartition]) {
        guard
            case .controlledShutdown(let code, let remaining) = await process(
                .controlledShutdown(brokerID: id, brokerEpoch: brokerEpoch)
            )
        else { return (.notController, []) }
        return (code, remaining)
    }

    func onControlledShutdown(
        brokerID id: BrokerID,
        brokerEpoch: Int64
    ) async -> (errorCode: KafkaErrorCode, remaining: [TopicPartition]) {
        guard isActiveNow else { return (.notController, []) }
        guard let broker = liveBrokers[id] else { return (.brokerNotAvailable, []) }
        if brokerEpoch >= 0, let current = broker.epoch, brokerEpoch < current { return (.staleBrokerEpoch, []) }
        shuttingDownBrokers.insert(id)
        logger.info("Controlled shutdown", metadata: ["broker": "\(id)"])
        do {
            let changed = try await electLeaders(unavailable: [id], keepLeaderWithoutCandidate: true)
            await sendLeaderAndIsr(for: Array(changed))
            await sendUpdateMetadata(to: Array(liveBrokers.values), partitions: Array(changed))
        } catch KafkaZkClient.Failure.controllerMoved {
            resign()
            return (.notController, [])
        } catch {
            logger.error("Controlled shutdown of broker \(id) failed: \(error)")
            return (.unknownServerError, [])
        }
        // As Kafka: partitions with a single replica cannot move and do not count.
        let remaining = states.filter { partition, state in
            state.leader == id && (assignments[partition.topic]?.partitions[partition.partition]?.count ?? 0) > 1
        }.map(\.key).sorted()
        return (.none, remaining)
    }

    /// Kafka's partition and replica state machines for brokers that went (`unavailable`): a partition led by one
    /// of them gets the first live ISR member in assignment order as leader (or, with unclean election enabled
    /// for its topic, the first live replica; otherwise no leader, its ISR kept to the last member); every ISR
    /// loses them. Offline partitions (leader -1) are retried. Each change raises the leader epoch and is written
    /// fenced on the controller epoch and conditional on the partition state's version (re-read and redone when
    /// a leader changed the ISR meanwhile). Returns the changed partitions.
    func electLeaders(
        unavailable: Set<BrokerID>,
        keepLeaderWithoutCandidate: Bool = false
    ) async throws -> Set<TopicPartition> {
        var changed: Set<TopicPartition> = []
        for partition in states.keys.sorted() {
            let wrote = try await update(partition) { state, replicas in
                try await self.decide(partition, state, replicas, unavailable, keepLeaderWithoutCandidate)
            }
            if wrote { changed.insert(partition) }
        }
        return changed
    }

    /// Writes the state `decide` proposes for `partition` (fenced on the controller epoch, conditional on the state's
    /// version); when a leader changed the ISR meanwhile, reads the state again and decides again. Returns whether
    /// a new state was written.
    func update(
        _ partition: TopicPartition,
        decide: (LeaderAndIsr, [BrokerID]) async throws -> LeaderAndIsr?
    ) async throws -> Bool {
        for _ in 0..<3 {
            guard let state = states[partition],
                let replicas = assignments[partition.topic]?.partitions[partition.partition],
                var proposed = try await decide(state, replicas)
            else { return false }
            proposed.controllerEpoch = epoch
            proposed.zkVersion = state.zkVersion
            if let version = try await zk.updateLeaderAndIsr(partition, proposed, epochZkVersion: epochZkVersion) {
                proposed.zkVersion = version
                states[partition] = proposed
                partitionStates.move([partition], to: proposed.leader >= 0 ? .online : .offline, logger: logger)
                if proposed.leader != state.leader {
                    logger.info(
                        proposed.leader < 0 ? "Partition offline: no live in-sync replica" : "Elected a leader",
                        metadata: [
                            "partition": "\(partition)", "leader": "\(proposed.leader)",
                            "leaderEpoch": "\(proposed.leaderEpoch)", "isr": "\(proposed.isr)",
                        ]
                    )
                }
                return true
            }
            if let fresh = try await zk.getPartitionState(partition) { states[partition] = fresh }
        }
        return false
    }

    private func decide(
        _ partition: TopicPartition,
        _ state: LeaderAndIsr,
        _ replicas: [BrokerID],
        _ unavailable: Set<BrokerID>,
        _ keepLeaderWithoutCandidate: Bool
    ) async throws -> LeaderAndIsr? {
        func usable(_ id: BrokerID) -> Bool { isUsable(id) && !unavailable.contains(id) }
        let leaderGone = state.leader < 0 || !usable(state.leader)
        let isrLosers = state.isr.filter { unavailable.contains($0) || liveBrokers[$0] == nil }
        guard leaderGone || !isrLosers.isEmpty else { return nil }
        var proposed = state
        proposed.leaderEpoch += 1
        let liveIsr = state.isr.filter(usable)
        if !leaderGone {
            proposed.isr = state.isr.filter { !isrLosers.contains($0) }
            return proposed
        }
        if let leader = replicas.first(where: liveIsr.contains) {
            proposed.leader = leader
            proposed.isr = liveIsr
            return proposed
        }
        if keepLeaderWithoutCandidate { return nil }
        if let leader = replicas.first(where: usable), try await uncleanElectionEnabled(partition.topic) {
            logger.warning(
                "Unclean leader election: a replica outside the ISR leads; committed messages may be lost",
                metadata: ["partition": "\(partition)", "leader": "\(leader)"]
            )
            proposed.leader = leader
            proposed.isr = [leader]
            uncleanLeaderElections += 1
            return proposed
        }
        guard state.leader >= 0 else { return nil }  // already offline
        proposed.leader = LeaderAndIsr.noLeader
        // The ISR keeps one member (the last leader when it was in sync), the replica that may lead again.
        proposed.isr = state.isr.contains(state.leader) ? [state.leader] : Array(state.isr.prefix(1))
        return proposed
    }

    /// Whether `id` may lead: registered and not shutting down.
    func isUsable(_ id: BrokerID) -> Bool { liveBrokers[id] != nil && !shuttingDownBrokers.contains(id) }

    private func uncleanElectionEnabled(_ topic: String) async throws -> Bool {
        let overrides = try await zk.getEntityConfig(type: "topics", name: topic)
        return overrides["unclean.leader.election.enable"].map { $0.lowercased() == "true" }
            ?? uncleanLeaderElectionDefault
    }
}
