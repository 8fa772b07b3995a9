import KafkaProtocol

/// DescribeCluster (60), versions 0-1 (Kafka 2.8 has 0; see ApiTable): the live brokers (on the request's listener), the controller, the cluster id.
enum DescribeClusterHandler {
    static func make(_ services: BrokerServices) -> any RequestHandler {
        TypedHandler(DescribeClusterRequest.self) { _, context in
            let cache = services.metadataCache
            return DescribeClusterResponse(
                errorCode: .none,
                clusterID: cache.clusterID,
                controllerID: cache.controllerID ?? -1,
                brokers: cache.liveBrokers.compactMap { broker in
                    guard let endpoint = broker.endpoints[context.listenerName] else { return nil }
                    return .init(brokerID: broker.id, host: endpoint.host, port: endpoint.port, rack: broker.rack)
                }
            )
        }
    }
}
