import KafkaCoordinator
import KafkaCore
import KafkaProtocol
import KafkaTestSupport
import Logging
import NIOCore
import Synchronization
import Testing

/// The transaction coordinator's state machine with an in-memory `__transaction_state` and marker channel: Kafka
/// 2.8's answers per state (reference/transactions.md §3), the records each transition writes, fencing, timeouts,
/// and a new coordinator completing what its predecessor prepared.
@Suite("Transaction coordinator")
struct TransactionCoordinatorTests {
    /// The records written (decoded) and the markers sent; markers wait while `holdMarkers` is set.
    final class World: Sendable {
        let written = Mutex<[(partition: Int32, id: String, value: TransactionLogValue?)]>([])
        let markers = Mutex<[TransactionCoordinator.Markers]>([])
        let appendError = Mutex(KafkaErrorCode.none)
        let holdMarkers = Mutex(false)
        let nextID = Mutex(Int64(1000))
        let clock = ManualClock()

        func coordinator(partitions: Int32 = 4) -> TransactionCoordinator {
            TransactionCoordinator(
                configuration: .init(
                    partitionCount: partitions,
                    maxTimeoutMs: 60_000,
                    idExpirationMs: 100_000,
                    completionWaitMs: 50
                ),
                append: { partition, records in
                    if self.appendError.withLock({ $0 }) != .none { return self.appendError.withLock { $0 } }
                    var buffer = records
                    while let batch = try? RecordBatch.nextBatch(from: &buffer) {
                        for record in (try? batch.records(decompressionLimit: 1 << 20)) ?? [] {
                            let id = TransactionLogRecords.decodeKey(record.key!)!
                            let value = record.value.map { TransactionLogRecords.decodeValue($0)! }
                            self.written.withLock { $0.append((partition, id, value)) }
                        }
                    }
                    return .none
                },
                sendMarkers: { markers, isCurrent in
                    while self.holdMarkers.withLock({ $0 }) { try? await Task.sleep(for: .milliseconds(5)) }
                    guard await isCurrent() else { return false }
                    self.markers.withLock { $0.append(markers) }
                    return true
                },
                nextProducerID: {
                    self.nextID.withLock { next in
                        defer { next += 1 }
                        return next
                    }
                },
                clock: clock,
                logger: Logger(label: "test")
            )
        }

        var states: [TransactionState?] { written.withLock { $0.map { $0.value?.state } } }
        var last: TransactionLogValue? { written.withLock { $0.last?.value } }

        /// A coordinator that leads every partition at coordinator epoch 7.
        func loaded() async -> TransactionCoordinator {
            let coordinator = coordinator()
            for partition in Int32(0)..<4 {
                await coordinator.beginLoading(partition: partition, coordinatorEpoch: 7)
                await coordinator.completeLoading(partition: partition, coordinatorEpoch: 7, records: [])
            }
            return coordinator
        }

        /// Waits (a bounded number of turns) until `condition` holds, for the markers' background task.
        static func eventually(_ condition: () async -> Bool) async -> Bool {
            for _ in 0..<400 {
                if await condition() { return true }
                try? await Task.sleep(for: .milliseconds(5))
            }
            return false
        }
    }

