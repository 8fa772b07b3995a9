public import KafkaCore
import KafkaProtocol

/// Positions and offsets: where each partition starts (committed offset, else `auto.offset.reset`), seeks, the
/// ListOffsets lookups (`offsetsForTimes`, beginning and end offsets) and commits.
extension KafkaConsumer {
    // MARK: Positions

    /// Gives every assigned partition without a position one: the group's committed offset, else the reset
    /// strategy's (ListOffsets to the leader).
    func updatePositions(deadline: ContinuousClock.Instant) async throws {
        let missing = assignment.filter { $0.value.position == nil }
        guard !missing.isEmpty else { return }
        var toReset = missing.filter { $0.value.reset != nil }.mapValues { $0.reset! }
        let lookUp = missing.keys.filter { missing[$0]?.reset == nil }
        if !lookUp.isEmpty {
            let committed = try await coordinator?.committed(lookUp, deadline: deadline) ?? [:]
            for partition in lookUp {
                guard assignment[partition]?.position == nil else { continue }
                if let offset = committed[partition] {
                    assignment[partition]?.position = offset.offset
                } else {
                    toReset[partition] = configuration.autoOffsetReset
                }
            }
        }
        guard !toReset.isEmpty else { return }
        if let partition = toReset.first(where: { $0.value == .none })?.key { throw ConsumerError.noOffset(partition) }
        let found = try await listOffsets(
            toReset.mapValues { $0 == .earliest ? ListOffsetsTimestamp.earliest : ListOffsetsTimestamp.latest },
            deadline: deadline
        )
        for (partition, offset) in found where assignment[partition]?.position == nil {
            assignment[partition]?.position = offset?.offset
            assignment[partition]?.reset = nil
        }
    }

    /// The offset of the next record `poll` returns from `partition` (looked up first when not known yet).
    public func position(_ partition: TopicPartition) async throws(ConsumerError) -> Offset {
        guard assignment[partition] != nil else { throw .illegalState("\(partition) is not assigned") }
        do {
            try await updatePositions(deadline: apiDeadline)
        } catch let error as ConsumerError {
            throw error
        } catch {
            throw .broker(.unknownServerError, "\(error)")
        }
        guard let position = assignment[partition]?.position else { throw .timedOut("the position of \(partition)") }
        return position
    }

    /// The next poll returns `partition`'s records from `offset`.
    public func seek(_ partition: TopicPartition, to offset: Offset) throws(ConsumerError) {
        guard assignment[partition] != nil else { throw .illegalState("\(partition) is not assigned") }
        assignment[partition]?.position = offset
        assignment[partition]?.reset = nil
        forgetFetched(partition)
        wakeup.signal()
    }

    public func seekToBeginning(_ partitions: [TopicPartition]) throws(ConsumerError) {
        try seek(partitions, reset: .earliest)
    }

    public func seekToEnd(_ partitions: [TopicPartition]) throws(ConsumerError) {
        try seek(partitions, reset: .latest)
    }

    private func seek(_ partitions: [TopicPartition], reset: OffsetResetStrategy) throws(ConsumerError) {
        for partition in partitions {
            guard assignment[partition] != nil else { throw .illegalState("\(partition) is not assigned") }
            assignment[partition]?.position = nil
            assignment[partition]?.reset = reset
            forgetFetched(partition)
        }
        wakeup.signal()
    }

    /// The assigned partitions' lag: the high watermark of the last fetch minus the position (nil until fetched).
    public func lag(_ partition: TopicPartition) -> Int64? {
        guard let state = assignment[partition], let position = state.position, state.highWatermark >= 0 else {
            return nil
        }
        return max(0, state.highWatermark - position)
    }

    // MARK: ListOffsets

    /// ListOffsets' special timestamps.
    enum ListOffsetsTimestamp {
        static let latest: Int64 = -1
        static let earliest: Int64 = -2
    }

    /// For each partition, the first offset whose timestamp is at or after the given one (nil: none is).
    public func offsetsForTimes(
        _ timestamps: [TopicPartition: Int64]
    ) async throws(ConsumerError) -> [TopicPartition: OffsetAndTimestamp?] {
        do {
            return try await listOffsets(timestamps, deadline: apiDeadline)
        } catch let error as ConsumerError {
            throw error
        } catch {
            throw .broker(.unknownServerError, "\(error)")
        }
    }

    /// The first offset of each partition (its log start).
    public func beginningOffsets(_ partitions: [TopicPartition]) async throws(ConsumerError) -> [TopicPartition: Offset]
    {
        try await offsetsForTimes(
            Dictionary(uniqueKeysWithValues: partitions.map { ($0, ListOffsetsTimestamp.earliest) })
        )
        .compactMapValues { $0?.offset }
    }

    /// The end offset of each partition (its high watermark; the last stable offset under read_committed).
    public func endOffsets(_ partitions: [TopicPartition]) async throws(ConsumerError) -> [TopicPartition: Offset] {
        try await offsetsForTimes(
            Dictionary(uniqueKeysWithValues: partitions.map { ($0, ListOffsetsTimestamp.latest) })
        )
        .compactMapValues { $0?.offset }
    }

