import KafkaCore

/// One member of a group, as the coordinator keeps it.
struct MemberMetadata {
    var memberID: String
    var groupInstanceID: String?
    var clientID: String
    var clientHost: String
    var sessionTimeoutMs: Int32
    var rebalanceTimeoutMs: Int32
    var protocols: [(name: String, metadata: [UInt8])]
    var assignment: [UInt8] = []
    var lastHeartbeat: Int64
    /// Set while the member waits in JoinGroup.
    var awaitingJoin: CheckedContinuation<GroupCoordinator.JoinResult, Never>?
    /// Set while the member waits in SyncGroup.
    var awaitingSync: CheckedContinuation<GroupCoordinator.SyncResult, Never>?

    func metadata(for protocolName: String) -> [UInt8] {
        protocols.first { $0.name == protocolName }?.metadata ?? []
    }

    /// Whether the member names the same protocols, in the same order, with the same metadata.
    func hasProtocols(_ other: [(name: String, metadata: [UInt8])]) -> Bool {
        protocols.map(\.name) == other.map(\.name) && zip(protocols, other).allSatisfy { $0.metadata == $1.metadata }
    }
}

/// A group's state: members, generation, protocol and leader. Only the `GroupCoordinator` actor touches it.
struct GroupMetadata {
    let groupID: String
    var state: GroupState = .empty
    var protocolType: String?
    var protocolName: String?
    var generationID: Int32 = 0
    var leaderID: String?
    var members: [String: MemberMetadata] = [:]
    /// Members that got MEMBER_ID_REQUIRED and are expected back (JoinGroup v4+, KIP-394), each with the time it
    /// is forgotten (its session timeout later). A join phase waits for them as for the members.
    var pendingMembers: [String: Int64] = [:]
    /// Identifies the current rebalance, so a timer of an earlier one does nothing.
    var rebalanceID = 0
    var stateTimestamp: Int64 = -1

    mutating func transition(to next: GroupState, at time: Int64) {
        precondition(next.validPreviousStates.contains(state), "group \(groupID): \(state) → \(next) is not legal")
        state = next
        stateTimestamp = time
    }

    /// The protocol every member supports, preferring the members' own order (Kafka's vote).
    func selectProtocol() -> String? {
        guard let first = members.values.first else { return nil }
        let candidates = first.protocols.map(\.name).filter { name in
            members.values.allSatisfy { member in member.protocols.contains { $0.name == name } }
        }
        var votes: [String: Int] = [:]
        for member in members.values {
            if let choice = member.protocols.map(\.name).first(where: candidates.contains) {
                votes[choice, default: 0] += 1
            }
        }
        return candidates.max {
            (votes[$0] ?? 0, -(candidates.firstIndex(of: $0) ?? 0)) < (
                votes[$1] ?? 0, -(candidates.firstIndex(of: $1) ?? 0)
            )
        }
    }

    /// The topics the members subscribe to (empty without members); nil when members of another protocol type than
    /// `consumer` make the subscriptions unreadable.
    var subscribedTopics: Set<String>? {
        guard !members.isEmpty else { return [] }
        guard protocolType == "consumer", let name = protocolName else { return nil }
        return Set(members.values.flatMap { Self.subscribedTopics($0.metadata(for: name)) })
    }

    /// The topics of a ConsumerProtocol subscription: int16 version, then an int32 count of int16-length strings.
    static func subscribedTopics(_ subscription: [UInt8]) -> [String] {
        var position = 2
        func int(_ width: Int) -> Int? {
            guard position + width <= subscription.count else { return nil }
            defer { position += width }
            return subscription[position..<position + width].reduce(0) { $0 << 8 | Int($1) }
        }
        guard subscription.count >= 6, let count = int(4), count < 1 << 16 else { return [] }
        var topics: [String] = []
        for _ in 0..<count {
            guard let length = int(2), position + length <= subscription.count else { break }
            topics.append(String(decoding: subscription[position..<position + length], as: UTF8.self))
            position += length
        }
        return topics
    }

    func supports(protocolType: String, protocols: [String]) -> Bool {
        if members.isEmpty { return !protocolType.isEmpty && !protocols.isEmpty }
        guard self.protocolType == protocolType else { return false }
        return protocols.contains { name in members.values.allSatisfy { $0.protocols.contains { $0.name == name } } }
    }
}
