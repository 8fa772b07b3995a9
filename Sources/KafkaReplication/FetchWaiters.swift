import KafkaCore
import Synchronization

/// Fetches waiting for data: each registers the partitions it reads before it reads them, so an append that lands
/// in between still wakes it. Any thread may use it.
final class FetchWaiters: Sendable {
    private struct Waiter {
        var partitions: Set<TopicPartition>
        var continuation: CheckedContinuation<Void, Never>?
        var notified = false
    }

    private let state = Mutex((next: 0, waiters: [Int: Waiter]()))

    func register(_ partitions: Set<TopicPartition>) -> Int {
        state.withLock { state in
            let id = state.next
            state.next += 1
            state.waiters[id] = Waiter(partitions: partitions)
            return id
        }
    }

    func cancel(_ id: Int) {
        let waiter = state.withLock { $0.waiters.removeValue(forKey: id) }
        waiter?.continuation?.resume()
    }

    /// Waits until `notify` names one of the waiter's partitions or `deadline` passes; then the waiter is gone.
    func wait(_ id: Int, until deadline: ContinuousClock.Instant) async {
        await RequestWaitClock.parked { await waitForNotification(id, until: deadline) }
        cancel(id)
    }

    private func waitForNotification(_ id: Int, until deadline: ContinuousClock.Instant) async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                    let resumeNow = self.state.withLock { state -> Bool in
                        guard var waiter = state.waiters[id], !waiter.notified else { return true }
                        waiter.continuation = continuation
                        state.waiters[id] = waiter
                        return false
                    }
                    if resumeNow { continuation.resume() }
                }
            }
            group.addTask {
                try? await Task.sleep(until: deadline, clock: .continuous)
                self.cancel(id)
            }
            await group.next()
            group.cancelAll()
        }
    }

    func notify(_ partition: TopicPartition) {
        let woken = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            var woken: [CheckedContinuation<Void, Never>] = []
            for (id, var waiter) in state.waiters where waiter.partitions.contains(partition) && !waiter.notified {
                waiter.notified = true
                if let continuation = waiter.continuation { woken.append(continuation) }
                waiter.continuation = nil
                state.waiters[id] = waiter
            }
            return woken
        }
        for continuation in woken { continuation.resume() }
    }
}
