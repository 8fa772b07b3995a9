public import KafkaCore
import KafkaZooKeeper

/// ElectLeaders (KIP-460, `kafka-leader-election`, admin clients' `elect_leaders`), answered by the active
/// controller: a preferred election moves leadership to each partition's first assigned replica when it is alive
/// and in sync; an unclean one gives a leaderless partition a live replica, in the ISR if one is alive, else any
/// (counted as an unclean election). Every change is written as the controller's elections are (fenced, versioned)
/// and announced with LeaderAndIsr and UpdateMetadata.
extension Controller {
    public enum ElectionType: Int8, Sendable {
        case preferred = 0
        case unclean = 1
    }

    /// Per partition: NONE, ELECTION_NOT_NEEDED, PREFERRED_LEADER_NOT_AVAILABLE, ELIGIBLE_LEADERS_NOT_AVAILABLE or
    /// UNKNOWN_TOPIC_OR_PARTITION. `partitions` nil means every partition, and then, as Kafka, the answer leaves
    /// out those that needed no election. Nil when this broker is not the active controller. Queued as an event.
    public nonisolated func electLeaders(
        _ type: ElectionType,
        partitions requested: [TopicPartition]?
    ) async -> [TopicPartition: KafkaErrorCode]? {
        guard case .elections(let results) = await process(.electLeaders(type, partitions: requested)) else {
            return nil
        }
        return results
    }

    func onElectLeaders(
        _ type: ElectionType,
        partitions requested: [TopicPartition]?
    ) async -> [TopicPartition: KafkaErrorCode]? {
        guard isActiveNow else { return nil }
        var results: [TopicPartition: KafkaErrorCode] = [:]
        var changed: Set<TopicPartition> = []
        for partition in (requested ?? Array(states.keys)).sorted() {
            guard states[partition] != nil, assignments[partition.topic]?.partitions[partition.partition] != nil else {
                results[partition] = .unknownTopicOrPartition
                continue
            }
            var outcome = KafkaErrorCode.electionNotNeeded
            var outsideIsr = false
            do {
                let wrote = try await update(partition) { state, replicas in
                    let decision = self.decideElection(type, state, replicas)
                    (outcome, outsideIsr) = (decision.outcome, decision.outsideIsr)
                    return decision.proposed
                }
                if wrote {
                    changed.insert(partition)
                    if outsideIsr { uncleanLeaderElections += 1 }
                }
            } catch KafkaZkClient.Failure.controllerMoved {
                resign()
                return nil
            } catch {
                logger.error("Leader election failed: \(error)", metadata: ["partition": "\(partition)"])
                outcome = .unknownServerError
            }
            results[partition] = outcome
        }
        logger.info(
            "Leader election requested",
            metadata: ["type": "\(type)", "elected": "\(changed.sorted())"]
        )
        await announce(changed)
        return requested == nil ? results.filter { $0.value != .electionNotNeeded } : results
    }

    /// The outcome of one election, the state to write if any, and whether its leader comes from outside the ISR
    /// (also the preferred-replica elections of `/admin/preferred_replica_election` and the leader rebalance).
    func decideElection(
        _ type: ElectionType,
        _ state: LeaderAndIsr,
        _ replicas: [BrokerID]
    ) -> (outcome: KafkaErrorCode, proposed: LeaderAndIsr?, outsideIsr: Bool) {
        var proposed = state
        proposed.leaderEpoch += 1
        switch type {
        case .preferred:
            guard let preferred = replicas.first, state.leader != preferred else {
                return (.electionNotNeeded, nil, false)
            }
            guard isUsable(preferred), state.isr.contains(preferred) else {
                return (.preferredLeaderNotAvailable, nil, false)
            }
            proposed.leader = preferred
            return (.none, proposed, false)
        case .unclean:
            if state.leader >= 0 && isUsable(state.leader) { return (.electionNotNeeded, nil, false) }
            if let inSync = state.isr.first(where: isUsable) {
                proposed.leader = inSync
                return (.none, proposed, false)
            }
            guard let live = replicas.first(where: isUsable) else { return (.eligibleLeadersNotAvailable, nil, false) }
            proposed.leader = live
            proposed.isr = [live]
            return (.none, proposed, true)
        }
    }
}
