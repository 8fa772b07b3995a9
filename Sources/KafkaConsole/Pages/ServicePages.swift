import Avro
import Foundation

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// `/schemas` and `/connect`: the schema registry's subjects (versions, ids, compatibility, a subject's schemas
/// side by side) and the Connect cluster's connectors (state, tasks, the worker running each, the failure trace),
/// read from their REST APIs (`schema.registry.url`, `connect.url`). Connect's pause, resume and restart are relayed
/// as its REST API takes them.
struct SchemasPage: Encodable, Sendable {
    struct Subject: Encodable, Sendable {
        var name: String
        var versions: String
        var latestID: Int
    }

    var url: String
    var compatibility: String
    var subjects: [Subject]
}

struct SubjectPage: Encodable, Sendable {
    struct Version: Encodable, Sendable {
        var version: Int
        var id: Int
        var schemaType: String
        var lines: [Line]
    }

    struct Line: Encodable, Sendable {
        var text: String
        /// Not in the other version shown beside it.
        var changed: Bool
    }

    var subject: String
    var compatibility: String
    var versions: [Int]
    /// The two versions compared: the query's `left` and `right`, else the two newest.
    var left: Version
    var right: Version?
}

struct ConnectPage: Encodable, Sendable {
    struct Connector: Encodable, Sendable {
        var name: String
        var type: String
        var state: String
        var workerID: String
        var tasks: [Task]
        var isPaused: Bool
    }

    struct Task: Encodable, Sendable {
        var id: Int
        var state: String
        var workerID: String
        var trace: String?
    }

    var url: String
    var connectors: [Connector]
}

/// One JSON request to another service; nil when it does not answer 2xx with JSON.
enum ServiceClient {
    static func call(_ method: String, _ url: String, body: String? = nil) async -> (status: Int, json: JSONValue?) {
        guard let target = URL(string: url) else { return (0, nil) }
        var request = URLRequest(url: target)
        request.httpMethod = method
        request.timeoutInterval = 10
        request.setValue("application/json", forHTTPHeaderField: "Accept")
        if let body {
            request.httpBody = Data(body.utf8)
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        }
        guard let (data, response) = try? await URLSession.shared.data(for: request) else { return (0, nil) }
        let status = (response as? HTTPURLResponse)?.statusCode ?? 0
        return (status, try? JSONValue.parse(String(decoding: data, as: UTF8.self)))
    }
}

extension ConsoleCluster {
    func schemas(_ url: String) async -> SchemasPage? {
        guard case (200, .array(let names)?) = await ServiceClient.call("GET", "\(url)/subjects") else { return nil }
        var subjects: [SchemasPage.Subject] = []
        for name in names.compactMap(\.stringValue).sorted() {
            let path = ConsoleRequest.encode(name)
            let versions = await ServiceClient.call("GET", "\(url)/subjects/\(path)/versions").json?.arrayValue ?? []
            let latest = await ServiceClient.call("GET", "\(url)/subjects/\(path)/versions/latest").json
            subjects.append(
                .init(
                    name: name,
                    versions: versions.compactMap(\.numberText).joined(separator: ", "),
                    latestID: latest?["id"]?.numberText.flatMap { Int($0) } ?? -1
                )
            )
        }
        let level = await ServiceClient.call("GET", "\(url)/config").json?["compatibilityLevel"]?.stringValue
        return SchemasPage(url: url, compatibility: level ?? "", subjects: subjects)
    }

