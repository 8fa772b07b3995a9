import ArgumentParser
import Foundation
import KafkaCore
import KafkaProtocol
import NIOCore

/// `consumer-groups --describe --group g` (or `--all-groups`) in Kafka 2.8's three views:
/// - offsets (the default, `--offsets`): per partition the committed offset, the log end offset, the lag and the
///   member that owns it (`GROUP TOPIC PARTITION CURRENT-OFFSET LOG-END-OFFSET LAG CONSUMER-ID HOST CLIENT-ID`,
///   columns at least 15 wide, `-` where there is nothing);
/// - `--members [--verbose]`: `GROUP CONSUMER-ID [GROUP-INSTANCE-ID] HOST CLIENT-ID #PARTITIONS [ASSIGNMENT]`;
/// - `--state`: `GROUP COORDINATOR (ID) ASSIGNMENT-STRATEGY STATE #MEMBERS`.
/// As Kafka, a group without members is announced on standard error (`Consumer group 'g' has no active members.`),
/// so is one rebalancing (`Warning: Consumer group 'g' is rebalancing.`); an unknown group fails with
/// `Error: Consumer group 'g' does not exist.`
extension ConsumerGroupsCommand {
    /// One line of the offsets table.
    struct Row {
        var topic: String
        var partition: Int32
        var currentOffset: Int64?
        var logEndOffset: Int64?
        var consumerID = "-"
        var host = "-"
        var clientID = "-"

        var lag: Int64? {
            guard let currentOffset, let logEndOffset else { return nil }
            return max(logEndOffset - currentOffset, 0)
        }
    }

    /// The group and its coordinator, after Kafka's notices on standard error (no active members, rebalancing).
    private func described(
        _ name: String,
        _ client: AdminClient
    ) async throws -> (GroupCoordinatorClient, DescribeGroupsResponse.DescribedGroup) {
        let coordinator = try await GroupCoordinatorClient(group: name, client: client)
        let group = try await coordinator.describe()
        switch group.groupState {
        case "Empty": warn("\nConsumer group '\(name)' has no active members.")
        case "PreparingRebalance", "CompletingRebalance": warn("\nWarning: Consumer group '\(name)' is rebalancing.")
        default: break
        }
        return (coordinator, group)
    }

    func describeOffsets(_ name: String, _ client: AdminClient) async throws {
        let (coordinator, group) = try await described(name, client)
        let committed = try await coordinator.committedOffsets()
        if group.groupState == "Dead" && committed.isEmpty {
            throw Failure("Consumer group '\(name)' does not exist.")
        }

        var rows: [TopicPartition: Row] = [:]
        for member in group.members {
            for topicPartition in assignment(of: member) {
                rows[topicPartition] = Row(
                    topic: topicPartition.topic,
                    partition: topicPartition.partition,
                    consumerID: member.memberID,
                    host: member.clientHost,
                    clientID: member.clientID
                )
            }
        }
        for (topicPartition, offset) in committed {
            rows[topicPartition, default: Row(topic: topicPartition.topic, partition: topicPartition.partition)]
                .currentOffset = offset
        }
        let ends = try await client.offsets(of: Array(rows.keys), at: AdminClient.latest)
        for key in rows.keys { rows[key]?.logEndOffset = ends[key] }
        let sorted = rows.values.sorted { ($0.topic, $0.partition) < ($1.topic, $1.partition) }

        let groupWidth = max(15, name.count)
        let topicWidth = max(15, sorted.map(\.topic.count).max() ?? 0)
        let consumerWidth = max(15, sorted.map(\.consumerID.count).max() ?? 0)
        let hostWidth = max(15, sorted.map(\.host.count).max() ?? 0)
        func line(_ columns: [String]) -> String {
            let widths = [groupWidth, topicWidth, 10, 15, 15, 15, consumerWidth, hostWidth]
            return zip(columns, widths).map { $0.padding(to: $1) }.joined(separator: " ") + " " + columns[8]
        }
        print("")
        print(
            line([
                "GROUP", "TOPIC", "PARTITION", "CURRENT-OFFSET", "LOG-END-OFFSET", "LAG", "CONSUMER-ID", "HOST",
                "CLIENT-ID",
            ])
        )
        for row in sorted {
            print(
                line([
                    name, row.topic, "\(row.partition)", row.currentOffset.map(String.init) ?? "-",
                    row.logEndOffset.map(String.init) ?? "-", row.lag.map(String.init) ?? "-", row.consumerID,
                    row.host, row.clientID,
                ])
            )
        }
        print("")
    }

