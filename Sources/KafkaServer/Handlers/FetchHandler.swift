import KafkaCore
import KafkaProtocol
import KafkaReplication
import NIOCore

/// Fetch (1), versions 0-12: reads up to the high watermark (followers, with a replica id, up to the log end), waits
/// up to max.wait.ms for min.bytes without polling, honours max.bytes and each partition's max, and sends the records
/// as regions of the segment files (sendfile: no copy through the broker) — except for versions 0-3, whose records
/// are down-converted to message format v0/v1 in memory (`DownConversion`). Fetch sessions (KIP-227, v7+) are kept
/// in `FetchSessionCache`: an incremental fetch reads all its session's partitions and is answered with those that
/// have something new. With an authorizer a follower needs Cluster:ClusterAction and a consumer Topic:Read on each
/// topic (TOPIC_AUTHORIZATION_FAILED for the partitions of a denied one). A consumer with a `consumer_byte_rate`
/// quota gets at most one quota window of bytes, and none with the throttle time when the fetch would exceed it; a
/// consumer over its `request_percentage` gets none either.
struct FetchHandler: RequestHandler {
    let services: BrokerServices
    var apiKey: ApiKey { .fetch }

    static func make(_ services: BrokerServices) -> any RequestHandler { FetchHandler(services: services) }

