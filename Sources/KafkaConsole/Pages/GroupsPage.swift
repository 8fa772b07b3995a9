import KafkaClient
import KafkaCore
import KafkaZooKeeper
import ZooKeeper

/// `/groups`: the consumer groups of both offset stores side by side — the coordinators' (ListGroups, offsets in
/// `__consumer_offsets` or wherever the broker keeps them) and ZooKeeper's (`/consumers/<group>/offsets`, which
/// no ListGroups names) — each with its state, members and total lag in records.
struct GroupsPage: Encodable, Sendable {
    struct Group: Encodable, Sendable {
        var id: String
        /// `kafka` or `zookeeper`.
        var store: String
        var state: String
        var members: Int
        var topics: String
        var lag: Int64
        /// The last sample's lag in seconds (empty before the first sample).
        var lagSeconds: String
        /// The last hour's lag in records, as an inline SVG.
        var sparkline: String
    }

    var groups: [Group]
    var zookeeperConfigured: Bool
}

/// `/groups/<id>?store=kafka|zookeeper`: one group's committed offsets, log ends, lag per partition and the member
/// owning each partition, with the reset form (which the server allows only while the group has no member).
struct GroupPage: Encodable, Sendable {
    struct Partition: Encodable, Sendable {
        var topic: String
        var partition: Int32
        var committed: Int64
        var logEnd: Int64
        var lag: Int64
        var owner: String
    }

    struct Member: Encodable, Sendable {
        var memberID: String
        var clientID: String
        var host: String
        var assignment: String
    }

    var id: String
    var store: String
    /// Whether the offsets are the coordinator's (such a group can be deleted here).
    var kafkaStore: Bool
    var state: String
    var protocolName: String
    var members: [Member]
    var partitions: [Partition]
    var lag: Int64
    /// Whether the group has no member, so that its offsets may be reset or it may be deleted.
    var isInactive: Bool
    /// The last hour's samples: lag in records and in seconds.
    var lagHistory: [ConsoleHistory.LagSample] = []
    /// The last sample's lag in seconds ("" before the first).
    var lagSeconds: String = ""
}

extension ConsoleCluster {
    /// Every group of both stores with its committed offsets, state and member count.
    func allGroupOffsets() async throws -> [GroupOffsets] {
        var found: [GroupOffsets] = []
        for listing in try await admin.listGroups().sorted(by: { $0.groupID < $1.groupID }) {
            let offsets = (try? await admin.listGroupOffsets(listing.groupID)) ?? [:]
            let description = try? await admin.describeGroup(listing.groupID)
            found.append(
                GroupOffsets(
                    store: "kafka",
                    id: listing.groupID,
                    state: description?.state ?? listing.state,
                    members: description?.members.count ?? 0,
                    offsets: offsets.mapValues(\.offset)
                )
            )
        }
        let zookeeperGroups: [GroupOffsets] =
            try await withZooKeeper { zk -> [GroupOffsets] in
                var groups: [GroupOffsets] = []
                let reader = ZooKeeperGroupOffsets(zookeeper: zk.zookeeper)
                for group in try await reader.groups() {
                    let members = (try? await zk.zookeeper.children("/consumers/\(group)/ids"))?.count ?? 0
                    groups.append(
                        GroupOffsets(
                            store: "zookeeper",
                            id: group,
                            state: members > 0 ? "Stable" : "Empty",
                            members: members,
                            offsets: try await reader.offsets(group)
                        )
                    )
                }
                return groups
            } ?? []
        return found + zookeeperGroups
    }

    func groups() async throws -> GroupsPage {
        let groups = try await allGroupOffsets()
        let ends = try await logEnds(Set(groups.flatMap(\.offsets.keys)))
        let since = ConsoleHistory.nowMs - 3_600_000
        let rows = groups.map { group in
            let history = (try? self.history?.lag(store: group.store, group: group.id, since: since)) ?? []
            return GroupsPage.Group(
                id: group.id,
                store: group.store,
                state: group.state,
                members: group.members,
                topics: Set(group.offsets.keys.map(\.topic)).sorted().joined(separator: ", "),
                lag: Self.lag(group.offsets, ends),
                lagSeconds: history.last?.seconds.map { String(format: "%.1f", $0) } ?? "",
                sparkline: SvgChart.sparkline(history.map { Double($0.records) })
            )
        }
        return GroupsPage(groups: rows, zookeeperConfigured: config.zookeeperConnect != nil)
    }

