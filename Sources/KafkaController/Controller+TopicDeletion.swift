import KafkaCore
import KafkaProtocol
import KafkaZooKeeper

/// Topic deletion, Kafka 2.8's `TopicDeletionManager`: a topic named in `/admin/delete_topics` is queued; when it is
/// eligible (no replica on a dead broker, no reassignment of it in progress) its deletion starts — every live broker
/// gets UpdateMetadata with leader -2 (so Metadata stops listing it and its name answers UNKNOWN_TOPIC_OR_PARTITION),
/// its partitions go Offline → NonExistent, and each replica on a live broker goes Offline → ReplicaDeletionStarted
/// with StopReplica(delete) sent, retried until the broker answers or leaves. Each answer is an event
/// (`.topicDeletionStopReplicaResponse`): replicas deleted become ReplicaDeletionSuccessful, refused ones
/// ReplicaDeletionIneligible. A replica on a dead broker is ReplicaDeletionIneligible and its topic waits; when that
/// broker starts again the deletion resumes and its StopReplica is sent. Only when every replica is deleted are the
/// topic's znodes removed (`/brokers/topics/<t>`, `/config/topics/<t>`, then `/admin/delete_topics/<t>`), so until
/// then the name cannot be created again and no broker mistakes an old replica for a new topic's. Runs on the
/// controller's event loop only.
extension Controller {
    /// `/admin/delete_topics` changed (or a failover): queue the topics it names; requests for topics that do not
    /// exist are removed.
    func onTopicDeletionRequests() async throws {
        let requested = Set(try await zk.getTopicDeletionRequests(watch: true))
        for topic in requested.sorted() where assignments[topic] == nil {
            try await zk.deleteTopicZNodes(topic, epochZkVersion: epochZkVersion)
        }
        let queued = requested.filter { assignments[$0] != nil }.subtracting(topicsToBeDeleted)
        guard !queued.isEmpty else { return }
        logger.info("Topics queued for deletion", metadata: ["topics": "\(queued.sorted())"])
        topicsToBeDeleted.formUnion(queued)
        try await resumeDeletions()
    }

    /// A broker answered StopReplica(delete) for `deleted` and refused `failed`.
    func onTopicDeletionStopReplicaResponse(
        broker: BrokerID,
        deleted: [TopicPartition],
        failed: [TopicPartition]
    ) async throws {
        let started = { (partitions: [TopicPartition]) in
            partitions.map { PartitionReplica(partition: $0, broker: broker) }.filter {
                self.topicsToBeDeleted.contains($0.partition.topic)
                    && self.replicaStates.state(of: $0) == .deletionStarted
            }
        }
        let refused = started(failed)
        if !refused.isEmpty {
            logger.warning("StopReplica for deletion refused", metadata: ["replicas": "\(refused.sorted())"])
            topicsIneligibleForDeletion.formUnion(refused.map(\.partition.topic))
            replicaStates.move(refused, to: .deletionIneligible, logger: logger)
        }
        replicaStates.move(started(deleted), to: .deletionSuccessful, logger: logger)
        try await resumeDeletions()
    }

    /// Brokers failed or started: replicas of queued topics on failed brokers wait (ReplicaDeletionIneligible);
    /// topics with replicas on started brokers may go on.
    func onBrokersChangedDuringDeletion(failed: Set<BrokerID>, started: Set<BrokerID>) async throws {
        guard !topicsToBeDeleted.isEmpty else { return }
        let partitions = self.partitions(of: topicsToBeDeleted)
        let lost = replicas(of: partitions, on: failed).filter {
            [.offline, .deletionStarted].contains(replicaStates.state(of: $0))
        }
        if !lost.isEmpty {
            topicsIneligibleForDeletion.formUnion(lost.map(\.partition.topic))
            replicaStates.move(lost, to: .deletionIneligible, logger: logger)
        }
        topicsIneligibleForDeletion.subtract(replicas(of: partitions, on: started).map(\.partition.topic))
        try await resumeDeletions()
    }

    /// Kafka's `resumeDeletions`: completes topics whose replicas are all deleted, retries replicas that could not
    /// be deleted, and starts the deletion of eligible topics.
    func resumeDeletions() async throws {
        var retry: [PartitionReplica] = []
        var eligible: [String] = []
        for topic in topicsToBeDeleted.sorted() {
            let replicas = self.replicas(of: partitions(of: [topic]))
            let states = replicas.map { replicaStates.state(of: $0) }
            if states.allSatisfy({ $0 == .deletionSuccessful }) {
                try await completeDeletion(of: topic, replicas: replicas)
                continue
            }
            if states.contains(.deletionStarted) { continue }
            retry += replicas.filter { replicaStates.state(of: $0) == .deletionIneligible }
            if !topicsIneligibleForDeletion.contains(topic), !reassignments.keys.contains(where: { $0.topic == topic })
            {
                eligible.append(topic)
            }
        }
        replicaStates.move(retry, to: .offline, logger: logger)
        if !eligible.isEmpty { await startDeletion(of: eligible) }
    }