    func handle(_ frame: RequestFrame, context: RequestContext) async -> RequestOutcome {
        let request: FetchRequest
        do {
            request = try frame.decodeBody()
        } catch {
            return .closeConnection(reason: "cannot decode Fetch v\(frame.apiVersion): \(error)")
        }
        let version = frame.apiVersion
        let follower = request.replicaID >= 0
        var requested: [ReplicaManager.FetchRequestPartition] = []
        for topic in request.topics {
            for partition in topic.partitions {
                requested.append(
                    .init(
                        topicPartition: TopicPartition(topic.topic, partition.partition),
                        offset: partition.fetchOffset,
                        maxBytes: Int(max(partition.partitionMaxBytes, 0)),
                        currentLeaderEpoch: version >= 9 ? partition.currentLeaderEpoch : -1,
                        logStartOffset: partition.logStartOffset
                    )
                )
            }
        }
        // KIP-227: a session's incremental fetch reads all of the session's partitions.
        let now = services.clock.milliseconds
        let session =
            version >= 7
            ? services.fetchSessions.begin(
                sessionID: request.sessionID,
                epoch: request.sessionEpoch,
                partitions: requested,
                forgotten: request.forgottenTopicsData.flatMap { topic in
                    topic.partitions.map { TopicPartition(topic.topic, $0) }
                },
                now: now
            ) : FetchSessionCache.Begun(context: .sessionless, partitions: requested)
        if case .failed(let code) = session.context {
            var errors = BrokerMetrics.ErrorCounts()
            errors.add(code)
            services.metrics.recordErrors("Fetch", errors)
            return .parts(
                FetchResponseEncoder.encode(
                    topics: [],
                    version: version,
                    correlationID: frame.correlationID,
                    errorCode: code
                )
            )
        }
        let fetching = session.partitions
        // A follower needs Cluster:ClusterAction, a consumer Topic:Read; a denied topic's partitions are not read.
        let authorizer = services.authorizer
        let readable =
            follower
            ? (authorizer.authorizeCluster(context, .clusterAction) ? AuthorizedNames.all : .empty)
            : authorizer.authorizedNames(context, .read, .topic, fetching.lazy.map(\.topicPartition.topic))
        // consumer_byte_rate: a consumer's fetch returns at most what its quota allows in one window.
        let user = context.principal.name
        let clientID = context.header.clientID ?? ""
        let quotaBytes = follower ? nil : services.quotas.fetch.maxBytesInWindow(user: user, clientID: clientID)
        let requestMaxBytes = Int(request.maxBytes <= 0 ? Int32.max : request.maxBytes)
        // The results come in the order of what is read; a denied topic's partitions are not read (nil result).
        let allowed = fetching.map { readable.contains($0.topicPartition.topic) }
        let everyAllowed = !allowed.contains(false)
        let read = await services.replicaManager.fetch(
            everyAllowed ? fetching : zip(fetching, allowed).filter(\.1).map(\.0),
            replicaID: request.replicaID,
            isolationLevel: version >= 4 ? request.isolationLevel : 0,
            consumer: consumerFetch(request, version: version),
            maxWait: .milliseconds(Int64(max(request.maxWaitMs, 0))),
            minBytes: Int(max(request.minBytes, 0)),
            maxBytes: min(requestMaxBytes, quotaBytes ?? requestMaxBytes)
        )
        let throttle = await throttle(read, quotaBytes: quotaBytes, version: version, context: context)
        var answers: [(request: ReplicaManager.FetchRequestPartition, answer: FetchResponseEncoder.Partition)] = []
        answers.reserveCapacity(fetching.count)
        var nextRead = read.startIndex
        for (partition, isAllowed) in zip(fetching, allowed) {
            var result: ReplicaManager.FetchResult?
            if isAllowed {
                result = read[nextRead]
                nextRead += 1
            }
            var answer = FetchResponseEncoder.Partition(
                index: partition.topicPartition.partition,
                errorCode: isAllowed ? result?.errorCode ?? .none : .topicAuthorizationFailed,
                highWatermark: result?.highWatermark ?? -1,
                lastStableOffset: result?.lastStableOffset ?? -1,
                logStartOffset: result?.logStartOffset ?? -1,
                records: throttle > 0 ? nil : result?.records
            )
            answer.preferredReadReplica = result?.preferredReadReplica ?? -1
            answer.abortedTransactions = result?.abortedTransactions
            answers.append((partition, answer))
        }
        var sessionID: Int32 = 0
        switch session.context {
        case .opening:
            sessionID = services.fetchSessions.open(
                answers.map { ($0.request, $0.answer.sessionAnswer) },
                privileged: follower,
                now: now
            )
        case .incremental(let id):
            sessionID = id
            let carried = services.fetchSessions.answer(
                id,
                answers.map { ($0.request.topicPartition, $0.answer.sessionAnswer) }
            )
            answers = zip(answers, carried).filter(\.1).map(\.0)
        case .sessionless, .failed:
            break
        }
        var errors = BrokerMetrics.ErrorCounts()
        errors.add(.none)  // the response's own error code
        // Versions 0-3 answer in message format v0 (0-1) or v1 (2-3), within the request's limits.
        var conversion = version < 4 ? DownConversion(request: request, version: version) : nil
        let requestPartitions = conversion == nil ? [] : request.topics.flatMap { topic in topic.partitions }
        var topics: [(name: String, partitions: [FetchResponseEncoder.Partition])] = []
        for (index, (partition, answer)) in answers.enumerated() {
            let topicPartition = partition.topicPartition
            var answer = answer
            errors.add(answer.errorCode)
            if conversion != nil, let records = answer.records {
                answer.records = nil
                do {
                    let converted = try conversion!.convert(records, partition: requestPartitions[index])
                    answer.convertedRecords = converted.messageSet
                    services.metrics.recordConversions(
                        topic: topicPartition.topic,
                        messages: converted.messages,
                        produce: false
                    )
                } catch {
                    services.logger.warning(
                        "Cannot down-convert records for Fetch v\(version): \(error)",
                        metadata: ["partition": "\(topicPartition)"]
                    )
                    answer.errorCode = .corruptMessage
                }
            }
            services.metrics.recordFetched(topic: topicPartition.topic, bytes: answer.recordsLength, follower: follower)
            if topics.last?.name == topicPartition.topic {
                topics[topics.count - 1].partitions.append(answer)
            } else {
                topics.append((name: topicPartition.topic, partitions: [answer]))
            }
        }
        services.metrics.recordErrors("Fetch", errors)
        return .parts(
            FetchResponseEncoder.encode(
                topics: topics,
                version: version,
                correlationID: frame.correlationID,
                throttleTimeMs: Int32(clamping: throttle),
                sessionID: sessionID
            )
        )
    }