    func subject(_ url: String, _ name: String, left: Int?, right: Int?) async -> SubjectPage? {
        let path = "\(url)/subjects/\(ConsoleRequest.encode(name))"
        guard case (200, .array(let listed)?) = await ServiceClient.call("GET", "\(path)/versions") else { return nil }
        let versions = listed.compactMap { $0.numberText.flatMap { Int($0) } }.sorted()
        guard let newest = versions.last else { return nil }
        let shownLeft = left ?? (versions.count >= 2 ? versions[versions.count - 2] : newest)
        let shownRight = right ?? (versions.count >= 2 ? newest : nil)
        func fetch(_ version: Int) async -> (Int, String, [String])? {
            guard let body = await ServiceClient.call("GET", "\(path)/versions/\(version)").json,
                let text = body["schema"]?.stringValue
            else { return nil }
            let pretty =
                (try? JSONSerialization.jsonObject(with: Data(text.utf8), options: [.fragmentsAllowed]))
                .flatMap { try? JSONSerialization.data(withJSONObject: $0, options: [.prettyPrinted, .sortedKeys]) }
                .map { String(decoding: $0, as: UTF8.self) } ?? text
            let id = body["id"]?.numberText.flatMap { Int($0) } ?? -1
            return (id, body["schemaType"]?.stringValue ?? "AVRO", pretty.components(separatedBy: "\n"))
        }
        guard let a = await fetch(shownLeft) else { return nil }
        var b: (Int, String, [String])?
        if let shownRight { b = await fetch(shownRight) }
        let leftLines = Set(a.2)
        let rightLines = Set(b?.2 ?? a.2)
        let level = await ServiceClient.call("GET", "\(url)/config/\(ConsoleRequest.encode(name))?defaultToGlobal=true")
        return SubjectPage(
            subject: name,
            compatibility: level.json?["compatibilityLevel"]?.stringValue ?? "",
            versions: versions,
            left: .init(
                version: shownLeft,
                id: a.0,
                schemaType: a.1,
                lines: a.2.map { .init(text: $0, changed: !rightLines.contains($0)) }
            ),
            right: b.map { b in
                .init(
                    version: shownRight!,
                    id: b.0,
                    schemaType: b.1,
                    lines: b.2.map { .init(text: $0, changed: !leftLines.contains($0)) }
                )
            }
        )
    }

    func connectors(_ url: String) async -> ConnectPage? {
        guard case (200, .object(let all)?) = await ServiceClient.call("GET", "\(url)/connectors?expand=status") else {
            return nil
        }
        let connectors = all.members.map { name, entry -> ConnectPage.Connector in
            let status = entry["status"]
            let state = status?["connector"]?["state"]?.stringValue ?? "UNKNOWN"
            return .init(
                name: name,
                type: status?["type"]?.stringValue ?? "",
                state: state,
                workerID: status?["connector"]?["worker_id"]?.stringValue ?? "",
                tasks: (status?["tasks"]?.arrayValue ?? []).map { task in
                    .init(
                        id: task["id"]?.numberText.flatMap { Int($0) } ?? -1,
                        state: task["state"]?.stringValue ?? "",
                        workerID: task["worker_id"]?.stringValue ?? "",
                        trace: task["trace"]?.stringValue
                    )
                },
                isPaused: state == "PAUSED"
            )
        }
        return ConnectPage(url: url, connectors: connectors.sorted { $0.name < $1.name })
    }

    /// Creates a connector (Connect's `POST /connectors`); Connect's status and answer (its message on a refusal).
    func createConnector(_ url: String, name: String, config: [String: String]) async -> (Int, JSONValue?) {
        var object = JSONObject()
        object["name"] = .string(name)
        var settings = JSONObject()
        for (key, value) in config.sorted(by: { $0.key < $1.key }) { settings[key] = .string(value) }
        object["config"] = .object(settings)
        return await ServiceClient.call("POST", "\(url)/connectors", body: JSONValue.object(object).compactText)
    }

    /// Pause, resume or restart (`action`) a connector through Connect's REST API; the status it answered.
    func connectAction(_ url: String, _ name: String, _ action: String) async -> Int {
        let path = "\(url)/connectors/\(ConsoleRequest.encode(name))"
        switch action {
        case "pause": return await ServiceClient.call("PUT", "\(path)/pause").status
        case "resume": return await ServiceClient.call("PUT", "\(path)/resume").status
        case "restart":
            // Kafka 2.8's restart is the connector's alone; each task is restarted after it.
            let status = await ServiceClient.call("POST", "\(path)/restart").status
            let tasks = await ServiceClient.call("GET", "\(path)/status").json?["tasks"]?.arrayValue ?? []
            for id in tasks.compactMap({ $0["id"]?.numberText }) {
                _ = await ServiceClient.call("POST", "\(path)/tasks/\(id)/restart")
            }
            return status
        default: return 404
        }
    }
}
