import KafkaCore
import NIOCore
import Synchronization

/// Requests waiting for partitions to change: long-polling fetches, acks=all produces, DeleteRecords. Each
/// registers on the partitions it reads (their `PartitionWaiters`), and the changes it waits for, before it reads
/// them, so a change that lands in between still wakes it. An append changes a partition's `data`; a follower's
/// fetch that moves the high or low watermark changes its `progress`; a leadership, ISR or log directory change is
/// both. A consumer's fetch waits for both (it reads up to the high watermark), a follower's for `data` only (it
/// reads to the log end); produces and DeleteRecords for `progress` only, so appends do not wake the produces still
/// waiting for the ISR.
///
/// No lock is shared by all partitions: each partition's waiters are under its own lock, reached from the `Partition`
/// object the request already holds (no hashing of partition names per wait), and each waiter keeps its own state,
/// so a notification takes one partition's lock (and the locks of the waiters it wakes). Deadlines are NIO scheduled
/// tasks on `timers` (no task or thread per wait). A waiter is woken at most once; `wait` always ends by
/// unregistering it. Any thread may use it.
final class FetchWaiters: Sendable {
    /// What changed in a partition.
    struct Changes: OptionSet, Sendable {
        let rawValue: UInt8
        /// Its log end (an append, a truncation).
        static let data = Changes(rawValue: 1)
        /// Its high or low watermark.
        static let progress = Changes(rawValue: 2)
        static let all: Changes = [.data, .progress]
    }

    /// One waiting request. `fire` resumes it once (a notification, its deadline or `cancel`), before or after it
    /// parks.
    final class Waiter: Sendable {
        fileprivate let partitions: [PartitionWaiters]
        let changes: Changes
        private let signal = OneShotSignal()

        fileprivate init(partitions: [PartitionWaiters], changes: Changes) {
            self.partitions = partitions
            self.changes = changes
        }

        func fire() { signal.fire() }

        fileprivate func park() async { await signal.wait() }
    }

    private let timers: any EventLoopGroup

    init(timers: any EventLoopGroup) {
        self.timers = timers
    }

    func register(_ partitions: [PartitionWaiters], for changes: Changes = .all) -> Waiter {
        let waiter = Waiter(partitions: partitions, changes: changes)
        for partition in partitions { partition.add(waiter) }
        return waiter
    }

    /// Unregisters `waiter` and resumes it if it is parked.
    func cancel(_ waiter: Waiter) {
        for partition in waiter.partitions { partition.remove(waiter) }
        waiter.fire()
    }

    /// Waits until one of the waiter's partitions is notified or `deadline` passes; then the waiter is gone.
    func wait(_ waiter: Waiter, until deadline: ContinuousClock.Instant) async {
        await RequestWaitClock.parked { await waitForNotification(waiter, until: deadline) }
        cancel(waiter)
    }

    private func waitForNotification(_ waiter: Waiter, until deadline: ContinuousClock.Instant) async {
        let remaining = deadline - ContinuousClock.now
        guard remaining > .zero else { return }
        let (seconds, attoseconds) = remaining.components
        // On the waiting task's own event loop when it runs on one of `timers` (a request's task does): scheduling
        // and cancelling there take no other loop's lock and wake no other thread.
        let timer = timers.any().scheduleTask(in: .nanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)) {
            waiter.fire()
        }
        await withTaskCancellationHandler {
            await waiter.park()
        } onCancel: {
            waiter.fire()
        }
        timer.cancel()
    }
}
