import KafkaController
import KafkaCore
import KafkaProtocol
import KafkaZooKeeper

/// CreatePartitions (37), versions 0-3: on the controller only. Adds partitions to a topic (never fewer), with
/// given replicas or Kafka's assignment continued from the existing partition count; the controller sees the
/// topic's new assignment and elects their leaders. With an authorizer each topic needs Topic:Alter
/// (TOPIC_AUTHORIZATION_FAILED).
enum CreatePartitionsHandler {
    static func make(_ services: BrokerServices) -> any RequestHandler {
        TypedHandler(CreatePartitionsRequest.self) { request, context in
            let isController = services.controller.isActive
            var results: [CreatePartitionsResponse.CreatePartitionsTopicResult] = []
            for topic in request.topics {
                var result = CreatePartitionsResponse.CreatePartitionsTopicResult(name: topic.name)
                defer { results.append(result) }
                guard isController else {
                    result.errorCode = KafkaErrorCode.notController
                    continue
                }
                guard services.authorizer.authorize(context, .alter, .topic, topic.name) else {
                    result.errorCode = .topicAuthorizationFailed
                    continue
                }
                guard var assignment = try? await services.zk.getTopicAssignment(topic.name) else {
                    result.errorCode = KafkaErrorCode.unknownTopicOrPartition
                    continue
                }
                let existing = assignment.partitions.count
                guard Int(topic.count) > existing else {
                    result.errorCode = KafkaErrorCode.invalidPartitions
                    result.errorMessage =
                        "Topic currently has \(existing) partitions, which is higher than the requested \(topic.count)."
                    continue
                }
                let registered = ((try? await services.zk.getAllBrokers()) ?? []).map { ($0.id, $0.rack) }
                let brokers = registered.map(\.0)
                let added: [PartitionID: [BrokerID]]
                if let manual = topic.assignments, !manual.isEmpty {
                    guard manual.count == Int(topic.count) - existing,
                        manual.allSatisfy({ $0.brokerIDs.allSatisfy(brokers.contains) })
                    else {
                        result.errorCode = KafkaErrorCode.invalidReplicaAssignment
                        continue
                    }
                    added = Dictionary(
                        uniqueKeysWithValues: manual.enumerated().map {
                            (PartitionID(existing + $0.offset), $0.element.brokerIDs)
                        }
                    )
                } else {
                    do {
                        added = try ReplicaAssignment.assign(
                            partitions: Int(topic.count) - existing,
                            replicationFactor: assignment.partitions.values.first?.count ?? 1,
                            brokers: registered,
                            startPartition: existing
                        )
                    } catch {
                        result.errorCode = KafkaErrorCode.invalidReplicationFactor
                        continue
                    }
                }
                if request.validateOnly { continue }
                assignment.partitions.merge(added) { $1 }
                do {
                    try await services.zk.setTopicAssignment(assignment)
                    let ready = await TopicCreator(services: services).waitForLeaders(
                        topic.name,
                        partitions: topic.count,
                        timeout: .milliseconds(Int64(max(request.timeoutMs, 0)))
                    )
                    if !ready { result.errorCode = KafkaErrorCode.requestTimedOut }
                } catch {
                    result.errorCode = KafkaErrorCode.unknownServerError
                    result.errorMessage = "\(error)"
                }
            }
            return CreatePartitionsResponse(results: results)
        }
    }
}
