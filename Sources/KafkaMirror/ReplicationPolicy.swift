/// How MirrorMaker 2 names topics across clusters (Java's `ReplicationPolicy`), chosen by
/// `replication.policy.class`. Kafka 2.8's `DefaultReplicationPolicy` prefixes a remote topic with its source
/// cluster's alias and `replication.policy.separator` (`A.orders` on B is `orders` from A), so a flow can tell a
/// topic that came from its own target (a cycle) and skip it. Kafka 3.0's `IdentityReplicationPolicy` keeps the
/// names (heartbeats excepted) and so cannot detect cycles: for one-way flows only. The internal topics' names
/// are here too. A value: shared freely.
public struct ReplicationPolicy: Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        case prefixed
        case identity
    }

    public var kind: Kind
    public var separator: String

    public static let defaultClassName = "org.apache.kafka.connect.mirror.DefaultReplicationPolicy"
    public static let identityClassName = "org.apache.kafka.connect.mirror.IdentityReplicationPolicy"

    public init(kind: Kind = .prefixed, separator: String = ".") {
        self.kind = kind
        self.separator = separator
    }

    /// The policy `replication.policy.class` names (Java class names, or their simple names).
    public init(className: String, separator: String = ".") throws(MirrorConfigError) {
        switch className {
        case Self.defaultClassName, "DefaultReplicationPolicy": self.init(kind: .prefixed, separator: separator)
        case Self.identityClassName, "IdentityReplicationPolicy": self.init(kind: .identity, separator: separator)
        default:
            throw MirrorConfigError(
                key: "replication.policy.class",
                reason: "\(className) is not DefaultReplicationPolicy or IdentityReplicationPolicy"
            )
        }
    }

    // MARK: Names

    /// The name `topic` from cluster `sourceAlias` has on the target.
    public func formatRemoteTopic(sourceAlias: String, topic: String) -> String {
        if kind == .identity && !isHeartbeatsTopic(topic) { return topic }
        return sourceAlias + separator + topic
    }

    /// The alias of the cluster `topic` was mirrored from (nil for a topic that is not remote).
    public func topicSource(_ topic: String) -> String? {
        if kind == .identity && !isHeartbeatsTopic(topic) { return nil }
        guard let range = topic.range(of: separator), range.lowerBound != topic.startIndex else { return nil }
        return String(topic[..<range.lowerBound])
    }

    /// `topic`'s name one cluster upstream (nil for a topic that is not remote).
    public func upstreamTopic(_ topic: String) -> String? {
        if kind == .identity && !isHeartbeatsTopic(topic) { return topic }
        guard let source = topicSource(topic) else { return nil }
        return String(topic.dropFirst(source.count + separator.count))
    }

    /// The name `topic` had where it was first written, through every hop.
    public func originalTopic(_ topic: String) -> String {
        var current = topic
        while let upstream = upstreamTopic(current), upstream != current { current = upstream }
        return current
    }

    /// Whether mirroring `topic` to `targetAlias` would bring it back to a cluster it came from (Java's
    /// `MirrorSourceConnector.isCycle`). Identity names cannot tell, so never.
    public func isCycle(_ topic: String, targetAlias: String) -> Bool {
        var current = topic
        while let source = topicSource(current) {
            if source == targetAlias { return true }
            guard let upstream = upstreamTopic(current), upstream != current else { return false }
            current = upstream
        }
        return false
    }

    // MARK: Internal topics

    public static let heartbeatsTopic = "heartbeats"

    public func isHeartbeatsTopic(_ topic: String) -> Bool {
        if topic == Self.heartbeatsTopic { return true }
        // A mirrored heartbeats topic: the prefix chain ends in "heartbeats".
        var current = topic
        while let range = current.range(of: separator), range.lowerBound != current.startIndex {
            current = String(current[range.upperBound...])
            if current == Self.heartbeatsTopic { return true }
        }
        return false
    }

    /// `<source>.checkpoints.internal`, on the target.
    public func checkpointsTopic(sourceAlias: String) -> String { sourceAlias + ".checkpoints.internal" }

    /// `mm2-offset-syncs.<target>.internal` (on the source cluster, as in Kafka 2.8).
    public func offsetSyncsTopic(targetAlias: String) -> String { "mm2-offset-syncs." + targetAlias + ".internal" }

    /// Topics MirrorMaker never mirrors: Kafka's and Connect's internal topics and its own.
    public func isInternalTopic(_ topic: String) -> Bool {
        topic.hasSuffix(".internal") || topic.hasSuffix("-internal") || topic.hasPrefix("__") || topic.hasPrefix(".")
    }
}

/// A configuration key with an unusable value.
public struct MirrorConfigError: Error, Sendable, Equatable, CustomStringConvertible {
    public var key: String
    public var reason: String

    public init(key: String, reason: String) {
        self.key = key
        self.reason = reason
    }

    public var description: String { "Invalid value for configuration \(key): \(reason)" }
}
