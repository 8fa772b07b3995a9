import KafkaCore
import Synchronization

/// Requests waiting for a partition to change: long-polling fetches, acks=all produces, DeleteRecords. Each
/// registers the partitions it reads before it reads them, so an append that lands in between still wakes it; an
/// append, a follower's fetch or a leadership change notifies the partition.
///
/// No lock is shared by all partitions: the index from partition to waiters is split into shards by the partition's
/// hash, and each waiter keeps its own state, so a notification takes one shard's lock (and the locks of the
/// waiters it wakes). A waiter is woken at most once; `wait` always ends by unregistering it. Any thread may use it.
final class FetchWaiters: Sendable {
    /// One waiting request. `fire` resumes it once (a notification, its deadline or `cancel`), before or after it
    /// parks.
    final class Waiter: Sendable {
        fileprivate let partitions: Set<TopicPartition>
        private let state = Mutex<(fired: Bool, continuation: CheckedContinuation<Void, Never>?)>((false, nil))

        fileprivate init(partitions: Set<TopicPartition>) {
            self.partitions = partitions
        }

        fileprivate func fire() {
            let continuation = state.withLock { state -> CheckedContinuation<Void, Never>? in
                guard !state.fired else { return nil }
                state.fired = true
                defer { state.continuation = nil }
                return state.continuation
            }
            continuation?.resume()
        }

        fileprivate func park(_ continuation: CheckedContinuation<Void, Never>) {
            let resumeNow = state.withLock { state -> Bool in
                guard !state.fired else { return true }
                state.continuation = continuation
                return false
            }
            if resumeNow { continuation.resume() }
        }
    }

    /// The waiters of the partitions that hash to one shard.
    private final class Shard: Sendable {
        let waiting = Mutex<[TopicPartition: [ObjectIdentifier: Waiter]]>([:])
    }

    private let shards: [Shard] = (0..<64).map { _ in Shard() }

    private func shard(_ partition: TopicPartition) -> Shard {
        shards[Int(UInt(bitPattern: partition.hashValue) % UInt(shards.count))]
    }

    func register(_ partitions: Set<TopicPartition>) -> Waiter {
        let waiter = Waiter(partitions: partitions)
        let id = ObjectIdentifier(waiter)
        for partition in partitions {
            shard(partition).waiting.withLock { $0[partition, default: [:]][id] = waiter }
        }
        return waiter
    }

    /// Unregisters `waiter` and resumes it if it is parked.
    func cancel(_ waiter: Waiter) {
        let id = ObjectIdentifier(waiter)
        for partition in waiter.partitions {
            shard(partition).waiting.withLock { waiting in
                waiting[partition]?.removeValue(forKey: id)
                if waiting[partition]?.isEmpty == true { waiting.removeValue(forKey: partition) }
            }
        }
        waiter.fire()
    }

    /// Waits until `notify` names one of the waiter's partitions or `deadline` passes; then the waiter is gone.
    func wait(_ waiter: Waiter, until deadline: ContinuousClock.Instant) async {
        await RequestWaitClock.parked { await waitForNotification(waiter, until: deadline) }
        cancel(waiter)
    }

    private func waitForNotification(_ waiter: Waiter, until deadline: ContinuousClock.Instant) async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                await withCheckedContinuation { waiter.park($0) }
            }
            group.addTask {
                try? await Task.sleep(until: deadline, clock: .continuous)
                waiter.fire()
            }
            await group.next()
            group.cancelAll()
        }
    }

    /// How many waiters `partition` has registered (tests check that a finished wait leaves none behind).
    func registeredCount(_ partition: TopicPartition) -> Int {
        shard(partition).waiting.withLock { $0[partition]?.count ?? 0 }
    }

    func notify(_ partition: TopicPartition) {
        let woken = shard(partition).waiting.withLock { waiting -> [Waiter] in
            guard let waiters = waiting[partition] else { return [] }
            return Array(waiters.values)
        }
        for waiter in woken { waiter.fire() }
    }
}
