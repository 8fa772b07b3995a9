import Testing

@testable import KafkaSecurity

/// `AclAuthorizer`'s decisions on hand-made ACL sets, case by case as Kafka 2.8's `AclAuthorizer` decides them
/// (reference/security.md §3.2).
@Suite struct AclAuthorizerTests {
    static let alice = KafkaPrincipal(name: "alice")
    static let bob = KafkaPrincipal(name: "bob")

    func allowed(
        _ operation: AclOperation,
        _ type: ResourceType = .topic,
        _ name: String = "orders",
        by principal: KafkaPrincipal = alice,
        host: String = "10.0.0.1",
        authorizer: AclAuthorizer = AclAuthorizer(),
        in acls: [ResourcePattern: Set<AccessControlEntry>]
    ) -> Bool {
        authorizer.authorize(
            principal,
            host: host,
            operation: operation,
            resource: type,
            name: name,
            acls: AclSnapshot(acls)
        )
    }

    static func entry(
        _ operation: AclOperation,
        _ permission: AclPermissionType = .allow,
        for principal: String = "User:alice",
        host: String = "*"
    ) -> AccessControlEntry {
        AccessControlEntry(principal: principal, host: host, operation: operation, permission: permission)
    }

    @Test func noAclsDeniesUnlessEveryoneIsAllowed() {
        #expect(!allowed(.read, in: [:]))
        #expect(allowed(.read, authorizer: AclAuthorizer(allowEveryoneIfNoAclFound: true), in: [:]))
        // An ACL for someone else on the resource: the resource has ACLs, so the flag no longer applies.
        let others: [ResourcePattern: Set<AccessControlEntry>] = [
            ResourcePattern(.topic, "orders"): [Self.entry(.read, for: "User:bob")]
        ]
        #expect(!allowed(.read, authorizer: AclAuthorizer(allowEveryoneIfNoAclFound: true), in: others))
    }

    @Test func superUsersBypassEverything() {
        let authorizer = AclAuthorizer(superUsers: AclAuthorizer.parseSuperUsers("User:admin; User:CN=broker,O=acme"))
        #expect(authorizer.superUsers == ["User:admin", "User:CN=broker,O=acme"])
        let denyAll: [ResourcePattern: Set<AccessControlEntry>] = [
            ResourcePattern(.topic, "*"): [Self.entry(.all, .deny, for: "User:*")]
        ]
        #expect(allowed(.write, by: KafkaPrincipal(name: "admin"), authorizer: authorizer, in: denyAll))
        #expect(!allowed(.write, authorizer: authorizer, in: denyAll))
    }

    @Test func denyBeatsAllowAndIsNeverWidened() {
        let acls: [ResourcePattern: Set<AccessControlEntry>] = [
            ResourcePattern(.topic, "orders"): [Self.entry(.all), Self.entry(.write, .deny)]
        ]
        #expect(allowed(.read, in: acls))
        #expect(!allowed(.write, in: acls))
        // A DENY of Write does not deny Describe, which the ALLOW of All permits.
        #expect(allowed(.describe, in: acls))
    }

    @Test func impliedOperations() {
        for operation in [AclOperation.read, .write, .delete, .alter] {
            let acls: [ResourcePattern: Set<AccessControlEntry>] = [
                ResourcePattern(.topic, "orders"): [Self.entry(operation)]
            ]
            #expect(allowed(.describe, in: acls), "\(operation) implies Describe")
            #expect(!allowed(.create, in: acls))
        }
        let alterConfigs: [ResourcePattern: Set<AccessControlEntry>] = [
            ResourcePattern(.topic, "orders"): [Self.entry(.alterConfigs)]
        ]
        #expect(allowed(.describeConfigs, in: alterConfigs))
        #expect(!allowed(.describe, in: alterConfigs))
    }

    @Test func wildcardsPrefixesPrincipalsAndHosts() {
        let acls: [ResourcePattern: Set<AccessControlEntry>] = [
            ResourcePattern(.topic, "*"): [Self.entry(.describe, for: "User:*")],
            ResourcePattern(.topic, "tenantA.", .prefixed): [Self.entry(.write)],
            ResourcePattern(.topic, "*", .prefixed): [Self.entry(.delete)],
            ResourcePattern(.group, "g1"): [Self.entry(.read, for: "User:bob", host: "10.0.0.2")],
        ]
        #expect(allowed(.describe, .topic, "anything", by: Self.bob, in: acls))
        #expect(allowed(.write, .topic, "tenantA.orders", in: acls))
        #expect(!allowed(.write, .topic, "tenantB.orders", in: acls))
        // A prefixed `*` matches only names that start with `*`.
        #expect(!allowed(.delete, .topic, "orders", in: acls))
        #expect(allowed(.delete, .topic, "*orders", in: acls))
        #expect(allowed(.read, .group, "g1", by: Self.bob, host: "10.0.0.2", in: acls))
        #expect(!allowed(.read, .group, "g1", by: Self.bob, host: "10.0.0.3", in: acls))
        #expect(!allowed(.read, .group, "g1", host: "10.0.0.2", in: acls))
    }

