import KafkaConnect

/// The leader's assignment in Connect's EAGER protocol (Java's `EagerAssignor`): members sorted by id, then each
/// connector (sorted by name) followed by its tasks (in order) dealt round-robin to the members, one circular
/// walk for all of them, so connectors and tasks spread evenly and the same state always gives the same
/// assignment. A pure function.
enum EagerAssignor {
    struct Work: Sendable, Equatable {
        var connectors: [String] = []
        var tasks: [ConnectorTaskID] = []
    }

    /// Each member's work, for `taskCounts` (connector name → number of committed tasks).
    static func assign(members: [String], taskCounts: [String: Int]) -> [String: Work] {
        let members = members.sorted()
        var work = Dictionary(uniqueKeysWithValues: members.map { ($0, Work()) })
        guard !members.isEmpty else { return work }
        var next = 0
        func dealt() -> String {
            defer { next = (next + 1) % members.count }
            return members[next]
        }
        for name in taskCounts.keys.sorted() {
            work[dealt()]?.connectors.append(name)
            for task in 0..<(taskCounts[name] ?? 0) { work[dealt()]?.tasks.append(ConnectorTaskID(name, task)) }
        }
        return work
    }
}
