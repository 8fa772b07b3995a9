/// The authorizer, Kafka 2.8's names and defaults: no authorizer (everything allowed, the ACL APIs answer
/// SECURITY_DISABLED) unless `authorizer.class.name` names `AclAuthorizer`.
extension ConfigTable {
    static let authorizer: [ConfigKey] = [
        .broker(
            "authorizer.class.name",
            \.authorizerClassName,
            .oneOf(["", BrokerConfig.aclAuthorizer, BrokerConfig.simpleAclAuthorizer]),
            "kafka.security.authorizer.AclAuthorizer checks every request against the ACLs in ZooKeeper (/kafka-acl, /kafka-acl-extended); empty allows everything. Kafka's older kafka.security.auth.SimpleAclAuthorizer name means the same."
        ),
        .broker(
            "super.users",
            \.superUsers,
            "Principals allowed everything whatever the ACLs say, separated by semicolons (certificate DNs contain commas), e.g. User:admin;User:broker."
        ),
        .broker(
            "allow.everyone.if.no.acl.found",
            \.allowEveryoneIfNoAclFound,
            "Whether a resource without any ACL is open to every principal (true) or to super users only (false)."
        ),
    ]
}
