import ArgumentParser
import KafkaClient
import KafkaSecurity

/// `configs --entity-type users`: SCRAM credentials, as Kafka 2.8's kafka-configs prints and parses them.
/// `--describe` prints `SCRAM credential configs for user-principal 'alice' are SCRAM-SHA-256=iterations=8192`
/// (every user with a credential without `--entity-name`); `--alter --add-config
/// 'SCRAM-SHA-256=[iterations=8192,password=secret]'` (iterations default to 4096) and `--delete-config
/// SCRAM-SHA-512` print `Completed updating config for user alice.` The password is hashed here, never sent.
extension ConfigsCommand {
    func describeUsers(_ client: AdminClient) async throws {
        let users = entityName.map { [$0] }
        let described = try await client.admin.describeUserScramCredentials(users)
        for user in described.keys.sorted() {
            switch described[user]! {
            case .success(let infos) where !infos.isEmpty:
                let text = infos.map { "\($0.mechanism.mechanismName)=iterations=\($0.iterations)" }
                print("SCRAM credential configs for user-principal '\(user)' are \(text.joined(separator: ", "))")
            case .success:
                continue
            case .failure(let error) where error.code == .resourceNotFound:
                continue  // no credential: nothing to show, as kafka-configs
            case .failure(let error):
                throw Failure("\(error)")
            }
        }
    }

    func alterUser(_ client: AdminClient) async throws {
        guard let user = entityName else { throw ValidationError("--alter needs --entity-name") }
        var alterations: [KafkaAdminClient.ScramCredentialAlteration] = []
        for entry in Self.splitOutsideBrackets(addConfig ?? "") {
            guard let equals = entry.firstIndex(of: "="),
                let mechanism = ScramMechanism(rawValue: String(entry[..<equals]))
            else {
                throw ValidationError(
                    "--add-config \(entry): only SCRAM-SHA-256=[...] and SCRAM-SHA-512=[...] apply to users"
                )
            }
            var value = entry[entry.index(after: equals)...]
            if value.hasPrefix("["), value.hasSuffix("]") { value = value.dropFirst().dropLast() }
            var options: [String: String] = [:]
            for option in value.split(separator: ",") {
                let parts = option.split(separator: "=", maxSplits: 1).map(String.init)
                guard parts.count == 2 else { throw ValidationError("--add-config: '\(option)' is not key=value") }
                options[parts[0]] = parts[1]
            }
            guard let password = options["password"] else {
                throw ValidationError("--add-config \(mechanism.mechanismName) needs password=...")
            }
            guard let iterations = Int(options["iterations"] ?? "\(ScramMechanism.minIterations)") else {
                throw ValidationError("--add-config: iterations must be a number")
            }
            alterations.append(.upsert(user: user, mechanism: mechanism, iterations: iterations, password: password))
        }
        for name in (deleteConfig ?? "").split(separator: ",") {
            guard let mechanism = ScramMechanism(rawValue: String(name)) else {
                throw ValidationError("--delete-config \(name): only SCRAM-SHA-256 and SCRAM-SHA-512 apply to users")
            }
            alterations.append(.delete(user: user, mechanism: mechanism))
        }
        guard !alterations.isEmpty else { throw ValidationError("--alter needs --add-config and/or --delete-config") }
        for result in try await client.admin.alterUserScramCredentials(alterations).values {
            if case .failure(let error) = result { throw Failure("\(error)") }
        }
        print("Completed updating config for user \(user).")
    }

    /// `a=[x=1,y=2],b=[z=3]` → `a=[x=1,y=2]`, `b=[z=3]`.
    static func splitOutsideBrackets(_ text: String) -> [String] {
        var entries: [String] = []
        var current = ""
        var depth = 0
        for character in text {
            if character == "[" { depth += 1 }
            if character == "]" { depth -= 1 }
            if character == ",", depth == 0 {
                entries.append(current)
                current = ""
            } else {
                current.append(character)
            }
        }
        entries.append(current)
        return entries.filter { !$0.isEmpty }
    }
}
