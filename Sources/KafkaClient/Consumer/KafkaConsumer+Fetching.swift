import KafkaCore
import KafkaProtocol
import NIOCore

/// Fetching: one Fetch in flight per leader, for the partitions that have a position, are not paused and have less
/// than `max.partition.fetch.bytes` buffered; a partition's fetch starts where its buffered records end, so the next
/// records are on their way while the application works on these (prefetching). Answers become `CompletedFetch`es
/// that `poll` drains in order.
extension KafkaConsumer {
    /// Sends a Fetch to every leader that has none in flight and has partitions to fetch.
    func sendFetches() async {
        if metadataStale { await refreshMetadata() }
        let metadata = await cluster.metadata
        var buffered: [TopicPartition: Int] = [:]
        for fetch in completedFetches { buffered[fetch.partition, default: 0] += fetch.remainingBytes }
        let limit = Int(configuration.maxPartitionFetchBytes)
        var byLeader: [BrokerID: [(TopicPartition, Offset, LeaderEpoch)]] = [:]
        for (partition, state) in assignment {
            guard let position = state.position, !state.paused, buffered[partition, default: 0] < limit else {
                continue
            }
            guard let leader = metadata.leader(of: partition) else {
                metadataStale = true
                continue
            }
            guard !fetchesInFlight.contains(leader.id) else { continue }
            // The leader epoch the metadata names: a broker that is no longer (or not yet) leader in it answers
            // FENCED_LEADER_EPOCH / UNKNOWN_LEADER_EPOCH, and the metadata is asked again.
            let epoch = metadata.topics[partition.topic]?.partitions[partition.partition]?.leaderEpoch ?? -1
            byLeader[leader.id, default: []].append((partition, state.fetchOffset ?? position, epoch))
        }
        for (leader, partitions) in byLeader {
            guard let address = metadata.brokers[leader] else { continue }
            fetchesInFlight.insert(leader)
            // While records wait to be returned, the broker need not hold the fetch for more (fetch.max.wait.ms):
            // partitions with nothing new would otherwise delay the next fetch of those that have more.
            let busy = !completedFetches.isEmpty
            let request = fetchRequest(partitions, maxWait: busy ? 0 : configuration.fetchMaxWaitMs)
            let offsets = Dictionary(uniqueKeysWithValues: partitions.map { ($0.0, $0.1) })
            let sentAt = ContinuousClock.now
            Task {
                do {
                    let response = try await cluster.send(request, to: address)
                    metrics.fetchLatency.recordNanoseconds(Sender.nanoseconds(ContinuousClock.now - sentAt))
                    await self.fetched(response, from: leader, offsets: offsets)
                } catch {
                    await self.fetchFailed(from: leader, error: error)
                }
            }
        }
    }

    /// A seek or reset: what was fetched for `partition` is of no use.
    func forgetFetched(_ partition: TopicPartition) {
        assignment[partition]?.fetchOffset = nil
        completedFetches.removeAll { $0.partition == partition }
    }

    private func fetchRequest(
        _ partitions: [(TopicPartition, Offset, LeaderEpoch)],
        maxWait: Int32
    ) -> FetchRequest {
        var request = FetchRequest()
        request.replicaID = -1
        request.maxWaitMs = maxWait
        request.minBytes = configuration.fetchMinBytes
        request.maxBytes = configuration.fetchMaxBytes
        request.isolationLevel = configuration.isolationLevel.rawValue
        request.sessionID = 0
        request.sessionEpoch = -1
        request.rackID = configuration.clientRack
        request.topics = Dictionary(grouping: partitions, by: \.0.topic).map { topic, entries in
            .init(
                topic: topic,
                partitions: entries.map {
                    .init(
                        partition: $0.0.partition,
                        currentLeaderEpoch: $0.2,
                        fetchOffset: $0.1,
                        partitionMaxBytes: configuration.maxPartitionFetchBytes
                    )
                }
            )
        }
        return request
    }

