import KafkaCore
import KafkaProtocol

/// Produce (0), advertised 0-10 (librdkafka 2.0.2 compresses only when the broker advertises v0), served 3-10:
/// RecordBatch v2 only; v0-2 are answered UNSUPPORTED_VERSION. Every partition's batches are validated and appended; acks=0 gets no response at all.
enum ProduceHandler {
    static func make(_ services: BrokerServices) -> any RequestHandler {
        TypedHandler(ProduceRequest.self, versions: 0...10) { request, context in
            let acks = request.acks
            // v0-2 carry the old message formats: answered UNSUPPORTED_VERSION for every partition, as Kafka 4 does.
            if context.apiVersion < 3 {
                return acks == 0
                    ? nil
                    : ProduceResponse(
                        responses: request.topicData.map { topic in
                            .init(
                                name: topic.name,
                                partitionResponses: topic.partitionData.map {
                                    .init(index: $0.index, errorCode: KafkaErrorCode.unsupportedVersion.rawValue)
                                }
                            )
                        }
                    )
            }
            var responses: [ProduceResponse.TopicProduceResponse] = []
            for topic in request.topicData {
                var partitions: [ProduceResponse.PartitionProduceResponse] = []
                for partition in topic.partitionData {
                    let topicPartition = TopicPartition(topic.name, partition.index)
                    guard acks == 0 || acks == 1 || acks == -1 else {
                        partitions.append(
                            .init(index: partition.index, errorCode: KafkaErrorCode.invalidRequiredAcks.rawValue)
                        )
                        continue
                    }
                    guard let records = partition.records else {
                        partitions.append(
                            .init(index: partition.index, errorCode: KafkaErrorCode.invalidRecord.rawValue)
                        )
                        continue
                    }
                    let result = services.replicaManager.appendRecords(
                        topicPartition,
                        records: records,
                        requiredAcks: acks
                    )
                    partitions.append(
                        .init(
                            index: partition.index,
                            errorCode: result.errorCode.rawValue,
                            baseOffset: result.baseOffset,
                            logAppendTimeMs: result.logAppendTime,
                            logStartOffset: result.logStartOffset,
                            errorMessage: result.errorCode == .none ? nil : result.errorMessage
                        )
                    )
                }
                responses.append(.init(name: topic.name, partitionResponses: partitions))
            }
            return acks == 0 ? nil : ProduceResponse(responses: responses)
        }
    }
}
