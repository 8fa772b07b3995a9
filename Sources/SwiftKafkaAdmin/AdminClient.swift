import KafkaClient
import KafkaCore
import KafkaProtocol

/// `swiftkafka-admin`'s connection to the cluster: the library's `KafkaAdminClient` (bootstrap, per-broker API
/// versions, routing to the controller, leaders and coordinators) configured from `--bootstrap-server` and
/// `--timeout`, plus the raw request path the output layouts still read fields from.
///
/// Lifecycle: made per command run, `close()` at the end. Every request fails after `timeout` instead of hanging.
struct AdminClient: Sendable {
    let admin: KafkaAdminClient
    /// `bootstrap.servers` and the `--command-config` keys (security): what another client of the same command
    /// (the transaction log reader) is configured with.
    let connectionProperties: [String: String]

    init(bootstrapServers: String, timeout: Duration, commandConfig: [String: String] = [:]) throws {
        do {
            _ = try BrokerAddress.parseList(bootstrapServers)
        } catch {
            throw Failure("--bootstrap-server: \(error)")
        }
        let milliseconds = timeout.components.seconds * 1000
        connectionProperties = commandConfig.merging(["bootstrap.servers": bootstrapServers]) { $1 }
        admin = try KafkaAdminClient(
            properties: connectionProperties.merging([
                "client.id": "swiftkafka-admin",
                "request.timeout.ms": "\(milliseconds)", "socket.connection.setup.timeout.ms": "\(milliseconds)",
            ]) { $1 }
        )
    }

    /// Sends `request` to broker `brokerID`, or to any broker, at the highest version both sides speak.
    func send<Request: KafkaRequest>(_ request: Request, to brokerID: Int32? = nil) async throws -> Request.Response {
        try await admin.cluster.send(request, toBroker: brokerID)
    }

    /// Metadata for `topics` (nil: every topic), never creating topics.
    func metadata(topics: [String]? = nil) async throws -> MetadataResponse {
        var request = MetadataRequest()
        request.topics = topics.map { $0.map { MetadataRequest.MetadataRequestTopic(name: $0) } }
        request.allowAutoTopicCreation = false
        return try await send(request)
    }

    func close() async {
        await admin.close()
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

extension Result where Failure == AdminError {
    /// The value, or the broker's error as the tools print it.
    func orFail() throws -> Success {
        switch self {
        case .success(let value): return value
        case .failure(let error): throw SwiftKafkaAdmin.Failure(error.description)
        }
    }
}
