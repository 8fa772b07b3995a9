import KafkaCore
import KafkaProtocol
import Logging

/// A consumer's membership of its group (the Java client's `ConsumerCoordinator`) on a `GroupMember` of protocol
/// type `consumer`: it offers a subscription per assignor, runs the chosen assignor when it leads, decodes its
/// assignment, and commits and reads offsets for the current generation.
///
/// Lifecycle: made by `KafkaConsumer` when it has a `group.id`; `ensureActive` from poll; `stop` on close. An actor
/// only to keep the consumer's calls in order; the membership itself is the `GroupMember`'s.
actor ConsumerCoordinator {
    let groupID: String
    let configuration: ConsumerConfiguration
    let cluster: Cluster
    let assignors: [any PartitionAssignor]
    let member: GroupMember
    let logger: Logger

    init(groupID: String, configuration: ConsumerConfiguration, cluster: Cluster, logger: Logger) throws(ConfigError) {
        self.groupID = groupID
        self.configuration = configuration
        self.cluster = cluster
        assignors = try configuration.assignors()
        member = GroupMember(
            settings: GroupMember.Settings(
                groupID: groupID,
                protocolType: ConsumerProtocol.protocolType,
                sessionTimeoutMs: configuration.sessionTimeoutMs,
                rebalanceTimeoutMs: configuration.maxPollIntervalMs,
                heartbeatIntervalMs: configuration.heartbeatIntervalMs,
                groupInstanceID: configuration.groupInstanceID,
                retryBackoffMs: configuration.client.retryBackoffMs,
                requestTimeoutMs: Int64(configuration.client.requestTimeoutMs)
            ),
            cluster: cluster,
            logger: logger
        )
        self.logger = logger
    }

    private var retryBackoff: Duration { .milliseconds(configuration.client.retryBackoffMs) }

    /// The consumer polled: the poll interval starts again.
    func polled() async { await member.polled() }

    /// The group must be joined again (the subscription changed).
    func requestRejoin() async { await member.requestRejoin() }

    /// Kafka's COOPERATIVE rebalance protocol when every configured assignor supports it (else EAGER): members
    /// keep their partitions through a rebalance.
    var cooperative: Bool { assignors.allSatisfy(\.supportsCooperative) }

    /// Whether the next `ensureActive` will (re)join.
    var needsJoin: Bool { get async { await member.needsJoin } }

    /// Set when the membership was lost (not a normal rebalance): the partitions are lost, not revoked.
    var membershipLost: Bool { get async { await member.membershipLost } }

    /// Joins the group when needed, with `subscription` and the partitions the member owns; returns the new
    /// assignment when it joined, nil when the membership was already current.
    func ensureActive(
        topics: [String],
        owned: [TopicPartition],
        deadline: ContinuousClock.Instant
    ) async throws -> [TopicPartition]? {
        let generation = await member.generationID
        let protocols = assignors.map { assignor in
            let subscription = ConsumerProtocol.Subscription(
                topics: topics,
                ownedPartitions: owned,
                userData: assignor is CooperativeStickyAssignor
                    ? CooperativeStickyAssignor.userData(generation: generation) : nil
            )
            return (name: assignor.name, metadata: ConsumerProtocol.encode(subscription))
        }
        let assignors = self.assignors
        let cluster = self.cluster
        guard
            let joined = try await member.ensureActive(
                protocols: protocols,
                deadline: deadline,
                assign: { protocolName, members in
                    try await Self.leaderAssignment(
                        members,
                        protocolName: protocolName,
                        assignors: assignors,
                        cluster: cluster
                    )
                }
            )
        else { return nil }
        let assignment = try ConsumerProtocol.decodeAssignment(joined.assignment)
        logger.debug("Assigned", metadata: ["group": "\(groupID)", "partitions": "\(assignment.count)"])
        return assignment
    }

    /// The leader's part: every member's assignment from the chosen assignor and the topics' partition counts.
    private static func leaderAssignment(
        _ joined: [GroupMember.Member],
        protocolName: String,
        assignors: [any PartitionAssignor],
        cluster: Cluster
    ) async throws -> [String: [UInt8]] {
        guard let assignor = assignors.first(where: { $0.name == protocolName }) else {
            throw ConsumerError.broker(.inconsistentGroupProtocol, "the group chose \(protocolName)")
        }
        let members = try joined.map { member in
            GroupMemberSubscription(
                memberID: member.memberID,
                groupInstanceID: member.groupInstanceID,
                subscription: try ConsumerProtocol.decodeSubscription(member.metadata)
            )
        }
        let topics = Set(members.flatMap(\.subscription.topics)).sorted()
        let metadata = try await cluster.refreshMetadata(topics: topics)
        var counts: [String: Int32] = [:]
        for topic in topics {
            if let known = metadata.topics[topic], known.error == .none, !known.partitions.isEmpty {
                counts[topic] = known.partitionCount
            }
        }
        let assignment = assignor.assign(partitionCounts: counts, members: members)
        var encoded: [String: [UInt8]] = [:]
        for member in members {
            encoded[member.memberID] = ConsumerProtocol.encode(assignment: assignment[member.memberID] ?? [])
        }
        return encoded
    }

    // MARK: Offsets

    /// Commits `offsets` for the current generation; a commit during a rebalance fails with REBALANCE_IN_PROGRESS
    /// (the caller's partitions may have moved).
    func commit(_ offsets: [TopicPartition: OffsetAndMetadata], deadline: ContinuousClock.Instant) async throws {
        guard !offsets.isEmpty else { return }
        var request = OffsetCommitRequest()
        request.groupID = groupID
        request.generationIDOrMemberEpoch = await member.generationID
        request.memberID = await member.memberID
        request.groupInstanceID = configuration.groupInstanceID
        request.topics = Dictionary(grouping: offsets, by: \.key.topic).map { topic, entries in
            .init(
                name: topic,
                partitions: entries.map {
                    .init(
                        partitionIndex: $0.key.partition,
                        committedOffset: $0.value.offset,
                        committedLeaderEpoch: $0.value.leaderEpoch ?? -1,
                        committedMetadata: $0.value.metadata
                    )
                }
            )
        }
        while true {
            let response = try await member.sendToCoordinator(request, deadline: deadline)
            let errors = response.topics.flatMap { topic in
                topic.partitions.filter { $0.errorCode != .none }.map { (topic.name, $0.partitionIndex, $0.errorCode) }
            }
            guard let (topic, partition, code) = errors.first else { return }
            switch code {
            case .coordinatorLoadInProgress, .notCoordinator, .coordinatorNotAvailable, .requestTimedOut:
                if code != .coordinatorLoadInProgress { await member.coordinatorUnknown() }
                guard ContinuousClock.now + retryBackoff < deadline else {
                    throw ConsumerError.broker(code, "OffsetCommit of \(topic)-\(partition)")
                }
                try await Task.sleep(for: retryBackoff)
            case .unknownMemberID, .illegalGeneration, .rebalanceInProgress, .fencedInstanceID:
                await member.requestRejoin()
                throw ConsumerError.commitFailed(code)
            default:
                throw ConsumerError.broker(code, "OffsetCommit of \(topic)-\(partition)")
            }
        }
    }

    /// The group's committed offsets of `partitions` (absent: nothing committed).
    func committed(
        _ partitions: [TopicPartition],
        deadline: ContinuousClock.Instant
    ) async throws -> [TopicPartition: OffsetAndMetadata] {
        var request = OffsetFetchRequest()
        request.groupID = groupID
        request.topics = ConsumerProtocol.grouped(partitions).map {
            .init(name: $0.topic, partitionIndexes: $0.partitions)
        }
        request.requireStable = true
        while true {
            let response = try await member.sendToCoordinator(request, deadline: deadline)
            var code = response.errorCode
            if code == .none {
                code = response.topics.lazy.flatMap(\.partitions).first { $0.errorCode != .none }?.errorCode ?? .none
            }
            switch code {
            case .none:
                var committed: [TopicPartition: OffsetAndMetadata] = [:]
                for topic in response.topics {
                    for partition in topic.partitions where partition.committedOffset >= 0 {
                        committed[TopicPartition(topic.name, partition.partitionIndex)] = OffsetAndMetadata(
                            offset: partition.committedOffset,
                            leaderEpoch: partition.committedLeaderEpoch >= 0 ? partition.committedLeaderEpoch : nil,
                            metadata: partition.metadata ?? ""
                        )
                    }
                }
                return committed
            case .coordinatorLoadInProgress, .notCoordinator, .coordinatorNotAvailable, .unstableOffsetCommit:
                if code == .notCoordinator || code == .coordinatorNotAvailable { await member.coordinatorUnknown() }
                guard ContinuousClock.now + retryBackoff < deadline else {
                    throw ConsumerError.broker(code, "OffsetFetch of group \(groupID)")
                }
                try await Task.sleep(for: retryBackoff)
            default:
                throw ConsumerError.broker(code, "OffsetFetch of group \(groupID)")
            }
        }
    }

    // MARK: Leaving

    func leave() async { await member.leave() }

    func stop() async { await member.stop() }
}
