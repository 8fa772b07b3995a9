public import KafkaCore
public import KafkaProtocol
public import Logging

/// A member of a Kafka group whatever its protocol type (the Java client's `AbstractCoordinator`): it finds the
/// group coordinator, joins (JoinGroup, then SyncGroup; as leader it asks its `assign` closure for every member's
/// assignment), heartbeats in the background and leaves. The protocols' metadata and the assignments are opaque
/// bytes here: the consumer (`ConsumerCoordinator`, protocol type `consumer`) and Connect's workers (`connect`)
/// give them meaning. A heartbeat answer that announces a rebalance, or a lost membership, marks the group for
/// rejoining; the owner rejoins at its next `ensureActive`.
///
/// Lifecycle: made by its owner; `ensureActive` from the owner's loop (which also calls `polled`); `stop` on close.
/// An actor: the heartbeat task and the owner share the member id and generation through it.
public actor GroupMember {
    public enum MemberState: Sendable { case unjoined, rebalancing, stable }

    /// How the member joins: Kafka's group settings, named as the clients' properties name them.
    public struct Settings: Sendable {
        public var groupID: String
        public var protocolType: String
        public var sessionTimeoutMs: Int32
        /// `max.poll.interval.ms` for a consumer, `rebalance.timeout.ms` for a Connect worker: how long the
        /// coordinator waits for the members to rejoin, and how long the owner may go without `polled`.
        public var rebalanceTimeoutMs: Int32
        public var heartbeatIntervalMs: Int32
        public var groupInstanceID: String?
        public var retryBackoffMs: Int64
        public var requestTimeoutMs: Int64

        public init(
            groupID: String,
            protocolType: String,
            sessionTimeoutMs: Int32,
            rebalanceTimeoutMs: Int32,
            heartbeatIntervalMs: Int32,
            groupInstanceID: String? = nil,
            retryBackoffMs: Int64,
            requestTimeoutMs: Int64
        ) {
            self.groupID = groupID
            self.protocolType = protocolType
            self.sessionTimeoutMs = sessionTimeoutMs
            self.rebalanceTimeoutMs = rebalanceTimeoutMs
            self.heartbeatIntervalMs = heartbeatIntervalMs
            self.groupInstanceID = groupInstanceID
            self.retryBackoffMs = retryBackoffMs
            self.requestTimeoutMs = requestTimeoutMs
        }
    }

    /// A member as the leader sees it in the JoinGroup answer.
    public struct Member: Sendable {
        public var memberID: String
        public var groupInstanceID: String?
        public var metadata: [UInt8]
    }

    /// A completed join: the generation, who leads it, the protocol the group chose and this member's assignment.
    public struct Joined: Sendable {
        public var generationID: Int32
        public var memberID: String
        public var leaderID: String
        public var protocolName: String
        public var assignment: [UInt8]
    }

    /// The leader's part: every member's assignment (by member id) for the chosen protocol.
    public typealias Assign = @Sendable (_ protocolName: String, _ members: [Member]) async throws -> [String: [UInt8]]

    public nonisolated let settings: Settings
    public nonisolated let cluster: Cluster
    let logger: Logger
    public private(set) var memberID = ""
    public private(set) var generationID: Int32 = -1
    public private(set) var state = MemberState.unjoined
    public private(set) var rejoinNeeded = true
    /// Set when the membership was lost (not a normal rebalance): what the member owned is lost, not revoked.
    public private(set) var membershipLost = false
    private var coordinator: BrokerAddress?
    private var heartbeatTask: Task<Void, Never>?
    private var lastPoll = ContinuousClock.now

    public init(settings: Settings, cluster: Cluster, logger: Logger) {
        self.settings = settings
        self.cluster = cluster
        self.logger = logger
    }

    private var groupID: String { settings.groupID }
    private var retryBackoff: Duration { .milliseconds(settings.retryBackoffMs) }

    // MARK: The coordinator

    /// The group coordinator's address, asking FindCoordinator (and retrying while it is not available) until
    /// `deadline`.
    public func coordinatorAddress(deadline: ContinuousClock.Instant) async throws -> BrokerAddress {
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
    public func coordinatorUnknown() { coordinator = nil }

    /// Sends a group request to the coordinator, finding it again (once per call) when it moved.
    public func sendToCoordinator<Request: KafkaRequest>(
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

    /// The owner polled: the rebalance (poll) interval starts again.
    public func polled() { lastPoll = .now }

    /// The group must be joined again (the subscription or the owner's work changed).
    public func requestRejoin() { rejoinNeeded = true }

    /// Whether the next `ensureActive` will (re)join.
    public var needsJoin: Bool { rejoinNeeded || state != .stable }

    /// Joins the group when needed, offering `protocols` (name and metadata, in preference order); returns the
    /// join when it joined, nil when the membership was already current.
    public func ensureActive(
        protocols: [(name: String, metadata: [UInt8])],
        deadline: ContinuousClock.Instant,
        assign: Assign
    ) async throws -> Joined? {
        guard rejoinNeeded || state != .stable else { return nil }
        state = .rebalancing
        while true {
            do {
                let joined = try await joinAndSync(protocols: protocols, deadline: deadline, assign: assign)
                state = .stable
                rejoinNeeded = false
                membershipLost = false
                startHeartbeats()
                return joined
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
        protocols: [(name: String, metadata: [UInt8])],
        deadline: ContinuousClock.Instant,
        assign: Assign
    ) async throws -> Joined {
        var join = JoinGroupRequest()
        join.groupID = groupID
        join.sessionTimeoutMs = settings.sessionTimeoutMs
        join.rebalanceTimeoutMs = settings.rebalanceTimeoutMs
        join.memberID = memberID
        join.groupInstanceID = settings.groupInstanceID
        join.protocolType = settings.protocolType
        join.protocols = protocols.map { .init(name: $0.name, metadata: $0.metadata) }
        // The coordinator holds JoinGroup up to the rebalance timeout (Java: that plus 5 s).
        let joinTimeout = Duration.milliseconds(Int64(settings.rebalanceTimeoutMs) + 5_000)
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
        let protocolName = joined.protocolName ?? protocols[0].name
        var sync = SyncGroupRequest()
        sync.groupID = groupID
        sync.generationID = generationID
        sync.memberID = memberID
        sync.groupInstanceID = settings.groupInstanceID
        sync.protocolType = settings.protocolType
        sync.protocolName = protocolName
        if joined.leader == memberID {
            let members = joined.members.map {
                Member(memberID: $0.memberID, groupInstanceID: $0.groupInstanceID, metadata: $0.metadata)
            }
            let assignments = try await assign(protocolName, members)
            sync.assignments = members.map { .init(memberID: $0.memberID, assignment: assignments[$0.memberID] ?? []) }
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
        logger.info(
            "Joined group",
            metadata: [
                "group": "\(groupID)", "generation": "\(generationID)", "member": "\(memberID)",
                "leader": "\(joined.leader == memberID)",
            ]
        )
        return Joined(
            generationID: generationID,
            memberID: memberID,
            leaderID: joined.leader,
            protocolName: protocolName,
            assignment: synced.assignment
        )
    }

    // MARK: Heartbeats

    private func startHeartbeats() {
        guard heartbeatTask == nil else { return }
        let interval = Duration.milliseconds(Int64(settings.heartbeatIntervalMs))
        heartbeatTask = Task { [weak self] in
            while !Task.isCancelled {
                try? await Task.sleep(for: interval)
                guard let self, !Task.isCancelled else { return }
                await self.heartbeat()
            }
        }
    }

    /// One heartbeat, when stable; also leaves the group when the owner stopped polling for longer than the
    /// rebalance timeout (as the Java client does), so the group rebalances without it.
    private func heartbeat() async {
        guard state == .stable else { return }
        if ContinuousClock.now - lastPoll > .milliseconds(Int64(settings.rebalanceTimeoutMs)) {
            logger.warning(
                "Leaving group: not polled within the rebalance timeout (max.poll.interval.ms)",
                metadata: ["group": "\(groupID)"]
            )
            await leave()
            return
        }
        var request = HeartbeatRequest()
        request.groupID = groupID
        request.generationID = generationID
        request.memberID = memberID
        request.groupInstanceID = settings.groupInstanceID
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

    // MARK: Leaving

    /// Leaves the group (a dynamic member; a static one keeps its place until its session times out, as in Kafka).
    public func leave() async {
        defer {
            state = .unjoined
            rejoinNeeded = true
            generationID = -1
        }
        guard settings.groupInstanceID == nil, !memberID.isEmpty, state != .unjoined else { return }
        var request = LeaveGroupRequest()
        request.groupID = groupID
        request.memberID = memberID
        request.members = [.init(memberID: memberID, groupInstanceID: nil)]
        do {
            _ = try await sendToCoordinator(request, deadline: .now + .milliseconds(settings.requestTimeoutMs))
        } catch {
            logger.debug("LeaveGroup failed", metadata: ["group": "\(groupID)", "error": "\(error)"])
        }
        memberID = ""
    }

    public func stop() async {
        heartbeatTask?.cancel()
        heartbeatTask = nil
        await leave()
    }
}
