import KafkaClient
import KafkaCore
import KafkaProtocol
import NIOPosix

/// A small Kafka admin client over the wire protocol, for `swiftkafka-admin`: it bootstraps from
/// `--bootstrap-server`, learns the brokers from Metadata, and sends each request to the broker that must answer
/// it (any broker, a partition's leader, a group's coordinator) over a `ConnectionPool`.
///
/// Lifecycle: made per command run, `close()` at the end. Every request fails after `timeout` instead of hanging.
actor AdminClient {
    let bootstrap: [BrokerAddress]
    let timeout: Duration
    private let pool = ConnectionPool(clientID: "swiftkafka-admin", group: MultiThreadedEventLoopGroup.singleton)
    private(set) var brokers: [Int32: BrokerAddress] = [:]

    init(bootstrapServers: String, timeout: Duration) throws {
        do {
            bootstrap = try BrokerAddress.parseList(bootstrapServers)
        } catch {
            throw Failure("--bootstrap-server: \(error)")
        }
        self.timeout = timeout
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
        try await send(request, version: version, trying: [BrokerAddress(host: host, port: port)])
    }

    /// The first answer from `targets`, tried in order.
    private func send<Request: KafkaRequest>(
        _ request: Request,
        version: Int16,
        trying targets: [BrokerAddress]
    ) async throws -> Request.Response {
        var lastError: (any Error)?
        for target in targets {
            do {
                return try await pool.send(request, version: version, to: target, timeout: timeout)
            } catch {
                lastError = error
            }
        }
        let names = targets.map(\.description).joined(separator: ",")
        throw Failure("cannot reach \(names): \(lastError.map { "\($0)" } ?? "no answer")")
    }

    /// Metadata v10 (with topic ids) for `topics` (nil: every topic), never creating topics; remembers the
    /// brokers.
    func metadata(topics: [String]? = nil) async throws -> MetadataResponse {
        var request = MetadataRequest()
        request.topics = topics.map { $0.map { MetadataRequest.MetadataRequestTopic(name: $0) } }
        request.allowAutoTopicCreation = false
        let response = try await send(request, version: 10)
        for broker in response.brokers {
            brokers[broker.nodeID] = BrokerAddress(host: broker.host, port: Int(broker.port))
        }
        return response
    }

    func close() {
        pool.closeAll()
    }
}

/// A one-line failure: printed the way the matching Kafka tool prints it, exit status 1.
struct Failure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// The broker's message, or the error code's name.
func errorText(_ code: KafkaErrorCode, _ message: String?) -> String {
    if let message, !message.isEmpty { return message }
    return "\(code)"
}
