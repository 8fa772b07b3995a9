public import Avro
import Foundation
import KafkaConnect

/// One REST request as the API sees it: method, path segments (percent-decoded), query, body, and the KIP-507
/// signature headers of an internal request.
public struct ConnectRequest: Sendable {
    public var method: String
    public var path: [String]
    public var query: [(name: String, value: String)]
    public var body: [UInt8]
    /// `X-Connect-Authorization` and `X-Connect-Request-Signature-Algorithm`, when sent.
    public var signature: String?
    public var signatureAlgorithm: String?
    /// The path and query as received (what a relayed request is sent with).
    public var target: String

    public init(
        method: String,
        target: String,
        body: [UInt8],
        signature: String? = nil,
        signatureAlgorithm: String? = nil
    ) {
        self.method = method
        self.signature = signature
        self.signatureAlgorithm = signatureAlgorithm
        self.target = target
        let parts = target.split(separator: "?", maxSplits: 1)
        path = (parts.first ?? "").split(separator: "/").map { String($0).removingPercentEncoding ?? String($0) }
        query =
            parts.count > 1
            ? parts[1].split(separator: "&").map { pair in
                let halves = pair.split(separator: "=", maxSplits: 1).map { String($0).removingPercentEncoding ?? "" }
                return (halves[0], halves.count > 1 ? halves[1] : "")
            } : []
        self.body = body
    }
}

/// A REST answer: status, JSON body (nil for none, as 202 and 204 have) and extra headers; `/metrics` answers
/// Prometheus text instead.
public struct ConnectResponse: Sendable, Equatable {
    public var status: Int
    public var body: JSONValue?
    public var location: String?
    public var text: String?

    static func error(_ status: Int, _ message: String) -> ConnectResponse {
        ConnectResponse(
            status: status,
            body: .object(
                JSONObject([("error_code", .number(JSONNumber(String(status)))), ("message", .string(message))])
            )
        )
    }
}

/// Kafka 2.8 Connect's REST API (`ConnectorsResource`, `ConnectorPluginsResource`, `RootResource`) over a
/// standalone herder: the same paths, bodies and status codes (201 on create, 202 on pause/resume, 204 on
/// restart and delete, `{"error_code","message"}` with 400/404/409 for refusals), plus KIP-745's restart
/// parameters and KIP-875's read-only `GET /connectors/{name}/offsets`; validation as `ConnectorValidation`.
public struct ConnectAPI: Sendable {
    let herder: any Herder
    let clusterID: String?

    public init(herder: any Herder, clusterID: String?) {
        self.herder = herder
        self.clusterID = clusterID
    }

    public func handle(_ request: ConnectRequest) async -> ConnectResponse {
        do {
            return try await route(request)
        } catch HerderError.forward(let url?) {
            return await relay(request, to: url)
        } catch let error as HerderError {
            return .error(error.status, error.message)
        } catch {
            return .error(500, "\(error)")
        }
    }

    /// Relays a request only another worker may answer (distributed mode) and returns that worker's answer. A
    /// request is relayed at most twice (to the leader, then from it to a connector's owner): the first hop
    /// marks it `forward=true`, the second `forward=false`, and a worker that would relay a `forward=false`
    /// request answers 409 instead, as Connect does while its workers disagree about the leader.
    func relay(_ request: ConnectRequest, to url: String) async -> ConnectResponse {
        let forward = request.query.last { $0.name == "forward" }?.value
        guard forward != "false" else { return .error(409, HerderError.forward(nil).message) }
        let path = request.target.split(separator: "?", maxSplits: 1)
        var query = path.count > 1 ? path[1].split(separator: "&").filter { !$0.hasPrefix("forward=") } : []
        query.append(forward == "true" ? "forward=false" : "forward=true")
        let target = String(path.first ?? "") + "?" + query.joined(separator: "&")
        do {
            let signed: [(String, String)] =
                if let signature = request.signature, let algorithm = request.signatureAlgorithm {
                    [(SessionKey.signatureHeader, signature), (SessionKey.algorithmHeader, algorithm)]
                } else { [] }
            let answer = try await RestClient.send(
                method: request.method,
                baseURL: url,
                target: target,
                body: request.body,
                headers: signed
            )
            let text = String(decoding: answer.body, as: UTF8.self)
            return ConnectResponse(status: answer.status, body: text.isEmpty ? nil : try? JSONValue.parse(text))
        } catch {
            return .error(500, "Failed to forward the request to \(url): \(error)")
        }
    }