    /// ListOffsets to each partition's leader, retrying (with fresh metadata) while leaders move, until `deadline`.
    func listOffsets(
        _ timestamps: [TopicPartition: Int64],
        deadline: ContinuousClock.Instant
    ) async throws -> [TopicPartition: OffsetAndTimestamp?] {
        var result: [TopicPartition: OffsetAndTimestamp?] = [:]
        var remaining = timestamps
        let backoff = Duration.milliseconds(configuration.client.retryBackoffMs)
        while !remaining.isEmpty {
            var metadata = await cluster.metadata
            if remaining.keys.contains(where: { metadata.leader(of: $0) == nil }) {
                metadata =
                    (try? await cluster.refreshMetadata(topics: Set(remaining.keys.map(\.topic)).sorted()))
                    ?? metadata
            }
            var byLeader: [BrokerID: [TopicPartition]] = [:]
            for partition in remaining.keys {
                if let leader = metadata.leader(of: partition) { byLeader[leader.id, default: []].append(partition) }
            }
            for (leader, partitions) in byLeader {
                var request = ListOffsetsRequest()
                request.replicaID = -1
                request.isolationLevel = configuration.isolationLevel.rawValue
                request.topics = Dictionary(grouping: partitions, by: \.topic).map { topic, entries in
                    .init(
                        name: topic,
                        partitions: entries.map { .init(partitionIndex: $0.partition, timestamp: remaining[$0]!) }
                    )
                }
                guard let response = try? await cluster.send(request, toBroker: leader) else { continue }
                for topic in response.topics {
                    for answer in topic.partitions {
                        let partition = TopicPartition(topic.name, answer.partitionIndex)
                        switch answer.errorCode {
                        case .none:
                            result[partition] =
                                answer.offset >= 0
                                ? OffsetAndTimestamp(offset: answer.offset, timestamp: answer.timestamp) : nil
                            remaining[partition] = nil
                        case let code where code.isRetriable: continue
                        case let code: throw ConsumerError.broker(code, "ListOffsets of \(partition)")
                        }
                    }
                }
            }
            guard !remaining.isEmpty else { break }
            for topic in Set(remaining.keys.map(\.topic)) { await cluster.invalidate(topic) }
            guard ContinuousClock.now + backoff < deadline else {
                throw ConsumerError.timedOut("the offsets of \(remaining.keys.sorted())")
            }
            try await Task.sleep(for: backoff)
            _ = try? await cluster.refreshMetadata(topics: Set(remaining.keys.map(\.topic)).sorted())
        }
        return result
    }

    // MARK: Commits

    /// The positions of the assigned partitions, as offsets to commit.
    func consumedOffsets() -> [TopicPartition: OffsetAndMetadata] {
        assignment.compactMapValues { $0.position.map { OffsetAndMetadata(offset: $0) } }
    }

    /// Commits `offsets` (nil: every assigned partition's position) and waits for the coordinator's answer.
    public func commitSync(_ offsets: [TopicPartition: OffsetAndMetadata]? = nil) async throws(ConsumerError) {
        try checkOpen()
        guard let coordinator else { throw .illegalState("committing needs a group.id") }
        do {
            try await coordinator.commit(offsets ?? consumedOffsets(), deadline: apiDeadline)
        } catch let error as ConsumerError {
            throw error
        } catch {
            throw .broker(.unknownServerError, "\(error)")
        }
    }

    /// Commits in the background; `completion`, when given, is told the outcome.
    public func commitAsync(
        _ offsets: [TopicPartition: OffsetAndMetadata]? = nil,
        completion: (@Sendable (ConsumerError?) -> Void)? = nil
    ) {
        let offsets = offsets ?? consumedOffsets()
        Task {
            do throws(ConsumerError) {
                try await self.commitSync(offsets)
                completion?(nil)
            } catch {
                completion?(error)
            }
        }
    }

    /// The group's committed offsets of `partitions` (absent: none committed).
    public func committed(
        _ partitions: [TopicPartition]
    ) async throws(ConsumerError) -> [TopicPartition: OffsetAndMetadata] {
        guard let coordinator else { throw .illegalState("committed offsets need a group.id") }
        do {
            return try await coordinator.committed(partitions, deadline: apiDeadline)
        } catch let error as ConsumerError {
            throw error
        } catch {
            throw .broker(.unknownServerError, "\(error)")
        }
    }

    /// Auto-commit: every `auto.commit.interval.ms`, the positions are committed in the background.
    func maybeAutoCommit() {
        guard configuration.enableAutoCommit, coordinator != nil, ContinuousClock.now >= nextAutoCommit else { return }
        nextAutoCommit = .now + .milliseconds(configuration.autoCommitIntervalMs)
        let offsets = consumedOffsets()
        guard !offsets.isEmpty else { return }
        commitAsync(offsets) { [logger] error in
            if let error { logger.debug("Auto-commit failed", metadata: ["error": "\(error)"]) }
        }
    }
}
