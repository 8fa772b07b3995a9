import KafkaClient
import KafkaCore
import ZooKeeper

/// The console's pages and actions, by method and path. Every action checks the caller's role here; the server
/// has already checked the login, the CSRF token and the read-only mode before any POST arrives.
///
/// | path | GET | POST (role) |
/// |---|---|---|
/// | `/` | overview | |
/// | `/brokers`, `/brokers/<id>` | brokers, one broker's configs | |
/// | `/topics?q=` | topics | create (admin) |
/// | `/topics/<t>` | partitions, configs | |
/// | `/topics/<t>/configs`, `/partitions`, `/delete` | | set a config, add partitions, delete (admin) |
/// | `/topics/<t>/messages?…` | message browser | produce (operator) |
/// | `/groups`, `/groups/<g>?store=` | both offset stores, one group | |
/// | `/groups/<g>/reset?store=`, `/groups/<g>/delete` | | reset (operator), delete (admin) |
/// | `/security` | ACLs and client quotas | |
/// | `/schemas`, `/schemas/<subject>?left=&right=` | the registry's subjects, two versions side by side | |
/// | `/connect`, `/connect/<c>/pause\|resume\|restart` | connectors and tasks | pause, resume, restart (operator) |
/// | `/invariants`, `/zookeeper?path=` | ZooKeeper's view | |
struct ConsoleRoutes: Sendable {
    let cluster: ConsoleCluster
    let config: ConsoleConfig

    func answer(_ request: ConsoleRequest) async -> ConsoleAnswer {
        do {
            let answer = try await route(request)
            if request.method == "POST" { await audit(request, answer) }
            return answer
        } catch let error as ZooKeeperError where error.code == .noNode {
            return .notFound("The znode")
        } catch {
            return .failure(status: 502, title: "The cluster did not answer", message: "\(error)")
        }
    }

    private func route(_ request: ConsoleRequest) async throws -> ConsoleAnswer {
        let path = request.path
        switch (request.method, path.first ?? "", path.count) {
        case ("GET", "", _):
            let overview = try await cluster.overview()
            var charts = TrafficPoint.charts(overview.traffic)
            charts["timeline"] = SvgChart.timeline(
                overview.events.map { .init(at: $0.at, kind: $0.kind, broker: $0.broker, detail: $0.detail) },
                lanes: Set(overview.brokers.map(\.id) + overview.events.compactMap(\.broker)).sorted()
            )
            return .page(title: "Overview", template: "overview", model: overview, charts: charts)
        case ("GET", "brokers", 1):
            return .page(title: "Brokers", template: "brokers", model: try await cluster.brokers())
        case ("GET", "brokers", 2):
            guard let id = Int32(path[1]), let broker = try await cluster.broker(id) else {
                return .notFound("Broker \(path[1])")
            }
            return .page(
                title: "Broker \(id)",
                template: "broker",
                model: broker,
                charts: TrafficPoint.charts(broker.traffic)
            )
        case ("GET", "topics", 1):
            let topics = try await cluster.topics(query: request.query["q"] ?? "")
            return .page(title: "Topics", template: "topics", model: topics)
        case ("POST", "topics", 1):
            return try await createTopic(request)
        case ("GET", "topics", 2):
            guard let topic = try await cluster.topic(path[1]) else { return .notFound("Topic \(path[1])") }
            return .page(title: "Topic \(path[1])", template: "topic", model: topic)
        case (_, "topics", 3):
            return try await topicAction(request, topic: path[1], action: path[2])
        case ("GET", "groups", 1):
            return .page(title: "Consumer groups", template: "groups", model: try await cluster.groups())
        case ("GET", "groups", 2):
            let store = request.query["store"] ?? "kafka"
            guard let group = try await cluster.group(path[1], store: store) else {
                return .notFound("Group \(path[1])")
            }
            let chart = SvgChart.lines(
                [
                    .init(
                        name: "lag (records)",
                        color: SvgChart.palette[0],
                        points: group.lagHistory.map { ($0.at, Double($0.records)) }
                    )
                ],
                unit: ""
            )
            return .page(title: "Group \(path[1])", template: "group", model: group, charts: ["lag": chart])
        case ("POST", "groups", 3):
            return try await groupAction(request, group: path[1], action: path[2])
        case ("GET", "schemas", _), ("GET", "connect", 1), ("POST", "connect", 1), ("POST", "connect", 3):
            return await services(request)
        case ("GET", "security", 1):
            return .page(title: "Security", template: "security", model: try await cluster.security())
        case ("GET", "invariants", 1):
            guard let page = try await cluster.checkInvariants() else { return zookeeperMissing }
            return .page(title: "Invariants", template: "invariants", model: page)
        case ("GET", "zookeeper", 1):
            guard let page = try await cluster.znode(request.query["path"] ?? "/") else { return zookeeperMissing }
            return .page(title: "ZooKeeper \(page.path)", template: "zookeeper", model: page)
        default:
            return .notFound("The page /\(path.joined(separator: "/"))")
        }
    }

