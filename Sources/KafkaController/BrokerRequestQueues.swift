import KafkaZooKeeper
import Logging
import Synchronization

/// The controller's outgoing requests, one queue per live broker (Kafka's `ControllerChannelManager` with its
/// `RequestSendThread` per broker): requests to one broker go in order, and a broker that stops answering (paused,
/// partitioned) holds up only its own queue, never the controller. A queue belongs to one registration (broker id
/// and epoch); it goes when the broker does. Any task may call.
final class BrokerRequestQueues: Sendable {
    typealias Job = @Sendable () async -> Void

    private struct Queue {
        var epoch: Int64?
        var jobs: AsyncStream<Job>.Continuation
        var worker: Task<Void, Never>
    }

    private let queues = Mutex<[Int32: Queue]>([:])

    /// Runs `job` after every job queued before it for `broker`.
    func enqueue(to broker: BrokerRegistration, _ job: @escaping Job) {
        queues.withLock { queues in
            if let queue = queues[broker.id], queue.epoch == broker.epoch {
                queue.jobs.yield(job)
                return
            }
            queues[broker.id].map { stop($0) }
            let (stream, continuation) = AsyncStream.makeStream(of: Job.self)
            let worker = Task {
                for await job in stream { await job() }
            }
            continuation.yield(job)
            queues[broker.id] = Queue(epoch: broker.epoch, jobs: continuation, worker: worker)
        }
    }

    /// Drops the queues of brokers not in `live` (their pending requests are abandoned).
    func retain(only live: Set<Int32>) {
        queues.withLock { queues in
            for (id, queue) in queues where !live.contains(id) {
                stop(queue)
                queues.removeValue(forKey: id)
            }
        }
    }

    private func stop(_ queue: Queue) {
        queue.jobs.finish()
        queue.worker.cancel()
    }
}
