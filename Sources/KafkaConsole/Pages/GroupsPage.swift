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
}

extension ConsoleCluster {
    func groups() async throws -> GroupsPage {
        var rows: [GroupsPage.Group] = []
        for listing in try await admin.listGroups().sorted(by: { $0.groupID < $1.groupID }) {
            let offsets = (try? await admin.listGroupOffsets(listing.groupID)) ?? [:]
            let description = try? await admin.describeGroup(listing.groupID)
            rows.append(
                .init(
                    id: listing.groupID,
                    store: "kafka",
                    state: description?.state ?? listing.state,
                    members: description?.members.count ?? 0,
                    topics: Set(offsets.keys.map(\.topic)).sorted().joined(separator: ", "),
                    lag: try await lag(offsets.mapValues(\.offset))
                )
            )
        }
        let zookeeperGroups: [(String, [TopicPartition: Int64], Int)] =
            (try await withZooKeeper { zk in
                var found: [(String, [TopicPartition: Int64], Int)] = []
                let offsets = ZooKeeperGroupOffsets(zookeeper: zk.zookeeper)
                for group in try await offsets.groups() {
                    let members = (try? await zk.zookeeper.children("/consumers/\(group)/ids"))?.count ?? 0
                    found.append((group, try await offsets.offsets(group), members))
                }
                return found
            }) ?? []
        for (group, offsets, members) in zookeeperGroups {
            rows.append(
                .init(
                    id: group,
                    store: "zookeeper",
                    state: members > 0 ? "Stable" : "Empty",
                    members: members,
                    topics: Set(offsets.keys.map(\.topic)).sorted().joined(separator: ", "),
                    lag: try await lag(offsets)
                )
            )
        }
        return GroupsPage(groups: rows, zookeeperConfigured: config.zookeeperConnect != nil)
    }

    func group(_ id: String, store: String) async throws -> GroupPage? {
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
        let ends = try await admin.listOffsets(Array(offsets.keys), at: -1)
        return offsets.keys.sorted().map { partition in
            let committed = offsets[partition]!
            let end = (try? ends[partition]?.get()) ?? -1
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

    /// Total lag of committed offsets against the log ends.
    private func lag(_ offsets: [TopicPartition: Int64]) async throws -> Int64 {
        guard !offsets.isEmpty else { return 0 }
        let ends = try await admin.listOffsets(Array(offsets.keys), at: -1)
        return offsets.reduce(0) { sum, entry in
            guard case .success(let end)? = ends[entry.key], end >= 0 else { return sum }
            return sum + max(0, end - entry.value)
        }
    }
}
