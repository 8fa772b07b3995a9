import KafkaCore
import KafkaProtocol
import KafkaReplication
import NIOCore

/// Fetch (1), versions 4-12: reads up to the high watermark (followers, with a replica id, up to the log end), waits up to max.wait.ms for min.bytes without
/// polling, honours max.bytes and each partition's max, and sends the records as regions of the segment files
/// (sendfile: no copy through the broker). Fetch sessions (KIP-227) are not kept: session id 0 means clients send
/// full fetches.
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
        var requests: [ReplicaManager.FetchRequestPartition] = []
        for topic in request.topics {
            for partition in topic.partitions {
                requests.append(
                    .init(
                        topicPartition: TopicPartition(topic.topic, partition.partition),
                        offset: partition.fetchOffset,
                        maxBytes: Int(max(partition.partitionMaxBytes, 0)),
                        currentLeaderEpoch: frame.apiVersion >= 9 ? partition.currentLeaderEpoch : -1,
                        logStartOffset: partition.logStartOffset
                    )
                )
            }
        }
        let results = await services.replicaManager.fetch(
            requests,
            replicaID: request.replicaID,
            maxWait: .milliseconds(Int64(max(request.maxWaitMs, 0))),
            minBytes: Int(max(request.minBytes, 0)),
            maxBytes: Int(request.maxBytes <= 0 ? Int32.max : request.maxBytes)
        )
        var errors = BrokerMetrics.ErrorCounts()
        errors.add(.none)  // the response's own error code
        for (topicPartition, result) in results {
            services.metrics.recordFetched(
                topic: topicPartition.topic,
                bytes: result.records?.length ?? 0,
                follower: request.replicaID >= 0
            )
            errors.add(result.errorCode)
        }
        services.metrics.recordErrors("Fetch", errors)
        let topics = request.topics.map { topic in
            (
                name: topic.topic,
                partitions: topic.partitions.map { partition -> FetchResponseEncoder.Partition in
                    let result = results[TopicPartition(topic.topic, partition.partition)]
                    return FetchResponseEncoder.Partition(
                        index: partition.partition,
                        errorCode: result?.errorCode ?? .none,
                        highWatermark: result?.highWatermark ?? -1,
                        lastStableOffset: result?.highWatermark ?? -1,
                        logStartOffset: result?.logStartOffset ?? -1,
                        records: result?.records
                    )
                }
            )
        }
        return .parts(
            FetchResponseEncoder.encode(topics: topics, version: frame.apiVersion, correlationID: frame.correlationID)
        )
    }
}
