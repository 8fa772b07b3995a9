/// How to reach a ZooKeeper ensemble.
///
/// `connectString` is ZooKeeper's own form: comma-separated `host:port` pairs, optionally followed by one
/// chroot path that every path of the client is relative to (`127.0.0.1:2181,127.0.0.1:2182/kafka`).
public struct ZooKeeperConfiguration: Sendable, Equatable {
    public var connectString: String
    /// The session timeout asked of the server; the server clamps it to [2, 20] × its tickTime.
    /// Kafka's `zookeeper.session.timeout.ms` defaults to 18 s.
    public var sessionTimeout: Duration
    /// How long `connect()` waits for a session; Kafka's `zookeeper.connection.timeout.ms` defaults to the
    /// session timeout.
    public var connectionTimeout: Duration
    /// The ACL of the znodes this client creates (Kafka's `zookeeper.set.acl`).
    public var acl: ZooKeeperACL
    /// `user:password` for ZooKeeper's `digest` scheme, added to every session this client opens; the identity
    /// that `ZooKeeperACL.secure` makes the creator of its znodes.
    public var digestCredentials: String?

    public init(
        connectString: String,
        sessionTimeout: Duration = .seconds(18),
        connectionTimeout: Duration? = nil,
        acl: ZooKeeperACL = .open,
        digestCredentials: String? = nil
    ) {
        self.connectString = connectString
        self.sessionTimeout = sessionTimeout
        self.connectionTimeout = connectionTimeout ?? sessionTimeout
        self.acl = acl
        self.digestCredentials = digestCredentials
    }

    /// The servers, without the chroot.
    public var servers: String {
        guard let slash = connectString.firstIndex(of: "/") else { return connectString }
        return String(connectString[..<slash])
    }

    /// The chroot path, when the connect string names one ("/kafka"), else nil.
    public var chroot: String? {
        guard let slash = connectString.firstIndex(of: "/") else { return nil }
        let path = String(connectString[slash...])
        return path == "/" ? nil : path
    }
}
