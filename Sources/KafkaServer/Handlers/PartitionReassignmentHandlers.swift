import KafkaController
import KafkaCore
import KafkaProtocol

/// AlterPartitionReassignments (45) and ListPartitionReassignments (46), version 0 (KIP-455), answered by the
/// active controller (`Controller+ApiReassignment.swift`); any other broker answers NOT_CONTROLLER at the top level,
/// as Kafka 2.8 does, and clients send them to the controller Metadata names. With an authorizer: Cluster:Alter and
/// Cluster:Describe (CLUSTER_AUTHORIZATION_FAILED).
enum AlterPartitionReassignmentsHandler {
    static func make(_ services: BrokerServices) -> any RequestHandler {
        TypedHandler(AlterPartitionReassignmentsRequest.self) { request, context in
            guard services.authorizer.authorizeCluster(context, .alter) else {
                return AlterPartitionReassignmentsResponse(errorCode: .clusterAuthorizationFailed, errorMessage: nil)
            }
            var requested: [TopicPartition: [BrokerID]?] = [:]
            for topic in request.topics {
                for partition in topic.partitions {
                    requested[TopicPartition(topic.name, partition.partitionIndex)] = partition.replicas
                }
            }
            guard let results = await services.controller.alterPartitionReassignments(requested) else {
                return AlterPartitionReassignmentsResponse(
                    errorCode: .notController,
                    errorMessage: "This is not the correct controller for this cluster."
                )
            }
            return AlterPartitionReassignmentsResponse(
                errorCode: .none,
                errorMessage: nil,
                responses: request.topics.map { topic in
                    .init(
                        name: topic.name,
                        partitions: topic.partitions.map { partition in
                            let result = results[TopicPartition(topic.name, partition.partitionIndex)]
                            return .init(
                                partitionIndex: partition.partitionIndex,
                                errorCode: result?.errorCode ?? .unknownServerError,
                                errorMessage: result?.message
                            )
                        }
                    )
                }
            )
        }
    }
}

enum ListPartitionReassignmentsHandler {
    static func make(_ services: BrokerServices) -> any RequestHandler {
        TypedHandler(ListPartitionReassignmentsRequest.self) { request, context in
            guard services.authorizer.authorizeCluster(context, .describe) else {
                return ListPartitionReassignmentsResponse(errorCode: .clusterAuthorizationFailed, errorMessage: nil)
            }
            let asked = request.topics.map { topics in
                topics.flatMap { topic in topic.partitionIndexes.map { TopicPartition(topic.name, $0) } }
            }
            guard let ongoing = await services.controller.listPartitionReassignments(asked) else {
                return ListPartitionReassignmentsResponse(
                    errorCode: .notController,
                    errorMessage: "This is not the correct controller for this cluster."
                )
            }
            return ListPartitionReassignmentsResponse(
                errorCode: .none,
                errorMessage: nil,
                topics: Set(ongoing.keys.map(\.topic)).sorted().map { topic in
                    .init(
                        name: topic,
                        partitions: ongoing.keys.filter { $0.topic == topic }.sorted().map { partition in
                            let reassignment = ongoing[partition]!
                            return .init(
                                partitionIndex: partition.partition,
                                replicas: reassignment.replicas,
                                addingReplicas: reassignment.adding,
                                removingReplicas: reassignment.removing
                            )
                        }
                    )
                }
            )
        }
    }
}
