public import KafkaCore

/// One replica of a partition as a replica selector sees it (KIP-392, Kafka's `ReplicaView`): its broker, its log
/// end offset and how long since it last caught up with the leader (0 for the leader). Made by the leader for each
/// consumer fetch when a selector is configured.
public struct ReplicaView: Sendable, Equatable {
    public var broker: BrokerID
    public var logEndOffset: Int64
    public var timeSinceLastCaughtUpMs: Int64

    public init(broker: BrokerID, logEndOffset: Int64, timeSinceLastCaughtUpMs: Int64) {
        self.broker = broker
        self.logEndOffset = logEndOffset
        self.timeSinceLastCaughtUpMs = timeSinceLastCaughtUpMs
    }
}
