import KafkaCoordinator
import KafkaCore
import Testing

/// The coordinator's metrics (Kafka's `transaction-coordinator-metrics` load times and the marker channel's
/// LogAppendRetryQueueSize) against the manual clock and the in-memory log of `TransactionCoordinatorTests.World`.
@Suite("Transaction coordinator metrics")
struct TransactionCoordinatorMetricsTests {
    @Test func loadTimesCoverTheLoadsOfTheLastThirtySeconds() async {
        let world = TransactionCoordinatorTests.World()
        let coordinator = world.coordinator()
        #expect(await coordinator.metrics.partitionLoadTimeMaxMs.isNaN)
        await coordinator.beginLoading(partition: 0, coordinatorEpoch: 1)
        world.clock.advance(by: 40)
        await coordinator.completeLoading(partition: 0, coordinatorEpoch: 1, records: [])
        await coordinator.beginLoading(partition: 1, coordinatorEpoch: 1)
        world.clock.advance(by: 10)
        await coordinator.completeLoading(partition: 1, coordinatorEpoch: 1, records: [])
        let metrics = await coordinator.metrics
        #expect(metrics.partitionLoadTimeMaxMs == 40)
        #expect(metrics.partitionLoadTimeAvgMs == 25)
        // 30 s after the second load, neither is in the window any more.
        world.clock.advance(by: 29_999)
        #expect(await coordinator.metrics.partitionLoadTimeMaxMs == 10)
        world.clock.advance(by: 1)
        #expect(await coordinator.metrics.partitionLoadTimeMaxMs.isNaN)
        #expect(await coordinator.metrics.partitionLoadTimeAvgMs.isNaN)
    }

    @Test func aCompletionWhoseWriteFailsIsCountedUntilItIsWritten() async {
        let world = TransactionCoordinatorTests.World()
        let coordinator = await world.loaded()
        let producer = await coordinator.initProducerID(transactionalID: "tx", timeoutMs: 5000)
        _ = await coordinator.addPartitions(
            transactionalID: "tx",
            producerID: producer.producerID,
            producerEpoch: producer.producerEpoch,
            partitions: [TopicPartition("t", 0)]
        )
        world.holdMarkers.withLock { $0 = true }
        #expect(
            await coordinator.endTransaction(
                transactionalID: "tx",
                producerID: producer.producerID,
                producerEpoch: producer.producerEpoch,
                commit: true
            ) == .none
        )
        #expect(await coordinator.metrics.logAppendRetryQueueSize == 0)
        world.appendError.withLock { $0 = .notEnoughReplicas }
        world.holdMarkers.withLock { $0 = false }
        #expect(
            await TransactionCoordinatorTests.World.eventually {
                await coordinator.metrics.logAppendRetryQueueSize == 1
            }
        )
        world.appendError.withLock { $0 = .none }
        #expect(await TransactionCoordinatorTests.World.eventually { world.states.last == .completeCommit })
        #expect(
            await TransactionCoordinatorTests.World.eventually {
                await coordinator.metrics.logAppendRetryQueueSize == 0
            }
        )
    }

}
