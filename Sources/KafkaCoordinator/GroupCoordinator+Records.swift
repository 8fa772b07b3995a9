import Foundation
public import KafkaCore
public import KafkaProtocol
import Logging

/// Group metadata as records in `__consumer_offsets` (written on every change, in order), replayed by a new leader
/// of a group's offsets partition, and unloaded when leadership moves away.
extension GroupCoordinator {
    // MARK: Group records

    /// Writes the group's record (its state now, or a tombstone when it is gone) after the writes before it.
    func persist(_ groupID: String) {
        let value = groups[groupID].map(Self.record)
        let store = offsetStore
        let logger = logger
        let previous = lastGroupWrite
        lastGroupWrite = Task {
            await previous?.value
            do {
                try await store.storeGroup(groupID, value)
            } catch {
                logger.warning("Cannot write the group record: \(error)", metadata: ["group": "\(groupID)"])
            }
        }
    }

    static func record(_ group: GroupMetadata) -> GroupMetadataValue {
        GroupMetadataValue(
            protocolType: group.protocolType ?? "",
            generation: group.generationID,
            protocol: group.protocolName,
            leader: group.leaderID,
            currentStateTimestamp: group.stateTimestamp,
            members: group.members.values.sorted { $0.memberID < $1.memberID }.map {
                GroupMetadataValue.MemberMetadata(
                    memberID: $0.memberID,
                    groupInstanceID: $0.groupInstanceID,
                    clientID: $0.clientID,
                    clientHost: $0.clientHost,
                    rebalanceTimeout: $0.rebalanceTimeoutMs,
                    sessionTimeout: $0.sessionTimeoutMs,
                    subscription: $0.metadata(for: group.protocolName ?? ""),
                    assignment: $0.assignment
                )
            }
        )
    }

    /// Rebuilds groups from their records when this broker becomes their coordinator: Stable with the recorded
    /// members (whose sessions start now), or Empty.
    public func restore(_ records: [String: GroupMetadataValue]) {
        let now = clock.milliseconds
        for (groupID, value) in records {
            var group = GroupMetadata(groupID: groupID)
            group.protocolType = value.protocolType
            group.generationID = value.generation
            group.protocolName = value.protocol
            group.leaderID = value.leader
            for member in value.members {
                group.members[member.memberID] = MemberMetadata(
                    memberID: member.memberID,
                    groupInstanceID: member.groupInstanceID,
                    clientID: member.clientID,
                    clientHost: member.clientHost,
                    sessionTimeoutMs: member.sessionTimeout,
                    rebalanceTimeoutMs: member.rebalanceTimeout,
                    protocols: [(name: value.protocol ?? "", metadata: member.subscription)],
                    assignment: member.assignment,
                    lastHeartbeat: now
                )
            }
            if !group.members.isEmpty {
                group.state = .stable
            }
            group.stateTimestamp = value.currentStateTimestamp
            groups[groupID] = group
        }
        if !records.isEmpty { logger.info("Loaded groups", metadata: ["groups": "\(records.count)"]) }
    }

    /// Groups that have committed offsets but no group record (their commits came from outside group management)
    /// become Empty groups when their partition is loaded, as Kafka's `loadGroupsAndOffsets` makes them.
    public func restoreOffsetOnlyGroups(_ groupIDs: [String]) {
        for groupID in groupIDs { addEmptyGroupIfAbsent(groupID) }
    }

    /// Makes `groupID` an Empty group (no members, no generation, no group record) unless it exists.
    func addEmptyGroupIfAbsent(_ groupID: String) {
        guard groups[groupID] == nil else { return }
        var group = GroupMetadata(groupID: groupID)
        group.stateTimestamp = clock.milliseconds
        groups[groupID] = group
    }

    /// Drops the groups this broker no longer coordinates; members waiting in a join or sync are told
    /// NOT_COORDINATOR.
    public func unload(where moved: @Sendable (String) -> Bool) {
        for (groupID, group) in groups where moved(groupID) {
            for member in group.members.values {
                member.awaitingJoin?.resume(
                    returning: JoinResult(errorCode: .notCoordinator, memberID: member.memberID)
                )
                member.awaitingSync?.resume(returning: SyncResult(errorCode: .notCoordinator))
            }
            groups.removeValue(forKey: groupID)
        }
    }
}
