import KafkaClient
import KafkaCore

/// A group's offset reset, as `kafka-consumer-groups --reset-offsets` does it: for each partition of the chosen
/// topic (all the group's topics when none) the new offset by `--to-earliest`, `--to-latest`, `--to-offset` or
/// `--to-datetime`, clamped to the log; shown first (dry run), then written (execute) — only while the group has
/// no member. Kafka groups are written with OffsetCommit outside a generation, ZooKeeper groups with OffsetCommit
/// v0 (which the broker stores in `/consumers`).
struct GroupResetPlan: Encodable, Sendable {
    struct Row: Encodable, Sendable {
        var topic: String
        var partition: Int32
        var current: Int64
        var new: Int64
    }

    var group: String
    var store: String
    var strategy: String
    var executed: Bool
    var rows: [Row]
}

struct GroupResetError: Error, CustomStringConvertible {
    var description: String
}

extension ConsoleCluster {
    /// The plan for `form` (`strategy`: earliest, latest, offset or timestamp; `value`; `topic`), written when
    /// `execute`.
    func resetOffsets(
        group id: String,
        store: String,
        form: [String: String],
        execute: Bool
    ) async throws
        -> GroupResetPlan
    {
        guard let group = try await group(id, store: store) else {
            throw GroupResetError(description: "Group \(id) has no committed offsets")
        }
        guard group.isInactive else {
            throw GroupResetError(
                description: "Group \(id) has \(group.members.count) active member(s); stop them before resetting "
                    + "its offsets"
            )
        }
        let topic = form["topic"].flatMap { $0.isEmpty ? nil : $0 }
        let rows = group.partitions.filter { topic == nil || $0.topic == topic }
        guard !rows.isEmpty else { throw GroupResetError(description: "Group \(id) has no offsets for \(topic ?? "")") }
        let partitions = rows.map { TopicPartition($0.topic, $0.partition) }
        let marks = try await watermarks(partitions)
        let strategy = form["strategy"] ?? ""
        var targets: [TopicPartition: Int64] = [:]
        switch strategy {
        case "earliest": for p in partitions { targets[p] = marks[p]?.start }
        case "latest": for p in partitions { targets[p] = marks[p]?.end }
        case "offset":
            guard let offset = form["value"].flatMap({ Int64($0) }) else {
                throw GroupResetError(description: "An offset must be a number")
            }
            for p in partitions { targets[p] = offset }
        case "timestamp":
            guard let timestamp = MessageQuery(["timestamp": form["value"] ?? ""]).timestamp else {
                throw GroupResetError(description: "A time must be milliseconds or ISO-8601 (2026-12-07T10:00:00Z)")
            }
            for (partition, answer) in try await admin.listOffsets(partitions, at: timestamp) {
                if case .success(let offset) = answer {
                    targets[partition] = offset < 0 ? marks[partition]?.end : offset
                }
            }
        default:
            throw GroupResetError(description: "Unknown reset strategy '\(strategy)'")
        }
        var plan = GroupResetPlan(group: id, store: group.store, strategy: strategy, executed: false, rows: [])
        for row in rows {
            let partition = TopicPartition(row.topic, row.partition)
            guard var target = targets[partition], let mark = marks[partition] else { continue }
            target = min(max(target, mark.start), mark.end)
            plan.rows.append(.init(topic: row.topic, partition: row.partition, current: row.committed, new: target))
        }
        guard execute else { return plan }
        let offsets = Dictionary(
            plan.rows.map { (TopicPartition($0.topic, $0.partition), OffsetAndMetadata(offset: $0.new)) },
            uniquingKeysWith: { first, _ in first }
        )
        let outcomes =
            group.store == "zookeeper"
            ? try await admin.alterZooKeeperGroupOffsets(id, offsets)
            : try await admin.alterGroupOffsets(id, offsets)
        for case .failure(let error) in outcomes.values {
            throw GroupResetError(description: "The reset failed: \(error)")
        }
        plan.executed = true
        return plan
    }

    /// Deletes a Kafka group (DeleteGroups; it must have no member).
    func deleteGroup(_ id: String) async throws -> Result<Void, AdminError> {
        try await admin.deleteGroups([id])[id] ?? .failure(AdminError(.unknownServerError, "no answer"))
    }
}