    func route(_ request: ConnectRequest) async throws -> ConnectResponse {
        let path = request.path
        switch (request.method, path.count) {
        case ("GET", 0):
            return ok(
                .object(
                    JSONObject([
                        ("version", .string(ConnectVersion.kafka)), ("commit", .string(ConnectVersion.commit)),
                        ("kafka_cluster_id", clusterID.map(JSONValue.string) ?? .null),
                    ])
                )
            )
        case ("GET", 1) where path[0] == "metrics":
            return ConnectResponse(status: 200, text: await herder.metricsText())
        case ("GET", 1) where path[0] == "connector-plugins":
            return ok(
                .array(
                    Plugins.connectors.map { plugin in
                        .object(
                            JSONObject([
                                ("class", .string(plugin.className)), ("type", .string(plugin.type.rawValue)),
                                ("version", .string(plugin.version)),
                            ])
                        )
                    }
                )
            )
        case ("PUT", 4) where path[0] == "connector-plugins" && path[2] == "config" && path[3] == "validate":
            guard case .object(let object) = try parse(request.body) else {
                throw HerderError.badRequest("Connector config must be a JSON object")
            }
            let config = try strings(object)
            guard let plugin = Plugins.connector(named: path[1]) else {
                throw HerderError.badRequest(
                    "Failed to find any class that implements Connector and which name matches \(path[1])"
                )
            }
            guard let included = config["connector.class"] else {
                throw HerderError.badRequest("Connector config \(config) contains no connector type")
            }
            guard Plugins.connector(named: included)?.className == plugin.className else {
                throw HerderError.badRequest(
                    "Included connector type \(included) does not match request type \(path[1])"
                )
            }
            return ok(ConnectorValidation.validate(config, plugin: plugin))
        case (_, 1...) where path[0] == "connectors":
            return try await connectors(request)
        default:
            return .error(404, "HTTP 404 Not Found")
        }
    }

    func connectors(_ request: ConnectRequest) async throws -> ConnectResponse {
        let path = request.path
        switch (request.method, path.count) {
        case ("GET", 1):
            let expand = Set(request.query.filter { $0.name == "expand" }.map(\.value))
            let names = try await herder.connectorNames
            guard !expand.isEmpty else { return ok(.array(names.map(JSONValue.string))) }
            var object = JSONObject()
            for name in names {
                var member = JSONObject()
                if expand.contains("status") { member["status"] = try await status(name) }
                if expand.contains("info") { member["info"] = try await info(name) }
                object[name] = .object(member)
            }
            return ok(.object(object))
        case ("POST", 1):
            let body = try parse(request.body)
            guard let name = body["name"]?.stringValue else {
                throw HerderError.badRequest("Connector name not specified")
            }
            guard case .object(let configJSON)? = body["config"] else {
                throw HerderError.badRequest("Connector config not specified")
            }
            var config = try strings(configJSON)
            try checkName(name, &config)
            try await herder.put(config, allowUpdate: false)
            return ConnectResponse(status: 201, body: try await info(name), location: "/connectors/\(name)")
        case (_, 1):
            return .error(405, "HTTP 405 Method Not Allowed")
        default:
            return try await connector(path[1], request)
        }
    }

    func connector(_ name: String, _ request: ConnectRequest) async throws -> ConnectResponse {
        let rest = Array(request.path.dropFirst(2))
        switch (request.method, rest.first, rest.count) {
        case ("GET", nil, 0): return ok(try await info(name))
        case ("DELETE", nil, 0):
            try await herder.delete(name)
            return ConnectResponse(status: 204)
        case ("GET", "config", 1):
            return ok(
                .object(
                    JSONObject(try await herder.config(of: name).sorted { $0.key < $1.key }.map { ($0, .string($1)) })
                )
            )
        case ("PUT", "config", 1):
            guard case .object(let object) = try parse(request.body) else {
                throw HerderError.badRequest("Connector config must be a JSON object")
            }
            var config = try strings(object)
            try checkName(name, &config)
            let created = try await herder.put(config, allowUpdate: true)
            return ConnectResponse(
                status: created ? 201 : 200,
                body: try await info(name),
                location: created ? "/connectors/\(name)" : nil
            )
        case ("GET", "status", 1): return ok(try await status(name))
        case ("POST", "restart", 1):
            // Kafka 3.0's KIP-745: with includeTasks=true the tasks restart too (onlyFailed: only failed ones),
            // answered 202 with the status; otherwise 2.8's restart of the connector, 204.
            let flag = { (name: String) in request.query.last { $0.name == name }?.value.lowercased() == "true" }
            guard flag("includeTasks") || flag("onlyFailed") else {
                try await herder.restart(name)
                return ConnectResponse(status: 204)
            }
            try await herder.restart(name, includeTasks: flag("includeTasks"), onlyFailed: flag("onlyFailed"))
            return ConnectResponse(status: 202, body: try await status(name))
        case ("PUT", "pause", 1):
            try await herder.pause(name)
            return ConnectResponse(status: 202)
        case ("PUT", "resume", 1):
            try await herder.resume(name)
            return ConnectResponse(status: 202)
        case ("GET", "offsets", 1):
            _ = try await herder.config(of: name)
            let entries = await herder.offsets(of: name).map { entry in
                JSONValue.object(
                    JSONObject([
                        ("partition", (try? JSONValue.parse(entry.partition)) ?? .null),
                        ("offset", (try? JSONValue.parse(entry.offset)) ?? .null),
                    ])
                )
            }
            return ok(.object(JSONObject([("offsets", .array(entries))])))
        case ("POST", "tasks", 1):
            guard case .array(let items) = try parse(request.body) else {
                throw HerderError.badRequest("Task configurations must be a JSON array")
            }
            var tasks: [[String: String]] = []
            for item in items {
                guard case .object(let object) = item else {
                    throw HerderError.badRequest("A task configuration must be a JSON object")
                }
                tasks.append(try strings(object))
            }
            try await herder.putTaskConfigs(
                name,
                tasks,
                signed: InternalRequest(
                    body: request.body,
                    signature: request.signature,
                    algorithm: request.signatureAlgorithm
                )
            )
            return ConnectResponse(status: 204)
        case ("GET", "tasks", 1):
            let tasks = try await herder.taskConfigs(of: name)
            return ok(
                .array(
                    tasks.enumerated().map { index, config in
                        .object(
                            JSONObject([
                                ("id", taskID(name, index)),
                                (
                                    "config",
                                    .object(JSONObject(config.sorted { $0.key < $1.key }.map { ($0, .string($1)) }))
                                ),
                            ])
                        )
                    }
                )
            )
        case (let method, "tasks", 3)
        where (method == "GET" && rest[2] == "status") || (method == "POST" && rest[2] == "restart"):
            guard let index = Int(rest[1]) else { return .error(404, "HTTP 404 Not Found") }
            if method == "POST" {
                try await herder.restartTask(ConnectorTaskID(name, index))
                return ConnectResponse(status: 204)
            }
            let tasks = try await herder.status(of: name).tasks
            guard tasks.indices.contains(index) else {
                throw HerderError.notFound("No status found for task \(name)-\(index)")
            }
            return ok(taskStatus(index, tasks[index]))
        default:
            return .error(404, "HTTP 404 Not Found")
        }
    }

