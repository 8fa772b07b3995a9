import NIOCore

/// A task executor that runs jobs on one NIO event loop, so a connection's task and the socket it serves share a
/// thread: a request read on the loop is handled there and its response written there, without a hand-off to the
/// cooperative pool and back (two thread wake-ups per request otherwise).
///
/// Made per connection by `KafkaListener` (for `withTaskExecutorPreference`); its loop is the connection's. Work
/// that runs on it must not block: handlers only take short locks and write to the page cache.
final class EventLoopTaskExecutor: TaskExecutor {
    let eventLoop: any EventLoop

    init(_ eventLoop: any EventLoop) {
        self.eventLoop = eventLoop
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        eventLoop.execute {
            job.runSynchronously(on: self.asUnownedTaskExecutor())
        }
    }
}