    @Test func aNewIDGetsEpochZeroAndEachInitBumpsIt() async {
        let world = World()
        let coordinator = await world.loaded()
        let first = await coordinator.initProducerID(transactionalID: "tx", timeoutMs: 5000)
        #expect(first == .init(errorCode: .none, producerID: 1000, producerEpoch: 0))
        #expect(
            world.last
                == TransactionLogValue(
                    producerID: 1000,
                    producerEpoch: 0,
                    transactionTimeoutMs: 5000,
                    state: .empty,
                    partitions: nil,
                    lastUpdateTimestampMs: world.clock.milliseconds,
                    startTimestampMs: -1
                )
        )
        #expect(world.written.withLock { $0.last?.partition } == coordinator.partition(for: "tx"))
        let second = await coordinator.initProducerID(transactionalID: "tx", timeoutMs: 5000)
        #expect(second == .init(errorCode: .none, producerID: 1000, producerEpoch: 1))
    }

    @Test func badRequestsAndIDsElsewhereAreRefused() async {
        let world = World()
        let coordinator = world.coordinator()
        #expect(await coordinator.initProducerID(transactionalID: "", timeoutMs: 5000).errorCode == .invalidRequest)
        #expect(
            await coordinator.initProducerID(transactionalID: "tx", timeoutMs: 0).errorCode
                == .invalidTransactionTimeout
        )
        #expect(
            await coordinator.initProducerID(transactionalID: "tx", timeoutMs: 60_001).errorCode
                == .invalidTransactionTimeout
        )
        #expect(await coordinator.initProducerID(transactionalID: "tx", timeoutMs: 5000).errorCode == .notCoordinator)
        await coordinator.beginLoading(partition: coordinator.partition(for: "tx"), coordinatorEpoch: 1)
        #expect(
            await coordinator.initProducerID(transactionalID: "tx", timeoutMs: 5000).errorCode
                == .coordinatorLoadInProgress
        )
        #expect(world.written.withLock { $0.isEmpty })
    }

    @Test func aCommitGoesThroughPrepareMarkersAndComplete() async {
        let world = World()
        let coordinator = await world.loaded()
        let producer = await coordinator.initProducerID(transactionalID: "tx", timeoutMs: 5000)
        let partitions: Set = [TopicPartition("t", 0), TopicPartition("t", 1)]
        let started = world.clock.milliseconds
        #expect(
            await coordinator.addPartitions(
                transactionalID: "tx",
                producerID: producer.producerID,
                producerEpoch: producer.producerEpoch,
                partitions: partitions
            ) == .none
        )
        #expect(world.last?.state == .ongoing)
        #expect(world.last?.partitions == [TransactionTopicPartitions("t", [0, 1])])
        #expect(world.last?.startTimestampMs == started)
        // Partitions already in the transaction: nothing written.
        #expect(
            await coordinator.addPartitions(
                transactionalID: "tx",
                producerID: producer.producerID,
                producerEpoch: producer.producerEpoch,
                partitions: [TopicPartition("t", 1)]
            ) == .none
        )
        #expect(world.states == [.empty, .ongoing])
        world.clock.advance(by: 10)
        #expect(
            await coordinator.endTransaction(
                transactionalID: "tx",
                producerID: producer.producerID,
                producerEpoch: producer.producerEpoch,
                commit: true
            ) == .none
        )
        #expect(await World.eventually { world.states == [.empty, .ongoing, .prepareCommit, .completeCommit] })
        #expect(
            world.markers.withLock { $0 }
                == [
                    .init(
                        transactionalID: "tx",
                        producerID: 1000,
                        producerEpoch: 0,
                        commit: true,
                        coordinatorEpoch: 7,
                        partitions: partitions
                    )
                ]
        )
        #expect(world.last?.partitions == [])
        // A retried commit is answered NONE; an abort now is INVALID_TXN_STATE.
        #expect(
            await coordinator.endTransaction(transactionalID: "tx", producerID: 1000, producerEpoch: 0, commit: true)
                == .none
        )
        #expect(
            await coordinator.endTransaction(transactionalID: "tx", producerID: 1000, producerEpoch: 0, commit: false)
                == .invalidTxnState
        )
    }

    @Test func producerChecksComeInKafkasOrder() async {
        let world = World()
        let coordinator = await world.loaded()
        let producer = await coordinator.initProducerID(transactionalID: "tx", timeoutMs: 5000)
        let partition: Set = [TopicPartition("t", 0)]
        #expect(
            await coordinator.addPartitions(
                transactionalID: "unknown",
                producerID: producer.producerID,
                producerEpoch: 0,
                partitions: partition
            ) == .invalidProducerIDMapping
        )
        #expect(
            await coordinator.addPartitions(
                transactionalID: "tx",
                producerID: 5,
                producerEpoch: 0,
                partitions: partition
            )
                == .invalidProducerIDMapping
        )
        #expect(
            await coordinator.addPartitions(
                transactionalID: "tx",
                producerID: producer.producerID,
                producerEpoch: 3,
                partitions: partition
            ) == .producerFenced
        )
        #expect(
            await coordinator.endTransaction(
                transactionalID: "tx",
                producerID: producer.producerID,
                producerEpoch: 0,
                commit: true
            ) == .invalidTxnState
        )
    }

    @Test func aNewInstanceFencesAndAbortsTheOpenTransaction() async {
        let world = World()
        let coordinator = await world.loaded()
        let old = await coordinator.initProducerID(transactionalID: "tx", timeoutMs: 5000)
        _ = await coordinator.addPartitions(
            transactionalID: "tx",
            producerID: old.producerID,
            producerEpoch: old.producerEpoch,
            partitions: [TopicPartition("t", 0)]
        )
        #expect(
            await coordinator.initProducerID(transactionalID: "tx", timeoutMs: 5000).errorCode
                == .concurrentTransactions
        )
        #expect(await World.eventually { world.states.last == .completeAbort })
        #expect(world.written.withLock { $0[2].value?.state == .prepareAbort && $0[2].value?.producerEpoch == 1 })
        #expect(world.markers.withLock { $0.map(\.producerEpoch) == [1] && $0.map(\.commit) == [false] })
        // The retry gets the epoch after the fencing one; the old instance is fenced.
        #expect(
            await coordinator.initProducerID(transactionalID: "tx", timeoutMs: 5000)
                == .init(errorCode: .none, producerID: old.producerID, producerEpoch: 2)
        )
        #expect(
            await coordinator.endTransaction(
                transactionalID: "tx",
                producerID: old.producerID,
                producerEpoch: old.producerEpoch,
                commit: true
            ) == .producerFenced
        )
    }

    @Test func requestsWhileMarkersAreOutAreConcurrent() async {
        let world = World()
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
                commit: false
            ) == .none
        )
        #expect(
            await coordinator.addPartitions(
                transactionalID: "tx",
                producerID: producer.producerID,
                producerEpoch: producer.producerEpoch,
                partitions: [TopicPartition("t", 1)]
            ) == .concurrentTransactions
        )
        #expect(
            await coordinator.initProducerID(transactionalID: "tx", timeoutMs: 5000).errorCode
                == .concurrentTransactions
        )
        #expect(
            await coordinator.endTransaction(
                transactionalID: "tx",
                producerID: producer.producerID,
                producerEpoch: producer.producerEpoch,
                commit: false
            ) == .concurrentTransactions
        )
        world.holdMarkers.withLock { $0 = false }
        #expect(await World.eventually { world.states.last == .completeAbort })
    }

    @Test func aTransactionPastItsTimeoutIsAbortedWithABumpedEpoch() async {
        let world = World()
        let coordinator = await world.loaded()
        let producer = await coordinator.initProducerID(transactionalID: "slow", timeoutMs: 1000)
        _ = await coordinator.addPartitions(
            transactionalID: "slow",
            producerID: producer.producerID,
            producerEpoch: producer.producerEpoch,
            partitions: [TopicPartition("t", 0)]
        )
        world.clock.advance(by: 1000)
        #expect(await coordinator.abortTimedOutTransactions() == [])
        world.clock.advance(by: 1)
        #expect(await coordinator.abortTimedOutTransactions() == ["slow"])
        #expect(await World.eventually { world.states.last == .completeAbort })
        #expect(world.markers.withLock { $0.map(\.producerEpoch) } == [1])
    }

    @Test func aNewCoordinatorCompletesPreparedTransactionsItLoads() async {
        let world = World()
        let coordinator = world.coordinator()
        let id = "tx"
        let partition = coordinator.partition(for: id)
        func record(_ state: TransactionState, epoch: Int16) -> (key: ByteBuffer, value: ByteBuffer?) {
            let value = TransactionLogValue(
                producerID: 42,
                producerEpoch: epoch,
                transactionTimeoutMs: 5000,
                state: state,
                partitions: state == .empty ? nil : [TransactionTopicPartitions("t", [3])],
                lastUpdateTimestampMs: 1,
                startTimestampMs: state == .empty ? -1 : 1
            )
            return (
                ByteBuffer(bytes: TransactionLogRecords.key(id)), ByteBuffer(bytes: TransactionLogRecords.value(value))
            )
        }
        await coordinator.beginLoading(partition: partition, coordinatorEpoch: 9)
        let gone = (ByteBuffer(bytes: TransactionLogRecords.key("gone")), ByteBuffer?.none)
        await coordinator.completeLoading(
            partition: partition,
            coordinatorEpoch: 9,
            records: [record(.empty, epoch: 4), record(.ongoing, epoch: 4), record(.prepareCommit, epoch: 4), gone]
        )
        #expect(await World.eventually { world.states == [.completeCommit] })
        #expect(
            world.markers.withLock { $0 }
                == [
                    .init(
                        transactionalID: id,
                        producerID: 42,
                        producerEpoch: 4,
                        commit: true,
                        coordinatorEpoch: 9,
                        partitions: [TopicPartition("t", 3)]
                    )
                ]
        )
        #expect(
            await coordinator.initProducerID(transactionalID: id, timeoutMs: 5000)
                == .init(errorCode: .none, producerID: 42, producerEpoch: 5)
        )
    }

    @Test func kip360RetriesAndExpectedProducers() async {
        let world = World()
        let coordinator = await world.loaded()
        let first = await coordinator.initProducerID(transactionalID: "tx", timeoutMs: 5000)
        let bumped = await coordinator.initProducerID(
            transactionalID: "tx",
            timeoutMs: 5000,
            expectedProducerID: first.producerID,
            expectedEpoch: first.producerEpoch
        )
        #expect(bumped == .init(errorCode: .none, producerID: first.producerID, producerEpoch: 1))
        // The same request again (its answer lost): the current epoch, nothing written.
        let writes = world.written.withLock { $0.count }
        let retried = await coordinator.initProducerID(
            transactionalID: "tx",
            timeoutMs: 5000,
            expectedProducerID: first.producerID,
            expectedEpoch: first.producerEpoch
        )
        #expect(retried == bumped)
        #expect(world.written.withLock { $0.count } == writes)
        #expect(
            await coordinator.initProducerID(
                transactionalID: "tx",
                timeoutMs: 5000,
                expectedProducerID: 99,
                expectedEpoch: 0
            ).errorCode == .producerFenced
        )
    }

    @Test func aFailedWriteChangesNothingAndAMovedCoordinatorAnswersNotCoordinator() async {
        let world = World()
        let coordinator = await world.loaded()
        world.appendError.withLock { $0 = .coordinatorNotAvailable }
        #expect(
            await coordinator.initProducerID(transactionalID: "tx", timeoutMs: 5000).errorCode
                == .coordinatorNotAvailable
        )
        world.appendError.withLock { $0 = .none }
        #expect(await coordinator.initProducerID(transactionalID: "tx", timeoutMs: 5000).producerEpoch == 0)
        await coordinator.resign(partition: coordinator.partition(for: "tx"))
        #expect(await coordinator.initProducerID(transactionalID: "tx", timeoutMs: 5000).errorCode == .notCoordinator)
    }

    @Test func idleIDsExpireWithATombstone() async {
        let world = World()
        let coordinator = await world.loaded()
        _ = await coordinator.initProducerID(transactionalID: "idle", timeoutMs: 5000)
        world.clock.advance(by: 99_999)
        #expect(await coordinator.removeExpiredTransactionalIDs() == [])
        world.clock.advance(by: 1)
        #expect(await coordinator.removeExpiredTransactionalIDs() == ["idle"])
        #expect(world.written.withLock { $0.last?.id == "idle" && $0.last?.value == nil })
        #expect(await coordinator.transactions.isEmpty)
    }

    @Test func endTxnAnswersOnceTheTransactionIsCompletedOrAfterTheWait() async {
        let world = World()
        let coordinator = await world.loaded()
        let producer = await coordinator.initProducerID(transactionalID: "tx", timeoutMs: 5000)
        func transaction(commit: Bool) async -> KafkaErrorCode {
            _ = await coordinator.addPartitions(
                transactionalID: "tx",
                producerID: producer.producerID,
                producerEpoch: producer.producerEpoch,
                partitions: [TopicPartition("t", 0)]
            )
            return await coordinator.endTransaction(
                transactionalID: "tx",
                producerID: producer.producerID,
                producerEpoch: producer.producerEpoch,
                commit: commit
            )
        }
        // Markers delivered: the answer comes after CompleteCommit, so the next transaction may begin at once.
        #expect(await transaction(commit: true) == .none)
        #expect(world.states.last == .completeCommit)
        // Markers held: the answer comes after the wait (50 ms here), the transaction still prepared.
        world.holdMarkers.withLock { $0 = true }
        let started = ContinuousClock.now
        #expect(await transaction(commit: false) == .none)
        #expect(ContinuousClock.now - started >= .milliseconds(50))
        #expect(world.states.last == .prepareAbort)
        world.holdMarkers.withLock { $0 = false }
        #expect(await World.eventually { world.states.last == .completeAbort })
    }
}
