import Foundation
public import KafkaClient
import KafkaCore
import KafkaZooKeeper
public import Logging
import ZooKeeper

/// The cluster as the console reads and changes it: one admin client, one producer made on the first produce,
/// and, with `zookeeper.connect`, one ZooKeeper session (opened on first use, reopened after a failure). Every page
/// is built from fresh answers (no cache): what the page shows is what the cluster said while rendering it.
/// Owned by the server; its methods are called from request handlers concurrently.
actor ConsoleCluster {
    let config: ConsoleConfig
    let logger: Logger
    let admin: KafkaAdminClient
    var producer: KafkaProducer?
    var zookeeper: ZooKeeperClient?
    /// The last invariant check (`checkInvariants`), shown on the overview.
    var lastInvariants: InvariantsPage?
    /// The history the sampler writes and the pages chart; nil in unit tests.
    let history: ConsoleHistory?
    /// Each topic's `min.insync.replicas`, as last read.
    var minInsyncReplicasCache: [String: Int] = [:]
    /// Each broker's metrics URL found from its `metrics.port` ("" when it has none).
    var discoveredMetrics: [Int32: String] = [:]

    init(config: ConsoleConfig, history: ConsoleHistory?, logger: Logger) throws {
        self.config = config
        self.history = history
        self.logger = logger
        admin = try KafkaAdminClient(properties: config.kafkaProperties, logger: logger)
    }

    func close() async {
        await producer?.close()
        await zookeeper?.close()
        await admin.close()
    }

    // MARK: Shared reads

    /// Every topic's description, internal ones included, sorted by name.
    func describeAll() async throws -> [TopicDescription] {
        try await admin.describeTopics(nil).sorted { $0.name < $1.name }
    }

    /// Log start and end offsets of `partitions` (partitions without a leader are missing).
    func watermarks(_ partitions: [TopicPartition]) async throws -> [TopicPartition: (start: Int64, end: Int64)] {
        guard !partitions.isEmpty else { return [:] }
        async let starts = admin.listOffsets(partitions, at: -2)
        async let ends = admin.listOffsets(partitions, at: -1)
        let (s, e) = try await (starts, ends)
        var result: [TopicPartition: (start: Int64, end: Int64)] = [:]
        for partition in partitions {
            guard case .success(let start)? = s[partition], case .success(let end)? = e[partition] else { continue }
            result[partition] = (start, end)
        }
        return result
    }

    /// Each topic's `min.insync.replicas`: from the cache the sampler refreshes (`refreshMinInsyncReplicas`), topics
    /// not in it asked now (one DescribeConfigs for them, that key only).
    func minInsyncReplicas(_ topics: [String]) async -> [String: Int] {
        let missing = topics.filter { minInsyncReplicasCache[$0] == nil }
        if !missing.isEmpty { minInsyncReplicasCache.merge(await describeMinInsyncReplicas(missing)) { $1 } }
        return minInsyncReplicasCache
    }

    /// Reads every topic's `min.insync.replicas` again (the sampler's job, so that pages need not).
    func refreshMinInsyncReplicas(_ topics: [String]) async {
        minInsyncReplicasCache = await describeMinInsyncReplicas(topics)
    }

    private func describeMinInsyncReplicas(_ topics: [String]) async -> [String: Int] {
        guard !topics.isEmpty,
            let answers = try? await admin.describeConfigs(
                topics.map { ConfigResource(.topic, $0) },
                keys: ["min.insync.replicas"]
            )
        else { return [:] }
        var result: [String: Int] = [:]
        for (resource, answer) in answers {
            guard case .success(let entries) = answer,
                let value = entries.first(where: { $0.name == "min.insync.replicas" })?.value.flatMap({ Int($0) })
            else { continue }
            result[resource.name] = value
        }
        return result
    }

    // MARK: ZooKeeper

    /// The ZooKeeper session, connected; nil without `zookeeper.connect`.
    func zooKeeper() async throws -> ZooKeeperClient? {
        guard let connect = config.zookeeperConnect else { return nil }
        if let zookeeper { return zookeeper }
        let client = ZooKeeperClient(
            configuration: ZooKeeperConfiguration(
                connectString: connect,
                sessionTimeout: .seconds(18),
                connectionTimeout: .seconds(5)
            ),
            logger: logger
        )
        try await client.connect()
        zookeeper = client
        return client
    }

    /// Runs `body` on the ZooKeeper session; a failure closes the session, so the next call opens a new one.
    func withZooKeeper<T: Sendable>(_ body: (KafkaZkClient) async throws -> T) async throws -> T? {
        guard let client = try await zooKeeper() else { return nil }
        do {
            return try await body(KafkaZkClient(zookeeper: client, logger: logger))
        } catch {
            if let error = error as? ZooKeeperError, error.code == .noNode { throw error }
            zookeeper = nil
            await client.close()
            throw error
        }
    }

    // MARK: Producing

    /// Sends one record and waits for its acknowledgement (acks=all).
    func produce(
        topic: String,
        partition: Int32?,
        key: [UInt8]?,
        value: [UInt8]?,
        headers: [(key: String, value: [UInt8]?)]
    ) async throws -> RecordMetadata {
        if producer == nil {
            var properties = config.kafkaProperties
            properties["acks"] = "all"
            properties["linger.ms"] = "0"
            producer = try KafkaProducer(properties: properties, logger: logger)
        }
        return try await producer!.send(topic: topic, key: key, value: value, headers: headers, partition: partition)
    }
}
