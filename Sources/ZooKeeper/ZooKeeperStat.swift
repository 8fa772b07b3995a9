import CZooKeeper

/// A znode's metadata as the server reports it (ZooKeeper's `Stat`).
///
/// `version` is the data version that conditional writes compare against; `ephemeralOwner` is the session id of
/// an ephemeral node's owner and 0 for a persistent node; `czxid`, the transaction that created the node, is what
/// Kafka uses as a broker's epoch.
public struct ZooKeeperStat: Sendable, Equatable {
    public var czxid: Int64
    public var mzxid: Int64
    public var pzxid: Int64
    /// Creation time, milliseconds since the epoch.
    public var ctime: Int64
    /// Last modification time, milliseconds since the epoch.
    public var mtime: Int64
    public var version: Int32
    public var cversion: Int32
    public var aversion: Int32
    public var ephemeralOwner: Int64
    public var dataLength: Int32
    public var numChildren: Int32

    public init(
        czxid: Int64,
        mzxid: Int64,
        pzxid: Int64,
        ctime: Int64,
        mtime: Int64,
        version: Int32,
        cversion: Int32,
        aversion: Int32,
        ephemeralOwner: Int64,
        dataLength: Int32,
        numChildren: Int32
    ) {
        self.czxid = czxid
        self.mzxid = mzxid
        self.pzxid = pzxid
        self.ctime = ctime
        self.mtime = mtime
        self.version = version
        self.cversion = cversion
        self.aversion = aversion
        self.ephemeralOwner = ephemeralOwner
        self.dataLength = dataLength
        self.numChildren = numChildren
    }

    init(_ stat: Stat) {
        czxid = stat.czxid
        mzxid = stat.mzxid
        pzxid = stat.pzxid
        ctime = stat.ctime
        mtime = stat.mtime
        version = stat.version
        cversion = stat.cversion
        aversion = stat.aversion
        ephemeralOwner = stat.ephemeralOwner
        dataLength = stat.dataLength
        numChildren = stat.numChildren
    }

    /// True when the node lives only as long as its owner's session.
    public var isEphemeral: Bool { ephemeralOwner != 0 }
}
