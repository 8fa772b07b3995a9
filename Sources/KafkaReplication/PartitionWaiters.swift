import Synchronization

/// The requests waiting for one hosted partition to change (`FetchWaiters` registers and parks them): each
/// `Partition` has one, so an append or a watermark move wakes its waiters under that partition's own small lock,
/// with no lookup by name. `close` marks the partition object as no longer hosted (StopReplica took it away) and
/// wakes everyone: a waiter that finds its list closed looks the partition up again.
///
/// A waiter is in a list from its registration until its wait ends; lists hold a few waiters (a partition's
/// followers' fetches, its consumers' and its acks=all produces). Any thread may use it.
final class PartitionWaiters: Sendable {
    private struct State {
        var waiting: [FetchWaiters.Waiter] = []
        var closed = false
    }

    private let state = Mutex(State())

    init() {}

    /// True once the partition object is no longer hosted.
    var isClosed: Bool { state.withLock { $0.closed } }

    /// How many waiters are registered (tests check that a finished wait leaves none behind).
    var count: Int { state.withLock { $0.waiting.count } }

    /// Wakes the waiters that wait for any of `changes`.
    func notify(_ changes: FetchWaiters.Changes = .all) {
        let woken = state.withLock { state in state.waiting.filter { !$0.changes.isDisjoint(with: changes) } }
        for waiter in woken { waiter.fire() }
    }

    /// No longer hosted: wakes every waiter, and those registering later see `isClosed`.
    func close() {
        let woken = state.withLock { state -> [FetchWaiters.Waiter] in
            state.closed = true
            return state.waiting
        }
        for waiter in woken { waiter.fire() }
    }

    func add(_ waiter: FetchWaiters.Waiter) {
        state.withLock { $0.waiting.append(waiter) }
    }

    func remove(_ waiter: FetchWaiters.Waiter) {
        state.withLock { state in
            guard let index = state.waiting.firstIndex(where: { $0 === waiter }) else { return }
            state.waiting.swapAt(index, state.waiting.count - 1)
            state.waiting.removeLast()
        }
    }
}
