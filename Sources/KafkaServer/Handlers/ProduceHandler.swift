import KafkaCore
import KafkaProtocol
import KafkaReplication

/// Produce (0), versions 0-9. v3+ carry RecordBatch v2, appended as sent; v0-2 carry message formats v0/v1, which
/// are converted to one v2 batch per partition first (`MessageFormatConversion`, counted in
/// `producemessageconversions`), as Kafka 2.8 does. Every partition's batches are validated and appended;
/// acks=all then waits until the ISR holds them (REQUEST_TIMED_OUT after the request's timeout); acks=0 gets no
/// response at all. A topic with schema validation on (`confluent.value.schema.validation`) has its batches checked
/// by `SchemaIDValidator` first; a bad record refuses its partition's batches with INVALID_RECORD and a message
/// naming it. With an authorizer: a transactional producer needs TransactionalId:Write (else every partition gets
/// TRANSACTIONAL_ID_AUTHORIZATION_FAILED), and each topic Topic:Write (else TOPIC_AUTHORIZATION_FAILED).
enum ProduceHandler {
    static func make(_ services: BrokerServices) -> any RequestHandler {
        TypedHandler(ProduceRequest.self) { request, context in
            let acks = request.acks
            var responses: [ProduceResponse.TopicProduceResponse] = []
            let authorizer = services.authorizer
            if let id = request.transactionalID, !authorizer.authorize(context, .write, .transactionalID, id) {
                let failed = request.topicData.map { topic in
                    ProduceResponse.TopicProduceResponse(
                        name: topic.name,
                        partitionResponses: topic.partitionData.map {
                            .init(index: $0.index, errorCode: .transactionalIDAuthorizationFailed)
                        }
                    )
                }
                return acks == 0 ? nil : ProduceResponse(responses: failed)
            }
            let writable = authorizer.authorizedNames(context, .write, .topic, request.topicData.lazy.map(\.name))
            // acks=all: every partition is appended first, then each waits for its high watermark.
            var waiting: [(topic: Int, partition: Int, TopicPartition, ReplicationTarget)] = []
            for topic in request.topicData {
                var partitions: [ProduceResponse.PartitionProduceResponse] = []
                for partition in topic.partitionData {
                    let topicPartition = TopicPartition(topic.name, partition.index)
                    guard writable.contains(topic.name) else {
                        partitions.append(.init(index: partition.index, errorCode: .topicAuthorizationFailed))
                        continue
                    }
                    guard acks == 0 || acks == 1 || acks == -1 else {
                        partitions.append(
                            .init(index: partition.index, errorCode: KafkaErrorCode.invalidRequiredAcks)
                        )
                        continue
                    }
                    guard var records = partition.records else {
                        partitions.append(
                            .init(index: partition.index, errorCode: KafkaErrorCode.invalidRecord)
                        )
                        continue
                    }
                    if context.apiVersion < 3 {
                        // Message format v0/v1: one v2 batch of the same messages, appended as any other.
                        do throws(RecordBatchError) {
                            let converted = try MessageFormatConversion.upConvert(
                                records,
                                decompressionLimit: 64 << 20
                            )
                            records = converted.batch.buffer
                            services.metrics.recordConversions(
                                topic: topic.name,
                                messages: converted.messages,
                                produce: true
                            )
                        } catch {
                            services.logger.warning(
                                "Rejected a produce v\(context.apiVersion) message set: \(error)",
                                metadata: ["partition": "\(topicPartition)"]
                            )
                            partitions.append(
                                .init(index: partition.index, errorCode: error.errorCode, errorMessage: "\(error)")
                            )
                            continue
                        }
                    }
                    if let config = services.replicaManager.partition(topicPartition)?.log.config,
                        config.keySchemaValidation || config.valueSchemaValidation,
                        let problem = await services.schemaValidator.problem(
                            in: records,
                            topic: topic.name,
                            config: config
                        )
                    {
                        let message = "Schema validation failed: \(problem.message)"
                        services.logger.info(
                            "Refused a batch",
                            metadata: ["partition": "\(topicPartition)", "reason": "\(message)"]
                        )
                        partitions.append(
                            .init(
                                index: partition.index,
                                errorCode: KafkaErrorCode.invalidRecord,
                                recordErrors: [.init(batchIndex: problem.index, batchIndexErrorMessage: message)],
                                errorMessage: message
                            )
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
                    if acks == -1, let target = result.replicationTarget {
                        waiting.append((responses.count, partitions.count, topicPartition, target))
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
            let throttle = await Self.throttle(request, context, services)
            if throttle == 0 {
                // Appended: the connection's next requests may be read while this one waits for the ISR.
                context.releaseConnection()
            }
            for (topic, partition, topicPartition, target) in waiting {
                let code = await services.replicaManager.waitForReplication(
                    topicPartition,
                    target: target,
                    deadline: deadline
                )
                if code != .none {
                    responses[topic].partitionResponses[partition].errorCode = code
                    responses[topic].partitionResponses[partition].errorMessage = "\(code)"
                }
            }
            return acks == 0 ? nil : ProduceResponse(responses: responses, throttleTimeMs: Int32(clamping: throttle))
        }
    }

    /// `producer_byte_rate`: the request's record bytes count against the principal's and client id's quota; the
    /// throttle time it earns mutes the connection after the response (KIP-219, v6+) or, for older clients, delays
    /// the response itself, as Kafka does.
    private static func throttle(
        _ request: ProduceRequest,
        _ context: RequestContext,
        _ services: BrokerServices
    ) async
        -> Int64
    {
        let throttle = services.quotas.produce.recordAndGetThrottleMs(
            {
                Double(
                    request.topicData.reduce(0) { sum, topic in
                        topic.partitionData.reduce(sum) { $0 + ($1.records?.readableBytes ?? 0) }
                    }
                )
            },
            user: context.principal.name,
            clientID: context.header.clientID ?? "",
            now: services.clock.milliseconds
        )
        if throttle > 0 {
            if context.apiVersion >= 6 {
                context.throttle.set(throttle)
            } else {
                await RequestWaitClock.parked { try? await Task.sleep(for: .milliseconds(throttle)) }
            }
        }
        return throttle
    }
}
