public import KafkaCore

/// The coordinator's answers to producers, in Kafka 2.8's order of checks (reference/transactions.md §3):
/// InitProducerId (a new or bumped epoch, fencing an open transaction), AddPartitionsToTxn (and AddOffsetsToTxn,
/// which adds one `__consumer_offsets` partition) and EndTxn. PRODUCER_FENCED is returned as such; handlers rewrite
/// it for older request versions.
extension TransactionCoordinator {
    /// What InitProducerId answers: an error, or the producer id and epoch.
    public struct ProducerIdentity: Sendable, Equatable {
        public var errorCode: KafkaErrorCode
        public var producerID: ProducerID
        public var producerEpoch: ProducerEpoch

        public init(errorCode: KafkaErrorCode, producerID: ProducerID, producerEpoch: ProducerEpoch) {
            self.errorCode = errorCode
            self.producerID = producerID
            self.producerEpoch = producerEpoch
        }

        static func failure(_ code: KafkaErrorCode) -> ProducerIdentity {
            ProducerIdentity(errorCode: code, producerID: -1, producerEpoch: -1)
        }
    }

    /// InitProducerId with a transactional id. `expectedProducerID`/`expectedEpoch` (v3+, -1 when absent) name the
    /// producer the client had (KIP-360).
    public func initProducerID(
        transactionalID: String,
        timeoutMs: Int32,
        expectedProducerID: ProducerID = -1,
        expectedEpoch: ProducerEpoch = -1
    ) async -> ProducerIdentity {
        guard !transactionalID.isEmpty else { return .failure(.invalidRequest) }
        guard timeoutMs > 0, timeoutMs <= configuration.maxTimeoutMs else {
            return .failure(.invalidTransactionTimeout)
        }
        if let error = coordinatorError(transactionalID) { return .failure(error) }
        if metadata(transactionalID) == nil {
            let producerID: ProducerID
            do {
                producerID = try await nextProducerID()
            } catch {
                logger.error("Cannot allocate a producer id: \(error)")
                return .failure(.coordinatorNotAvailable)
            }
            if let error = coordinatorError(transactionalID) { return .failure(error) }
            if metadata(transactionalID) == nil {
                setMetadata(
                    TransactionMetadata(
                        transactionalID: transactionalID,
                        producerID: producerID,
                        producerEpoch: -1,
                        timeoutMs: timeoutMs,
                        state: .empty,
                        lastUpdateTimestampMs: clock.milliseconds
                    )
                )
            }
        }
        guard let current = metadata(transactionalID) else { return .failure(.notCoordinator) }
        guard current.pendingState == nil else { return .failure(.concurrentTransactions) }
        if expectedProducerID >= 0 && !current.acceptsExpectedProducer(expectedProducerID, epoch: expectedEpoch) {
            return .failure(.producerFenced)
        }
        switch current.state {
        case .prepareCommit, .prepareAbort:
            return .failure(.concurrentTransactions)
        case .ongoing:
            // A new instance of the producer: the open transaction is aborted with a bumped epoch (fencing the old
            // instance); the client retries and then gets the next epoch.
            await abortWithBumpedEpoch(current)
            return .failure(.concurrentTransactions)
        case .empty, .completeCommit, .completeAbort, .dead, .prepareEpochFence:
            var target = current
            if current.producerEpoch >= TransactionMetadata.maxEpoch {
                // Kafka's rotation: a new producer id once the epoch is exhausted.
                do {
                    target.producerID = try await nextProducerID()
                } catch {
                    logger.error("Cannot allocate a producer id: \(error)")
                    return .failure(.coordinatorNotAvailable)
                }
                target.lastProducerID = current.producerID
                target.producerEpoch = 0
                target.lastProducerEpoch = current.producerEpoch
            } else if expectedEpoch < 0 || current.producerEpoch == -1 || expectedEpoch == current.producerEpoch {
                target.producerEpoch = current.producerEpoch + 1
                target.lastProducerEpoch = expectedEpoch < 0 ? -1 : current.producerEpoch
            } else if expectedEpoch == current.lastProducerEpoch {
                // A retry whose answer was lost: the current epoch again, no bump.
                return ProducerIdentity(
                    errorCode: .none,
                    producerID: current.producerID,
                    producerEpoch: current.producerEpoch
                )
            } else {
                return .failure(.producerFenced)
            }
            target.timeoutMs = timeoutMs
            target.state = .empty
            target.partitions = []
            target.startTimestampMs = -1
            target.lastUpdateTimestampMs = clock.milliseconds
            let error = await transition(to: target)
            guard error == .none else { return .failure(error) }
            return ProducerIdentity(
                errorCode: .none,
                producerID: target.producerID,
                producerEpoch: target.producerEpoch
            )
        }
    }

