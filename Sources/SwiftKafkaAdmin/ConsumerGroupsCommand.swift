import ArgumentParser
import KafkaCore
import KafkaProtocol
import NIOCore

/// `swiftkafka-admin consumer-groups`: `kafka-consumer-groups --bootstrap-server` — `--list` (every broker's
/// groups, one per line) and `--describe --group g` (or `--all-groups`): per partition the committed offset, the
/// log end offset, the lag and the member that owns it, in Kafka 2.8's table
/// (`GROUP TOPIC PARTITION CURRENT-OFFSET LOG-END-OFFSET LAG CONSUMER-ID HOST CLIENT-ID`, columns at least 15 wide,
/// `-` where there is nothing). A group without members says `Consumer group 'g' has no active members.` first; an
/// unknown group prints `Error: Consumer group 'g' does not exist.`
struct ConsumerGroupsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "consumer-groups",
        abstract: "List consumer groups and describe their offsets and lag (kafka-consumer-groups)."
    )

    enum Action: String, EnumerableFlag {
        case list, describe
    }

    @OptionGroup var cluster: ClusterOptions
    @Flag(help: "What to do.") var action: Action
    @Option(help: "The group to describe (repeatable).") var group: [String] = []
    @Flag(help: "With --describe: every group.") var allGroups = false

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
                let names = allGroups ? try await listGroups(client) : group
                guard !names.isEmpty else { throw ValidationError("--describe needs --group or --all-groups") }
                for name in names { try await describeGroup(name, client) }
            }
        }
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
        let found = try await client.send(FindCoordinatorRequest(key: name, keyType: 0), version: 3)
        guard found.errorCode == 0 else { throw Failure(errorText(found.errorCode, found.errorMessage)) }
        let coordinator = (host: found.host, port: Int(found.port))
        let described = try await client.send(
            DescribeGroupsRequest(groups: [name]),
            version: 5,
            host: coordinator.host,
            port: coordinator.port
        )
        guard let group = described.groups.first else { throw Failure("no answer for group \(name)") }
        guard group.errorCode == 0 else { throw Failure(errorText(group.errorCode, nil)) }
        var offsetRequest = OffsetFetchRequest()
        offsetRequest.groupID = name
        offsetRequest.topics = nil  // every partition the group committed
        let offsets = try await client.send(offsetRequest, version: 7, host: coordinator.host, port: coordinator.port)
        guard offsets.errorCode == 0 else { throw Failure(errorText(offsets.errorCode, nil)) }
        let committed = offsets.topics.flatMap { topic in
            topic.partitions.filter { $0.errorCode == 0 && $0.committedOffset >= 0 }.map {
                (TopicPartition(topic.name, $0.partitionIndex), $0.committedOffset)
            }
        }
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
        let ends = try await logEndOffsets(Array(rows.keys), client)
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

    /// Each partition's log end offset (ListOffsets, latest) from its leader.
    private func logEndOffsets(
        _ partitions: [TopicPartition],
        _ client: AdminClient
    ) async throws -> [TopicPartition: Int64] {
        guard !partitions.isEmpty else { return [:] }
        let metadata = try await client.metadata(topics: Array(Set(partitions.map(\.topic))))
        var byLeader: [Int32: [TopicPartition]] = [:]
        for topic in metadata.topics {
            for partition in topic.partitions where partition.leaderID >= 0 {
                let key = TopicPartition(topic.name ?? "", partition.partitionIndex)
                if partitions.contains(key) { byLeader[partition.leaderID, default: []].append(key) }
            }
        }
        var ends: [TopicPartition: Int64] = [:]
        for (leader, owned) in byLeader {
            var request = ListOffsetsRequest()
            request.replicaID = -1
            request.topics = Dictionary(grouping: owned, by: \.topic).map { topic, partitions in
                .init(
                    name: topic,
                    partitions: partitions.map { .init(partitionIndex: $0.partition, timestamp: -1) }
                )
            }
            let response = try await client.send(request, version: 5, to: leader)
            for topic in response.topics {
                for partition in topic.partitions where partition.errorCode == 0 {
                    ends[TopicPartition(topic.name, partition.partitionIndex)] = partition.offset
                }
            }
        }
        return ends
    }
}

extension String {
    /// Left-aligned in `width` columns (Java's `%-Ns`).
    fileprivate func padding(to width: Int) -> String {
        count >= width ? self : self + String(repeating: " ", count: width - count)
    }
}
