import Avro

/// An HTTP request as the API sees it: the method, the path split into percent-decoded segments (a subject `a/b`
/// arrives as `a%2Fb` and stays one segment), the decoded query, the body.
public struct RegistryRequest: Sendable {
    public var method: String
    public var path: [String]
    public var query: [String: String]
    public var body: [UInt8]

    public init(method: String, path: [String], query: [String: String] = [:], body: [UInt8] = []) {
        self.method = method
        self.path = path
        self.query = query
        self.body = body
    }

    /// Splits a raw request target (`/subjects/a%2Fb/versions?deleted=true`).
    public init(method: String, target: String, body: [UInt8] = []) {
        let parts = target.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
        let path = parts[0].split(separator: "/").map { Self.percentDecoded($0) ?? String($0) }
        var query: [String: String] = [:]
        if parts.count > 1 {
            for pair in parts[1].split(separator: "&") {
                let items = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                let name = Self.percentDecoded(items[0], plusIsSpace: true) ?? String(items[0])
                query[name] =
                    items.count > 1 ? Self.percentDecoded(items[1], plusIsSpace: true) ?? String(items[1]) : ""
            }
        }
        self.init(method: method, path: path, query: query, body: body)
    }

    static func percentDecoded(_ text: Substring, plusIsSpace: Bool = false) -> String? {
        var bytes: [UInt8] = []
        var index = text.utf8.startIndex
        let utf8 = text.utf8
        while index < utf8.endIndex {
            let byte = utf8[index]
            if byte == UInt8(ascii: "%") {
                let first = utf8.index(after: index)
                guard first < utf8.endIndex, utf8.index(after: first) < utf8.endIndex,
                    let high = hex(utf8[first]), let low = hex(utf8[utf8.index(after: first)])
                else { return nil }
                bytes.append(high << 4 | low)
                index = utf8.index(first, offsetBy: 2)
                continue
            }
            bytes.append(plusIsSpace && byte == UInt8(ascii: "+") ? UInt8(ascii: " ") : byte)
            index = utf8.index(after: index)
        }
        return String(validating: bytes, as: UTF8.self)
    }

    static func hex(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }

    func flag(_ name: String) -> Bool { query[name]?.lowercased() == "true" }
}

/// An HTTP answer: the status and the body, of `contentType`.
public struct RegistryResponse: Sendable, Equatable {
    public static let contentType = "application/vnd.schemaregistry.v1+json"

    public var status: Int
    public var body: String
    public var contentType = RegistryResponse.contentType

    public init(status: Int = 200, body: String, contentType: String = RegistryResponse.contentType) {
        self.status = status
        self.body = body
        self.contentType = contentType
    }

    init(_ json: JSONValue) { self.init(body: json.compactText) }

    init(error: SchemaRegistryError) {
        self.init(
            status: error.httpStatus,
            body: JSONValue.object(
                JSONObject([
                    ("error_code", .number(JSONNumber(String(error.code)))), ("message", .string(error.message)),
                ])
            ).compactText
        )
    }
}

/// Confluent Schema Registry 6.2's REST API over a `SchemaStore`: the routes of reference/schema-registry.md §2,
/// their status codes, `{"error_code","message"}` error bodies and response shapes; unknown request members
/// ignored. Transport-free: the server hands it each request; any task may call it.
public struct SchemaRegistryAPI: Sendable {
    public let store: any SchemaStore
    /// `mode.mutability`: whether `/mode` may be changed.
    public var modeMutability: Bool

    public init(store: any SchemaStore, modeMutability: Bool = false) {
        self.store = store
        self.modeMutability = modeMutability
    }

    public func handle(_ request: RegistryRequest) async -> RegistryResponse {
        do {
            return try await route(request)
        } catch {
            return RegistryResponse(error: error)
        }
    }

    func route(_ request: RegistryRequest) async throws(SchemaRegistryError) -> RegistryResponse {
        let path = request.path
        switch (request.method, path.count, path.first) {
        case ("GET", 0, _):
            return RegistryResponse(body: "{}")
        case (_, _, "subjects"?):
            return try await subjects(request)
        case (_, _, "schemas"?):
            return try await schemas(request)
        case ("POST", 4, "compatibility"?), ("POST", 5, "compatibility"?):
            guard path[1] == "subjects", path[3] == "versions" else { throw Self.notFound }
            let version = path.count == 5 ? try VersionSpec(parsing: path[4]) : nil
            let schema = try Self.schemaRequest(request.body)
            let messages = try await store.state.checkCompatibility(subject: path[2], version: version, schema)
            var answer = JSONObject([("is_compatible", .bool(messages.isEmpty))])
            if request.flag("verbose") { answer["messages"] = .array(messages.map { .string($0) }) }
            return RegistryResponse(.object(answer))
        case (_, _, "config"?):
            return try await config(request)
        case (_, _, "mode"?):
            return try await mode(request)
        case ("GET", 1, "contexts"?):
            // Confluent 7.0: this registry has only the default context, ".".
            return RegistryResponse(.array([.string(".")]))
        default:
            throw Self.notFound
        }
    }

