public import KafkaCore
import KafkaProtocol
public import Logging
public import NIOCore
public import NIOPosix

/// Kafka's admin client (the Java `Admin`): topics, configs, groups, records and leaders, each request sent to the
/// broker that must answer it (the controller, a partition's leader, a group's coordinator, a broker about itself)
/// at the highest version both sides speak. Results are per item (topic, resource, group, partition): one item's
/// error does not fail the others; a call throws only when no answer came.
///
/// ```swift
/// let admin = try KafkaAdminClient(properties: ["bootstrap.servers": "127.0.0.1:9092"])
/// let created = try await admin.createTopics([NewTopic(name: "orders", numPartitions: 6, replicationFactor: 3)])
/// print(created["orders"]!)  // success, or the broker's error for that topic
/// await admin.close()
/// ```
///
/// Lifecycle: made, used from any task, closed. Its state is the `Cluster` (an actor).
public final class KafkaAdminClient: Sendable {
    public let configuration: ClientConfiguration
    public let cluster: Cluster
    /// How long the brokers may take for an operation (CreateTopics' `timeoutMs`, ...).
    public let operationTimeoutMs: Int32 = 30_000

    public init(
        configuration: ClientConfiguration,
        logger: Logger = Logger(label: "swiftkafka.admin"),
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) throws(ConfigError) {
        var configuration = configuration
        if configuration.clientID.isEmpty { configuration.clientID = "adminclient-\(ClientIDs.next())" }
        self.configuration = configuration
        cluster = try Cluster(configuration: configuration, group: group, logger: logger)
    }

    /// An admin client configured by Kafka property names (`bootstrap.servers`, `client.id`, `request.timeout.ms`).
    public convenience init(
        properties: [String: String],
        logger: Logger = Logger(label: "swiftkafka.admin"),
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) throws(ConfigError) {
        try self.init(configuration: try ClientConfiguration(properties: properties), logger: logger, group: group)
    }

    public func close() async { cluster.close() }

    // MARK: The cluster

    /// The cluster id, controller and brokers (from Metadata, which every broker serves).
    public func describeCluster() async throws -> ClusterDescription {
        let response = try await metadataResponse(topics: [])
        return ClusterDescription(
            clusterID: response.clusterID,
            controllerID: response.controllerID,
            brokers: Dictionary(
                response.brokers.map { ($0.nodeID, BrokerAddress(host: $0.host, port: Int($0.port))) },
                uniquingKeysWith: { first, _ in first }
            ),
            racks: Dictionary(
                response.brokers.compactMap { broker in broker.rack.map { (broker.nodeID, $0) } },
                uniquingKeysWith: { first, _ in first }
            )
        )
    }

    /// Metadata for `topics` (nil: all), never creating a topic; the cluster's view is refreshed with it.
    func metadataResponse(topics: [String]?) async throws -> MetadataResponse {
        var request = MetadataRequest()
        request.topics = topics.map { $0.map { MetadataRequest.MetadataRequestTopic(name: $0) } }
        request.allowAutoTopicCreation = false
        let response = try await cluster.send(request)
        await cluster.apply(response, asked: topics)
        return response
    }

    /// Sends `request` to the controller, asking again (after fresh metadata) when the broker says it is not it.
    func sendToController<Request: KafkaRequest>(
        _ request: Request,
        notController: (Request.Response) -> Bool
    ) async throws -> Request.Response {
        var attempt = 0
        while true {
            let controller = try await describeCluster().controllerID
            let response = try await cluster.send(request, toBroker: controller >= 0 ? controller : nil)
            attempt += 1
            if !notController(response) || attempt >= 3 { return response }
            try await Task.sleep(for: .milliseconds(configuration.retryBackoffMs))
        }
    }

    // MARK: Topics

    /// The names of the cluster's topics, sorted; internal ones only when asked.
    public func listTopics(includeInternal: Bool = false) async throws -> [String] {
        try await describeTopics(nil).filter { includeInternal || !$0.isInternal }.map(\.name)
    }

    /// `names`' descriptions (nil: every topic), sorted by name; a topic that does not exist has its error.
    public func describeTopics(_ names: [String]?) async throws -> [TopicDescription] {
        let response = try await metadataResponse(topics: names)
        return response.topics.map { topic in
            TopicDescription(
                name: topic.name ?? "",
                topicID: topic.topicID,
                isInternal: topic.isInternal,
                error: topic.errorCode,
                partitions: topic.partitions.map {
                    PartitionDescription(
                        partition: $0.partitionIndex,
                        leader: $0.leaderID,
                        leaderEpoch: $0.leaderEpoch,
                        replicas: $0.replicaNodes,
                        isr: $0.isrNodes,
                        offlineReplicas: $0.offlineReplicas
                    )
                }
                .sorted { $0.partition < $1.partition }
            )
        }
        .sorted { $0.name < $1.name }
    }