    /// The checks AddPartitionsToTxn, AddOffsetsToTxn and EndTxn share; nil when the producer may go on.
    private func producerError(
        _ transactionalID: String,
        _ producerID: ProducerID,
        _ epoch: ProducerEpoch
    )
        -> KafkaErrorCode?
    {
        guard !transactionalID.isEmpty else { return .invalidRequest }
        if let error = coordinatorError(transactionalID) { return error }
        guard let current = metadata(transactionalID), current.producerID == producerID else {
            return .invalidProducerIDMapping
        }
        guard current.producerEpoch == epoch else { return .producerFenced }
        guard current.pendingState == nil else { return .concurrentTransactions }
        return nil
    }

    /// AddPartitionsToTxn (and AddOffsetsToTxn): the partitions join the producer's transaction, opening it.
    public func addPartitions(
        transactionalID: String,
        producerID: ProducerID,
        producerEpoch: ProducerEpoch,
        partitions added: Set<TopicPartition>
    ) async -> KafkaErrorCode {
        if let error = producerError(transactionalID, producerID, producerEpoch) { return error }
        guard let current = metadata(transactionalID) else { return .invalidProducerIDMapping }
        switch current.state {
        case .prepareCommit, .prepareAbort, .prepareEpochFence:
            return .concurrentTransactions
        case .ongoing where added.isSubset(of: current.partitions):
            return .none
        default:
            var target = current
            if current.state != .ongoing { target.startTimestampMs = clock.milliseconds }
            target.state = .ongoing
            target.partitions.formUnion(added)
            target.lastUpdateTimestampMs = clock.milliseconds
            return await transition(to: target)
        }
    }

    /// EndTxn: commit or abort the producer's transaction: PrepareCommit/PrepareAbort written, then the markers and
    /// the completed state, for which the answer waits a bounded time (`waitForCompletion`).
    public func endTransaction(
        transactionalID: String,
        producerID: ProducerID,
        producerEpoch: ProducerEpoch,
        commit: Bool
    ) async -> KafkaErrorCode {
        if let error = producerError(transactionalID, producerID, producerEpoch) { return error }
        guard let current = metadata(transactionalID) else { return .invalidProducerIDMapping }
        switch (current.state, commit) {
        case (.ongoing, _):
            let error = await prepare(current, commit: commit)
            if error == .none { await RequestWaitClock.parked { await waitForCompletion(of: transactionalID) } }
            return error
        case (.completeCommit, true), (.completeAbort, false):
            return .none  // a retry of an EndTxn that completed
        case (.prepareCommit, true), (.prepareAbort, false):
            return .concurrentTransactions
        default:
            return .invalidTxnState
        }
    }

    /// Writes PrepareCommit/PrepareAbort for an Ongoing transaction, then sends its markers in the background.
    func prepare(_ current: TransactionMetadata, commit: Bool) async -> KafkaErrorCode {
        var target = current
        target.state = commit ? .prepareCommit : .prepareAbort
        target.lastUpdateTimestampMs = clock.milliseconds
        let error = await transition(to: target)
        guard error == .none, let epoch = partitions[partition(for: current.transactionalID)]?.coordinatorEpoch,
            let prepared = metadata(current.transactionalID)
        else { return error }
        completeInBackground(prepared, coordinatorEpoch: epoch)
        return .none
    }

    /// Fences the producer of an Ongoing transaction (its epoch + 1) and aborts the transaction with the new epoch
    /// (a new producer instance, or the transaction's timeout).
    func abortWithBumpedEpoch(_ current: TransactionMetadata) async {
        var fenced = current
        if fenced.producerEpoch < TransactionMetadata.maxEpoch + 1 { fenced.producerEpoch += 1 }
        fenced.lastProducerEpoch = -1
        _ = await prepare(fenced, commit: false)
    }
}