    /// Kafka's `onTopicDeletion` and `onPartitionDeletion`: metadata first, then StopReplica(delete) to every live
    /// replica not yet deleted; replicas on dead brokers wait.
    private func startDeletion(of topics: [String]) async {
        let unseen = topics.filter { !topicsWithDeletionStarted.contains($0) }
        let partitions = self.partitions(of: Set(topics))
        if !unseen.isEmpty {
            logger.info("Deleting topics", metadata: ["topics": "\(unseen)"])
            let unseenPartitions = self.partitions(of: Set(unseen))
            partitionStates.move(unseenPartitions, to: .offline, logger: logger)
            partitionStates.move(unseenPartitions, to: .nonExistent, logger: logger)
            for partition in unseenPartitions { states.removeValue(forKey: partition) }
            topicsWithDeletionStarted.formUnion(unseen)
        }
        await sendUpdateMetadata(to: Array(liveBrokers.values), partitions: partitions, deleting: true)
        let pending = replicas(of: partitions).filter { replicaStates.state(of: $0) != .deletionSuccessful }
        let dead = pending.filter {
            liveBrokers[$0.broker] == nil && replicaStates.state(of: $0) != .deletionIneligible
        }
        let live = pending.filter { liveBrokers[$0.broker] != nil }
        replicaStates.move(dead, to: .deletionIneligible, logger: logger)
        topicsIneligibleForDeletion.formUnion(dead.map(\.partition.topic))
        replicaStates.move(live, to: .offline, logger: logger)
        let starting = replicaStates.move(live, to: .deletionStarted, logger: logger)
        for (brokerID, replicas) in Dictionary(grouping: starting, by: \.broker) {
            guard let broker = liveBrokers[brokerID] else { continue }
            for (_, held) in Dictionary(grouping: replicas.map(\.partition), by: \.topic) {
                sendStopReplicaForDeletion(held.sorted(), to: broker)
            }
        }
    }

    /// Every replica of `topic` is deleted: its znodes go and the controller forgets it.
    private func completeDeletion(of topic: String, replicas: [PartitionReplica]) async throws {
        replicaStates.move(replicas, to: .nonExistent, logger: logger)
        try await zk.deleteTopicZNodes(topic, epochZkVersion: epochZkVersion)
        for partition in partitions(of: [topic]) {
            states.removeValue(forKey: partition)
            partitionStates.initialize(partition, .nonExistent)
        }
        assignments.removeValue(forKey: topic)
        topicsToBeDeleted.remove(topic)
        topicsWithDeletionStarted.remove(topic)
        topicsIneligibleForDeletion.remove(topic)
        logger.info("Deletion of topic completed", metadata: ["topic": "\(topic)"])
    }

    /// StopReplica(delete) of `partitions` (one topic) to `broker`, retried with backoff until it answers or its
    /// queue goes (the broker left: the replicas then wait for it in ReplicaDeletionIneligible); the answer comes
    /// back as an event.
    private func sendStopReplicaForDeletion(_ partitions: [TopicPartition], to broker: BrokerRegistration) {
        let request = stopReplicaRequest(partitions, leaderEpoch: -2)
        let (channel, controller) = (self.channel, self)
        queues.enqueue(to: broker) {
            var backoff: Duration = .milliseconds(100)
            while !Task.isCancelled {
                do {
                    let response = try await channel.send(request, to: broker)
                    // A partition the answer does not name is not known to be deleted: it counts as refused.
                    var errors: [TopicPartition: KafkaErrorCode] = [:]
                    for error in response.partitionErrors {
                        errors[TopicPartition(error.topicName, error.partitionIndex)] = error.errorCode
                    }
                    let deleted = partitions.filter { response.errorCode == .none && errors[$0] == KafkaErrorCode.none }
                    let failed = partitions.filter { !deleted.contains($0) }
                    controller.enqueue(
                        .topicDeletionStopReplicaResponse(broker: broker.id, deleted: deleted, failed: failed)
                    )
                    return
                } catch {
                    try? await Task.sleep(for: backoff)
                    backoff = min(backoff * 2, .seconds(5))
                }
            }
        }
    }

    /// The partitions of `topics` in their current assignments.
    func partitions(of topics: Set<String>) -> [TopicPartition] {
        topics.sorted().flatMap { topic in
            (assignments[topic]?.partitions.keys.sorted() ?? []).map { TopicPartition(topic, $0) }
        }
    }
}
