import Avro
import Foundation
public import Logging
public import SchemaRegistry
import ZooKeeper

/// Confluent Schema Registry's ZooKeeper mode (`kafkastore.connection.url`): one instance writes. Each instance
/// tries to create the ephemeral `/<namespace>/schema_registry_master` holding its identity
/// (`{"host","port","master_eligibility","scheme","version"}`); the one that does leads, the others read and
/// watch it, forward writes to the leader, and try again when it goes (the leader's session ends). The leader hands
/// out new ids from ranges of 20 claimed in `/<namespace>/schema_id_counter` (the last id claimed, Confluent's
/// `ZookeeperIdGenerator`), so a writer that has just lost its leadership cannot hand out an id its successor
/// hands out too.
///
/// Lifecycle: `start()` (connect, first election), `run()` (watch until cancelled), `close()`. An actor.
public actor ZooKeeperLeadership {
    public struct Identity: Sendable, Equatable {
        public var host: String
        public var port: Int
        public var scheme = "http"

        public var url: String { "\(scheme)://\(host):\(port)" }

        var json: String {
            JSONValue.object(
                JSONObject([
                    ("host", .string(host)), ("port", .number(JSONNumber(String(port)))),
                    ("master_eligibility", .bool(true)), ("scheme", .string(scheme)),
                    ("version", .number(JSONNumber("1"))),
                ])
            ).compactText
        }

        init(host: String, port: Int, scheme: String = "http") {
            self.host = host
            self.port = port
            self.scheme = scheme
        }

        init?(json text: String) {
            guard let json = try? JSONValue.parse(text), let host = json["host"]?.stringValue,
                case .number(let number)? = json["port"], let port = number.integerValue
            else { return nil }
            self.init(host: host, port: Int(port), scheme: json["scheme"]?.stringValue ?? "http")
        }
    }

    static let batchSize: Int32 = 20

    let zookeeper: ZooKeeperClient
    let me: Identity
    let root: String
    let logger: Logger
    public private(set) var leader: Identity?
    var ids: ClosedRange<Int32>?
    var nextID: Int32 = 1

    public init(connectString: String, namespace: String, me: Identity, logger: Logger) {
        zookeeper = ZooKeeperClient(
            configuration: ZooKeeperConfiguration(connectString: connectString, sessionTimeout: .seconds(6)),
            logger: logger
        )
        self.me = me
        self.root = "/" + namespace
        self.logger = logger
    }

    var masterPath: String { "\(root)/schema_registry_master" }
    var counterPath: String { "\(root)/schema_id_counter" }
    public var isLeader: Bool { leader == me }

    public func start() async throws {
        try await zookeeper.connect()
        do {
            _ = try await zookeeper.create(root, data: [], mode: .persistent)
        } catch let error as ZooKeeperError where error.code == .nodeExists {}
        try await elect()
    }

    /// One election round: lead if the node is free, else learn who leads (and watch the node).
    func elect() async throws {
        do {
            _ = try await zookeeper.create(masterPath, data: Array(me.json.utf8), mode: .ephemeral)
            leader = me
            ids = nil
            logger.info("Elected the schema registry's leader", metadata: ["identity": "\(me.url)"])
        } catch let error as ZooKeeperError where error.code == .nodeExists {}
        do {
            let (data, _) = try await zookeeper.getData(masterPath, watch: true)
            let current = data.flatMap { String(validating: $0, as: UTF8.self) }.flatMap(Identity.init(json:))
            if current != leader {
                logger.info("The schema registry's leader", metadata: ["leader": "\(current?.url ?? "none")"])
            }
            leader = current
        } catch let error as ZooKeeperError where error.code == .noNode {
            leader = nil
        }
    }

    /// Elects again whenever the leader's node changes or the session comes back, until cancelled.
    public func run() async {
        let events = zookeeper.watchEvents()
        let states = zookeeper.sessionStates()
        let watcher = Task {
            for await event in events where event.path == masterPath {
                await self.electAgain()
            }
        }
        let sessions = Task {
            for await _ in states { await self.electAgain() }
        }
        await withTaskCancellationHandler {
            while !Task.isCancelled { try? await Task.sleep(for: .seconds(3600)) }
        } onCancel: {
            watcher.cancel()
            sessions.cancel()
        }
    }

    func electAgain() async {
        for _ in 0..<50 {
            do {
                try await elect()
                return
            } catch {
                logger.warning("Schema registry election failed, retrying: \(error)")
                try? await Task.sleep(for: .milliseconds(200))
            }
        }
    }

    /// The smallest id a new schema may take now, claiming a new range when the current one is used up (or none
    /// is held); `maxID` is the largest id read from the topic.
    public func idFloor(maxID: Int32) async throws(SchemaRegistryError) -> Int32 {
        guard isLeader else { throw SchemaRegistryError(50004, "Unknown leader") }
        if let ids, nextID <= ids.upperBound, nextID > maxID { return nextID }
        do {
            let claimed = try await claim(after: maxID)
            ids = claimed
            nextID = claimed.lowerBound
            return nextID
        } catch {
            throw SchemaRegistryError(50001, "Error while claiming ids in ZooKeeper: \(error)")
        }
    }

    /// Records that `id` was handed out.
    public func used(_ id: Int32) {
        if let ids, ids.contains(id) { nextID = max(nextID, id + 1) }
    }

    func claim(after maxID: Int32) async throws -> ClosedRange<Int32> {
        for _ in 0..<20 {
            do {
                let (data, stat) = try await zookeeper.getData(counterPath, watch: false)
                let counter = data.flatMap { String(validating: $0, as: UTF8.self) }.flatMap { Int32($0) } ?? 0
                let start = max(counter, maxID) + 1
                let end = start + Self.batchSize - 1
                _ = try await zookeeper.setData(counterPath, data: Array(String(end).utf8), version: stat.version)
                return start...end
            } catch let error as ZooKeeperError where error.code == .noNode {
                let start = maxID + 1
                let end = start + Self.batchSize - 1
                do {
                    _ = try await zookeeper.create(counterPath, data: Array(String(end).utf8), mode: .persistent)
                    return start...end
                } catch let error as ZooKeeperError where error.code == .nodeExists {}
            } catch let error as ZooKeeperError where error.code == .badVersion {}
        }
        throw SchemaRegistryError(50001, "Could not claim ids in ZooKeeper: too much contention")
    }

    public func close() async {
        await zookeeper.close()
    }
}
