/// The ZooKeeper paths of a Kafka 2.8 cluster (`ZkData.scala`), relative to the chroot.
public enum ZkPaths {
    public static let brokerIDs = "/brokers/ids"
    public static let brokerTopics = "/brokers/topics"
    public static let brokerSequenceID = "/brokers/seqid"
    public static let controller = "/controller"
    public static let controllerEpoch = "/controller_epoch"
    public static let clusterID = "/cluster/id"
    public static let configChanges = "/config/changes"
    public static let deleteTopics = "/admin/delete_topics"
    public static let reassignPartitions = "/admin/reassign_partitions"
    public static let preferredReplicaElection = "/admin/preferred_replica_election"
    public static let isrChangeNotification = "/isr_change_notification"
    public static let logDirEventNotification = "/log_dir_event_notification"
    public static let latestProducerIDBlock = "/latest_producer_id_block"
    public static let consumers = "/consumers"

    /// What a 2.8 broker creates at startup (`ZkData.PersistentZkPaths`).
    public static let persistentPaths = [
        consumers, brokerIDs, brokerTopics, brokerSequenceID, configChanges, deleteTopics, isrChangeNotification,
        latestProducerIDBlock, logDirEventNotification, "/config/topics", "/config/clients", "/config/users",
        "/config/brokers", "/config/ips",
    ]

    /// What `zookeeper.set.acl` keeps from the world's eyes (`ZkData.SensitiveRootPaths`): credentials, broker
    /// configs, delegation tokens.
    public static let sensitiveRootPaths = ["/config/users", "/config/brokers", "/delegation_token/tokens"]

    public static func broker(_ id: Int32) -> String { "\(brokerIDs)/\(id)" }
    public static func topic(_ topic: String) -> String { "\(brokerTopics)/\(topic)" }
    public static func partitions(_ topic: String) -> String { "\(brokerTopics)/\(topic)/partitions" }
    public static func partition(_ topic: String, _ partition: Int32) -> String { "\(partitions(topic))/\(partition)" }
    public static func partitionState(_ topic: String, _ partition: Int32) -> String {
        "\(self.partition(topic, partition))/state"
    }
    public static func config(_ entityType: String, _ name: String) -> String { "/config/\(entityType)/\(name)" }
    public static func deleteTopic(_ topic: String) -> String { "\(deleteTopics)/\(topic)" }
    public static func consumerOffset(group: String, topic: String, partition: Int32) -> String {
        "\(consumers)/\(group)/offsets/\(topic)/\(partition)"
    }
}
