import Foundation
import KafkaZooKeeper
import NIOCore
import ZooKeeper

/// `/zookeeper?path=`: one znode of the cluster's ZooKeeper, read only — its data (JSON pretty-printed, text, or
/// hex), its stat (versions, times, the ephemeral owner's session) and its children as links. Kafka's znodes are
/// JSON; `/consumers/.../offsets/...` are decimals. Nothing under `/config/users` (SCRAM credentials) is shown,
/// though they hold salted keys only.
struct ZooKeeperPage: Encodable, Sendable {
    struct Child: Encodable, Sendable {
        var name: String
        var path: String
    }

    struct Crumb: Encodable, Sendable {
        var name: String
        var path: String
    }

    var path: String
    var crumbs: [Crumb]
    var data: MessagesPage.Rendered
    var version: Int32
    var childrenVersion: Int32
    var created: String
    var modified: String
    var ephemeralOwner: String
    var children: [Child]
}

extension ConsoleCluster {
    /// Nil without ZooKeeper; throws `ZooKeeperError.noNode` for a path that does not exist.
    func znode(_ requested: String) async throws -> ZooKeeperPage? {
        var path = requested.isEmpty ? "/" : requested
        if !path.hasPrefix("/") { path = "/" + path }
        if path.count > 1 && path.hasSuffix("/") { path.removeLast() }
        let hidden = path.hasPrefix("/config/users/")
        return try await withZooKeeper { zk -> ZooKeeperPage in
            let (data, stat) = try await zk.zookeeper.getData(path)
            let children = try await zk.zookeeper.children(path).sorted()
            let parts = path.split(separator: "/").map(String.init)
            let format = ISO8601DateFormatter()
            return ZooKeeperPage(
                path: path,
                crumbs: parts.indices.map { .init(name: parts[$0], path: "/" + parts[...$0].joined(separator: "/")) },
                data: hidden
                    ? .init(format: "hidden", text: "(credentials are not shown)")
                    : ConsoleCluster.render(data.map { .init(bytes: $0) }),
                version: stat.version,
                childrenVersion: stat.cversion,
                created: format.string(from: Date(timeIntervalSince1970: Double(stat.ctime) / 1000)),
                modified: format.string(from: Date(timeIntervalSince1970: Double(stat.mtime) / 1000)),
                ephemeralOwner: stat.isEphemeral
                    ? "0x" + String(UInt64(bitPattern: stat.ephemeralOwner), radix: 16) : "",
                children: children.map { .init(name: $0, path: path == "/" ? "/\($0)" : "\(path)/\($0)") }
            )
        }
    }
}