    /// DescribeAcls/DeleteAcls filters (Kafka's `ResourcePatternFilter.matches`, `AccessControlEntryFilter.matches`).
    @Test func filtersMatchAsKafkaMatches() {
        let literal = ResourcePattern(.topic, "orders")
        let wildcard = ResourcePattern(.topic, "*")
        let prefixed = ResourcePattern(.topic, "ord", .prefixed)
        let group = ResourcePattern(.group, "orders")
        let all = [literal, wildcard, prefixed, group]
        func matching(_ filter: AclBindingFilter) -> Set<ResourcePattern> { Set(all.filter(filter.matches)) }
        #expect(matching(AclBindingFilter()) == Set(all))
        #expect(
            matching(AclBindingFilter(resourceType: .topic, name: "orders", patternType: .match)) == [
                literal, wildcard, prefixed,
            ]
        )
        #expect(matching(AclBindingFilter(resourceType: .topic, name: "orders", patternType: .any)) == [literal])
        #expect(
            matching(AclBindingFilter(resourceType: .any, name: "orders", patternType: .literal)) == [literal, group]
        )
        #expect(matching(AclBindingFilter(resourceType: .topic, name: "ord", patternType: .prefixed)) == [prefixed])
        #expect(matching(AclBindingFilter(resourceType: .topic, name: "*", patternType: .literal)) == [wildcard])
        let entry = Self.entry(.read, .deny, host: "10.0.0.1")
        #expect(AclBindingFilter(principal: "User:alice", operation: .read, permission: .deny).matches(entry))
        #expect(!AclBindingFilter(host: "*").matches(entry))
        #expect(!AclBindingFilter(operation: .write).matches(entry))
        #expect(AclBindingFilter(resourceType: .unknown).invalidReason != nil)
    }

    @Test func creationsKafkaRefuses() {
        func reason(_ pattern: ResourcePattern, _ entry: AccessControlEntry = Self.entry(.read)) -> String? {
            AclBinding(pattern, entry).invalidReason
        }
        #expect(reason(ResourcePattern(.topic, "t")) == nil)
        #expect(reason(ResourcePattern(.cluster, "kafka-cluster"), Self.entry(.alter)) == nil)
        #expect(reason(ResourcePattern(.cluster, "other")) != nil)
        #expect(reason(ResourcePattern(.topic, "")) != nil)
        #expect(reason(ResourcePattern(.topic, "t", .match)) != nil)
        #expect(reason(ResourcePattern(.any, "t")) != nil)
        #expect(reason(ResourcePattern(.topic, "t"), Self.entry(.any)) != nil)
        #expect(reason(ResourcePattern(.topic, "t"), Self.entry(.read, for: "alice")) != nil)
    }

    /// KIP-679: Write on *some* topic (what an idempotent producer without IdempotentWrite needs).
    @Test func authorizeByResourceType() {
        func any(_ acls: [ResourcePattern: Set<AccessControlEntry>], everyone: Bool = false) -> Bool {
            AclAuthorizer(allowEveryoneIfNoAclFound: everyone).authorizeAny(
                Self.alice,
                host: "10.0.0.1",
                operation: .write,
                resource: .topic,
                acls: AclSnapshot(acls)
            )
        }
        #expect(!any([:]))
        #expect(any([:], everyone: true))
        #expect(any([ResourcePattern(.topic, "t"): [Self.entry(.write)]]))
        #expect(any([ResourcePattern(.topic, "t"): [Self.entry(.all)]]))
        #expect(!any([ResourcePattern(.topic, "t"): [Self.entry(.read)]]))
        #expect(!any([ResourcePattern(.topic, "t"): [Self.entry(.write, for: "User:bob")]]))
        // A literal deny of the same name, a denied prefix, or a denied wildcard take the allow away.
        #expect(!any([ResourcePattern(.topic, "t"): [Self.entry(.write), Self.entry(.write, .deny)]]))
        #expect(
            !any([
                ResourcePattern(.topic, "tenant.t"): [Self.entry(.write)],
                ResourcePattern(.topic, "tenant.", .prefixed): [Self.entry(.write, .deny)],
            ])
        )
        #expect(
            !any([
                ResourcePattern(.topic, "t"): [Self.entry(.write)],
                ResourcePattern(.topic, "*"): [Self.entry(.write, .deny)],
            ])
        )
        // A deny elsewhere leaves another allowed topic.
        #expect(
            any([
                ResourcePattern(.topic, "t"): [Self.entry(.write)],
                ResourcePattern(.topic, "u"): [Self.entry(.write, .deny)],
            ])
        )
    }

    @Test func namesAsKafkaSpellsThem() {
        #expect(ResourceType(name: "TOPIC") == .topic && ResourceType(name: "Topic") == .topic)
        #expect(ResourceType(name: "TRANSACTIONAL_ID") == .transactionalID)
        #expect(ResourceType.transactionalID.name == "TransactionalId")
        #expect(AclOperation(name: "CLUSTER_ACTION") == .clusterAction)
        #expect(AclOperation.idempotentWrite.upperName == "IDEMPOTENT_WRITE")
        #expect(
            ResourcePattern(.topic, "t1").description
                == "ResourcePattern(resourceType=TOPIC, name=t1, patternType=LITERAL)"
        )
        #expect(
            Self.entry(.read, for: "User:bob").description
                == "(principal=User:bob, host=*, operation=READ, permissionType=ALLOW)"
        )
    }
}
