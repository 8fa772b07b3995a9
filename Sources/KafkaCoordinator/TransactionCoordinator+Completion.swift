import KafkaCore

/// How a prepared transaction ends, and the coordinator's periodic duties: markers sent to every partition of a
/// transaction in PrepareCommit/PrepareAbort, then CompleteCommit/CompleteAbort written (partitions cleared);
/// transactions open longer than their timeout aborted with a bumped epoch (Kafka's
/// `transaction.abort.timed.out.transaction.cleanup.interval.ms` task); ids idle past `transactional.id.expiration.ms`
/// removed with a tombstone (Kafka's `transaction.remove.expired.transaction.cleanup.interval.ms` task).
extension TransactionCoordinator {
    /// Sends the markers of `prepared` and completes it, in a task of its own.
    func completeInBackground(_ prepared: TransactionMetadata, coordinatorEpoch: Int32) {
        let markers = Markers(
            transactionalID: prepared.transactionalID,
            producerID: prepared.producerID,
            producerEpoch: prepared.producerEpoch,
            commit: prepared.state == .prepareCommit,
            coordinatorEpoch: coordinatorEpoch,
            partitions: prepared.partitions
        )
        let send = sendMarkers
        let partition = partition(for: prepared.transactionalID)
        Task {
            let sent = await send(markers) {
                await self.isCoordinator(partition: partition, coordinatorEpoch: coordinatorEpoch)
            }
            if sent { await self.complete(markers) }
            await self.releaseCompletionWaiters(markers.transactionalID)
        }
    }

    /// Waits until the prepared transaction of `transactionalID` is completed (its markers written and
    /// CompleteCommit/CompleteAbort logged), its sending stopped, or `completionWaitMs` passed. Kafka 2.8 answers
    /// EndTxn as soon as the Prepare state is written; its producer's next AddPartitionsToTxn then meets
    /// CONCURRENT_TRANSACTIONS until the markers are done and retries after a backoff (librdkafka's and Java's
    /// about 20 ms), which costs back-to-back transactions far more than the few milliseconds the markers take
    /// with three replicas. Answering after the completion (as Redpanda does) gives the client the same outcome,
    /// later by those milliseconds; a marker that cannot be written (a leader missing) holds the answer at most
    /// `completionWaitMs`, after which the client meets CONCURRENT_TRANSACTIONS as with Kafka.
    func waitForCompletion(of transactionalID: String) async {
        guard let current = metadata(transactionalID), current.state == .prepareCommit || current.state == .prepareAbort
        else { return }
        let number = nextCompletionWaiter
        nextCompletionWaiter += 1
        let timeout = Task {
            guard (try? await Task.sleep(for: .milliseconds(configuration.completionWaitMs))) != nil else { return }
            self.releaseCompletionWaiter(transactionalID, number)
        }
        await withCheckedContinuation { continuation in
            completionWaiters[transactionalID, default: [:]][number] = continuation
        }
        timeout.cancel()
    }

    func releaseCompletionWaiter(_ transactionalID: String, _ number: Int) {
        completionWaiters[transactionalID]?.removeValue(forKey: number)?.resume()
        if completionWaiters[transactionalID]?.isEmpty == true {
            completionWaiters.removeValue(forKey: transactionalID)
        }
    }

    func releaseCompletionWaiters(_ transactionalID: String) {
        guard let waiters = completionWaiters.removeValue(forKey: transactionalID) else { return }
        for waiter in waiters.values { waiter.resume() }
    }

    /// Writes CompleteCommit/CompleteAbort once every marker is written (retried while the write fails and this
    /// broker still coordinates the id at the same epoch).
    func complete(_ markers: Markers) async {
        let partition = partition(for: markers.transactionalID)
        var retrying = false
        defer { if retrying { completionsRetryingAppend -= 1 } }
        while isCoordinator(partition: partition, coordinatorEpoch: markers.coordinatorEpoch) {
            guard let current = metadata(markers.transactionalID), current.producerID == markers.producerID,
                current.producerEpoch == markers.producerEpoch,
                current.state == (markers.commit ? .prepareCommit : .prepareAbort)
            else { return }
            if current.pendingState != nil {
                try? await Task.sleep(for: .milliseconds(20))
                continue
            }
            var target = current
            target.state = markers.commit ? .completeCommit : .completeAbort
            target.partitions = []
            target.lastUpdateTimestampMs = clock.milliseconds
            let error = await transition(to: target)
            if error == .none || error == .notCoordinator { return }
            if !retrying {
                retrying = true
                completionsRetryingAppend += 1
            }
            try? await Task.sleep(for: .milliseconds(100))
        }
    }

    /// Aborts every Ongoing transaction open longer than its timeout; returns their ids.
    @discardableResult
    public func abortTimedOutTransactions() async -> [String] {
        let now = clock.milliseconds
        let expired = partitions.values.filter { !$0.isLoading }.flatMap(\.transactions.values).filter {
            $0.state == .ongoing && $0.pendingState == nil && $0.startTimestampMs + Int64($0.timeoutMs) < now
        }
        for metadata in expired {
            logger.info(
                "Aborting a transaction open longer than its timeout",
                metadata: [
                    "transactionalId": "\(metadata.transactionalID)", "timeoutMs": "\(metadata.timeoutMs)",
                    "producerId": "\(metadata.producerID)",
                ]
            )
            await abortWithBumpedEpoch(metadata)
        }
        return expired.map(\.transactionalID).sorted()
    }

    /// Removes the ids with no transaction whose last update is older than `transactional.id.expiration.ms`.
    @discardableResult
    public func removeExpiredTransactionalIDs() async -> [String] {
        let now = clock.milliseconds
        let expired = partitions.values.filter { !$0.isLoading }.flatMap(\.transactions.values).filter {
            [.empty, .completeCommit, .completeAbort].contains($0.state) && $0.pendingState == nil
                && $0.lastUpdateTimestampMs <= now - configuration.idExpirationMs
        }
        var removed: [String] = []
        for metadata in expired {
            var target = metadata
            target.state = .dead
            if await transition(to: target) == .none { removed.append(metadata.transactionalID) }
        }
        return removed.sorted()
    }
}
