import KafkaCore
import KafkaProtocol

/// ControlledShutdown (7), from a stopping broker to the controller: its leaderships move before it goes.
/// With an authorizer the sender needs Cluster:ClusterAction (CLUSTER_AUTHORIZATION_FAILED).
enum ControlledShutdownHandler {
    static func make(_ services: BrokerServices) -> any RequestHandler {
        TypedHandler(ControlledShutdownRequest.self) { request, context in
            guard services.authorizer.authorizeCluster(context, .clusterAction) else {
                return ControlledShutdownResponse(errorCode: .clusterAuthorizationFailed)
            }
            let (code, remaining) = await services.controller.controlledShutdown(
                brokerID: request.brokerID,
                brokerEpoch: request.brokerEpoch
            )
            return ControlledShutdownResponse(
                errorCode: code,
                remainingPartitions: remaining.map { .init(topicName: $0.topic, partitionIndex: $0.partition) }
            )
        }
    }
}
