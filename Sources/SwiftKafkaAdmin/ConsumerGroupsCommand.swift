import ArgumentParser
import Foundation
import KafkaClient
import KafkaCore
import KafkaProtocol

/// `swiftkafka-admin consumer-groups`: `kafka-consumer-groups --bootstrap-server` — `--list` (every broker's
/// groups, one per line, or with `--state [states]` Kafka's `GROUP STATE` table) and the options of every action.
/// `--describe`, `--reset-offsets`, `--delete` and `--delete-offsets` are in their own files.
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
    @Flag(help: "With --describe: the members (consumer id, host, client id, partition count).") var members = false
    @Flag(help: "With --describe: the partitions' offsets and lag (the default).") var offsets = false
    @Flag(help: "With --describe --members: each member's partitions too.") var verbose = false
    @Option(
        help: ArgumentHelp(
            "With --describe: the group's coordinator, assignor, state and size; with --list: each group's state, "
                + "only those in the given states (e.g. stable,empty) when some are given.",
            valueName: "states"
        )
    )
    var state: String?
    @OptionGroup var reset: OffsetResetOptions

    func run() async throws {
        try await cluster.withClient(failurePrefix: "Error: ") { client in
            switch action {
            case .list:
                if let state {
                    try await listGroupStates(state, client)
                } else {
                    for name in try await listGroups(client) { print(name) }
                }
            case .describe:
                guard [members, offsets, state != nil].filter({ $0 }).count <= 1 else {
                    throw ValidationError("--describe takes at most one of --members, --offsets, --state")
                }
                for name in try await selectedGroups(client) {
                    if members {
                        try await describeMembers(name, client)
                    } else if state != nil {
                        try await describeState(name, client)
                    } else {
                        try await describeOffsets(name, client)
                    }
                }
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

    /// The partitions `--topic` names, each once and in order: `t` is all of t's partitions, `t:0,1` those two.
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
        // A partition named twice (`--topic t --topic t:0`) counts once.
        return Array(Set(partitions + (try await client.partitions(ofTopics: wholeTopics)))).sorted()
    }

    /// Every broker coordinates its own groups: ListGroups goes to all of them.
    private func listGroups(_ client: AdminClient) async throws -> [String] {
        try await listGroups(states: [], client).map(\.groupID)
    }

    /// Every broker's groups in `states` (all when empty), by name.
    private func listGroups(
        states: [String],
        _ client: AdminClient
    ) async throws -> [GroupListing] {
        do {
            return try await client.admin.listGroups(states: states)
        } catch let error as AdminError {
            throw Failure(error.description)
        }
    }

    /// `--list --state [states]`: Kafka's `GROUP STATE` table. The states are matched without regard to case and
    /// must be ones Kafka knows.
    private func listGroupStates(_ text: String, _ client: AdminClient) async throws {
        let known = ["PreparingRebalance", "CompletingRebalance", "Stable", "Dead", "Empty"]
        let states = try text.split(separator: ",").map { item in
            let name = item.trimmingCharacters(in: .whitespaces)
            guard let state = known.first(where: { $0.lowercased() == name.lowercased() }) else {
                throw ValidationError(
                    "Invalid state list '\(text)'. Valid states are: \(known.joined(separator: ", "))"
                )
            }
            return state
        }
        let groups = try await listGroups(states: states, client)
        let width = max(15, groups.map(\.groupID.count).max() ?? 0)
        print("GROUP".padding(to: width) + " STATE")
        for group in groups { print(group.groupID.padding(to: width) + " " + group.state) }
    }
}

extension String {
    /// Left-aligned in `width` columns (Java's `%-Ns`).
    func padding(to width: Int) -> String {
        count >= width ? self : self + String(repeating: " ", count: width - count)
    }
}
