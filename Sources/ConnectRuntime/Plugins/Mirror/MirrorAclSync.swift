import KafkaClient
import KafkaSecurity
import Logging

/// Topic ACL sync of `MirrorSourceConnector` (Kafka's `syncTopicAcls`, every `sync.topic.acls.interval.seconds`):
/// the source's LITERAL TOPIC ACLs of mirrored topics are created on their remote topics, except ALLOW WRITE (only
/// the mirror writes a remote topic), and ALLOW ALL becomes ALLOW READ; DENY entries are copied as they are.
/// Bindings the target already has are not sent again. A source without an authorizer (SECURITY_DISABLED) is
/// logged once and ACL sync stops, as Kafka 3.5 does. Owned by the connector's background loop.
struct MirrorAclSync {
    let settings: MirrorConnectorConfig
    let logger: Logger
    /// Whether a mirrored topic's ACLs are copied (the connector's topic filter).
    let shouldReplicate: (String) -> Bool

    /// The bindings to have on the target for `bindings` of the source.
    func targetBindings(_ bindings: [AclBinding]) -> Set<AclBinding> {
        var out: Set<AclBinding> = []
        for binding in bindings
        where binding.pattern.type == .topic && binding.pattern.patternType == .literal
            && !(binding.entry.permission == .allow && binding.entry.operation == .write)
            && shouldReplicate(binding.pattern.name)
        {
            var entry = binding.entry
            if entry.permission == .allow && entry.operation == .all { entry.operation = .read }
            let remote = settings.policy.formatRemoteTopic(
                sourceAlias: settings.sourceAlias,
                topic: binding.pattern.name
            )
            out.insert(AclBinding(ResourcePattern(.topic, remote, .literal), entry))
        }
        return out
    }

    /// One sync; false when the source has no authorizer (then no more syncs are due).
    func sync(_ source: KafkaAdminClient, _ target: KafkaAdminClient) async throws -> Bool {
        let bindings: [AclBinding]
        do {
            bindings = try await source.describeAcls(AclBindingFilter(resourceType: .topic))
        } catch let error as AdminError where error.code == .securityDisabled {
            logger.info(
                "No ACL authorizer is configured on the source Kafka cluster, so no topic ACL syncing will be performed."
            )
            return false
        }
        let wanted = targetBindings(bindings)
        guard !wanted.isEmpty else { return true }
        let existing = Set(try await target.describeAcls(AclBindingFilter(resourceType: .topic, patternType: .literal)))
        let missing = wanted.subtracting(existing).sorted { "\($0.pattern) \($0.entry)" < "\($1.pattern) \($1.entry)" }
        guard !missing.isEmpty else { return true }
        for (binding, outcome) in zip(missing, try await target.createAcls(missing)) {
            switch outcome {
            case .success: logger.info("Synced ACL \(binding.entry) on remote topic \(binding.pattern.name)")
            case .failure(let error):
                logger.warning("Could not sync ACL \(binding.entry) on \(binding.pattern.name): \(error)")
            }
        }
        return true
    }
}