    // MARK: Bodies

    func info(_ name: String) async throws -> JSONValue {
        let config = try await herder.config(of: name)
        let tasks = try await herder.taskConfigs(of: name)
        let type = try await herder.type(of: name)
        return .object(
            JSONObject([
                ("name", .string(name)),
                ("config", .object(JSONObject(config.sorted { $0.key < $1.key }.map { ($0, .string($1)) }))),
                ("tasks", .array(tasks.indices.map { taskID(name, $0) })),
                ("type", .string(type.rawValue)),
            ])
        )
    }

    func status(_ name: String) async throws -> JSONValue {
        let (connector, tasks) = try await herder.status(of: name)
        var connectorJSON = JSONObject([
            ("state", .string(connector.state.rawValue)), ("worker_id", .string(connector.workerID)),
        ])
        if let trace = connector.trace { connectorJSON["trace"] = .string(trace) }
        return .object(
            JSONObject([
                ("name", .string(name)), ("connector", .object(connectorJSON)),
                ("tasks", .array(tasks.enumerated().map { taskStatus($0, $1) })),
                ("type", .string(try await herder.type(of: name).rawValue)),
            ])
        )
    }

    func taskStatus(_ index: Int, _ status: ConnectorStatus) -> JSONValue {
        var object = JSONObject([
            ("id", .number(JSONNumber(String(index)))), ("state", .string(status.state.rawValue)),
            ("worker_id", .string(status.workerID)),
        ])
        if let trace = status.trace, !trace.isEmpty { object["trace"] = .string(trace) }
        return .object(object)
    }

    func taskID(_ name: String, _ index: Int) -> JSONValue {
        .object(JSONObject([("connector", .string(name)), ("task", .number(JSONNumber(String(index))))]))
    }

    func ok(_ body: JSONValue) -> ConnectResponse { ConnectResponse(status: 200, body: body) }

    func parse(_ body: [UInt8]) throws -> JSONValue {
        do {
            return try JSONValue.parse(String(decoding: body, as: UTF8.self))
        } catch {
            throw HerderError.badRequest("Request body is not valid JSON: \(error)")
        }
    }

    /// A config object's members as strings (numbers and booleans as their text, as Jackson reads them into a
    /// `Map<String, String>`).
    func strings(_ object: JSONObject) throws -> [String: String] {
        var config: [String: String] = [:]
        for (name, value) in object.members {
            switch value {
            case .string(let text): config[name] = text
            case .number(let number): config[name] = number.text
            case .bool(let flag): config[name] = flag ? "true" : "false"
            case .null: continue
            default: throw HerderError.badRequest("Connector config value of \(name) is not a string")
            }
        }
        return config
    }

    /// Sets `name` in the config, refusing one that names another connector.
    func checkName(_ name: String, _ config: inout [String: String]) throws {
        if name.contains("/") { throw HerderError.badRequest("connector name should not contain '/'") }
        if let named = config["name"], named != name {
            throw HerderError.badRequest(
                "Connector name configuration (\(named)) doesn't match connector name in the URL (\(name))"
            )
        }
        config["name"] = name
    }
}
