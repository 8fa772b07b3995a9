import KafkaConnect

/// The leader's assignment in Connect's incremental cooperative protocol (KIP-415, Java's
/// `IncrementalCooperativeAssignor`): members keep running what they run through a rebalance; the leader only
/// adds and revokes. From what each member reports it runs (its allocation), and what the leader assigned in the
/// previous generation, it finds:
/// - deleted work (run but no longer configured) and work run twice: revoked (the first member by id keeps a
///   duplicate);
/// - lost work (assigned last generation, run by nobody now: its worker left): held back for
///   `scheduled.rebalance.max.delay.ms`, so a worker that restarts within the delay gets its work back, then dealt
///   out like new work; meanwhile each member is told the remaining `delay`, after which it rejoins;
/// - new work (configured, neither run nor lost): dealt to the least loaded members, connectors by connector
///   count and tasks by task count, ties to the lower member id;
/// - imbalance (some member above the even share while another is below it, e.g. after a worker joined): the
///   excess revoked, to be dealt out at the next rebalance, which the revoking members ask for. A round that
///   revoked for balance is followed by one that does not, so revocations cannot chase each other.
///
/// A value the leader keeps between rebalances (the previous assignment and the scheduled rebalance); `assign` is
/// pure apart from it.
struct IncrementalAssignor: Sendable {
    typealias Work = EagerAssignor.Work

    struct Result: Sendable, Equatable {
        var assigned: [String: Work] = [:]
        var revoked: [String: Work] = [:]
        var delay: Int32 = 0
        /// What each member runs once it applied its part.
        var complete: [String: Work] = [:]
    }

    var maxDelayMs: Int32
    private(set) var previous: [String: Work] = [:]
    private(set) var previousGeneration: Int32 = -1
    private(set) var scheduledRebalance: ContinuousClock.Instant?
    /// Lost work held back until the scheduled rebalance (assigned to nobody meanwhile).
    private var held = Work()
    private var revokedForBalance = false

    init(maxDelayMs: Int32) { self.maxDelayMs = maxDelayMs }

