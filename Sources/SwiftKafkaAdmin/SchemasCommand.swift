import ArgumentParser
import Foundation

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// `swiftkafka-admin schemas --schema-registry-url URL` and one of
/// - `--list`: the subjects, one per line;
/// - `--describe --subject S`: its compatibility level, each version with its id, and the latest schema;
/// - `--register --subject S --schema-file F [--schema-type AVRO]`: registers F's schema; prints its version and id;
/// - `--check --subject S --schema-file F [--version latest]`: whether F's schema is compatible (exit 1 if not, with
///   the registry's messages).
/// Over the schema registry's REST API (Confluent's, so also against a Confluent registry); the registry's errors
/// are printed as `Error: <message> (error code N)` with exit 1.
struct SchemasCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "schemas",
        abstract: "List, describe, register and check schemas through a schema registry's REST API."
    )

    @Option(help: "The schema registry, e.g. http://127.0.0.1:8081.") var schemaRegistryURL: String
    @Flag(help: "List the subjects.") var list = false
    @Flag(help: "Describe --subject.") var describe = false
    @Flag(help: "Register --schema-file under --subject.") var register = false
    @Flag(help: "Check --schema-file against --subject.") var check = false
    @Option(help: "The subject.") var subject: String?
    @Option(help: "A file holding the schema.") var schemaFile: String?
    @Option(help: "AVRO (the default), JSON or PROTOBUF.") var schemaType = "AVRO"
    @Option(help: "The version --check compares with: a number or latest.") var version = "latest"

    func validate() throws {
        guard [list, describe, register, check].filter({ $0 }).count == 1 else {
            throw ValidationError("exactly one of --list, --describe, --register, --check")
        }
        if !list && subject == nil { throw ValidationError("--subject is required") }
        if (register || check) && schemaFile == nil { throw ValidationError("--schema-file is required") }
    }

    func run() async throws {
        do {
            if list {
                for name in try await call("GET", "/subjects") as? [String] ?? [] { print(name) }
            } else if describe {
                try await describeSubject(subject!)
            } else {
                let text: String
                do {
                    text = try String(contentsOfFile: schemaFile!, encoding: .utf8)
                } catch {
                    throw Failure("cannot read \(schemaFile!): \(error.localizedDescription)")
                }
                var body: [String: Any] = ["schema": text]
                if schemaType.uppercased() != "AVRO" { body["schemaType"] = schemaType.uppercased() }
                if register {
                    let registered =
                        try await call("POST", "/subjects/\(Self.encoded(subject!))/versions", body) as? [String: Any]
                    let found = try await call("POST", "/subjects/\(Self.encoded(subject!))", body) as? [String: Any]
                    print(
                        "Registered \(subject!) version \(found?["version"] ?? "?") with id \(registered?["id"] ?? "?")"
                    )
                } else {
                    let path = "/compatibility/subjects/\(Self.encoded(subject!))/versions/\(version)?verbose=true"
                    let answer = try await call("POST", path, body) as? [String: Any]
                    if answer?["is_compatible"] as? Bool == true {
                        print("Compatible with \(subject!) version \(version)")
                    } else {
                        print("Incompatible with \(subject!) version \(version):")
                        for message in answer?["messages"] as? [String] ?? [] { print("  \(message)") }
                        throw ExitCode(1)
                    }
                }
            }
        } catch let failure as Failure {
            FileHandle.standardError.write(Data("Error: \(failure)\n".utf8))
            throw ExitCode(1)
        }
    }

    func describeSubject(_ subject: String) async throws {
        let name = Self.encoded(subject)
        let versions = try await call("GET", "/subjects/\(name)/versions") as? [Int] ?? []
        let level = try await call("GET", "/config/\(name)?defaultToGlobal=true") as? [String: Any]
        print("Subject: \(subject)")
        print("Compatibility: \(level?["compatibilityLevel"] ?? "?")")
        var latest: [String: Any]?
        for number in versions {
            let entry = try await call("GET", "/subjects/\(name)/versions/\(number)") as? [String: Any]
            print("Version \(number): id \(entry?["id"] ?? "?")\(number == versions.last ? " (latest)" : "")")
            latest = entry
        }
        if let schema = latest?["schema"] as? String { print("Latest schema: \(schema)") }
    }

    /// A subject as one path segment.
    static func encoded(_ subject: String) -> String {
        var allowed = CharacterSet.urlPathAllowed
        allowed.remove(charactersIn: "/%?#")
        return subject.addingPercentEncoding(withAllowedCharacters: allowed) ?? subject
    }

    /// The parsed JSON answer; a registry error becomes a `Failure` with its message and code.
    func call(_ method: String, _ path: String, _ body: [String: Any]? = nil) async throws -> Any {
        let base = schemaRegistryURL.hasSuffix("/") ? String(schemaRegistryURL.dropLast()) : schemaRegistryURL
        guard let url = URL(string: base + path) else { throw Failure("not a URL: \(base + path)") }
        var request = URLRequest(url: url)
        request.httpMethod = method
        request.timeoutInterval = 30
        if let body {
            request.httpBody = try JSONSerialization.data(withJSONObject: body)
            request.setValue("application/vnd.schemaregistry.v1+json", forHTTPHeaderField: "Content-Type")
        }
        let (data, response): (Data, URLResponse)
        do {
            (data, response) = try await URLSession.shared.data(for: request)
        } catch {
            throw Failure("cannot reach the schema registry at \(base): \(error.localizedDescription)")
        }
        let json = try? JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed])
        let status = (response as? HTTPURLResponse)?.statusCode ?? 0
        guard (200..<300).contains(status) else {
            let object = json as? [String: Any]
            let message = object?["message"] as? String ?? String(decoding: data, as: UTF8.self)
            throw Failure("\(message) (error code \(object?["error_code"] ?? status))")
        }
        return json ?? [:]
    }
}