    static let notFound = SchemaRegistryError(404, "HTTP 404 Not Found")
    static let methodNotAllowed = SchemaRegistryError(405, "HTTP 405 Method Not Allowed")

    func subjects(_ request: RegistryRequest) async throws(SchemaRegistryError) -> RegistryResponse {
        let path = request.path
        let deleted = request.flag("deleted")
        switch (request.method, path.count) {
        case ("GET", 1):
            let names = try await store.state.subjectNames(includeDeleted: deleted)
            return RegistryResponse(.array(names.map { .string($0) }))
        case ("POST", 2):
            let found = try await store.state.lookup(
                subject: path[1],
                try Self.schemaRequest(request.body),
                includeDeleted: deleted
            )
            return RegistryResponse(SchemaRegistryState.entity(found))
        case ("DELETE", 2):
            let permanent = request.flag("permanent")
            let deletedVersions = try await store.update { state, idFloor throws(SchemaRegistryError) in
                try state.deleteSubject(subject: path[1], permanent: permanent)
            }
            return RegistryResponse(.array(deletedVersions.map { .number(JSONNumber(String($0))) }))
        case ("GET", 3) where path[2] == "versions":
            let numbers = try await store.state.versionNumbers(subject: path[1], includeDeleted: deleted)
            return RegistryResponse(.array(numbers.map { .number(JSONNumber(String($0))) }))
        case ("POST", 3) where path[2] == "versions":
            let schema = try Self.schemaRequest(request.body)
            let id = try await store.update { state, idFloor throws(SchemaRegistryError) in
                try state.register(subject: path[1], schema, idFloor: idFloor)
            }
            return RegistryResponse(.object(JSONObject([("id", .number(JSONNumber(String(id))))])))
        case ("GET", 4) where path[2] == "versions":
            let spec = try VersionSpec(parsing: path[3])
            return RegistryResponse(
                SchemaRegistryState.entity(
                    try await store.state.version(subject: path[1], spec, includeDeleted: deleted)
                )
            )
        case ("DELETE", 4) where path[2] == "versions":
            let spec = try VersionSpec(parsing: path[3])
            let permanent = request.flag("permanent")
            let version = try await store.update { state, idFloor throws(SchemaRegistryError) in
                try state.deleteVersion(subject: path[1], spec, permanent: permanent)
            }
            return RegistryResponse(body: String(version))
        case ("GET", 5) where path[2] == "versions" && path[4] == "schema":
            let spec = try VersionSpec(parsing: path[3])
            return RegistryResponse(
                body: try await store.state.version(subject: path[1], spec, includeDeleted: deleted).schema
            )
        case ("GET", 5) where path[2] == "versions" && path[4] == "referencedby":
            let spec = try VersionSpec(parsing: path[3])
            let state = try await store.state
            let version = try state.version(subject: path[1], spec).version
            return RegistryResponse(
                .array(state.referencedBy(subject: path[1], version: version).map { .number(JSONNumber(String($0))) })
            )
        case (_, 1...5):
            throw Self.methodNotAllowed
        default:
            throw Self.notFound
        }
    }

    func schemas(_ request: RegistryRequest) async throws(SchemaRegistryError) -> RegistryResponse {
        let path = request.path
        guard request.method == "GET" else { throw Self.methodNotAllowed }
        if path.count == 1 {
            // Confluent 7.0's listing: every version of the subjects with the prefix (or only each latest one).
            let state = try await store.state
            let prefix = request.query["subjectPrefix"] ?? ""
            let latestOnly = request.flag("latestOnly")
            var found = state.subjectNames(includeDeleted: request.flag("deleted")).filter { $0.hasPrefix(prefix) }
                .flatMap { subject in
                    let versions = state.versions(of: subject, includeDeleted: request.flag("deleted"))
                    return latestOnly ? Array(versions.suffix(1)) : versions
                }
            let offset = max(0, Int(request.query["offset"] ?? "") ?? 0)
            found = Array(found.dropFirst(offset))
            if let limit = Int(request.query["limit"] ?? ""), limit > 0 { found = Array(found.prefix(limit)) }
            return RegistryResponse(.array(found.map(SchemaRegistryState.entity)))
        }
        if path.count == 2 && path[1] == "types" {
            return RegistryResponse(.array(SchemaRegistryState.schemaTypes.map { .string($0) }))
        }
        guard path.count >= 3, path.count <= 4, path[1] == "ids" else { throw Self.notFound }
        guard let id = Int32(path[2]) else { throw SchemaRegistryError.schemaNotFound() }
        let state = try await store.state
        switch path.count == 4 ? path[3] : nil {
        case nil:
            return RegistryResponse(
                SchemaRegistryState.entity(try state.schema(id: id, format: request.query["format"]))
            )
        case "subjects"?:
            let subjects = try state.subjectVersions(id: id, includeDeleted: request.flag("deleted")).map(\.subject)
            return RegistryResponse(.array(subjects.map { .string($0) }))
        case "versions"?:
            let versions = try state.subjectVersions(id: id, includeDeleted: request.flag("deleted"))
            return RegistryResponse(
                .array(
                    versions.map {
                        .object(
                            JSONObject([
                                ("subject", .string($0.subject)), ("version", .number(JSONNumber(String($0.version)))),
                            ])
                        )
                    }
                )
            )
        default:
            throw Self.notFound
        }
    }

