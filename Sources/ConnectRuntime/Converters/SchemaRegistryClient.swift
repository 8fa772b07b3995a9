import Avro
import KafkaConnect
import Synchronization

/// The part of Confluent Schema Registry's REST API a converter needs (Confluent's `CachedSchemaRegistryClient`):
/// register a schema under a subject (`POST /subjects/{subject}/versions`) or look up its id there
/// (`POST /subjects/{subject}`), and fetch a schema by id (`GET /schemas/ids/{id}`). Answers are cached for the
/// client's life (ids never change meaning); `urls` are tried in order until one answers. Shared by the key and value
/// converters of one task; any task may call it.
final class SchemaRegistryClient: Sendable {
    struct Failure: Error, CustomStringConvertible {
        var description: String
        /// No registry answered, or one answered with a server error: asking again later may work.
        var retriable = false
    }

    let urls: [String]
    private let ids = Mutex<[String: Int32]>([:])
    private let schemas = Mutex<[Int32: (document: AvroSchemaDocument, connect: ConnectSchema)]>([:])
    /// The Avro schema and id last written for a Connect schema instance and topic (records of one source share
    /// their schema object), so a record does not rebuild its schema's text; bounded like Confluent's
    /// `schemas.cache.config` (1000).
    private let written = Mutex<[WrittenKey: (schema: ConnectSchema, document: AvroSchemaDocument, id: Int32)]>([:])

    struct WrittenKey: Hashable {
        var schema: ObjectIdentifier
        var topic: String
    }

    init(urls: [String]) {
        self.urls = urls
    }

    /// The id of `schema` under `subject`, registered first when `register` (else only looked up).
    func id(of schema: AvroSchemaDocument, subject: String, register: Bool) async throws -> Int32 {
        let text = schema.canonicalText
        let key = subject + "\u{0}" + text
        if let id = ids.withLock({ $0[key] }) { return id }
        let body = JSONValue.object(JSONObject([("schema", .string(text))]))
        let path = register ? "/subjects/\(subject)/versions" : "/subjects/\(subject)"
        let answer = try await send("POST", path, body)
        guard let id = answer["id"]?.numberText.flatMap({ Int32($0) }) else {
            throw Failure(description: "the schema registry answered \(answer.compactText) without an id")
        }
        ids.withLock { $0[key] = id }
        return id
    }

    /// What `remember` kept for this schema object and topic (the entry holds the object, so its identity cannot
    /// be reused while cached).
    func written(_ schema: ConnectSchema, topic: String) -> (AvroSchemaDocument, Int32)? {
        written.withLock { cache in
            cache[WrittenKey(schema: ObjectIdentifier(schema), topic: topic)].map { ($0.document, $0.id) }
        }
    }

    func remember(_ schema: ConnectSchema, topic: String, _ document: AvroSchemaDocument, _ id: Int32) {
        written.withLock { cache in
            if cache.count >= 1000 { cache.removeAll() }
            cache[WrittenKey(schema: ObjectIdentifier(schema), topic: topic)] = (schema, document, id)
        }
    }

    /// The schema registered with `id`, and its Connect schema (`AvroData.connectSchema`).
    func schema(id: Int32) async throws -> (AvroSchemaDocument, ConnectSchema) {
        if let known = schemas.withLock({ $0[id] }) { return known }
        let answer = try await send("GET", "/schemas/ids/\(id)", nil)
        if let type = answer["schemaType"]?.stringValue, type != "AVRO" {
            throw Failure(description: "schema \(id) is a \(type) schema, not Avro")
        }
        guard let text = answer["schema"]?.stringValue else {
            throw Failure(description: "the schema registry answered \(answer.compactText) without a schema")
        }
        let document = try AvroSchemaParser().parse(text)
        let connect = try AvroData.connectSchema(document)
        schemas.withLock { $0[id] = (document, connect) }
        return (document, connect)
    }

    /// One request to the first registry that answers; a registry's error (`{"error_code","message"}`) is thrown.
    private func send(_ method: String, _ path: String, _ body: JSONValue?) async throws -> JSONValue {
        var lastError = Failure(description: "no schema.registry.url", retriable: true)
        for url in urls {
            let answer: (status: Int, body: [UInt8])
            do {
                answer = try await RestClient.send(
                    method: method,
                    baseURL: url,
                    target: path,
                    body: body.map { Array($0.compactText.utf8) } ?? [],
                    timeout: .seconds(30)
                )
            } catch {
                lastError = Failure(description: "\(url): \(error)", retriable: true)
                continue
            }
            let json = try? JSONValue.parse(String(decoding: answer.body, as: UTF8.self))
            guard (200..<300).contains(answer.status), let json else {
                let message = json?["message"]?.stringValue ?? String(decoding: answer.body.prefix(200), as: UTF8.self)
                let code = json?["error_code"]?.numberText ?? String(answer.status)
                throw Failure(description: "\(message); error code: \(code)", retriable: answer.status >= 500)
            }
            return json
        }
        throw lastError
    }
}
