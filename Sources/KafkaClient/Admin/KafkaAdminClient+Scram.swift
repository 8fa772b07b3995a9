import KafkaProtocol
public import KafkaSecurity

/// SCRAM credentials (KIP-554), as Java's `Admin.describeUserScramCredentials` / `alterUserScramCredentials`:
/// the password never leaves the client — it runs PBKDF2 over a fresh random salt and sends the salted password,
/// from which the controller derives what it stores. Used by `swiftkafka-admin configs --entity-type users`.
extension KafkaAdminClient {
    /// One mechanism's credential as a broker describes it.
    public struct ScramCredentialInfo: Sendable, Equatable {
        public var mechanism: ScramMechanism
        public var iterations: Int
    }

    /// A change to one user's credentials.
    public enum ScramCredentialAlteration: Sendable {
        case upsert(user: String, mechanism: ScramMechanism, iterations: Int, password: String)
        case delete(user: String, mechanism: ScramMechanism)

        var user: String {
            switch self {
            case .upsert(let user, _, _, _), .delete(let user, _): user
            }
        }
    }

    /// Each user's credentials (`users` nil: every user that has one).
    public func describeUserScramCredentials(
        _ users: [String]? = nil
    ) async throws -> [String: Result<
        [ScramCredentialInfo], AdminError
    >] {
        let request = DescribeUserScramCredentialsRequest(users: users.map { $0.map { .init(name: $0) } })
        let response = try await cluster.send(request)
        guard response.errorCode == .none else { throw AdminError(response.errorCode, response.errorMessage) }
        var results: [String: Result<[ScramCredentialInfo], AdminError>] = [:]
        for result in response.results {
            guard result.errorCode == .none else {
                results[result.user] = .failure(AdminError(result.errorCode, result.errorMessage))
                continue
            }
            results[result.user] = .success(
                result.credentialInfos.compactMap { info in
                    ScramMechanism(type: info.mechanism).map {
                        ScramCredentialInfo(mechanism: $0, iterations: Int(info.iterations))
                    }
                }
            )
        }
        return results
    }

    /// Applies the alterations on the controller; each user's outcome.
    public func alterUserScramCredentials(
        _ alterations: [ScramCredentialAlteration]
    ) async throws -> [String: Result<
        Void, AdminError
    >] {
        var request = AlterUserScramCredentialsRequest()
        for alteration in alterations {
            switch alteration {
            case .upsert(let user, let mechanism, let iterations, let password):
                let salt = ScramCredential.randomSalt()
                request.upsertions.append(
                    .init(
                        name: user,
                        mechanism: mechanism.type,
                        iterations: Int32(iterations),
                        salt: salt,
                        saltedPassword: mechanism.saltedPassword(password, salt: salt, iterations: iterations)
                    )
                )
            case .delete(let user, let mechanism):
                request.deletions.append(.init(name: user, mechanism: mechanism.type))
            }
        }
        let response = try await sendToController(request) { response in
            response.results.contains { $0.errorCode == .notController }
        }
        var results: [String: Result<Void, AdminError>] = [:]
        for result in response.results {
            results[result.user] =
                result.errorCode == .none ? .success(()) : .failure(AdminError(result.errorCode, result.errorMessage))
        }
        return results
    }
}
