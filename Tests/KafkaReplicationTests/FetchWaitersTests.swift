import NIOPosix
import Testing

@testable import KafkaReplication

/// The wake-ups of waiting fetches and produces: a notification of a registered partition wakes the waiter whether
/// it came before or after the waiter parked, others do not, nor changes the waiter does not wait for, the deadline,
/// the partition's closing or the task's cancellation ends the wait, and many waiters of many partitions each wake once. Woken means before
/// the deadline, which is far (two minutes) so a loaded machine that runs the task late still tells a wake-up from a
/// timeout.
@Suite("Fetch waiters")
struct FetchWaitersTests {
    let waiters = FetchWaiters(timers: MultiThreadedEventLoopGroup.singleton)
    let a = PartitionWaiters()
    let b = PartitionWaiters()

    @Test func aNotificationBeforeTheWaitIsNotLost() async {
        let waiter = waiters.register([a])
        a.notify()
        let deadline = ContinuousClock.now + .seconds(120)
        await waiters.wait(waiter, until: deadline)
        #expect(ContinuousClock.now < deadline)
    }

    @Test func aNotificationOfAnotherPartitionDoesNotWake() async {
        let waiter = waiters.register([a])
        b.notify()
        let deadline = ContinuousClock.now + .milliseconds(300)
        await waiters.wait(waiter, until: deadline)
        #expect(ContinuousClock.now >= deadline)
    }

    /// Parks `waiter`, lets `wake` run once it is parked, and answers whether the wait ended before its deadline.
    func endsBeforeTheDeadline(_ waiter: FetchWaiters.Waiter, _ wake: () -> Void) async -> Bool {
        let deadline = ContinuousClock.now + .seconds(120)
        async let woken: Void = waiters.wait(waiter, until: deadline)
        try? await Task.sleep(for: .milliseconds(50))
        wake()
        await woken
        return ContinuousClock.now < deadline
    }

    @Test func anyOfTheRegisteredPartitionsWakesAParkedWaiter() async {
        let waiter = waiters.register([a, b])
        #expect(a.count == 1 && b.count == 1)
        #expect(await endsBeforeTheDeadline(waiter) { b.notify() })
        // Gone from both partitions' index once the wait is over.
        #expect(a.count == 0 && b.count == 0)
    }

    @Test func cancelResumesAParkedWaiter() async {
        let waiter = waiters.register([a])
        #expect(await endsBeforeTheDeadline(waiter) { waiters.cancel(waiter) })
        #expect(a.count == 0)
    }

    @Test func manyWaitersOfManyPartitionsEachWake() async {
        let partitions = (0..<200).map { _ in PartitionWaiters() }
        let woken = await withTaskGroup(of: Bool.self) { group in
            for partition in partitions {
                let waiter = waiters.register([partition])
                group.addTask {
                    let deadline = ContinuousClock.now + .seconds(120)
                    await waiters.wait(waiter, until: deadline)
                    return ContinuousClock.now < deadline
                }
            }
            try? await Task.sleep(for: .milliseconds(50))
            for partition in partitions { partition.notify() }
            return await group.reduce(0) { $0 + ($1 ? 1 : 0) }
        }
        #expect(woken == partitions.count)
        #expect(partitions.allSatisfy { $0.count == 0 })
    }

    /// An acks=all produce waits for the partition's progress: appends (data) do not wake it, a watermark move does.
    @Test func aProgressWaiterSleepsThroughAppendsAndWakesOnProgress() async {
        let waiter = waiters.register([a], for: .progress)
        a.notify(.data)
        let early = ContinuousClock.now + .milliseconds(300)
        await waiters.wait(waiter, until: early)
        #expect(ContinuousClock.now >= early)
        let again = waiters.register([a], for: .progress)
        #expect(await endsBeforeTheDeadline(again) { a.notify(.progress) })
    }

    /// A waiter for all changes (a consumer's fetch: it reads up to the high watermark) wakes on data and on progress.
    @Test func aFetchWaiterWakesOnDataAndOnProgress() async {
        let first = waiters.register([a])
        #expect(await endsBeforeTheDeadline(first) { a.notify(.data) })
        let second = waiters.register([a])
        #expect(await endsBeforeTheDeadline(second) { a.notify(.progress) })
    }

    /// A partition taken away (StopReplica) wakes everyone waiting on it, and says so to those who look later.
    @Test func closingWakesTheWaitersAndStaysClosed() async {
        let waiter = waiters.register([a, b])
        #expect(!a.isClosed)
        #expect(await endsBeforeTheDeadline(waiter) { a.close() })
        #expect(a.isClosed && !b.isClosed)
        #expect(a.count == 0 && b.count == 0)
    }

    /// A cancelled task's wait ends at once (its deadline timer is cancelled with it), and the waiter is gone.
    @Test func cancellingTheTaskEndsTheWait() async {
        let waiter = waiters.register([a])
        let deadline = ContinuousClock.now + .seconds(120)
        let wait = Task { await waiters.wait(waiter, until: deadline) }
        try? await Task.sleep(for: .milliseconds(50))
        wait.cancel()
        await wait.value
        #expect(ContinuousClock.now < deadline)
        #expect(a.count == 0)
    }
}
