import KafkaCore
import Synchronization

/// The producer's partition queues (Kafka's `RecordAccumulator`), grouped by topic. A topic's route is made when
/// the producer first writes to it (its partition count from metadata) with one queue per partition, indexed by
/// partition, so an append finds its queue with a single lookup by topic name under a short lock; each queue has its
/// own lock for its batches.
final class RecordAccumulator: Sendable {
    private let routes = Mutex<[String: TopicRoute]>([:])

    /// The route of `topic`, if the producer wrote to it before.
    func route(of topic: String) -> TopicRoute? {
        routes.withLock { $0[topic] }
    }

    /// The route of `topic`, made with `partitionCount` queues unless another caller made it first.
    func addRoute(topic: String, partitionCount: Int32) -> TopicRoute {
        routes.withLock { routes in
            if let route = routes[topic] { return route }
            let route = TopicRoute(topic: topic, partitionCount: partitionCount)
            routes[topic] = route
            return route
        }
    }

    /// The topic has more partitions than its route: the route is replaced by one with queues for the new
    /// partitions too (the existing queues, with their batches and sequences, are kept).
    func grow(topic: String, to partitionCount: Int32) {
        routes.withLock { routes in
            guard let route = routes[topic], partitionCount > route.partitionCount else { return }
            routes[topic] = TopicRoute(topic: topic, partitionCount: partitionCount, keeping: route.queues)
        }
    }

    /// The topics written to.
    var topics: [String] { routes.withLock { Array($0.keys) } }

    var queues: [PartitionQueue] { routes.withLock { $0.values.flatMap(\.queues) } }

    /// Whether no batch waits and none is in flight.
    var isIdle: Bool { queues.allSatisfy(\.isIdle) }
}

/// A topic the producer writes to: its partition count and its partitions' queues, by partition (immutable), and
/// the sticky partition of its keyless records (`Partitioner`; -1 until chosen).
final class TopicRoute: Sendable {
    let topic: String
    let partitionCount: Int32
    let queues: [PartitionQueue]
    let sticky = Atomic<Int32>(-1)

    /// A route of `partitionCount` queues: `existing` for the first partitions, new ones for the rest.
    init(topic: String, partitionCount: Int32, keeping existing: [PartitionQueue] = []) {
        self.topic = topic
        self.partitionCount = partitionCount
        queues =
            existing
            + (Int32(existing.count)..<partitionCount).map { PartitionQueue(partition: TopicPartition(topic, $0)) }
    }
}
