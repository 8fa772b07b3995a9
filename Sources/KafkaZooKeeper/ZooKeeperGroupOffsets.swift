public import KafkaCore
public import Logging
public import ZooKeeper

/// The consumer groups whose offsets live in a cluster's ZooKeeper, which Kafka's MirrorMaker 2 cannot see (it
/// lists groups with ListGroups): `/consumers/<group>/offsets/<topic>/<partition>`, each an ASCII decimal, as
/// Kafka's old consumers, OffsetCommit v0 and brokers with `offsets.storage=zookeeper` write them. Opened on the
/// `zookeeper.connect` of a mirror's source (`<alias>.zookeeper.connect` in mm2.properties,
/// `cluster.link.<name>.zookeeper.connect` of a broker), chroot included, with a session of its own; or on a
/// session its owner keeps (the console's). Read only. Owned by one task or loop.
public final class ZooKeeperGroupOffsets {
    private let client: any ZooKeeperOperations
    /// The session opened here, closed by `close`; nil when the owner's session is borrowed.
    private let owned: ZooKeeperClient?

    public init(connect: String, logger: Logger) async throws {
        let session = ZooKeeperClient(
            configuration: ZooKeeperConfiguration(connectString: connect, sessionTimeout: .seconds(18)),
            logger: logger
        )
        try await session.connect()
        client = session
        owned = session
    }

    /// Reads through `zookeeper`, a session the caller keeps and closes.
    public init(zookeeper: any ZooKeeperOperations) {
        client = zookeeper
        owned = nil
    }

    /// The groups that have committed at least one offset, sorted.
    public func groups() async throws -> [String] {
        var groups: [String] = []
        for group in try await children("/consumers").sorted()
        where try await !children("/consumers/\(group)/offsets").isEmpty {
            groups.append(group)
        }
        return groups
    }

    /// `group`'s committed offsets; entries that are not decimals are left out.
    public func offsets(_ group: String) async throws -> [TopicPartition: Int64] {
        var offsets: [TopicPartition: Int64] = [:]
        let base = "/consumers/\(group)/offsets"
        for topic in try await children(base) {
            for partition in try await children("\(base)/\(topic)") {
                guard let index = Int32(partition),
                    let data = try await data("\(base)/\(topic)/\(partition)"),
                    let offset = Int64(String(decoding: data, as: UTF8.self).trimmingSpaces), offset >= 0
                else { continue }
                offsets[TopicPartition(topic, index)] = offset
            }
        }
        return offsets
    }

    public func close() async { await owned?.close() }

    /// The children of `path`; none when it does not exist.
    private func children(_ path: String) async throws -> [String] {
        do {
            return try await client.children(path, watch: false)
        } catch let error as ZooKeeperError where error.code == .noNode {
            return []
        }
    }

    private func data(_ path: String) async throws -> [UInt8]? {
        do {
            return try await client.getData(path, watch: false).data
        } catch let error as ZooKeeperError where error.code == .noNode {
            return nil
        }
    }
}

extension String {
    fileprivate var trimmingSpaces: String {
        String(drop { $0.isWhitespace }.reversed().drop { $0.isWhitespace }.reversed())
    }
}
