public import KafkaCore
import KafkaProtocol

/// A request's error for one topic, partition, group or resource, as the broker answered it.
public struct AdminError: Error, Sendable, Equatable, CustomStringConvertible {
    public var code: KafkaErrorCode
    public var message: String?

    public init(_ code: KafkaErrorCode, _ message: String? = nil) {
        self.code = code
        self.message = message
    }

    /// The broker's message, or the error's name (what Kafka's tools print).
    public var description: String {
        if let message, !message.isEmpty { return message }
        return "\(code)"
    }
}

/// A topic to create: a partition count and replication factor (-1: the broker's defaults), or an explicit
/// replica assignment (one list of broker ids per partition); topic config overrides.
public struct NewTopic: Sendable {
    public var name: String
    public var numPartitions: Int32
    public var replicationFactor: Int16
    public var replicaAssignment: [[BrokerID]]?
    public var configs: [String: String]

    public init(
        name: String,
        numPartitions: Int32 = -1,
        replicationFactor: Int16 = -1,
        replicaAssignment: [[BrokerID]]? = nil,
        configs: [String: String] = [:]
    ) {
        self.name = name
        self.numPartitions = numPartitions
        self.replicationFactor = replicationFactor
        self.replicaAssignment = replicaAssignment
        self.configs = configs
    }
}

/// A topic as Metadata describes it.
public struct TopicDescription: Sendable, Equatable {
    public var name: String
    public var topicID: KafkaUUID
    public var isInternal: Bool
    public var error: KafkaErrorCode
    public var partitions: [PartitionDescription]
}

public struct PartitionDescription: Sendable, Equatable {
    public var partition: PartitionID
    /// -1 when the partition has no leader.
    public var leader: BrokerID
    public var leaderEpoch: LeaderEpoch
    public var replicas: [BrokerID]
    public var isr: [BrokerID]
    public var offlineReplicas: [BrokerID]
}

/// The cluster: its id, controller and live brokers.
public struct ClusterDescription: Sendable, Equatable {
    public var clusterID: String?
    public var controllerID: BrokerID
    public var brokers: [BrokerID: BrokerAddress]
    /// Each broker's `broker.rack`, for those that have one.
    public var racks: [BrokerID: String] = [:]
}

/// What DescribeConfigs and the alter calls name: a topic or a broker.
public struct ConfigResource: Sendable, Hashable {
    public enum Kind: Int8, Sendable {
        case topic = 2
        case broker = 4
    }

    public var kind: Kind
    public var name: String

    public init(_ kind: Kind, _ name: String) {
        self.kind = kind
        self.name = name
    }
}

/// One config of a resource as DescribeConfigs answers it.
public struct ConfigEntry: Sendable, Equatable {
    public var name: String
    public var value: String?
    public var source: Source
    public var isDefault: Bool
    public var isReadOnly: Bool
    public var isSensitive: Bool

    /// Where the value comes from (Kafka's `ConfigEntry.ConfigSource` numbering).
    public enum Source: Int8, Sendable {
        case unknown = 0
        case dynamicTopicConfig = 1
        case dynamicBrokerConfig = 2
        case dynamicDefaultBrokerConfig = 3
        case staticBrokerConfig = 4
        case defaultConfig = 5
        case dynamicBrokerLoggerConfig = 6

        /// The name Kafka's tools print (`DYNAMIC_TOPIC_CONFIG`, ...).
        public var kafkaName: String {
            switch self {
            case .unknown: "UNKNOWN"
            case .dynamicTopicConfig: "DYNAMIC_TOPIC_CONFIG"
            case .dynamicBrokerConfig: "DYNAMIC_BROKER_CONFIG"
            case .dynamicDefaultBrokerConfig: "DYNAMIC_DEFAULT_BROKER_CONFIG"
            case .staticBrokerConfig: "STATIC_BROKER_CONFIG"
            case .defaultConfig: "DEFAULT_CONFIG"
            case .dynamicBrokerLoggerConfig: "DYNAMIC_BROKER_LOGGER_CONFIG"
            }
        }
    }
}

/// An IncrementalAlterConfigs operation on one key.
public enum AlterConfigOp: Sendable, Equatable {
    case set(String, String)
    case delete(String)
    case append(String, String)
    case subtract(String, String)
}

/// A group as ListGroups answers.
public struct GroupListing: Sendable, Equatable {
    public var groupID: String
    public var protocolType: String
    public var state: String
}

/// A group as DescribeGroups answers, its members' assignments decoded when it is a consumer group.
public struct GroupDescription: Sendable, Equatable {
    public var groupID: String
    public var state: String
    public var protocolType: String
    /// The assignor (for a consumer group).
    public var protocolName: String
    public var members: [Member]
    public var coordinator: BrokerID

    public struct Member: Sendable, Equatable {
        public var memberID: String
        public var groupInstanceID: String?
        public var clientID: String
        public var host: String
        public var assignment: [TopicPartition]
    }
}

/// ElectLeaders' election types.
public enum ElectionType: Int8, Sendable {
    case preferred = 0
    case unclean = 1
}