    func group(_ id: String, store: String) async throws -> GroupPage? {
        guard var page = try await groupWithoutHistory(id, store: store) else { return nil }
        page.lagHistory =
            (try? history?.lag(store: page.store, group: id, since: ConsoleHistory.nowMs - 3_600_000)) ?? []
        page.lagSeconds = page.lagHistory.last?.seconds.map { String(format: "%.1f", $0) } ?? ""
        return page
    }

    private func groupWithoutHistory(_ id: String, store: String) async throws -> GroupPage? {
        if store == "zookeeper" {
            guard
                let (offsets, members) = try await withZooKeeper({ zk in
                    let offsets = try await ZooKeeperGroupOffsets(zookeeper: zk.zookeeper).offsets(id)
                    let members = (try? await zk.zookeeper.children("/consumers/\(id)/ids")) ?? []
                    return (offsets, members)
                }), !offsets.isEmpty
            else { return nil }
            let rows = try await partitionRows(offsets, owners: [:])
            return GroupPage(
                id: id,
                store: store,
                kafkaStore: false,
                state: members.isEmpty ? "Empty" : "Stable",
                protocolName: "",
                members: members.sorted().map { .init(memberID: $0, clientID: "", host: "", assignment: "") },
                partitions: rows,
                lag: rows.reduce(0) { $0 + $1.lag },
                isInactive: members.isEmpty
            )
        }
        let description = try await admin.describeGroup(id)
        let offsets = try await admin.listGroupOffsets(id).mapValues(\.offset)
        guard description.state != "Dead" || !offsets.isEmpty else { return nil }
        var owners: [TopicPartition: String] = [:]
        for member in description.members {
            for partition in member.assignment { owners[partition] = member.memberID }
        }
        let rows = try await partitionRows(offsets, owners: owners)
        return GroupPage(
            id: id,
            store: "kafka",
            kafkaStore: true,
            state: description.state,
            protocolName: description.protocolName,
            members: description.members.map { member in
                .init(
                    memberID: member.memberID,
                    clientID: member.clientID,
                    host: member.host,
                    assignment: member.assignment.sorted().map { "\($0.topic)-\($0.partition)" }.joined(separator: ", ")
                )
            },
            partitions: rows,
            lag: rows.reduce(0) { $0 + $1.lag },
            isInactive: description.members.isEmpty
        )
    }

    private func partitionRows(
        _ offsets: [TopicPartition: Int64],
        owners: [TopicPartition: String]
    ) async throws -> [GroupPage.Partition] {
        let ends = try await logEnds(Set(offsets.keys))
        return offsets.keys.sorted().map { partition in
            let committed = offsets[partition]!
            let end = ends[partition] ?? -1
            return .init(
                topic: partition.topic,
                partition: partition.partition,
                committed: committed,
                logEnd: end,
                lag: end >= 0 ? max(0, end - committed) : 0,
                owner: owners[partition] ?? ""
            )
        }
    }

    /// The log end of each partition (those without a leader are missing).
    func logEnds(_ partitions: Set<TopicPartition>) async throws -> [TopicPartition: Int64] {
        guard !partitions.isEmpty else { return [:] }
        return try await admin.listOffsets(Array(partitions), at: -1).compactMapValues { try? $0.get() }
    }

    /// Total lag of committed offsets against the log ends.
    static func lag(_ offsets: [TopicPartition: Int64], _ ends: [TopicPartition: Int64]) -> Int64 {
        offsets.reduce(0) { sum, entry in
            guard let end = ends[entry.key], end >= 0 else { return sum }
            return sum + max(0, end - entry.value)
        }
    }
}

/// One group's committed offsets as read from its store.
struct GroupOffsets: Sendable {
    var store: String
    var id: String
    var state: String
    var members: Int
    var offsets: [TopicPartition: Int64]
}