    func config(_ request: RegistryRequest) async throws(SchemaRegistryError) -> RegistryResponse {
        let path = request.path
        guard path.count <= 2 else { throw Self.notFound }
        let subject = path.count == 2 ? path[1] : nil
        switch request.method {
        case "GET":
            let state = try await store.state
            let level =
                if let subject {
                    try state.compatibility(subject: subject, defaultToGlobal: request.flag("defaultToGlobal"))
                } else { state.compatibility(of: nil) }
            return RegistryResponse(.object(JSONObject([("compatibilityLevel", .string(level.rawValue))])))
        case "PUT":
            guard let name = Self.json(request.body)["compatibility"]?.stringValue else {
                throw .invalidCompatibilityLevel
            }
            let level = try await store.update { state, idFloor throws(SchemaRegistryError) in
                try state.setCompatibility(name, subject: subject)
            }
            return RegistryResponse(.object(JSONObject([("compatibility", .string(level.rawValue))])))
        case "DELETE" where subject != nil:
            let level = try await store.update { state, idFloor throws(SchemaRegistryError) in
                try state.deleteCompatibility(subject: subject!)
            }
            return RegistryResponse(.object(JSONObject([("compatibilityLevel", .string(level.rawValue))])))
        default:
            throw Self.methodNotAllowed
        }
    }

    func mode(_ request: RegistryRequest) async throws(SchemaRegistryError) -> RegistryResponse {
        let path = request.path
        guard path.count <= 2 else { throw Self.notFound }
        let subject = path.count == 2 ? path[1] : nil
        let mutable = modeMutability
        switch request.method {
        case "GET":
            let state = try await store.state
            let mode =
                try subject.map { subject throws(SchemaRegistryError) in
                    try state.mode(subject: subject, defaultToGlobal: request.flag("defaultToGlobal"))
                } ?? state.mode(of: nil)
            return RegistryResponse(.object(JSONObject([("mode", .string(mode.rawValue))])))
        case "PUT":
            guard let name = Self.json(request.body)["mode"]?.stringValue else { throw .invalidMode }
            let force = request.flag("force")
            let mode = try await store.update { state, idFloor throws(SchemaRegistryError) in
                try state.setMode(name, subject: subject, mutable: mutable, force: force)
            }
            return RegistryResponse(.object(JSONObject([("mode", .string(mode.rawValue))])))
        case "DELETE" where subject != nil:
            let mode = try await store.update { state, idFloor throws(SchemaRegistryError) in
                try state.deleteMode(subject: subject!, mutable: mutable)
            }
            return RegistryResponse(.object(JSONObject([("mode", .string(mode.rawValue))])))
        default:
            throw Self.methodNotAllowed
        }
    }

    static func json(_ body: [UInt8]) -> JSONValue {
        guard let text = String(validating: body, as: UTF8.self), let json = try? JSONValue.parse(text) else {
            return .null
        }
        return json
    }

    /// A register, lookup or compatibility body: `schema` (required), `schemaType`, `references`, `id`, `version`;
    /// anything else is ignored.
    static func schemaRequest(_ body: [UInt8]) throws(SchemaRegistryError) -> SchemaRequest {
        guard let text = String(validating: body, as: UTF8.self) else {
            throw SchemaRegistryError(400, "Invalid UTF-8 in the request body")
        }
        let json: JSONValue
        do {
            json = try JSONValue.parse(text)
        } catch {
            throw SchemaRegistryError(400, "Malformed JSON: \(error)")
        }
        guard let schema = json["schema"]?.stringValue, !schema.isEmpty else { throw .invalidSchema("Empty schema") }
        var references: [SchemaReference] = []
        for item in json["references"]?.arrayValue ?? [] {
            guard let reference = SchemaReference(json: item) else {
                throw .invalidSchema("Invalid reference \(item.compactText)")
            }
            references.append(reference)
        }
        return SchemaRequest(
            schema: schema,
            schemaType: json["schemaType"]?.stringValue ?? "AVRO",
            references: references,
            id: json["id"].flatMap(SchemaRegistryKey.int32).flatMap { $0 >= 0 ? $0 : nil },
            version: json["version"].flatMap(SchemaRegistryKey.int32).flatMap { $0 >= 1 ? $0 : nil }
        )
    }
}