    /// Creates `topics` at the controller; each topic's outcome.
    public func createTopics(
        _ topics: [NewTopic],
        validateOnly: Bool = false
    ) async throws -> [String: Result<Void, AdminError>] {
        var request = CreateTopicsRequest()
        request.timeoutMs = operationTimeoutMs
        request.validateOnly = validateOnly
        request.topics = topics.map { topic in
            CreateTopicsRequest.CreatableTopic(
                name: topic.name,
                numPartitions: topic.replicaAssignment == nil ? topic.numPartitions : -1,
                replicationFactor: topic.replicaAssignment == nil ? topic.replicationFactor : -1,
                assignments: (topic.replicaAssignment ?? []).enumerated().map {
                    .init(partitionIndex: Int32($0.offset), brokerIDs: $0.element)
                },
                configs: topic.configs.sorted { $0.key < $1.key }.map { .init(name: $0.key, value: $0.value) }
            )
        }
        let response = try await sendToController(request) { $0.topics.contains { $0.errorCode == .notController } }
        return Self.outcomes(response.topics.map { ($0.name, $0.errorCode, $0.errorMessage) })
    }

    /// Deletes `names` at the controller; each topic's outcome.
    public func deleteTopics(_ names: [String]) async throws -> [String: Result<Void, AdminError>] {
        var request = DeleteTopicsRequest()
        request.timeoutMs = operationTimeoutMs
        request.topicNames = names
        request.topics = names.map { .init(name: $0) }
        let response = try await sendToController(request) {
            $0.responses.contains { $0.errorCode == .notController }
        }
        return Self.outcomes(response.responses.map { ($0.name ?? "", $0.errorCode, $0.errorMessage) })
    }

    /// Grows each topic to the given partition count; each topic's outcome.
    public func createPartitions(_ counts: [String: Int32]) async throws -> [String: Result<Void, AdminError>] {
        var request = CreatePartitionsRequest()
        request.timeoutMs = operationTimeoutMs
        request.topics = counts.sorted { $0.key < $1.key }.map {
            .init(name: $0.key, count: $0.value, assignments: nil)
        }
        let response = try await sendToController(request) { $0.results.contains { $0.errorCode == .notController } }
        return Self.outcomes(response.results.map { ($0.name, $0.errorCode, $0.errorMessage) })
    }

    // MARK: Configs

    /// Each resource's configs, sorted by name (only `keys` when given). A broker's configs are asked of that
    /// broker, as Kafka does.
    public func describeConfigs(
        _ resources: [ConfigResource],
        keys: [String]? = nil
    ) async throws -> [ConfigResource: Result<[ConfigEntry], AdminError>] {
        var results: [ConfigResource: Result<[ConfigEntry], AdminError>] = [:]
        let byTarget = Dictionary(grouping: resources) { $0.kind == .broker ? BrokerID($0.name) : nil }
        for (target, group) in byTarget {
            let request = DescribeConfigsRequest(
                resources: group.map {
                    .init(resourceType: $0.kind.rawValue, resourceName: $0.name, configurationKeys: keys)
                }
            )
            if target != nil { _ = try await describeCluster() }
            let response = try await cluster.send(request, toBroker: target)
            for result in response.results {
                guard let kind = ConfigResource.Kind(rawValue: result.resourceType) else { continue }
                let resource = ConfigResource(kind, result.resourceName)
                guard result.errorCode == .none else {
                    results[resource] = .failure(AdminError(result.errorCode, result.errorMessage))
                    continue
                }
                results[resource] = .success(
                    result.configs.map {
                        ConfigEntry(
                            name: $0.name,
                            value: $0.value,
                            source: ConfigEntry.Source(rawValue: $0.configSource) ?? .unknown,
                            isDefault: $0.isDefault || $0.configSource == ConfigEntry.Source.defaultConfig.rawValue,
                            isReadOnly: $0.readOnly,
                            isSensitive: $0.isSensitive
                        )
                    }
                    .sorted { $0.name < $1.name }
                )
            }
        }
        return results
    }

    /// Applies `operations` to each resource (IncrementalAlterConfigs); each resource's outcome.
    public func incrementalAlterConfigs(
        _ operations: [ConfigResource: [AlterConfigOp]]
    ) async throws -> [ConfigResource: Result<Void, AdminError>] {
        let request = IncrementalAlterConfigsRequest(
            resources: operations.map { resource, ops in
                .init(
                    resourceType: resource.kind.rawValue,
                    resourceName: resource.name,
                    configs: ops.map { op in
                        switch op {
                        case .set(let name, let value): .init(name: name, configOperation: 0, value: value)
                        case .delete(let name): .init(name: name, configOperation: 1, value: nil)
                        case .append(let name, let value): .init(name: name, configOperation: 2, value: value)
                        case .subtract(let name, let value): .init(name: name, configOperation: 3, value: value)
                        }
                    }
                )
            }
        )
        let response = try await cluster.send(request)
        var results: [ConfigResource: Result<Void, AdminError>] = [:]
        for answer in response.responses {
            guard let kind = ConfigResource.Kind(rawValue: answer.resourceType) else { continue }
            results[ConfigResource(kind, answer.resourceName)] =
                answer.errorCode == .none ? .success(()) : .failure(AdminError(answer.errorCode, answer.errorMessage))
        }
        return results
    }

    static func outcomes(_ answers: [(String, KafkaErrorCode, String?)]) -> [String: Result<Void, AdminError>] {
        Dictionary(
            answers.map { ($0.0, $0.1 == .none ? .success(()) : .failure(AdminError($0.1, $0.2))) },
            uniquingKeysWith: { first, _ in first }
        )
    }
}