    /// A member's partitions from its ConsumerProtocol assignment (version, then the body at that version).
    private func assignment(of member: DescribeGroupsResponse.DescribedGroupMember) -> [TopicPartition] {
        var buffer = ByteBuffer(bytes: member.memberAssignment)
        guard let version = buffer.readInteger(as: Int16.self) else { return [] }
        let readable = min(version, ConsumerProtocolAssignment.validVersions.upperBound)
        guard let decoded = try? ConsumerProtocolAssignment(from: &buffer, version: readable) else { return [] }
        return decoded.assignedPartitions.flatMap { topic in topic.partitions.map { TopicPartition(topic.topic, $0) } }
    }

    func describeMembers(_ name: String, _ client: AdminClient) async throws {
        let (_, group) = try await described(name, client)
        if group.groupState == "Dead" { throw Failure("Consumer group '\(name)' does not exist.") }
        guard !group.members.isEmpty else { return }
        let withInstanceIDs = group.members.contains { !($0.groupInstanceID ?? "").isEmpty }
        // Kafka's columns: at least 15 wide (GROUP-INSTANCE-ID 17, only when some member has one), #PARTITIONS 15.
        let rows: [[String]] = group.members.map { member in
            var cells = [name, member.memberID]
            if withInstanceIDs { cells.append(member.groupInstanceID ?? "") }
            cells += [member.clientHost, member.clientID, "\(assignment(of: member).count)"]
            return cells
        }
        var header = ["GROUP", "CONSUMER-ID"]
        if withInstanceIDs { header.append("GROUP-INSTANCE-ID") }
        header += ["HOST", "CLIENT-ID", "#PARTITIONS"]
        let widths = header.indices.map { column in
            column == header.count - 1
                ? 15 : max(header[column] == "GROUP-INSTANCE-ID" ? 17 : 15, rows.map { $0[column].count }.max() ?? 0)
        }
        func line(_ cells: [String], _ last: String) -> String {
            zip(cells, widths).map { $0.padding(to: $1) + " " }.joined() + last
        }
        print("")
        print(line(header, verbose ? "ASSIGNMENT" : ""))
        for (member, cells) in zip(group.members, rows) {
            print(line(cells, verbose ? assignmentText(assignment(of: member)) : ""))
        }
    }

    /// Kafka's verbose assignment: `topic(0,1), other(2)`, or `-`.
    private func assignmentText(_ partitions: [TopicPartition]) -> String {
        guard !partitions.isEmpty else { return "-" }
        let byTopic = Dictionary(grouping: partitions, by: \.topic)
        return byTopic.keys.sorted().map { topic in
            let numbers = byTopic[topic, default: []].map(\.partition).sorted().map(String.init)
            return topic + "(" + numbers.joined(separator: ",") + ")"
        }.joined(separator: ", ")
    }

    func describeState(_ name: String, _ client: AdminClient) async throws {
        let (coordinator, group) = try await described(name, client)
        if group.groupState == "Dead" { throw Failure("Consumer group '\(name)' does not exist.") }
        let node = "\(coordinator.host):\(coordinator.port) (\(coordinator.nodeID))"
        // Kafka sizes the first column by the coordinator's text (sic), the second at 25.
        let width = max(25, node.count)
        func line(_ cells: [String]) -> String {
            zip(cells, [width, 25, 20, 15]).map { $0.padding(to: $1) + " " }.joined() + cells[4]
        }
        print("")
        print(line(["GROUP", "COORDINATOR (ID)", "ASSIGNMENT-STRATEGY", "STATE", "#MEMBERS"]))
        print(line([name, node, group.protocolData, group.groupState, "\(group.members.count)"]))
    }
}
