import KafkaCore
import KafkaProtocol

/// Produce (0), advertised 0-10 (librdkafka 2.0.2 compresses only when the broker advertises v0), served 3-10:
/// RecordBatch v2 only; v0-2 are answered UNSUPPORTED_VERSION. Every partition's batches are validated and appended;
/// acks=all then waits until the ISR holds them (REQUEST_TIMED_OUT after the request's timeout); acks=0 gets no
/// response at all.
enum ProduceHandler {
    static func make(_ services: BrokerServices) -> any RequestHandler {
        TypedHandler(ProduceRequest.self) { request, context in
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
                                    .init(index: $0.index, errorCode: KafkaErrorCode.unsupportedVersion)
                                }
                            )
                        }
                    )
            }
            var responses: [ProduceResponse.TopicProduceResponse] = []
            // acks=all: every partition is appended first, then each waits for its high watermark.
            var waiting: [(topic: Int, partition: Int, TopicPartition, Int64)] = []
            for topic in request.topicData {
                var partitions: [ProduceResponse.PartitionProduceResponse] = []
                for partition in topic.partitionData {
                    let topicPartition = TopicPartition(topic.name, partition.index)
                    guard acks == 0 || acks == 1 || acks == -1 else {
                        partitions.append(
                            .init(index: partition.index, errorCode: KafkaErrorCode.invalidRequiredAcks)
                        )
                        continue
                    }
                    guard let records = partition.records else {
                        partitions.append(
                            .init(index: partition.index, errorCode: KafkaErrorCode.invalidRecord)
                        )
                        continue
                    }
                    let result = services.replicaManager.appendRecords(
                        topicPartition,
                        records: records,
                        requiredAcks: acks
                    )
                    if result.errorCode == .none {
                        services.metrics.recordProduced(
                            topic: topic.name,
                            messages: result.nextOffset - result.baseOffset,
                            bytes: records.readableBytes
                        )
                    }
                    if acks == -1 && result.errorCode == .none {
                        waiting.append((responses.count, partitions.count, topicPartition, result.nextOffset))
                    }
                    partitions.append(
                        .init(
                            index: partition.index,
                            errorCode: result.errorCode,
                            baseOffset: result.baseOffset,
                            logAppendTimeMs: result.logAppendTime,
                            logStartOffset: result.logStartOffset,
                            errorMessage: result.errorCode == .none ? nil : result.errorMessage
                        )
                    )
                }
                responses.append(.init(name: topic.name, partitionResponses: partitions))
            }
            let deadline = ContinuousClock.now + .milliseconds(Int64(max(request.timeoutMs, 0)))
            for (topic, partition, topicPartition, nextOffset) in waiting {
                let code = await services.replicaManager.waitForReplication(
                    topicPartition,
                    requiredOffset: nextOffset,
                    deadline: deadline
                )
                if code != .none {
                    responses[topic].partitionResponses[partition].errorCode = code
                    responses[topic].partitionResponses[partition].errorMessage = "\(code)"
                }
            }
            return acks == 0 ? nil : ProduceResponse(responses: responses)
        }
    }
}
