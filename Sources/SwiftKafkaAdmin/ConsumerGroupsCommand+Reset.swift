import ArgumentParser
import Foundation
import KafkaCore

/// `consumer-groups --reset-offsets`, as Kafka 2.8: only a group without members (Empty, or unknown = Dead) may be
/// reset; the partitions are `--topic t` (all of t's), `--topic t:0,1` or `--all-topics` (those the group committed);
/// `--to-offset` and `--shift-by` are kept within [log start, log end] with a `WARN` line on standard error;
/// `--to-datetime`/`--by-duration` fall back to the log end offset where no message is that new; `--from-file` takes
/// the partitions and offsets of a CSV plan (kept within the logs too). Prints `GROUP TOPIC PARTITION NEW-OFFSET`
/// (30, 30, 10 and 15 columns), or with `--export` the CSV `--from-file` reads, and commits only with `--execute`
/// (the commit Kafka's admin client makes: OffsetCommit outside any generation).
extension ConsumerGroupsCommand {
    func resetOffsets(_ names: [String], _ client: AdminClient) async throws {
        let scenario = try reset.scenario(groups: group)
        if !reset.dryRun && !reset.execute {
            warn(
                "WARN: No action will be performed as the --execute option is missing. Add --dry-run to say so, "
                    + "or --execute to commit the new offsets."
            )
        }
        if case .plan = scenario {
            guard !allTopics && topic.isEmpty else { throw ValidationError("--from-file takes no scope") }
        } else if allTopics == !topic.isEmpty {
            throw ValidationError("--reset-offsets takes one of the scopes --all-topics and --topic")
        }
        var plans: [(group: String, offsets: [TopicPartition: Int64])] = []
        for name in names.sorted() {
            let coordinator = try await GroupCoordinatorClient(group: name, client: client)
            let state = try await coordinator.describe().groupState
            guard state == "Empty" || state == "Dead" else {
                throw Failure(
                    "Assignments can only be reset if the group '\(name)' is inactive, but the current state is \(state)."
                )
            }
            let committed = try await coordinator.committedOffsets()
            let offsets: [TopicPartition: Int64]
            if case .plan(let plan) = scenario {
                guard let planned = plan[name] else { throw Failure("No reset plan for group \(name) found") }
                offsets = try await withinLogs(planned, client)
            } else {
                let partitions = try await scope(committed: committed, client)
                offsets = try await newOffsets(partitions, committed: committed, scenario, client)
            }
            if reset.execute { try await coordinator.commit(offsets) }
            plans.append((name, offsets))
        }
        if reset.export {
            // Kafka's CSV: no header, the group column only when several groups were asked for.
            for plan in plans {
                for partition in plan.offsets.keys.sorted() {
                    let row = [partition.topic, "\(partition.partition)", "\(plan.offsets[partition]!)"]
                    print(((group.count == 1 ? [] : [plan.group]) + row).joined(separator: ","))
                }
            }
            return
        }
        print("\n" + resetLine(["GROUP", "TOPIC", "PARTITION", "NEW-OFFSET"]))
        for plan in plans {
            for partition in plan.offsets.keys.sorted() {
                print(
                    resetLine([plan.group, partition.topic, "\(partition.partition)", "\(plan.offsets[partition]!)"])
                )
            }
        }
    }

    /// Kafka's `%-30s %-30s %-10s %-15s`.
    private func resetLine(_ columns: [String]) -> String {
        zip(columns, [30, 30, 10, 15]).map { $0.padding(to: $1) }.joined(separator: " ")
    }

    /// The partitions `--topic`/`--all-topics` name.
    private func scope(committed: [TopicPartition: Int64], _ client: AdminClient) async throws -> [TopicPartition] {
        allTopics ? committed.keys.sorted() : try await namedPartitions(client)
    }

    private func newOffsets(
        _ partitions: [TopicPartition],
        committed: [TopicPartition: Int64],
        _ scenario: OffsetResetOptions.Scenario,
        _ client: AdminClient
    ) async throws -> [TopicPartition: Int64] {
        func lookUp(_ timestamp: Int64, _ what: String) async throws -> [TopicPartition: Int64] {
            let found = try await client.offsets(of: partitions, at: timestamp)
            if let missing = partitions.first(where: { found[$0] == nil }) {
                throw Failure("Error getting \(what) offset of topic partition: \(missing)")
            }
            return found
        }
        switch scenario {
        case .earliest:
            return try await lookUp(AdminClient.earliest, "starting")
        case .latest:
            return try await lookUp(AdminClient.latest, "ending")
        case .timestamp(let milliseconds):
            var found = try await lookUp(milliseconds, "by timestamp")
            let newest = found.filter { $0.value < 0 }.map(\.key)
            let ends = try await client.offsets(of: newest, at: AdminClient.latest)
            for partition in newest { found[partition] = ends[partition] }
            return found
        case .current:
            let uncommitted = partitions.filter { committed[$0] == nil }
            let ends = try await client.offsets(of: uncommitted, at: AdminClient.latest)
            return Dictionary(uniqueKeysWithValues: partitions.map { ($0, committed[$0] ?? ends[$0] ?? -1) })
        case .offset(let offset):
            return try await withinLogs(Dictionary(uniqueKeysWithValues: partitions.map { ($0, offset) }), client)
        case .plan:
            preconditionFailure("a --from-file plan names its own partitions")
        case .shift(let shift):
            let requested = try partitions.map { partition in
                guard let current = committed[partition] else {
                    throw Failure(
                        "Cannot shift offset for partition \(partition) since there is no current committed offset"
                    )
                }
                return (partition, current + shift)
            }
            return try await withinLogs(Dictionary(uniqueKeysWithValues: requested), client)
        }
    }

    /// Kafka's checkOffsetsRange: an offset past the log end becomes the log end, one before the log start the log
    /// start, each with a warning.
    private func withinLogs(
        _ requested: [TopicPartition: Int64],
        _ client: AdminClient
    ) async throws -> [TopicPartition: Int64] {
        let starts = try await client.offsets(of: Array(requested.keys), at: AdminClient.earliest)
        let ends = try await client.offsets(of: Array(requested.keys), at: AdminClient.latest)
        var result: [TopicPartition: Int64] = [:]
        for (partition, offset) in requested {
            guard let end = ends[partition], let start = starts[partition] else {
                throw Failure("Error getting the offsets of topic partition: \(partition)")
            }
            if offset > end {
                warn(
                    "WARN New offset (\(offset)) is higher than latest offset for topic partition \(partition). "
                        + "Value will be set to \(end)"
                )
                result[partition] = end
            } else if offset < start {
                warn(
                    "WARN New offset (\(offset)) is lower than earliest offset for topic partition \(partition). "
                        + "Value will be set to \(start)"
                )
                result[partition] = start
            } else {
                result[partition] = offset
            }
        }
        return result
    }
}

/// A line on standard error.
func warn(_ line: String) {
    FileHandle.standardError.write(Data((line + "\n").utf8))
}
