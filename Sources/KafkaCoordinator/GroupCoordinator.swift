import Foundation
public import KafkaCore
public import KafkaProtocol
public import Logging

/// The group coordinator of the groups whose `__consumer_offsets` partition this broker leads: membership and
/// rebalances (JoinGroup, SyncGroup, Heartbeat, LeaveGroup), and committed offsets through an `OffsetStore`.
///
/// An actor: every group operation runs one at a time. Joins and syncs wait on continuations until the rebalance
/// completes: when every known member has rejoined, or after the rebalance timeout (the first join of an empty group
/// waits `group.initial.rebalance.delay.ms` for others). Members whose heartbeats stop for their session timeout are
/// removed by `expireMembers`, which the broker calls every second. Generations fence stale members
/// (ILLEGAL_GENERATION, UNKNOWN_MEMBER_ID, REBALANCE_IN_PROGRESS).
public actor GroupCoordinator {
    public struct Configuration: Sendable {
        public var minSessionTimeoutMs: Int32 = 6000
        public var maxSessionTimeoutMs: Int32 = 1_800_000
        public var initialRebalanceDelayMs: Int64 = 3000
        /// `group.max.size`: joins beyond it get GROUP_MAX_SIZE_REACHED.
        public var maxSize: Int = Int(Int32.max)

        public init(
            minSessionTimeoutMs: Int32 = 6000,
            maxSessionTimeoutMs: Int32 = 1_800_000,
            initialRebalanceDelayMs: Int64 = 3000,
            maxSize: Int = Int(Int32.max)
        ) {
            self.minSessionTimeoutMs = minSessionTimeoutMs
            self.maxSessionTimeoutMs = maxSessionTimeoutMs
            self.initialRebalanceDelayMs = initialRebalanceDelayMs
            self.maxSize = maxSize
        }
    }

    public struct JoinResult: Sendable {
        public var errorCode: KafkaErrorCode
        public var generationID: Int32 = -1
        public var protocolType: String?
        public var protocolName: String?
        public var leaderID: String = ""
        public var memberID: String = ""
        /// For the leader only: every member and its metadata for the chosen protocol.
        public var members: [(memberID: String, groupInstanceID: String?, metadata: [UInt8])] = []
    }

    public struct SyncResult: Sendable {
        public var errorCode: KafkaErrorCode
        public var protocolType: String?
        public var protocolName: String?
        public var assignment: [UInt8] = []
    }

    public struct GroupSummary: Sendable {
        public var groupID: String
        public var state: GroupState
        public var protocolType: String
        public var protocolName: String
        public var members:
            [(
                memberID: String, groupInstanceID: String?, clientID: String, clientHost: String, metadata: [UInt8],
                assignment: [UInt8]
            )]
    }

    let configuration: Configuration
    public let offsetStore: any OffsetStore
    let clock: any KafkaClock
    let logger: Logger
    var groups: [String: GroupMetadata] = [:]
    /// The latest group-record write; each waits for the one before, so records land in the order of the changes.
    var lastGroupWrite: Task<Void, Never>?

    public init(configuration: Configuration, offsetStore: any OffsetStore, clock: any KafkaClock, logger: Logger) {
        self.configuration = configuration
        self.offsetStore = offsetStore
        self.clock = clock
        self.logger = logger
    }

    // MARK: JoinGroup

    public func join(
        groupID: String,
        memberID: String,
        groupInstanceID: String?,
        clientID: String,
        clientHost: String,
        sessionTimeoutMs: Int32,
        rebalanceTimeoutMs: Int32,
        protocolType: String,
        protocols: [(name: String, metadata: [UInt8])],
        requireKnownMemberID: Bool
    ) async -> JoinResult {
        guard !groupID.isEmpty else { return JoinResult(errorCode: .invalidGroupID) }
        guard (configuration.minSessionTimeoutMs...configuration.maxSessionTimeoutMs).contains(sessionTimeoutMs) else {
            return JoinResult(errorCode: .invalidSessionTimeout)
        }
        var group = groups[groupID] ?? GroupMetadata(groupID: groupID)
        guard group.state != .dead else { return JoinResult(errorCode: .coordinatorNotAvailable) }
        guard group.supports(protocolType: protocolType, protocols: protocols.map(\.name)) else {
            return JoinResult(errorCode: .inconsistentGroupProtocol)
        }
        var id = memberID
        if let groupInstanceID,
            let previous = group.members.values.first(where: { $0.groupInstanceID == groupInstanceID })
        {
            if !memberID.isEmpty && memberID != previous.memberID { return JoinResult(errorCode: .fencedInstanceID) }
            if memberID.isEmpty {
                if let result = replaceStaticMember(
                    previous,
                    in: &group,
                    clientID: clientID,
                    clientHost: clientHost,
                    sessionTimeoutMs: sessionTimeoutMs,
                    rebalanceTimeoutMs: rebalanceTimeoutMs,
                    protocols: protocols
                ) {
                    return result
                }
                id = group.members.values.first { $0.groupInstanceID == groupInstanceID }?.memberID ?? ""
            }
        }
        if group.members[id] == nil && group.members.count >= configuration.maxSize {
            return JoinResult(errorCode: .groupMaxSizeReached, memberID: id)
        }
        if id.isEmpty {
            id = "\(clientID)-\(UUID().uuidString.lowercased())"
            // Static members (KIP-345) skip the member-id round trip.
            if requireKnownMemberID && groupInstanceID == nil {
                group.pendingMembers[id] = clock.milliseconds + Int64(sessionTimeoutMs)
                groups[groupID] = group
                return JoinResult(errorCode: .memberIDRequired, memberID: id)
            }
        } else if group.members[id] == nil {
            guard group.pendingMembers.removeValue(forKey: id) != nil else {
                return JoinResult(errorCode: .unknownMemberID, memberID: id)
            }
        }
        let now = clock.milliseconds
        if var existing = group.members[id] {
            let unchanged = existing.hasProtocols(protocols)
            existing.protocols = protocols
            existing.lastHeartbeat = now
            existing.sessionTimeoutMs = sessionTimeoutMs
            existing.rebalanceTimeoutMs = rebalanceTimeoutMs
            group.members[id] = existing
            // A follower rejoining with the same metadata after the rebalance gets the current generation at once.
            if unchanged && id != group.leaderID && (group.state == .stable || group.state == .completingRebalance) {
                groups[groupID] = group
                return currentJoinResult(group, for: id)
            }
        } else {
            group.members[id] = MemberMetadata(
                memberID: id,
                groupInstanceID: groupInstanceID,
                clientID: clientID,
                clientHost: clientHost,
                sessionTimeoutMs: sessionTimeoutMs,
                rebalanceTimeoutMs: rebalanceTimeoutMs,
                protocols: protocols,
                lastHeartbeat: now
            )
        }
        if group.protocolType == nil { group.protocolType = protocolType }
        groups[groupID] = group
        return await withCheckedContinuation { continuation in
            groups[groupID]?.members[id]?.awaitingJoin = continuation
            prepareRebalance(groupID)
            tryCompleteJoin(groupID, force: false)
        }
    }

    /// A static member restarted (KIP-345): its instance id gets a new member id and keeps its place and assignment.
    /// The old member id is fenced. In a Stable group with unchanged protocols there is no rebalance: the answer
    /// carries the current generation and the current leader's id (so the member does not reassign), and SyncGroup
    /// hands back the kept assignment. Otherwise returns nil and the caller joins with the new id (a rebalance).
    private func replaceStaticMember(
        _ previous: MemberMetadata,
        in group: inout GroupMetadata,
        clientID: String,
        clientHost: String,
        sessionTimeoutMs: Int32,
        rebalanceTimeoutMs: Int32,
        protocols: [(name: String, metadata: [UInt8])]
    ) -> JoinResult? {
        let newID = "\(clientID)-\(UUID().uuidString.lowercased())"
        previous.awaitingJoin?.resume(returning: JoinResult(errorCode: .fencedInstanceID, memberID: previous.memberID))
        previous.awaitingSync?.resume(returning: SyncResult(errorCode: .fencedInstanceID))
        var member = previous
        member.memberID = newID
        member.clientID = clientID
        member.clientHost = clientHost
        member.sessionTimeoutMs = sessionTimeoutMs
        member.rebalanceTimeoutMs = rebalanceTimeoutMs
        member.lastHeartbeat = clock.milliseconds
        member.awaitingJoin = nil
        member.awaitingSync = nil
        let unchanged = previous.hasProtocols(protocols)
        member.protocols = protocols
        group.members.removeValue(forKey: previous.memberID)
        group.members[newID] = member
        let oldLeader = group.leaderID
        if group.leaderID == previous.memberID { group.leaderID = newID }
        groups[group.groupID] = group
        logger.info(
            "Static member replaced",
            metadata: [
                "group": "\(group.groupID)", "instance": "\(previous.groupInstanceID ?? "")", "member": "\(newID)",
            ]
        )
        guard group.state == .stable && unchanged else { return nil }
        persist(group.groupID)
        return JoinResult(
            errorCode: .none,
            generationID: group.generationID,
            protocolType: group.protocolType,
            protocolName: group.protocolName,
            leaderID: oldLeader ?? "",
            memberID: newID
        )
    }

    private func currentJoinResult(_ group: GroupMetadata, for memberID: String) -> JoinResult {
        var result = JoinResult(
            errorCode: .none,
            generationID: group.generationID,
            protocolType: group.protocolType,
            protocolName: group.protocolName,
            leaderID: group.leaderID ?? "",
            memberID: memberID
        )
        if memberID == group.leaderID, let name = group.protocolName {
            result.members = group.members.values.sorted { $0.memberID < $1.memberID }.map {
                ($0.memberID, $0.groupInstanceID, $0.metadata(for: name))
            }
        }
        return result
    }

    /// Moves the group to PreparingRebalance (if it is not already there) and arms the join timer.
    private func prepareRebalance(_ groupID: String) {
        guard var group = groups[groupID], group.state != .preparingRebalance else { return }
        let wasEmpty = group.state == .empty
        // Members waiting in SyncGroup learn that a new rebalance started.
        for (id, member) in group.members {
            member.awaitingSync?.resume(returning: SyncResult(errorCode: .rebalanceInProgress))
            group.members[id]?.awaitingSync = nil
        }
        group.transition(to: .preparingRebalance, at: clock.milliseconds)
        group.rebalanceID += 1
        let rebalanceID = group.rebalanceID
        let timeout = Int64(group.members.values.map(\.rebalanceTimeoutMs).max() ?? 0)
        let delay = wasEmpty ? min(configuration.initialRebalanceDelayMs, timeout) : timeout
        groups[groupID] = group
        logger.info("Preparing to rebalance", metadata: ["group": "\(groupID)", "generation": "\(group.generationID)"])
        Task {
            try? await Task.sleep(for: .milliseconds(delay))
            self.joinTimerFired(groupID, rebalanceID: rebalanceID, initial: wasEmpty)
        }
    }

    private func joinTimerFired(_ groupID: String, rebalanceID: Int, initial: Bool) {
        guard let group = groups[groupID], group.rebalanceID == rebalanceID, group.state == .preparingRebalance else {
            return
        }
        tryCompleteJoin(groupID, force: true)
    }

    /// Completes the join phase when every member has rejoined and no member that was asked for its id
    /// (MEMBER_ID_REQUIRED) is still expected — Kafka's `hasAllMembersJoined` — after the initial delay for an empty
    /// group; or when forced by the timer: members that did not rejoin are dropped.
    private func tryCompleteJoin(_ groupID: String, force: Bool) {
        guard var group = groups[groupID], group.state == .preparingRebalance else { return }
        let allJoined = group.members.values.allSatisfy { $0.awaitingJoin != nil } && group.pendingMembers.isEmpty
        guard force || (allJoined && group.generationID > 0) else { return }
        for (id, member) in group.members where member.awaitingJoin == nil { group.members.removeValue(forKey: id) }
        let now = clock.milliseconds
        if group.members.isEmpty {
            group.transition(to: .empty, at: now)
            group.generationID += 1
            group.protocolName = nil
            group.leaderID = nil
            groups[groupID] = group
            persist(groupID)
            return
        }
        group.generationID += 1
        group.protocolName = group.selectProtocol()
        if group.leaderID == nil || group.members[group.leaderID!] == nil {
            group.leaderID = group.members.keys.sorted().first
        }
        group.transition(to: .completingRebalance, at: now)
        let waiting = group.members.values.compactMap { member in member.awaitingJoin.map { (member.memberID, $0) } }
        for id in group.members.keys {
            group.members[id]?.awaitingJoin = nil
            group.members[id]?.lastHeartbeat = now
        }
        groups[groupID] = group
        logger.info(
            "Rebalance joined",
            metadata: [
                "group": "\(groupID)", "generation": "\(group.generationID)", "members": "\(group.members.count)",
            ]
        )
        for (memberID, continuation) in waiting {
            continuation.resume(returning: currentJoinResult(group, for: memberID))
        }
    }

    /// A request from a static member's old member id, after a newer instance took its place (KIP-345).
    func isFenced(_ groupID: String, _ memberID: String, _ groupInstanceID: String?) -> Bool {
        guard let groupInstanceID,
            let current = groups[groupID]?.members.values.first(where: { $0.groupInstanceID == groupInstanceID })
        else { return false }
        return current.memberID != memberID
    }

    // MARK: SyncGroup

    public func sync(
        groupID: String,
        generationID: Int32,
        memberID: String,
        groupInstanceID: String? = nil,
        assignments: [String: [UInt8]]
    ) async -> SyncResult {
        if isFenced(groupID, memberID, groupInstanceID) { return SyncResult(errorCode: .fencedInstanceID) }
        guard let group = groups[groupID], group.members[memberID] != nil else {
            return SyncResult(errorCode: .unknownMemberID)
        }
        guard generationID == group.generationID else { return SyncResult(errorCode: .illegalGeneration) }
        switch group.state {
        case .preparingRebalance:
            return SyncResult(errorCode: .rebalanceInProgress)
        case .stable:
            return SyncResult(
                errorCode: .none,
                protocolType: group.protocolType,
                protocolName: group.protocolName,
                assignment: group.members[memberID]?.assignment ?? []
            )
        case .empty, .dead:
            return SyncResult(errorCode: .unknownMemberID)
        case .completingRebalance:
            return await withCheckedContinuation { continuation in
                groups[groupID]?.members[memberID]?.awaitingSync = continuation
                if memberID == group.leaderID { completeSync(groupID, assignments: assignments) }
            }
        }
    }

    private func completeSync(_ groupID: String, assignments: [String: [UInt8]]) {
        guard var group = groups[groupID] else { return }
        for id in group.members.keys { group.members[id]?.assignment = assignments[id] ?? [] }
        group.transition(to: .stable, at: clock.milliseconds)
        let waiting = group.members.values.compactMap { member in member.awaitingSync.map { (member.memberID, $0) } }
        for id in group.members.keys { group.members[id]?.awaitingSync = nil }
        groups[groupID] = group
        persist(groupID)
        for (id, continuation) in waiting {
            continuation.resume(
                returning: SyncResult(
                    errorCode: .none,
                    protocolType: group.protocolType,
                    protocolName: group.protocolName,
                    assignment: group.members[id]?.assignment ?? []
                )
            )
        }
    }

    // MARK: Heartbeat and LeaveGroup

    public func heartbeat(
        groupID: String,
        generationID: Int32,
        memberID: String,
        groupInstanceID: String? = nil
    ) -> KafkaErrorCode {
        if isFenced(groupID, memberID, groupInstanceID) { return .fencedInstanceID }
        guard var group = groups[groupID], group.members[memberID] != nil else { return .unknownMemberID }
        guard generationID == group.generationID else { return .illegalGeneration }
        // A heartbeat keeps the member alive in every state, a rebalance included (Kafka's
        // completeAndScheduleNextHeartbeatExpiration before REBALANCE_IN_PROGRESS): a member still busy in its
        // application has until the rebalance timeout to rejoin, not only its session timeout.
        group.members[memberID]?.lastHeartbeat = clock.milliseconds
        groups[groupID] = group
        return group.state == .preparingRebalance ? .rebalanceInProgress : .none
    }

    /// Removes members; a static member may be named by its instance id alone (LeaveGroup v3+ with an empty member
    /// id), and one named by both must match (else FENCED_INSTANCE_ID).
    public func leave(groupID: String, members: [(memberID: String, groupInstanceID: String?)]) -> [KafkaErrorCode] {
        members.map { memberID, instanceID in
            guard let instanceID else { return leave(groupID: groupID, memberIDs: [memberID])[memberID] ?? .none }
            guard let current = groups[groupID]?.members.values.first(where: { $0.groupInstanceID == instanceID })
            else { return .unknownMemberID }
            if !memberID.isEmpty && memberID != current.memberID { return .fencedInstanceID }
            return leave(groupID: groupID, memberIDs: [current.memberID])[current.memberID] ?? .none
        }
    }

    public func leave(groupID: String, memberIDs: [String]) -> [String: KafkaErrorCode] {
        var results: [String: KafkaErrorCode] = [:]
        for memberID in memberIDs {
            guard groups[groupID]?.members[memberID] != nil else {
                results[memberID] = .unknownMemberID
                continue
            }
            remove(memberID, from: groupID, reason: "left the group")
            results[memberID] = KafkaErrorCode.none
        }
        return results
    }

    private func remove(_ memberID: String, from groupID: String, reason: String) {
        guard var group = groups[groupID], let member = group.members.removeValue(forKey: memberID) else { return }
        member.awaitingJoin?.resume(returning: JoinResult(errorCode: .unknownMemberID, memberID: memberID))
        member.awaitingSync?.resume(returning: SyncResult(errorCode: .unknownMemberID))
        groups[groupID] = group
        logger.info("Member \(reason)", metadata: ["group": "\(groupID)", "member": "\(memberID)"])
        switch group.state {
        case .stable, .completingRebalance:
            prepareRebalance(groupID)
            tryCompleteJoin(groupID, force: false)
        case .preparingRebalance:
            tryCompleteJoin(groupID, force: false)
        case .empty, .dead:
            break
        }
        if let current = groups[groupID], current.members.isEmpty, current.state == .preparingRebalance {
            tryCompleteJoin(groupID, force: true)
        }
    }

    /// Removes members whose last heartbeat is older than their session timeout (not those waiting in a join), and
    /// pending members that did not come back within theirs (Kafka's pending member expiration), which may let a
    /// join phase complete.
    public func expireMembers() {
        let now = clock.milliseconds
        for (groupID, group) in groups where group.pendingMembers.contains(where: { $0.value < now }) {
            groups[groupID]?.pendingMembers = group.pendingMembers.filter { $0.value >= now }
            tryCompleteJoin(groupID, force: false)
        }
        for (groupID, group) in groups {
            for member in group.members.values
            where member.awaitingJoin == nil && now - member.lastHeartbeat > Int64(member.sessionTimeoutMs) {
                remove(member.memberID, from: groupID, reason: "session timed out")
            }
        }
    }

}