    /// Over a quota (bytes or request time): the bytes are taken back and the answer carries no records, only the
    /// larger throttle time, and the connection is muted (KIP-219, v8+) or the answer delayed (older versions), as
    /// Kafka does. Returns the throttle time.
    private func throttle(
        _ results: [ReplicaManager.FetchResult],
        quotaBytes: Int?,
        version: Int16,
        context: RequestContext
    ) async -> Int64 {
        let user = context.principal.name
        let clientID = context.header.clientID ?? ""
        var bandwidthThrottle: Int64 = 0
        let bytes = quotaBytes == nil ? 0 : results.reduce(0) { $0 + ($1.records?.length ?? 0) }
        let now = quotaBytes == nil ? 0 : services.clock.milliseconds
        if quotaBytes != nil {
            bandwidthThrottle = services.quotas.fetch.recordAndGetThrottleMs(
                { Double(bytes) },
                user: user,
                clientID: clientID,
                now: now
            )
        }
        let throttle = max(bandwidthThrottle, context.requestThrottleMs())
        if throttle > 0 {
            if quotaBytes != nil {
                services.quotas.fetch.unrecord(bytes: bytes, user: user, clientID: clientID, now: now)
            }
            if version >= 8 {
                context.throttle.set(throttle)
            } else {
                _ = context.throttle.take()
                await RequestWaitClock.parked { try? await Task.sleep(for: .milliseconds(throttle)) }
            }
        }
        return throttle
    }

    /// KIP-392: consumers fetching with v11+ (which carries their rack) may read from followers; with
    /// `replica.selector.class` set to Kafka's rack-aware selector, a leader points a consumer with a `client.rack`
    /// to the replica in that rack that holds the offset (the leader when it is in the rack; the one with the
    /// largest log end offset, then the most recently caught up, otherwise), as `RackAwareReplicaSelector` does.
    private func consumerFetch(_ request: FetchRequest, version: Int16) -> ReplicaManager.ConsumerFetch {
        guard request.replicaID < 0, version >= 11 else { return .leaderOnly }
        let clientRack = request.rackID
        guard services.config.replicaSelectorClass == BrokerConfig.rackAwareReplicaSelector, !clientRack.isEmpty else {
            return ReplicaManager.ConsumerFetch(fromFollowerAllowed: true)
        }
        let rackOf = Dictionary(
            services.metadataCache.liveBrokers.compactMap { broker in broker.rack.map { (broker.id, $0) } },
            uniquingKeysWith: { first, _ in first }
        )
        return ReplicaManager.ConsumerFetch(fromFollowerAllowed: true) { leader, replicas in
            let sameRack = replicas.filter { rackOf[$0.broker] == clientRack }
            if sameRack.isEmpty || sameRack.contains(where: { $0.broker == leader }) { return nil }
            return sameRack.max {
                ($0.logEndOffset, -$0.timeSinceLastCaughtUpMs) < ($1.logEndOffset, -$1.timeSinceLastCaughtUpMs)
            }?.broker
        }
    }
}

extension FetchResponseEncoder.Partition {
    /// What a fetch session compares to decide whether an incremental answer carries this partition.
    fileprivate var sessionAnswer: FetchSessionCache.Answer {
        FetchSessionCache.Answer(
            errorCode: errorCode,
            highWatermark: highWatermark,
            lastStableOffset: lastStableOffset,
            logStartOffset: logStartOffset,
            hasRecords: (records?.length ?? 0) > 0,
            preferredReadReplica: preferredReadReplica
        )
    }
}