    /// A Fetch answer: records for partitions still at the fetched position are buffered; errors reset positions
    /// or ask for fresh metadata.
    func fetched(_ response: FetchResponse, from leader: BrokerID, offsets: [TopicPartition: Offset]) async {
        fetchesInFlight.remove(leader)
        defer { wakeup.signal() }
        if response.errorCode != .none {
            metadataStale = true
            return
        }
        for topic in response.responses {
            for data in topic.partitions {
                let partition = TopicPartition(topic.topic, data.partitionIndex)
                guard let fetchOffset = offsets[partition], let state = assignment[partition],
                    let position = state.position, (state.fetchOffset ?? position) == fetchOffset
                else { continue }
                switch data.errorCode {
                case .none:
                    assignment[partition]?.highWatermark = data.highWatermark
                    if let records = data.records, records.readableBytes > 0 {
                        let fetch = CompletedFetch(partition: partition, fetchOffset: fetchOffset, records: records)
                        if let end = fetch.endOffset, end > fetchOffset {
                            assignment[partition]?.fetchOffset = end
                        }
                        completedFetches.append(fetch)
                    }
                case .offsetOutOfRange:
                    logger.info(
                        "Fetch offset out of range, resetting",
                        metadata: ["partition": "\(partition)", "offset": "\(fetchOffset)"]
                    )
                    assignment[partition]?.position = nil
                    forgetFetched(partition)
                case .notLeaderOrFollower, .unknownTopicOrPartition, .leaderNotAvailable, .fencedLeaderEpoch,
                    .unknownLeaderEpoch, .kafkaStorageError, .replicaNotAvailable, .offsetNotAvailable:
                    metadataStale = true
                case .topicAuthorizationFailed:
                    pendingError = .broker(data.errorCode, "Fetch of \(partition)")
                default:
                    logger.warning(
                        "Fetch failed",
                        metadata: ["partition": "\(partition)", "error": "\(data.errorCode)"]
                    )
                    metadataStale = true
                }
            }
        }
    }

    func fetchFailed(from leader: BrokerID, error: any Error) async {
        fetchesInFlight.remove(leader)
        logger.debug("Fetch request failed", metadata: ["broker": "\(leader)", "error": "\(error)"])
        metadataStale = true
        // Let the connection settle before the next try.
        try? await Task.sleep(for: .milliseconds(configuration.client.retryBackoffMs))
        wakeup.signal()
    }

    /// Asks for the assigned topics' metadata (leaders move).
    func refreshMetadata() async {
        let topics = Set(assignment.keys.map(\.topic)).sorted()
        guard !topics.isEmpty else { return }
        metadataStale = false
        do {
            try await cluster.refreshMetadata(topics: topics)
        } catch {
            metadataStale = true
            logger.debug("Metadata refresh failed", metadata: ["error": "\(error)"])
        }
    }

    /// Moves buffered records into `records` (at most `max.poll.records`), in fetch order, advancing positions. A
    /// partition's fetches are drained one after another; one that no longer starts at the position (a seek) is
    /// dropped.
    func drain(into records: inout [ConsumerRecord]) throws(ConsumerError) {
        let limit = Int(configuration.maxPollRecords)
        var kept = CircularBuffer<CompletedFetch>()
        var waiting: Set<TopicPartition> = []
        while var fetch = completedFetches.popFirst() {
            guard records.count < limit, !waiting.contains(fetch.partition) else {
                kept.append(fetch)
                continue
            }
            guard let state = assignment[fetch.partition], state.position == fetch.nextOffset else { continue }
            if state.paused {
                waiting.insert(fetch.partition)
                kept.append(fetch)
                continue
            }
            do {
                try fetch.drain(into: &records, limit: limit, checkCRC: configuration.checkCrcs)
            } catch {
                assignment[fetch.partition]?.position = fetch.nextOffset
                forgetFetched(fetch.partition)
                completedFetches = kept
                throw error
            }
            assignment[fetch.partition]?.position = fetch.nextOffset
            if state.highWatermark >= 0 {
                let lag = max(0, state.highWatermark - fetch.nextOffset)
                metrics.recordLag(lag, topic: fetch.partition.topic, partition: fetch.partition.partition)
            }
            if !fetch.isDrained {
                waiting.insert(fetch.partition)
                kept.append(fetch)
            }
        }
        completedFetches = kept
    }
}
