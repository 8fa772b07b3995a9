import ArgumentParser
import Foundation
import KafkaZooKeeper
import ZooKeeper

/// `ls PATH`: a znode's children.
struct ListCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "ls", abstract: "List a znode's children.")
    @OptionGroup var options: ConnectionOptions
    @Argument(help: "The znode (relative to the chroot).") var path: String = "/"

    func run() async throws {
        let children = try await options.withClient { try await $0.zookeeper.children(path).sorted() }
        options.emit(children) { children.map { $0 + "\n" }.joined() }
    }
}

/// `get PATH`: a znode's data and stat.
struct GetCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "get", abstract: "Show a znode's data and stat.")
    @OptionGroup var options: ConnectionOptions
    @Argument(help: "The znode (relative to the chroot).") var path: String

    func run() async throws {
        let (data, stat) = try await options.withClient { try await $0.zookeeper.getData(path) }
        let text = data.map { String(decoding: $0, as: UTF8.self) }
        let statFields: [String: Any] = [
            "czxid": stat.czxid, "mzxid": stat.mzxid, "ctime": stat.ctime, "mtime": stat.mtime,
            "version": stat.version, "cversion": stat.cversion, "ephemeralOwner": stat.ephemeralOwner,
            "dataLength": stat.dataLength, "numChildren": stat.numChildren,
        ]
        options.emit(["path": path, "data": text.map { $0 as Any } ?? NSNull(), "stat": statFields]) {
            (text ?? "(no data)") + "\n"
                + statFields.sorted { $0.key < $1.key }.map { "\($0.key) = \(formatStat($0.key, $0.value))\n" }
                .joined()
        }
    }

    private func formatStat(_ key: String, _ value: Any) -> String {
        if key == "ephemeralOwner", let owner = value as? Int64 { return String(format: "0x%llx", owner) }
        if key == "ctime" || key == "mtime", let ms = value as? Int64 { return "\(ms) (\(iso8601(ms)))" }
        return "\(value)"
    }
}

/// `tree [PATH]`: the subtree, one znode per line, indented.
struct TreeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "tree", abstract: "Show a subtree of znodes.")
    @OptionGroup var options: ConnectionOptions
    @Argument(help: "The root of the subtree.") var path: String = "/"

    func run() async throws {
        let paths = try await options.withClient { zk in try await Self.walk(path, zk.zookeeper) }
        options.emit(paths) {
            paths.map { path in
                let depth = path == "/" ? 0 : path.split(separator: "/").count
                return String(repeating: "  ", count: max(depth - 1, 0))
                    + (path.split(separator: "/").last.map(String.init) ?? "/") + "\n"
            }.joined()
        }
    }

    static func walk(_ path: String, _ zookeeper: any ZooKeeperOperations) async throws -> [String] {
        var result = [path]
        for child in try await zookeeper.children(path).sorted() {
            result += try await walk(path == "/" ? "/\(child)" : "\(path)/\(child)", zookeeper)
        }
        return result
    }
}