    /// A change made through the console goes on the timeline (the audit log): who, what, and the outcome.
    private func audit(_ request: ConsoleRequest, _ answer: ConsoleAnswer) async {
        let outcome: String
        switch answer {
        case .redirect(_, let message): outcome = message
        case .page(let title, _, _, _): outcome = title
        case .failure(_, let title, _): outcome = "refused: \(title)"
        }
        let who = request.session.user ?? "anonymous"
        let event = ConsoleHistory.Event(
            at: ConsoleHistory.nowMs,
            kind: "console action",
            broker: nil,
            detail: "\(who): POST /\(request.path.joined(separator: "/")) — \(outcome)"
        )
        cluster.logger.info("Console action", metadata: ["user": "\(who)", "action": "\(event.detail)"])
        try? await cluster.history?.record(events: [event])
    }

    /// The schema registry's and Connect's pages, through their REST APIs.
    private func services(_ request: ConsoleRequest) async -> ConsoleAnswer {
        let path = request.path
        if path[0] == "schemas" {
            guard let url = config.schemaRegistryURL else {
                return .failure(
                    status: 404,
                    title: "No schema registry",
                    message: "schema.registry.url is not configured"
                )
            }
            if path.count == 1 {
                guard let page = await cluster.schemas(url) else {
                    return .failure(status: 502, title: "The schema registry did not answer", message: url)
                }
                return .page(title: "Schemas", template: "schemas", model: page)
            }
            guard
                let page = await cluster.subject(
                    url,
                    path[1],
                    left: request.query["left"].flatMap { Int($0) },
                    right: request.query["right"].flatMap { Int($0) }
                )
            else { return .notFound("Subject \(path[1])") }
            return .page(title: "Subject \(path[1])", template: "subject", model: page)
        }
        guard let url = config.connectURL else {
            return .failure(status: 404, title: "No Connect cluster", message: "connect.url is not configured")
        }
        if path.count == 1 && request.method == "POST" {
            guard request.role(atLeast: .admin) else { return Self.forbidden }
            let name = request.form["name"] ?? ""
            var config: [String: String] = [:]
            for line in (request.form["config"] ?? "").split(whereSeparator: \.isNewline) {
                let parts = line.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
                guard parts.count == 2, !parts[0].isEmpty else {
                    return .failure(status: 400, title: "Invalid configuration", message: "'\(line)' is not key=value")
                }
                config[parts[0]] = parts[1]
            }
            let (status, answer) = await cluster.createConnector(url, name: name, config: config)
            guard status == 201 else {
                let message = answer?["message"]?.stringValue ?? "HTTP \(status)"
                return .failure(status: 400, title: "Connector not created", message: message)
            }
            return .redirect(to: "/connect", message: "Connector \(name) created")
        }
        if path.count == 3 {
            guard request.role(atLeast: .operator) else { return Self.forbidden }
            let status = await cluster.connectAction(url, path[1], path[2])
            guard (200..<300).contains(status) else {
                return .failure(
                    status: 502,
                    title: "Connect refused",
                    message: "\(path[2]) of \(path[1]): HTTP \(status)"
                )
            }
            return .redirect(to: "/connect", message: "\(path[1]): \(path[2]) requested")
        }
        guard let page = await cluster.connectors(url) else {
            return .failure(status: 502, title: "Connect did not answer", message: url)
        }
        return .page(title: "Connect", template: "connect", model: page)
    }

    var zookeeperMissing: ConsoleAnswer {
        .failure(status: 404, title: "No ZooKeeper", message: "zookeeper.connect is not configured")
    }

    static var forbidden: ConsoleAnswer {
        .failure(status: 403, title: "Not allowed", message: "Your role may not do this")
    }

    // MARK: Topics

