import KafkaSecurity
import Logging
import Testing

@testable import ConnectRuntime

/// MirrorMaker 2's topic ACL sync without clusters: which source bindings reach the remote topics, and how.
@Suite struct MirrorAclSyncTests {
    func binding(
        _ topic: String,
        _ operation: AclOperation,
        _ permission: AclPermissionType = .allow,
        pattern: PatternType = .literal,
        type: ResourceType = .topic
    ) -> AclBinding {
        AclBinding(
            ResourcePattern(type, topic, pattern),
            AccessControlEntry(principal: "User:alice", host: "*", operation: operation, permission: permission)
        )
    }

    @Test func kafkasRulesForWhichAclsAreCopied() throws {
        let settings = try MirrorConnectorConfig(["source.cluster.alias": "A", "target.cluster.alias": "B"])
        let sync = MirrorAclSync(settings: settings, logger: Logger(label: "test")) { $0 != "private" }
        let copied = sync.targetBindings([
            binding("orders", .write),  // only the mirror writes a remote topic
            binding("orders", .all),  // becomes READ
            binding("orders", .describe),
            binding("orders", .write, .deny),  // denials are copied as they are
            binding("orders", .read, pattern: .prefixed),  // LITERAL only
            binding("orders", .read, type: .group),  // TOPIC only
            binding("private", .read),  // not mirrored
        ])
        #expect(
            copied == [
                binding("A.orders", .read), binding("A.orders", .describe), binding("A.orders", .write, .deny),
            ]
        )
    }
}
