public import KafkaCore
public import KafkaProtocol
import Synchronization

/// What this broker knows of the cluster: live brokers, topics with their partitions' leaders and ISRs, the
/// controller. Filled only by UpdateMetadata from the controller, as in ZooKeeper-era Kafka; Metadata requests are
/// answered from it. Any thread may use it.
public final class MetadataCache: Sendable {
    public struct PartitionInfo: Sendable, Equatable {
        public var leader: BrokerID
        public var leaderEpoch: LeaderEpoch
        public var isr: [BrokerID]
        public var replicas: [BrokerID]
        public var offlineReplicas: [BrokerID]
    }

    public struct Broker: Sendable, Equatable {
        public var id: BrokerID
        public var rack: String?
        /// listener name → (host, port)
        public var endpoints: [String: (host: String, port: Int32)]

        public static func == (lhs: Broker, rhs: Broker) -> Bool {
            lhs.id == rhs.id && lhs.rack == rhs.rack
                && lhs.endpoints.mapValues { "\($0.host):\($0.port)" }
                    == rhs.endpoints.mapValues { "\($0.host):\($0.port)" }
        }
    }

    struct State {
        var brokers: [BrokerID: Broker] = [:]
        var topics: [String: [PartitionID: PartitionInfo]] = [:]
        var topicIDs: [String: KafkaUUID] = [:]
        var controllerID: BrokerID?
        var controllerEpoch: ControllerEpoch = -1
    }

    private let state = Mutex(State())
    public let clusterID: String

    public init(clusterID: String) { self.clusterID = clusterID }

    public var controllerID: BrokerID? { state.withLock { $0.controllerID } }
    public var controllerEpoch: ControllerEpoch { state.withLock { $0.controllerEpoch } }
    public var liveBrokers: [Broker] { state.withLock { $0.brokers.values.sorted { $0.id < $1.id } } }
    public var topicNames: [String] { state.withLock { $0.topics.keys.sorted() } }

    public func partitions(of topic: String) -> [PartitionID: PartitionInfo]? { state.withLock { $0.topics[topic] } }
    public func topicID(of topic: String) -> KafkaUUID? { state.withLock { $0.topicIDs[topic] } }

    public func partition(_ topicPartition: TopicPartition) -> PartitionInfo? {
        state.withLock { $0.topics[topicPartition.topic]?[topicPartition.partition] }
    }

    /// Applies an UpdateMetadata request: the live brokers are replaced, each partition state given is set, and
    /// a leader of -2 (Kafka's "being deleted") removes the partition. Refuses an older controller epoch.
    @discardableResult
    public func update(from request: UpdateMetadataRequest) -> KafkaErrorCode {
        state.withLock { state in
            guard request.controllerEpoch >= state.controllerEpoch else { return .staleControllerEpoch }
            state.controllerEpoch = request.controllerEpoch
            state.controllerID = request.controllerID
            state.brokers = Dictionary(
                uniqueKeysWithValues: request.liveBrokers.map { broker in
                    (
                        broker.id,
                        Broker(
                            id: broker.id,
                            rack: broker.rack,
                            endpoints: Dictionary(
                                broker.endpoints.map { ($0.listener, (host: $0.host, port: $0.port)) },
                                uniquingKeysWith: { first, _ in first }
                            )
                        )
                    )
                }
            )
            for topic in request.topicStates {
                if topic.topicID != .zero { state.topicIDs[topic.topicName] = topic.topicID }
                for partition in topic.partitionStates {
                    if partition.leader == -2 {
                        state.topics[topic.topicName]?.removeValue(forKey: partition.partitionIndex)
                        if state.topics[topic.topicName]?.isEmpty == true {
                            state.topics.removeValue(forKey: topic.topicName)
                            state.topicIDs.removeValue(forKey: topic.topicName)
                        }
                        continue
                    }
                    state.topics[topic.topicName, default: [:]][partition.partitionIndex] = PartitionInfo(
                        leader: partition.leader,
                        leaderEpoch: partition.leaderEpoch,
                        isr: partition.isr,
                        replicas: partition.replicas,
                        offlineReplicas: partition.offlineReplicas
                    )
                }
            }
            return .none
        }
    }
}
