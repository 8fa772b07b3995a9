import KafkaCore
import KafkaProtocol
import Logging

/// A consumer's membership of its group (the Java client's `ConsumerCoordinator`): it finds the group coordinator,
/// joins (JoinGroup, then SyncGroup; the leader runs the assignor), heartbeats in the background, commits and reads
/// offsets, and leaves. A heartbeat answer that announces a rebalance, or a lost membership, marks the group for
/// rejoining; the consumer rejoins at its next poll (revoking, then assigning, through its listener).
///
/// Lifecycle: made by `KafkaConsumer` when it has a `group.id`; `ensureActive` from poll; `stop` on close. An actor:
/// the heartbeat task and the consumer share the member id and generation through it.
actor ConsumerCoordinator {
    enum MemberState { case unjoined, rebalancing, stable }

    let groupID: String
    let configuration: ConsumerConfiguration
    let cluster: Cluster
    let assignors: [any PartitionAssignor]
    let logger: Logger
    private(set) var memberID = ""
    private(set) var generationID: Int32 = -1
    private(set) var state = MemberState.unjoined
    private(set) var rejoinNeeded = true
    /// Set when the membership was lost (not a normal rebalance): the partitions are lost, not revoked.
    private(set) var membershipLost = false
    private var coordinator: BrokerAddress?
    private var heartbeatTask: Task<Void, Never>?
    private var lastPoll = ContinuousClock.now

    init(groupID: String, configuration: ConsumerConfiguration, cluster: Cluster, logger: Logger) throws(ConfigError) {
        self.groupID = groupID
        self.configuration = configuration
        self.cluster = cluster
        assignors = try configuration.assignors()
        self.logger = logger
    }

    private var retryBackoff: Duration { .milliseconds(configuration.client.retryBackoffMs) }

    // MARK: The coordinator

    /// The group coordinator's address, asking FindCoordinator (and retrying while it is not available) until
    /// `deadline`.
    func coordinatorAddress(deadline: ContinuousClock.Instant) async throws -> BrokerAddress {
        while true {
            if let coordinator { return coordinator }
            var request = FindCoordinatorRequest()
            request.key = groupID
            request.keyType = 0
            do {
                let response = try await cluster.send(request)
                if response.errorCode == .none {
                    let address = BrokerAddress(host: response.host, port: Int(response.port))
                    coordinator = address
                    return address
                }
                guard response.errorCode.isRetriable || response.errorCode == .coordinatorNotAvailable else {
                    throw ConsumerError.broker(response.errorCode, "FindCoordinator for group \(groupID)")
                }
            } catch let error as ConsumerError {
                throw error
            } catch {
                logger.debug("FindCoordinator failed", metadata: ["error": "\(error)"])
            }
            guard ContinuousClock.now + retryBackoff < deadline else {
                throw ConsumerError.timedOut("the coordinator of group \(groupID)")
            }
            try await Task.sleep(for: retryBackoff)
        }
    }

    /// The coordinator moved or went away (NOT_COORDINATOR, COORDINATOR_NOT_AVAILABLE, a lost connection).
    func coordinatorUnknown() { coordinator = nil }

    /// Sends a group request to the coordinator, finding it again (once per call) when it moved.
    private func sendToCoordinator<Request: KafkaRequest>(
        _ request: Request,
        timeout: Duration? = nil,
        deadline: ContinuousClock.Instant
    ) async throws -> Request.Response {
        let address = try await coordinatorAddress(deadline: deadline)
        do {
            return try await cluster.send(request, to: address, timeout: timeout)
        } catch {
            coordinator = nil
            throw error
        }
    }

    // MARK: Joining

    /// The consumer polled: the poll interval starts again.
    func polled() { lastPoll = .now }

    /// The group must be joined again (the subscription changed).
    func requestRejoin() { rejoinNeeded = true }

    /// Kafka's COOPERATIVE rebalance protocol when every configured assignor supports it (else EAGER): members
    /// keep their partitions through a rebalance.
    var cooperative: Bool { assignors.allSatisfy(\.supportsCooperative) }

    /// Whether the next `ensureActive` will (re)join.
    var needsJoin: Bool { rejoinNeeded || state != .stable }

    /// Joins the group when needed, with `subscription` and the partitions the member owns; returns the new
    /// assignment when it joined, nil when the membership was already current.
    func ensureActive(
        topics: [String],
        owned: [TopicPartition],
        deadline: ContinuousClock.Instant
    ) async throws -> [TopicPartition]? {
        guard rejoinNeeded || state != .stable else { return nil }
        state = .rebalancing
        while true {
            do {
                let assignment = try await joinAndSync(topics: topics, owned: owned, deadline: deadline)
                state = .stable
                rejoinNeeded = false
                membershipLost = false
                startHeartbeats()
                return assignment
            } catch let error as RetryJoin {
                logger.debug("Rejoining group", metadata: ["group": "\(groupID)", "reason": "\(error.reason)"])
            } catch let error as ConsumerError {
                state = .unjoined
                throw error
            } catch {
                logger.debug("Join failed", metadata: ["group": "\(groupID)", "error": "\(error)"])
                coordinator = nil
            }
            guard ContinuousClock.now + retryBackoff < deadline else {
                state = .unjoined
                throw ConsumerError.timedOut("joining group \(groupID)")
            }
            try await Task.sleep(for: retryBackoff)
        }
    }

    private struct RetryJoin: Error { var reason: KafkaErrorCode }

    private func joinAndSync(
        topics: [String],
        owned: [TopicPartition],
        deadline: ContinuousClock.Instant
    ) async throws -> [TopicPartition] {
        var join = JoinGroupRequest()
        join.groupID = groupID
        join.sessionTimeoutMs = configuration.sessionTimeoutMs
        join.rebalanceTimeoutMs = configuration.maxPollIntervalMs
        join.memberID = memberID
        join.groupInstanceID = configuration.groupInstanceID
        join.protocolType = ConsumerProtocol.protocolType
        join.protocols = assignors.map { assignor in
            let subscription = ConsumerProtocol.Subscription(
                topics: topics,
                ownedPartitions: owned,
                userData: assignor is CooperativeStickyAssignor
                    ? CooperativeStickyAssignor.userData(generation: generationID) : nil
            )
            return .init(name: assignor.name, metadata: ConsumerProtocol.encode(subscription))
        }
        // The coordinator holds JoinGroup up to the rebalance timeout (Java: that plus 5 s).
        let joinTimeout = Duration.milliseconds(Int64(configuration.maxPollIntervalMs) + 5_000)
        let joined = try await sendToCoordinator(join, timeout: joinTimeout, deadline: deadline)
        switch joined.errorCode {
        case .none: break
        case .memberIDRequired:
            memberID = joined.memberID
            throw RetryJoin(reason: joined.errorCode)
        case .unknownMemberID:
            memberID = ""
            throw RetryJoin(reason: joined.errorCode)
        case .notCoordinator, .coordinatorNotAvailable:
            coordinator = nil
            throw RetryJoin(reason: joined.errorCode)
        case .coordinatorLoadInProgress, .rebalanceInProgress:
            throw RetryJoin(reason: joined.errorCode)
        default:
            throw ConsumerError.broker(joined.errorCode, "JoinGroup of group \(groupID)")
        }
        memberID = joined.memberID
        generationID = joined.generationID
        let protocolName = joined.protocolName ?? assignors[0].name
        var sync = SyncGroupRequest()
        sync.groupID = groupID
        sync.generationID = generationID
        sync.memberID = memberID
        sync.groupInstanceID = configuration.groupInstanceID
        sync.protocolType = ConsumerProtocol.protocolType
        sync.protocolName = protocolName
        if joined.leader == memberID {
            sync.assignments = try await leaderAssignment(joined, protocolName: protocolName)
        }
        let synced = try await sendToCoordinator(sync, deadline: deadline)
        switch synced.errorCode {
        case .none: break
        case .unknownMemberID:
            memberID = ""
            throw RetryJoin(reason: synced.errorCode)
        case .illegalGeneration, .rebalanceInProgress, .coordinatorLoadInProgress:
            throw RetryJoin(reason: synced.errorCode)
        case .notCoordinator, .coordinatorNotAvailable:
            coordinator = nil
            throw RetryJoin(reason: synced.errorCode)
        default:
            throw ConsumerError.broker(synced.errorCode, "SyncGroup of group \(groupID)")
        }
        let assignment = try ConsumerProtocol.decodeAssignment(synced.assignment)
        logger.info(
            "Joined group",
            metadata: [
                "group": "\(groupID)", "generation": "\(generationID)", "member": "\(memberID)",
                "partitions": "\(assignment.count)",
            ]
        )
        return assignment
    }

    /// The leader's part: every member's assignment from the chosen assignor and the topics' partition counts.
    private func leaderAssignment(
        _ joined: JoinGroupResponse,
        protocolName: String
    ) async throws -> [SyncGroupRequest.SyncGroupRequestAssignment] {
        guard let assignor = assignors.first(where: { $0.name == protocolName }) else {
            throw ConsumerError.broker(.inconsistentGroupProtocol, "the group chose \(protocolName)")
        }
        let members = try joined.members.map { member in
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
        return members.map { member in
            .init(
                memberID: member.memberID,
                assignment: ConsumerProtocol.encode(assignment: assignment[member.memberID] ?? [])
            )
        }
    }

    // MARK: Heartbeats

    private func startHeartbeats() {
        guard heartbeatTask == nil else { return }
        let interval = Duration.milliseconds(configuration.heartbeatIntervalMs)
        heartbeatTask = Task { [weak self] in
            while !Task.isCancelled {
                try? await Task.sleep(for: interval)
                guard let self, !Task.isCancelled else { return }
                await self.heartbeat()
            }
        }
    }

    /// One heartbeat, when stable; also leaves the group when the application stopped polling for longer than
    /// `max.poll.interval.ms` (as the Java client does), so the group rebalances without it.
    private func heartbeat() async {
        guard state == .stable else { return }
        if ContinuousClock.now - lastPoll > .milliseconds(configuration.maxPollIntervalMs) {
            logger.warning(
                "Leaving group: poll was not called within max.poll.interval.ms",
                metadata: ["group": "\(groupID)"]
            )
            await leave()
            return
        }
        var request = HeartbeatRequest()
        request.groupID = groupID
        request.generationID = generationID
        request.memberID = memberID
        request.groupInstanceID = configuration.groupInstanceID
        let generation = generationID
        do {
            let response = try await sendToCoordinator(request, deadline: .now + retryBackoff)
            guard generation == generationID, state == .stable else { return }
            switch response.errorCode {
            case .none: break
            case .rebalanceInProgress: rejoinNeeded = true
            case .illegalGeneration, .fencedInstanceID:
                rejoinNeeded = true
                membershipLost = true
            case .unknownMemberID:
                memberID = ""
                rejoinNeeded = true
                membershipLost = true
            case .notCoordinator, .coordinatorNotAvailable: coordinator = nil
            default: logger.debug("Heartbeat failed", metadata: ["error": "\(response.errorCode)"])
            }
        } catch {
            logger.debug("Heartbeat failed", metadata: ["group": "\(groupID)", "error": "\(error)"])
        }
    }

    // MARK: Offsets

    /// Commits `offsets` for the current generation; a commit during a rebalance fails with REBALANCE_IN_PROGRESS
    /// (the caller's partitions may have moved).
    func commit(_ offsets: [TopicPartition: OffsetAndMetadata], deadline: ContinuousClock.Instant) async throws {
        guard !offsets.isEmpty else { return }
        var request = OffsetCommitRequest()
        request.groupID = groupID
        request.generationIDOrMemberEpoch = generationID
        request.memberID = memberID
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
            let response = try await sendToCoordinator(request, deadline: deadline)
            let errors = response.topics.flatMap { topic in
                topic.partitions.filter { $0.errorCode != .none }.map { (topic.name, $0.partitionIndex, $0.errorCode) }
            }
            guard let (topic, partition, code) = errors.first else { return }
            switch code {
            case .coordinatorLoadInProgress, .notCoordinator, .coordinatorNotAvailable, .requestTimedOut:
                if code != .coordinatorLoadInProgress { coordinator = nil }
                guard ContinuousClock.now + retryBackoff < deadline else {
                    throw ConsumerError.broker(code, "OffsetCommit of \(topic)-\(partition)")
                }
                try await Task.sleep(for: retryBackoff)
            case .unknownMemberID, .illegalGeneration, .rebalanceInProgress, .fencedInstanceID:
                rejoinNeeded = true
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
            let response = try await sendToCoordinator(request, deadline: deadline)
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
                if code == .notCoordinator || code == .coordinatorNotAvailable { coordinator = nil }
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

    /// Leaves the group (a dynamic member; a static one keeps its place until its session times out, as in Kafka).
    func leave() async {
        defer {
            state = .unjoined
            rejoinNeeded = true
            generationID = -1
        }
        guard configuration.groupInstanceID == nil, !memberID.isEmpty, state != .unjoined else { return }
        var request = LeaveGroupRequest()
        request.groupID = groupID
        request.memberID = memberID
        request.members = [.init(memberID: memberID, groupInstanceID: nil)]
        do {
            _ = try await sendToCoordinator(
                request,
                deadline: .now + .milliseconds(configuration.client.requestTimeoutMs)
            )
        } catch {
            logger.debug("LeaveGroup failed", metadata: ["group": "\(groupID)", "error": "\(error)"])
        }
        memberID = ""
    }

    func stop() async {
        heartbeatTask?.cancel()
        heartbeatTask = nil
        await leave()
    }
}
