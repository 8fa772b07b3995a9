import ArgumentParser
import KafkaCore
import KafkaProtocol
import NIOCore

/// `swiftkafka-admin consumer-groups`: `kafka-consumer-groups --bootstrap-server` — `--list` (every broker's
/// groups, one per line); `--describe --group g` (or `--all-groups`): per partition the committed offset, the
/// log end offset, the lag and the member that owns it, in Kafka 2.8's table
/// (`GROUP TOPIC PARTITION CURRENT-OFFSET LOG-END-OFFSET LAG CONSUMER-ID HOST CLIENT-ID`, columns at least 15 wide,
/// `-` where there is nothing). A group without members says `Consumer group 'g' has no active members.` first; an
/// unknown group prints `Error: Consumer group 'g' does not exist.` `--reset-offsets`, `--delete` and
/// `--delete-offsets` are in their own files.
struct ConsumerGroupsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "consumer-groups",
        abstract: "List, describe and delete consumer groups, reset and delete their offsets (kafka-consumer-groups)."
    )

    enum Action: String, EnumerableFlag {
        case list, describe, delete, resetOffsets, deleteOffsets
    }

    @OptionGroup var cluster: ClusterOptions
    @Flag(help: "What to do.") var action: Action
    @Option(help: "The group to act on (repeatable).") var group: [String] = []
    @Flag(help: "Every group (--describe, --delete, --reset-offsets).") var allGroups = false
    @Option(help: "With --reset-offsets or --delete-offsets: a topic, or topic:0,1,2 for some partitions (repeatable).")
    var topic: [String] = []
    @Flag(help: "With --reset-offsets: every topic the group has committed offsets for.") var allTopics = false
    @OptionGroup var reset: OffsetResetOptions

    /// One line of the table.
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

    func run() async throws {
        try await cluster.withClient(failurePrefix: "Error: ") { client in
            switch action {
            case .list:
                for name in try await listGroups(client) { print(name) }
            case .describe:
                for name in try await selectedGroups(client) { try await describeGroup(name, client) }
            case .delete:
                try await deleteGroups(try await selectedGroups(client), client)
            case .resetOffsets:
                try await resetOffsets(try await selectedGroups(client), client)
            case .deleteOffsets:
                guard group.count == 1, !topic.isEmpty else {
                    throw ValidationError("--delete-offsets takes one --group and at least one --topic")
                }
                try await deleteOffsets(group[0], client)
            }
        }
    }

    /// `--group`s, or every group with `--all-groups`.
    private func selectedGroups(_ client: AdminClient) async throws -> [String] {
        let names = allGroups ? try await listGroups(client) : group
        guard allGroups || !names.isEmpty else {
            throw ValidationError("--describe, --delete and --reset-offsets need --group or --all-groups")
        }
        return names
    }

    /// The partitions `--topic` names: `t` is all of t's partitions, `t:0,1` those two.
    func namedPartitions(_ client: AdminClient) async throws -> [TopicPartition] {
        var partitions: [TopicPartition] = []
        var wholeTopics: [String] = []
        for item in topic {
            guard let colon = item.firstIndex(of: ":") else {
                wholeTopics.append(item)
                continue
            }
            for number in item[item.index(after: colon)...].split(separator: ",") {
                guard let partition = Int32(number) else { throw ValidationError("--topic \(item): bad partition") }
                partitions.append(TopicPartition(String(item[..<colon]), partition))
            }
        }
        return partitions + (try await client.partitions(ofTopics: wholeTopics))
    }

    /// Every broker coordinates its own groups: ListGroups goes to all of them.
    private func listGroups(_ client: AdminClient) async throws -> [String] {
        let metadata = try await client.metadata(topics: [])
        var names: Set<String> = []
        for broker in metadata.brokers {
            let response = try await client.send(ListGroupsRequest(), version: 4, to: broker.nodeID)
            guard response.errorCode == 0 else { throw Failure(errorText(response.errorCode, nil)) }
            names.formUnion(response.groups.map(\.groupID))
        }
        return names.sorted()
    }

    private func describeGroup(_ name: String, _ client: AdminClient) async throws {
        let coordinator = try await GroupCoordinatorClient(group: name, client: client)
        let group = try await coordinator.describe()
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

        if group.members.isEmpty {
            print("\nConsumer group '\(name)' has no active members.")
        } else if group.groupState == "PreparingRebalance" || group.groupState == "CompletingRebalance" {
            print("\nConsumer group '\(name)' is rebalancing.")
        }
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
}

extension String {
    /// Left-aligned in `width` columns (Java's `%-Ns`).
    func padding(to width: Int) -> String {
        count >= width ? self : self + String(repeating: " ", count: width - count)
    }
}