    /// The assignment of `generation` for `members` (member id → what it reports it runs) and the configured
    /// connectors and tasks.
    mutating func assign(
        members: [String: Work],
        connectors configuredConnectors: Set<String>,
        tasks configuredTasks: Set<ConnectorTaskID>,
        generation: Int32,
        now: ContinuousClock.Instant = .now
    ) -> Result {
        let ids = members.keys.sorted()
        var result = Result()
        var current: [String: Work] = [:]
        var seenConnectors: Set<String> = []
        var seenTasks: Set<ConnectorTaskID> = []
        // Deleted and duplicated work is revoked.
        for id in ids {
            var keep = Work()
            var revoke = Work()
            for name in members[id]!.connectors {
                if configuredConnectors.contains(name) && seenConnectors.insert(name).inserted {
                    keep.connectors.append(name)
                } else {
                    revoke.connectors.append(name)
                }
            }
            for task in members[id]!.tasks {
                if configuredTasks.contains(task) && seenTasks.insert(task).inserted {
                    keep.tasks.append(task)
                } else {
                    revoke.tasks.append(task)
                }
            }
            current[id] = keep
            if revoke != Work() { result.revoked[id] = revoke }
        }
        // Lost work: the previous assignment is trusted only when it is the generation just before this one.
        var lostConnectors: Set<String> = []
        var lostTasks: Set<ConnectorTaskID> = []
        if previousGeneration >= 0 && previousGeneration + 1 == generation {
            for work in previous.values + [held] {
                lostConnectors.formUnion(work.connectors.filter { configuredConnectors.contains($0) })
                lostTasks.formUnion(work.tasks.filter { configuredTasks.contains($0) })
            }
            lostConnectors.subtract(seenConnectors)
            lostTasks.subtract(seenTasks)
        }
        var newConnectors = configuredConnectors.subtracting(seenConnectors).subtracting(lostConnectors)
        var newTasks = configuredTasks.subtracting(seenTasks).subtracting(lostTasks)
        held = Work()
        if lostConnectors.isEmpty && lostTasks.isEmpty {
            scheduledRebalance = nil
        } else if maxDelayMs <= 0 || scheduledRebalance.map({ now >= $0 }) == true {
            newConnectors.formUnion(lostConnectors)
            newTasks.formUnion(lostTasks)
            scheduledRebalance = nil
        } else {
            held = Work(connectors: lostConnectors.sorted(), tasks: lostTasks.sorted())
            let due = scheduledRebalance ?? now + .milliseconds(Int64(maxDelayMs))
            scheduledRebalance = due
            result.delay = Int32(clamping: max(1, Self.milliseconds(due - now)))
        }
        // Balance: revoke what is above the even share, once, when someone is below it and nothing waits.
        let balanceAllowed =
            result.revoked.isEmpty && result.delay == 0 && newConnectors.isEmpty && newTasks.isEmpty
            && !revokedForBalance && !ids.isEmpty
        revokedForBalance = false
        if balanceAllowed {
            let connectorRevocations = Self.excess(current.mapValues(\.connectors), ids: ids)
            let taskRevocations = Self.excess(current.mapValues(\.tasks), ids: ids)
            for id in ids {
                var revoke = Work()
                revoke.connectors = connectorRevocations[id] ?? []
                revoke.tasks = taskRevocations[id] ?? []
                guard revoke != Work() else { continue }
                result.revoked[id] = revoke
                current[id]!.connectors.removeAll { revoke.connectors.contains($0) }
                current[id]!.tasks.removeAll { revoke.tasks.contains($0) }
                revokedForBalance = true
            }
        }
        // New work to the least loaded.
        for name in newConnectors.sorted() {
            guard let id = ids.min(by: { (current[$0]!.connectors.count, $0) < (current[$1]!.connectors.count, $1) })
            else { break }
            current[id]!.connectors.append(name)
            result.assigned[id, default: Work()].connectors.append(name)
        }
        for task in newTasks.sorted() {
            guard let id = ids.min(by: { (current[$0]!.tasks.count, $0) < (current[$1]!.tasks.count, $1) }) else {
                break
            }
            current[id]!.tasks.append(task)
            result.assigned[id, default: Work()].tasks.append(task)
        }
        result.complete = current
        previous = current
        previousGeneration = generation
        return result
    }

    /// For each member above the even share of `loads` while another is below it, the items above its share.
    static func excess<Item>(_ loads: [String: [Item]], ids: [String]) -> [String: [Item]] {
        let total = loads.values.reduce(0) { $0 + $1.count }
        let floor = total / ids.count
        let ceiling = floor + (total % ids.count == 0 ? 0 : 1)
        guard ids.contains(where: { (loads[$0]?.count ?? 0) < floor }) else { return [:] }
        // Members above the ceiling give back down to it; then, while someone is still below the floor, members
        // at the ceiling give one more each (down to the floor).
        var deficit = ids.reduce(0) { $0 + max(0, floor - (loads[$1]?.count ?? 0)) }
        var keep: [String: Int] = [:]
        for id in ids {
            let count = loads[id]?.count ?? 0
            keep[id] = min(count, ceiling)
            deficit -= count - keep[id]!
        }
        for id in ids where deficit > 0 && keep[id]! == ceiling && ceiling > floor {
            keep[id]! -= 1
            deficit -= 1
        }
        var excess: [String: [Item]] = [:]
        for id in ids {
            let items = loads[id] ?? []
            if keep[id]! < items.count { excess[id] = Array(items[keep[id]!...]) }
        }
        return excess
    }

    static func milliseconds(_ duration: Duration) -> Int64 {
        duration.components.seconds * 1000 + duration.components.attoseconds / 1_000_000_000_000_000
    }
}