    private func createTopic(_ request: ConsoleRequest) async throws -> ConsoleAnswer {
        guard request.role(atLeast: .admin) else { return Self.forbidden }
        let form = request.form
        let name = form["name"] ?? ""
        guard let partitions = Int32(form["partitions"] ?? "1"), partitions > 0,
            let factor = Int16(form["replication.factor"] ?? "1"), factor > 0
        else {
            return .failure(
                status: 400,
                title: "Invalid topic",
                message: "Partitions and replication must be positive numbers"
            )
        }
        var configs: [String: String] = [:]
        for line in (form["configs"] ?? "").split(whereSeparator: \.isNewline) {
            let parts = line.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard parts.count == 2, !parts[0].isEmpty else {
                return .failure(status: 400, title: "Invalid config", message: "'\(line)' is not key=value")
            }
            configs[parts[0]] = parts[1]
        }
        switch try await cluster.createTopic(
            name: name,
            partitions: partitions,
            replicationFactor: factor,
            configs: configs
        ) {
        case .success:
            return .redirect(to: "/topics/\(ConsoleRequest.encode(name))", message: "Topic \(name) created")
        case .failure(let error):
            return .failure(status: 400, title: "Topic not created", message: "\(error.code): \(error)")
        }
    }

    private func topicAction(_ request: ConsoleRequest, topic: String, action: String) async throws -> ConsoleAnswer {
        let location = "/topics/\(ConsoleRequest.encode(topic))"
        switch (request.method, action) {
        case ("GET", "messages"):
            guard let page = try await cluster.messages(topic: topic, query: MessageQuery(request.query)) else {
                return .notFound("Topic \(topic)")
            }
            return .page(title: "Messages of \(topic)", template: "messages", model: page)
        case ("POST", "messages"):
            guard request.role(atLeast: .operator) else { return Self.forbidden }
            let written = try await cluster.produce(topic: topic, form: request.form)
            return .redirect(
                to: "\(location)/messages?partition=\(written.partition)&offset=\(written.offset)&limit=1",
                message: "Produced to partition \(written.partition) at offset \(written.offset)"
            )
        case ("POST", "configs"):
            guard request.role(atLeast: .admin) else { return Self.forbidden }
            let key = (request.form["name"] ?? "").trimmingCharacters(in: .whitespaces)
            let value = request.form["value"].flatMap { $0.isEmpty ? nil : $0 }
            switch try await cluster.alterTopicConfig(topic, key: key, value: value) {
            case .success:
                return .redirect(to: location, message: value.map { "\(key) set to \($0)" } ?? "\(key) reset")
            case .failure(let error):
                return .failure(status: 400, title: "Config not changed", message: "\(error.code): \(error)")
            }
        case ("POST", "partitions"):
            guard request.role(atLeast: .admin) else { return Self.forbidden }
            guard let count = Int32(request.form["count"] ?? "") else {
                return .failure(status: 400, title: "Invalid count", message: "The partition count must be a number")
            }
            switch try await cluster.addPartitions(topic, total: count) {
            case .success: return .redirect(to: location, message: "\(topic) now has \(count) partitions")
            case .failure(let error):
                return .failure(status: 400, title: "Partitions not added", message: "\(error.code): \(error)")
            }
        case ("POST", "delete"):
            guard request.role(atLeast: .admin) else { return Self.forbidden }
            guard request.form["confirm"] == topic else {
                return .failure(status: 400, title: "Not deleted", message: "The confirmation does not match \(topic)")
            }
            switch try await cluster.deleteTopic(topic) {
            case .success: return .redirect(to: "/topics", message: "Topic \(topic) deleted")
            case .failure(let error):
                return .failure(status: 400, title: "Topic not deleted", message: "\(error.code): \(error)")
            }
        default:
            return .notFound("The page")
        }
    }

    // MARK: Groups

    private func groupAction(_ request: ConsoleRequest, group: String, action: String) async throws -> ConsoleAnswer {
        let store = request.query["store"] ?? "kafka"
        switch action {
        case "reset":
            guard request.role(atLeast: .operator) else { return Self.forbidden }
            do {
                let plan = try await cluster.resetOffsets(
                    group: group,
                    store: store,
                    form: request.form,
                    execute: request.form["mode"] == "execute"
                )
                return .page(title: "Reset of \(group)", template: "reset", model: plan)
            } catch let error as GroupResetError {
                return .failure(status: 409, title: "Offsets not reset", message: error.description)
            }
        case "delete":
            guard request.role(atLeast: .admin) else { return Self.forbidden }
            guard request.form["confirm"] == group else {
                return .failure(status: 400, title: "Not deleted", message: "The confirmation does not match \(group)")
            }
            switch try await cluster.deleteGroup(group) {
            case .success: return .redirect(to: "/groups", message: "Group \(group) deleted")
            case .failure(let error):
                return .failure(status: 409, title: "Group not deleted", message: "\(error.code): \(error)")
            }
        default:
            return .notFound("The page")
        }
    }
}
