import KafkaClient
import KafkaZooKeeper

extension BrokerRegistration {
    /// Where other brokers reach this one: its endpoint on `listenerName` (the inter-broker listener), else its first
    /// endpoint; an empty host (bound to every interface) is reached on loopback.
    func address(listenerName: String) -> BrokerAddress? {
        guard let endpoint = endpoints.first(where: { $0.listenerName == listenerName }) ?? endpoints.first else {
            return nil
        }
        return BrokerAddress(host: endpoint.host.isEmpty ? "127.0.0.1" : endpoint.host, port: Int(endpoint.port))
    }
}
