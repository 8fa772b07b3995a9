import Foundation
public import KafkaCore
public import KafkaProtocol
import Logging

/// The admin views and actions on groups: DeleteGroups, OffsetDelete, ListGroups, DescribeGroups.
extension GroupCoordinator {
    // MARK: DeleteGroups and OffsetDelete

    /// Deletes groups without members and their committed offsets: NON_EMPTY_GROUP while members remain,
    /// GROUP_ID_NOT_FOUND for a group with neither members nor offsets.
    public func deleteGroups(_ groupIDs: [String]) async -> [String: KafkaErrorCode] {
        var results: [String: KafkaErrorCode] = [:]
        for groupID in groupIDs {
            if let group = groups[groupID], !group.members.isEmpty {
                results[groupID] = .nonEmptyGroup
                continue
            }
            let offsets = (try? await offsetStore.fetch(group: groupID, partitions: nil)) ?? [:]
            guard groups[groupID] != nil || !offsets.isEmpty else {
                results[groupID] = .groupIDNotFound
                continue
            }
            do {
                try await offsetStore.delete(group: groupID, partitions: nil)
                let hadGeneration = (groups.removeValue(forKey: groupID)?.generationID ?? 0) > 0
                // No group tombstone for a group that never had a generation (it wrote no group record).
                if hadGeneration { persist(groupID) }
                logger.info("Deleted group", metadata: ["group": "\(groupID)"])
                results[groupID] = KafkaErrorCode.none
            } catch {
                logger.error("Cannot delete the offsets of a group: \(error)", metadata: ["group": "\(groupID)"])
                results[groupID] = .coordinatorNotAvailable
            }
        }
        return results
    }

    /// Deletes committed offsets of a group (KIP-496). Partitions of topics its consumer members subscribe to keep
    /// their offsets (GROUP_SUBSCRIBED_TO_TOPIC); a group of another protocol type with members is NON_EMPTY_GROUP.
    public func deleteOffsets(
        groupID: String,
        partitions: [TopicPartition]
    ) async -> (KafkaErrorCode, [TopicPartition: KafkaErrorCode]) {
        let offsets = (try? await offsetStore.fetch(group: groupID, partitions: nil)) ?? [:]
        let group = groups[groupID]
        guard group != nil || !offsets.isEmpty else { return (.groupIDNotFound, [:]) }
        let subscribed = group == nil ? [] : group?.subscribedTopics
        guard let subscribed else { return (.nonEmptyGroup, [:]) }
        let deletable = partitions.filter { !subscribed.contains($0.topic) }
        do {
            try await offsetStore.delete(group: groupID, partitions: deletable)
        } catch {
            logger.error("Cannot delete offsets: \(error)", metadata: ["group": "\(groupID)"])
            return (.coordinatorNotAvailable, [:])
        }
        var results: [TopicPartition: KafkaErrorCode] = [:]
        for partition in partitions {
            results[partition] = subscribed.contains(partition.topic) ? .groupSubscribedToTopic : KafkaErrorCode.none
        }
        return (.none, results)
    }

    // MARK: ListGroups and DescribeGroups

    public func listGroups() -> [(groupID: String, protocolType: String, state: GroupState)] {
        groups.values.filter { $0.state != .dead }.map { ($0.groupID, $0.protocolType ?? "", $0.state) }
    }

    public func describe(_ groupID: String) -> GroupSummary? {
        guard let group = groups[groupID] else { return nil }
        return GroupSummary(
            groupID: groupID,
            state: group.state,
            protocolType: group.protocolType ?? "",
            protocolName: group.protocolName ?? "",
            members: group.members.values.sorted { $0.memberID < $1.memberID }.map {
                (
                    $0.memberID, $0.groupInstanceID, $0.clientID, $0.clientHost,
                    $0.metadata(for: group.protocolName ?? ""), $0.assignment
                )
            }
        )
    }
}
