import KafkaProtocol
public import KafkaSecurity
import Logging
import Synchronization

/// The broker's authorizer: `AclAuthorizer`'s decision over the cluster's ACLs, which it keeps in memory (loaded at
/// startup, a pattern replaced when `AclChangeListener` reads a change notification or this broker writes one).
/// Without `authorizer.class.name` it allows everything and `isEnabled` is false (the ACL APIs then answer
/// SECURITY_DISABLED). Request handlers ask it; denials are logged as Kafka's authorizer logs them, one line each,
/// except where Kafka filters quietly (all-topics Metadata, ListGroups, the follower probe of
/// OffsetForLeaderEpoch). One lock around an immutable snapshot, taken once per check.
public final class BrokerAuthorizer: Sendable {
    let decision: AclAuthorizer?
    private let snapshot = Mutex(AclSnapshot())
    private let logger: Logger

    init(config: BrokerConfig, logger: Logger) {
        self.decision =
            config.authorizerEnabled
            ? AclAuthorizer(
                superUsers: AclAuthorizer.parseSuperUsers(config.superUsers),
                allowEveryoneIfNoAclFound: config.allowEveryoneIfNoAclFound
            ) : nil
        self.logger = logger
    }

    public var isEnabled: Bool { decision != nil }

    /// Every ACL as this broker knows them.
    public var acls: AclSnapshot { snapshot.withLock { $0 } }

    func load(_ patterns: [ResourcePattern: Set<AccessControlEntry>]) {
        snapshot.withLock { $0 = AclSnapshot(patterns) }
    }

    func replace(_ pattern: ResourcePattern, with entries: Set<AccessControlEntry>) {
        snapshot.withLock { $0 = $0.replacing(pattern, with: entries) }
    }

    /// Whether the request's principal, from its host, may perform `operation` on the resource.
    func authorize(
        _ context: RequestContext,
        _ operation: AclOperation,
        _ type: ResourceType,
        _ name: String,
        logIfDenied: Bool = true
    ) -> Bool {
        guard let decision else { return true }
        let host = Self.host(context)
        let acls = snapshot.withLock { $0 }
        let allowed = decision.authorize(
            context.principal,
            host: host,
            operation: operation,
            resource: type,
            name: name,
            acls: acls
        )
        if !allowed, logIfDenied {
            logger.info(
                "Principal = \(context.principal) is Denied Operation = \(operation.name) from host = \(host) on resource = \(type.name):LITERAL:\(name) for request = \(ApiKey(rawValue: context.header.requestApiKey)?.name ?? "?")"
            )
        }
        return allowed
    }

    /// Whether the principal may perform `operation` on some resource of the type (KIP-679). Never logged.
    func authorizeAny(_ context: RequestContext, _ operation: AclOperation, _ type: ResourceType) -> Bool {
        guard let decision else { return true }
        let host = Self.host(context)
        return decision.authorizeAny(
            context.principal,
            host: host,
            operation: operation,
            resource: type,
            acls: snapshot.withLock { $0 }
        )
    }

    /// An operation on the cluster resource.
    func authorizeCluster(_ context: RequestContext, _ operation: AclOperation, logIfDenied: Bool = true) -> Bool {
        authorize(context, operation, .cluster, ResourceType.clusterName, logIfDenied: logIfDenied)
    }

    /// The names of `names` on which the operation is allowed (each checked once); without an authorizer, all of
    /// them, without reading `names` or allocating anything (Produce and Fetch ask on every request).
    func authorizedNames(
        _ context: RequestContext,
        _ operation: AclOperation,
        _ type: ResourceType,
        _ names: some Sequence<String>,
        logIfDenied: Bool = true
    ) -> AuthorizedNames {
        guard isEnabled else { return .all }
        return AuthorizedNames(
            allowed: Set(Set(names).filter { authorize(context, operation, type, $0, logIfDenied: logIfDenied) })
        )
    }

    /// The host ACLs match: the client's address without `InetAddress`'s leading slash.
    private static func host(_ context: RequestContext) -> String {
        context.clientHost.hasPrefix("/") ? String(context.clientHost.dropFirst()) : context.clientHost
    }
}

/// What `BrokerAuthorizer.authorizedNames` allows: every name, or the named ones.
struct AuthorizedNames: Sendable {
    let allowed: Set<String>?

    static let all = AuthorizedNames(allowed: nil)
    static let empty = AuthorizedNames(allowed: [])

    func contains(_ name: String) -> Bool { allowed?.contains(name) ?? true }
}
