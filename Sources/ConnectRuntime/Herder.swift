public import KafkaConnect

/// What Connect's REST API (`ConnectAPI`) asks of a worker's herder, standalone (`StandaloneHerder`) or distributed
/// (`DistributedHerder`): create, reconfigure, pause, resume, restart and delete connectors, and read their
/// configurations, tasks, statuses and offsets. Refusals are `HerderError`s, each with Connect's HTTP status.
public protocol Herder: Actor {
    var connectorNames: [String] { get async throws(HerderError) }
    /// Creates the connector of `properties`, or reconfigures it when `allowUpdate`; returns whether it was created.
    @discardableResult
    func put(_ properties: [String: String], allowUpdate: Bool) async throws(HerderError) -> Bool
    func delete(_ name: String) async throws(HerderError)
    func pause(_ name: String) async throws(HerderError)
    func resume(_ name: String) async throws(HerderError)
    func restart(_ name: String) async throws(HerderError)
    /// KIP-745's restart: everything, or with `onlyFailed` only what failed; with `includeTasks` the tasks too.
    func restart(_ name: String, includeTasks: Bool, onlyFailed: Bool) async throws(HerderError)
    func restartTask(_ id: ConnectorTaskID) async throws(HerderError)
    func config(of name: String) async throws(HerderError) -> [String: String]
    func type(of name: String) async throws(HerderError) -> ConnectorType
    func taskConfigs(of name: String) async throws(HerderError) -> [[String: String]]
    func status(of name: String) async throws(HerderError) -> (connector: ConnectorStatus, tasks: [ConnectorStatus])
    /// The worker's metrics as Prometheus text.
    func metricsText() async -> String
    func offsets(of name: String) async -> [(partition: String, offset: String)]
    /// The internal `POST /connectors/{name}/tasks` of distributed mode, with its body and signature headers.
    func putTaskConfigs(_ name: String, _ tasks: [[String: String]], signed: InternalRequest) async throws(HerderError)
}

/// An internal request's body as received and its KIP-507 signature headers (nil when not sent).
public struct InternalRequest: Sendable {
    public var body: [UInt8]
    public var signature: String?
    public var algorithm: String?
}

extension Herder {
    public func putTaskConfigs(
        _ name: String,
        _ tasks: [[String: String]],
        signed: InternalRequest
    ) async throws(HerderError) {
        throw .badRequest("Task configurations are only accepted by distributed workers")
    }
}

/// A connector's or task's state, as `/status` shows it.
public enum ConnectorState: String, Sendable {
    case unassigned = "UNASSIGNED", running = "RUNNING", paused = "PAUSED", failed = "FAILED"
}

/// A connector's or task's status as `/status` shows it (and the status topic keeps it).
public struct ConnectorStatus: Sendable, Equatable {
    public var state: ConnectorState
    public var trace: String?
    public var workerID: String
}

/// Why the herder refused a request, with the HTTP status Connect answers it with.
public enum HerderError: Error, Sendable, Equatable {
    case notFound(String)
    case conflict(String)
    case badRequest(String)
    /// An internal request whose signature is wrong (KIP-507).
    case forbidden(String)
    /// Only another worker can answer: the leader, or the worker that runs the connector or task (its URL); nil
    /// while no leader is known (a rebalance is under way). The REST layer relays the request there.
    case forward(String?)
    /// The cluster could not be read or written (the internal topics).
    case unavailable(String)

    public var status: Int {
        switch self {
        case .notFound: 404
        case .conflict, .forward: 409
        case .badRequest: 400
        case .forbidden: 403
        case .unavailable: 500
        }
    }

    public var message: String {
        switch self {
        case .notFound(let message), .conflict(let message), .badRequest(let message), .forbidden(let message),
            .unavailable(let message):
            message
        case .forward:
            "Cannot complete request momentarily due to no known leader URL, likely because a rebalance was underway."
        }
    }
}
