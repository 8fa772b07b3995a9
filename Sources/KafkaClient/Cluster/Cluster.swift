public import KafkaCore
public import KafkaProtocol
public import Logging
public import NIOCore

/// A client's view of one Kafka cluster: the bootstrap servers, the metadata learned from them, one pooled
/// connection per broker and the API versions each broker serves (asked once per connection with ApiVersions, so
/// requests go out at the highest version both sides know, and older brokers work).
///
/// Lifecycle: made by a producer, consumer or admin client and closed with it. Any task may call it; the actor keeps
/// the metadata consistent. Requests themselves run outside the actor (on the pooled connections).
public actor Cluster {
    public nonisolated let configuration: ClientConfiguration
    public nonisolated let pool: ConnectionPool
    nonisolated let bootstrap: [BrokerAddress]
    nonisolated let logger: Logger
    public private(set) var metadata = ClusterMetadata()
    private var fetchedAt: [String: ContinuousClock.Instant] = [:]
    private var versions: [BrokerAddress: (connection: ObjectIdentifier, ranges: ApiVersionRanges)] = [:]

    /// No broker of the cluster answered.
    public struct Unreachable: Error, CustomStringConvertible {
        public var addresses: [BrokerAddress]
        public var lastError: String
        public var description: String {
            "no broker answered (\(addresses.map(\.description).joined(separator: ","))): \(lastError)"
        }
    }

    public init(configuration: ClientConfiguration, group: any EventLoopGroup, logger: Logger) throws(ConfigError) {
        self.configuration = configuration
        bootstrap = try configuration.bootstrapAddresses()
        let clientID = configuration.clientID
        pool = ConnectionPool(
            clientID: clientID,
            group: group,
            connectTimeout: .milliseconds(configuration.socketConnectionSetupTimeoutMs),
            reconnectBackoff: (
                .milliseconds(configuration.reconnectBackoffMs),
                .milliseconds(max(configuration.reconnectBackoffMs, configuration.reconnectBackoffMaxMs))
            ),
            security: try configuration.connectionSecurity()
        )
        self.logger = logger
    }

    nonisolated var requestTimeout: Duration { .milliseconds(configuration.requestTimeoutMs) }

    /// The open connection to `address` and the versions its broker serves (asked on a new connection).
    public func connection(to address: BrokerAddress) async throws -> (KafkaConnection, ApiVersionRanges) {
        let connection = try await pool.connection(to: address)
        if let known = versions[address], known.connection == ObjectIdentifier(connection) {
            return (connection, known.ranges)
        }
        let ranges = try await Self.negotiate(connection, timeout: requestTimeout)
        versions[address] = (ObjectIdentifier(connection), ranges)
        return (connection, ranges)
    }

    /// ApiVersions v3; a broker that does not serve v3 answers in v0 (KIP-511), which is asked again at v0.
    private static func negotiate(_ connection: KafkaConnection, timeout: Duration) async throws -> ApiVersionRanges {
        var request = ApiVersionsRequest()
        request.clientSoftwareName = "swiftkafka"
        request.clientSoftwareVersion = "1.0"
        if let response = try? await connection.send(request, version: 3, timeout: timeout),
            response.errorCode == .none
        {
            return ApiVersionRanges(response)
        }
        guard connection.isOpen else { throw KafkaConnection.Closed(address: connection.address) }
        let response = try await connection.send(ApiVersionsRequest(), version: 0, timeout: timeout)
        return ApiVersionRanges(response)
    }

    /// Sends `request` to `address` at the highest common version (at most `maxVersion` when given).
    /// `timeout` replaces `request.timeout.ms` for requests the broker may hold longer (JoinGroup).
    public func send<Request: KafkaRequest>(
        _ request: Request,
        to address: BrokerAddress,
        timeout: Duration? = nil,
        maxVersion: Int16? = nil
    ) async throws -> Request.Response {
        let (connection, ranges) = try await connection(to: address)
        let version = min(try ranges.version(for: Request.self), maxVersion ?? .max)
        do {
            return try await connection.send(request, version: version, timeout: timeout ?? requestTimeout)
        } catch {
            pool.drop(connection)
            throw error
        }
    }

    /// Sends `request` to broker `id`, or (nil) to the first broker that answers: known brokers, then bootstrap.
    public func send<Request: KafkaRequest>(
        _ request: Request,
        toBroker id: BrokerID? = nil,
        maxVersion: Int16? = nil
    ) async throws -> Request.Response {
        if let id {
            guard let address = metadata.brokers[id] else {
                throw Unreachable(addresses: [], lastError: "broker \(id) is not in the metadata")
            }
            return try await send(request, to: address, maxVersion: maxVersion)
        }
        let candidates = Array(Set(metadata.brokers.values)).sorted { $0.description < $1.description } + bootstrap
        var lastError: any Error = Unreachable(addresses: candidates, lastError: "no address")
        for address in candidates {
            do {
                return try await send(request, to: address, maxVersion: maxVersion)
            } catch let error as UnsupportedVersion {
                throw error
            } catch {
                lastError = error
            }
        }
        throw Unreachable(addresses: candidates, lastError: "\(lastError)")
    }

    /// Asks for the metadata of `topics` (nil: every topic) and merges it in.
    @discardableResult
    public func refreshMetadata(
        topics: [String]?,
        allowAutoTopicCreation: Bool = false
    ) async throws
        -> ClusterMetadata
    {
        var request = MetadataRequest()
        request.topics = topics.map { $0.map { MetadataRequest.MetadataRequestTopic(name: $0) } }
        request.allowAutoTopicCreation = allowAutoTopicCreation
        let response = try await send(request)
        apply(response, asked: topics)
        return metadata
    }

    /// Merges a Metadata answer for `asked` (nil: every topic) into what is known.
    func apply(_ response: MetadataResponse, asked: [String]?) {
        metadata.brokers = Dictionary(
            response.brokers.map { ($0.nodeID, BrokerAddress(host: $0.host, port: Int($0.port))) },
            uniquingKeysWith: { first, _ in first }
        )
        metadata.controllerID = response.controllerID
        if asked == nil { metadata.topics = [:] }
        let now = ContinuousClock.now
        for topic in response.topics {
            guard let name = topic.name else { continue }
            let known = metadata.topics[name]
            metadata.topics[name] = TopicMetadata(
                error: topic.errorCode,
                isInternal: topic.isInternal,
                partitions: Dictionary(
                    topic.partitions.map {
                        (
                            $0.partitionIndex,
                            PartitionMetadata(
                                error: $0.errorCode,
                                leader: $0.leaderID,
                                leaderEpoch: $0.leaderEpoch,
                                replicas: $0.replicaNodes,
                                isr: $0.isrNodes
                            )
                        )
                    },
                    uniquingKeysWith: { first, _ in first }
                )
            )
            // A broker with stale metadata may answer with an older leader epoch than one already seen: the newer
            // knowledge is kept, as the Java client does.
            for (index, partition) in known?.partitions ?? [:] {
                if let fresh = metadata.topics[name]?.partitions[index], fresh.leaderEpoch >= 0,
                    partition.leaderEpoch > fresh.leaderEpoch
                {
                    metadata.topics[name]?.partitions[index] = partition
                }
            }
            fetchedAt[name] = now
        }
    }

    /// `topic`'s metadata once it has partitions, asking (and waiting, retrying while the cluster says the topic
    /// is being created or has no leaders yet) until `deadline`. A topic that does not exist, with auto-creation
    /// off or refused, is `UNKNOWN_TOPIC_OR_PARTITION`.
    public func topic(
        _ name: String,
        allowAutoTopicCreation: Bool,
        deadline: ContinuousClock.Instant
    ) async throws -> TopicMetadata {
        let maxAge = Duration.milliseconds(configuration.metadataMaxAgeMs)
        if let known = metadata.topics[name], known.error == .none, !known.partitions.isEmpty,
            let fetched = fetchedAt[name], fetched + maxAge > .now
        {
            return known
        }
        var lastError = KafkaErrorCode.none
        while true {
            try Task.checkCancellation()
            try await refreshMetadata(topics: [name], allowAutoTopicCreation: allowAutoTopicCreation)
            if let topic = metadata.topics[name] {
                if topic.error == .none, !topic.partitions.isEmpty { return topic }
                lastError = topic.error
                if !topic.error.isRetriable && topic.error != .none {
                    throw TopicError(topic: name, error: topic.error)
                }
            }
            guard ContinuousClock.now + .milliseconds(configuration.retryBackoffMs) < deadline else {
                throw TopicError(topic: name, error: lastError == .none ? .unknownTopicOrPartition : lastError)
            }
            try await Task.sleep(for: .milliseconds(configuration.retryBackoffMs))
        }
    }

    /// Forgets what is known of `topic`'s leaders, so the next use asks again (after NOT_LEADER_OR_FOLLOWER, ...).
    public func invalidate(_ topic: String) {
        fetchedAt[topic] = nil
    }

    public nonisolated func close() {
        pool.closeAll()
    }
}

/// A topic the cluster answered about with an error.
public struct TopicError: Error, Sendable, CustomStringConvertible {
    public var topic: String
    public var error: KafkaErrorCode
    public var description: String { "topic \(topic): \(error)" }
}
