import KafkaCore
import KafkaMirror
import Testing

/// Naming, cycle detection and filters as Kafka's `DefaultReplicationPolicy`, `IdentityReplicationPolicy` and
/// `DefaultTopicFilter`/`DefaultGroupFilter` behave (cases from their Java tests and javadoc).
@Suite struct ReplicationPolicyTests {
    let policy = ReplicationPolicy()

    @Test func prefixedNames() {
        #expect(policy.formatRemoteTopic(sourceAlias: "A", topic: "orders") == "A.orders")
        #expect(policy.topicSource("B.A.orders") == "B")
        #expect(policy.upstreamTopic("B.A.orders") == "A.orders")
        #expect(policy.originalTopic("B.A.orders") == "orders")
        #expect(policy.topicSource("orders") == nil)
        #expect(policy.upstreamTopic("orders") == nil)
        #expect(policy.originalTopic("orders") == "orders")
        let dashed = ReplicationPolicy(separator: "__")
        #expect(dashed.formatRemoteTopic(sourceAlias: "A", topic: "my.topic") == "A__my.topic")
        #expect(dashed.topicSource("A__my.topic") == "A")
        #expect(dashed.upstreamTopic("A__my.topic") == "my.topic")
    }

    @Test func cyclesAreDetectedWithPrefixes() {
        // Flow B->A sees A's "orders" mirrored to B as "A.orders": sending it back to A would loop.
        #expect(policy.isCycle("A.orders", targetAlias: "A"))
        #expect(policy.isCycle("C.A.orders", targetAlias: "A"))
        #expect(!policy.isCycle("orders", targetAlias: "A"))
        #expect(!policy.isCycle("C.orders", targetAlias: "A"))
    }

    @Test func identityKeepsNamesButNotHeartbeats() throws {
        let identity = try ReplicationPolicy(className: ReplicationPolicy.identityClassName)
        #expect(identity.formatRemoteTopic(sourceAlias: "A", topic: "orders") == "orders")
        #expect(identity.formatRemoteTopic(sourceAlias: "A", topic: "heartbeats") == "A.heartbeats")
        #expect(identity.topicSource("A.heartbeats") == "A")
        #expect(identity.topicSource("A.orders") == nil)
        #expect(!identity.isCycle("orders", targetAlias: "A"))
        #expect(throws: MirrorConfigError.self) { try ReplicationPolicy(className: "com.example.Custom") }
    }

    @Test func internalTopics() {
        #expect(policy.isHeartbeatsTopic("heartbeats"))
        #expect(policy.isHeartbeatsTopic("B.A.heartbeats"))
        #expect(!policy.isHeartbeatsTopic("A.orders"))
        #expect(policy.checkpointsTopic(sourceAlias: "A") == "A.checkpoints.internal")
        #expect(policy.offsetSyncsTopic(targetAlias: "B") == "mm2-offset-syncs.B.internal")
        for topic in ["__consumer_offsets", "mm2-configs.A.internal", "connect-offsets-internal", ".hidden"] {
            #expect(policy.isInternalTopic(topic), "\(topic)")
        }
        #expect(!policy.isInternalTopic("orders"))
    }

    @Test func defaultTopicAndGroupFilters() throws {
        let topics = try NameFilter(include: ".*", exclude: NameFilter.defaultTopicsExclude, key: "topics")
        #expect(topics.matches("orders"))
        #expect(!topics.matches("mm2-offsets.A.internal"))
        #expect(!topics.matches("orders.replica"))
        #expect(!topics.matches("__consumer_offsets"))
        let groups = try NameFilter(include: ".*", exclude: NameFilter.defaultGroupsExclude, key: "groups")
        #expect(groups.matches("billing"))
        #expect(!groups.matches("console-consumer-1234"))
        #expect(!groups.matches("connect-jdbc"))
        let listed = try NameFilter(include: "orders, pay.*", exclude: "", key: "topics")
        #expect(listed.matches("orders") && listed.matches("payments"))
        #expect(!listed.matches("orders2"), "a regex matches the whole name")
        let nothing = try NameFilter(include: "", exclude: "", key: "topics")
        #expect(!nothing.matches("orders"))
        #expect(throws: MirrorConfigError.self) { try NameFilter(include: "(", exclude: "", key: "topics") }
    }
}
