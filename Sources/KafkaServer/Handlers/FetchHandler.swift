import KafkaCore
import KafkaProtocol
import KafkaReplication
import NIOCore

/// Fetch (1), versions 4-12: reads up to the high watermark, waits up to max.wait.ms for min.bytes without
/// polling, honours max.bytes and each partition's max. Fetch sessions (KIP-227) are not kept: session id 0 means
/// clients send full fetches. The records are read from the segment file into the response (the zero-copy
/// FileRegion path is still to come).
enum FetchHandler {
    static func make(_ services: BrokerServices) -> any RequestHandler {
        TypedHandler(FetchRequest.self, versions: 4...12) { request, _ in
            var requests: [ReplicaManager.FetchRequestPartition] = []
            for topic in request.topics {
                for partition in topic.partitions {
                    requests.append(
                        .init(
                            topicPartition: TopicPartition(topic.topic, partition.partition),
                            offset: partition.fetchOffset,
                            maxBytes: Int(max(partition.partitionMaxBytes, 0))
                        )
                    )
                }
            }
            let results = await services.replicaManager.fetch(
                requests,
                maxWait: .milliseconds(Int64(max(request.maxWaitMs, 0))),
                minBytes: Int(max(request.minBytes, 0)),
                maxBytes: Int(request.maxBytes <= 0 ? Int32.max : request.maxBytes)
            )
            var responses: [FetchResponse.FetchableTopicResponse] = []
            for topic in request.topics {
                var partitions: [FetchResponse.PartitionData] = []
                for partition in topic.partitions {
                    let result = results[TopicPartition(topic.topic, partition.partition)]
                    var records: ByteBuffer? = ByteBuffer()
                    if let slice = result?.records, slice.length > 0 { records = try? slice.readBytes() }
                    partitions.append(
                        .init(
                            partitionIndex: partition.partition,
                            errorCode: result?.errorCode.rawValue ?? 0,
                            highWatermark: result?.highWatermark ?? -1,
                            lastStableOffset: result?.highWatermark ?? -1,
                            logStartOffset: result?.logStartOffset ?? -1,
                            abortedTransactions: nil,
                            preferredReadReplica: -1,
                            records: records
                        )
                    )
                }
                responses.append(.init(topic: topic.topic, partitions: partitions))
            }
            return FetchResponse(errorCode: 0, sessionID: 0, responses: responses)
        }
    }
}
