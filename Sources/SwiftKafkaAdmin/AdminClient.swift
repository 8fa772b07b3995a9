import KafkaCore
import KafkaProtocol
import KafkaServer
import NIOPosix

/// A small Kafka admin client over the wire protocol, for `swiftkafka-admin`: it bootstraps from
/// `--bootstrap-server`, learns the brokers from Metadata, and sends each request to the broker that must answer
/// it (any broker, a partition's leader, a group's coordinator), one connection per broker.
///
/// Lifecycle: made per command run, `close()` at the end. Every request fails after `timeout` instead of hanging.
actor AdminClient {
    let bootstrap: [(host: String, port: Int)]
    let timeout: Duration
    private var connections: [String: BrokerConnection] = [:]
    private(set) var brokers: [Int32: (host: String, port: Int)] = [:]

    init(bootstrapServers: String, timeout: Duration) throws {
        bootstrap = try bootstrapServers.split(separator: ",").map { entry in
            guard let colon = entry.lastIndex(of: ":"), let port = Int(entry[entry.index(after: colon)...]) else {
                throw Failure("--bootstrap-server: '\(entry)' is not host:port")
            }
            return (String(entry[..<colon]), port)
        }
        guard !bootstrap.isEmpty else { throw Failure("--bootstrap-server is empty") }
        self.timeout = timeout
    }

    private func connection(host: String, port: Int) async throws -> BrokerConnection {
        let key = "\(host):\(port)"
        if let existing = connections[key], existing.isOpen { return existing }
        let made = try await BrokerConnection.connect(
            host: host,
            port: port,
            clientID: "swiftkafka-admin",
            group: MultiThreadedEventLoopGroup.singleton
        )
        connections[key] = made
        return made
    }

    /// Sends `request` to broker `brokerID`, or to the first bootstrap server that answers.
    func send<Request: KafkaRequest>(
        _ request: Request,
        version: Int16,
        to brokerID: Int32? = nil
    ) async throws -> Request.Response {
        guard let brokerID else { return try await send(request, version: version, trying: bootstrap) }
        guard let broker = brokers[brokerID] else { throw Failure("broker \(brokerID) is not in the metadata") }
        return try await send(request, version: version, trying: [broker])
    }

    /// Sends `request` to the broker at `host:port` (a coordinator from FindCoordinator).
    func send<Request: KafkaRequest>(
        _ request: Request,
        version: Int16,
        host: String,
        port: Int
    ) async throws -> Request.Response {
        try await send(request, version: version, trying: [(host, port)])
    }

    /// The first answer from `targets`, tried in order; a failed connection is dropped (reconnected next time).
    private func send<Request: KafkaRequest>(
        _ request: Request,
        version: Int16,
        trying targets: [(host: String, port: Int)]
    ) async throws -> Request.Response {
        var lastError: (any Error)?
        for target in targets {
            do {
                let connection = try await connection(host: target.host, port: target.port)
                return try await withTimeout { try await connection.send(request, version: version) }
            } catch {
                lastError = error
                connections["\(target.host):\(target.port)"] = nil
            }
        }
        let names = targets.map { "\($0.host):\($0.port)" }.joined(separator: ",")
        throw Failure("cannot reach \(names): \(lastError.map { "\($0)" } ?? "no answer")")
    }

    private func withTimeout<T: Sendable>(_ body: @escaping @Sendable () async throws -> T) async throws -> T {
        let timeout = timeout
        return try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask { try await body() }
            group.addTask {
                try await Task.sleep(for: timeout)
                return nil
            }
            defer { group.cancelAll() }
            guard let first = try await group.next(), let value = first else {
                throw Failure("no answer within \(timeout)")
            }
            return value
        }
    }

    /// Metadata v10 (with topic ids) for `topics` (nil: every topic), never creating topics; remembers the
    /// brokers.
    func metadata(topics: [String]? = nil) async throws -> MetadataResponse {
        var request = MetadataRequest()
        request.topics = topics.map { $0.map { MetadataRequest.MetadataRequestTopic(name: $0) } }
        request.allowAutoTopicCreation = false
        let response = try await send(request, version: 10)
        for broker in response.brokers { brokers[broker.nodeID] = (broker.host, Int(broker.port)) }
        return response
    }

    func close() {
        for connection in connections.values { connection.close() }
        connections = [:]
    }
}

/// A one-line failure: printed the way the matching Kafka tool prints it, exit status 1.
struct Failure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// The broker's message, or the error code's name.
func errorText(_ code: Int16, _ message: String?) -> String {
    if let message, !message.isEmpty { return message }
    return KafkaErrorCode(rawValue: code).map { "\($0)" } ?? "error \(code)"
}
