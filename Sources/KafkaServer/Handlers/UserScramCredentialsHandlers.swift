import KafkaController
import KafkaCore
import KafkaProtocol
import KafkaSecurity
import KafkaZooKeeper

/// DescribeUserScramCredentials (50) and AlterUserScramCredentials (51), version 0 (KIP-554), over
/// `/config/users/<sanitized user>` as Kafka 2.8 keeps it: one config map per user whose `SCRAM-SHA-256` and
/// `SCRAM-SHA-512` keys hold `ScramCredential` text (quota keys share the map and are left alone). Describe lists
/// each mechanism's iteration count, never a salt or key. Alter runs on the controller (NOT_CONTROLLER elsewhere):
/// the client sends a salted password (it ran PBKDF2), the broker derives the stored and server keys, writes the
/// user's map and announces it in `/config/changes`, so every broker's `ScramCredentialCache` has it within moments.
/// Errors as Kafka's: RESOURCE_NOT_FOUND, DUPLICATE_RESOURCE, UNACCEPTABLE_CREDENTIAL, UNSUPPORTED_SASL_MECHANISM;
/// with an authorizer Cluster:Describe and Cluster:Alter (CLUSTER_AUTHORIZATION_FAILED).
enum UserScramCredentialsHandlers {
    static func describe(_ services: BrokerServices) -> any RequestHandler {
        TypedHandler(DescribeUserScramCredentialsRequest.self) { request, context in
            guard services.authorizer.authorizeCluster(context, .describe) else {
                return DescribeUserScramCredentialsResponse(errorCode: .clusterAuthorizationFailed, errorMessage: nil)
            }
            typealias Result = DescribeUserScramCredentialsResponse.DescribeUserScramCredentialsResult
            var response = DescribeUserScramCredentialsResponse(errorMessage: nil)
            guard let wanted = request.users?.map(\.name) else {
                // Every user with a credential.
                let children = (try? await services.zk.zookeeper.children("/config/users")) ?? []
                for name in children.compactMap(Sanitizer.desanitize).sorted() {
                    let infos = await Self.credentialInfos(services, user: name)
                    if !infos.isEmpty {
                        response.results.append(Result(user: name, errorMessage: nil, credentialInfos: infos))
                    }
                }
                return response
            }
            var seen: Set<String> = []
            for name in wanted where seen.insert(name).inserted {
                var result = Result(user: name, errorMessage: nil)
                if wanted.filter({ $0 == name }).count > 1 {
                    result.errorCode = .duplicateResource
                    result.errorMessage =
                        "Cannot describe SCRAM credentials for the same user twice in a single request: \(name)"
                } else {
                    result.credentialInfos = await Self.credentialInfos(services, user: name)
                    if result.credentialInfos.isEmpty {
                        result.errorCode = .resourceNotFound
                        result.errorMessage = "Attempt to describe a user credential that does not exist: \(name)"
                    }
                }
                response.results.append(result)
            }
            return response
        }
    }

    static func alter(_ services: BrokerServices) -> any RequestHandler {
        TypedHandler(AlterUserScramCredentialsRequest.self) { request, context in
            let users = request.deletions.map(\.name) + request.upsertions.map(\.name)
            guard services.authorizer.authorizeCluster(context, .alter) else {
                return AlterUserScramCredentialsResponse(
                    results: Array(Set(users)).sorted().map {
                        .init(user: $0, errorCode: .clusterAuthorizationFailed, errorMessage: nil)
                    }
                )
            }
            guard services.controller.isActive else {
                return AlterUserScramCredentialsResponse(
                    results: Array(Set(users)).sorted().map {
                        .init(user: $0, errorCode: .notController, errorMessage: nil)
                    }
                )
            }
            var results: [AlterUserScramCredentialsResponse.AlterUserScramCredentialsResult] = []
            for user in Array(Set(users)).sorted() {
                let error = await alter(
                    services,
                    user: user,
                    deletions: request.deletions.filter { $0.name == user },
                    upsertions: request.upsertions.filter { $0.name == user }
                )
                results.append(.init(user: user, errorCode: error?.0 ?? .none, errorMessage: error?.1))
            }
            return AlterUserScramCredentialsResponse(results: results)
        }
    }

    /// One user's alterations, checked as a whole before anything is written; the error, or nil.
    private static func alter(
        _ services: BrokerServices,
        user: String,
        deletions: [AlterUserScramCredentialsRequest.ScramCredentialDeletion],
        upsertions: [AlterUserScramCredentialsRequest.ScramCredentialUpsertion]
    ) async -> (KafkaErrorCode, String)? {
        guard !user.isEmpty else { return (.unacceptableCredential, "Username must not be empty") }
        let mechanisms = deletions.map(\.mechanism) + upsertions.map(\.mechanism)
        guard Set(mechanisms).count == mechanisms.count else {
            return (.duplicateResource, "A user credential cannot be altered twice in the same request")
        }
        for type in mechanisms where ScramMechanism(type: type) == nil {
            return (.unsupportedSaslMechanism, "Unknown SCRAM mechanism")
        }
        let node = Sanitizer.sanitize(user)
        let stored = (try? await services.zk.getEntityConfig(type: "users", name: node)) ?? [:]
        var config = stored
        for deletion in deletions {
            let mechanism = ScramMechanism(type: deletion.mechanism)!
            guard config.removeValue(forKey: mechanism.mechanismName) != nil else {
                return (.resourceNotFound, "Attempt to delete a user credential that does not exist")
            }
        }
        for upsertion in upsertions {
            let mechanism = ScramMechanism(type: upsertion.mechanism)!
            let iterations = Int(upsertion.iterations)
            guard iterations >= ScramMechanism.minIterations else {
                return (
                    .unacceptableCredential,
                    "Too few iterations: \(iterations) (the minimum is \(ScramMechanism.minIterations))"
                )
            }
            guard iterations <= ScramMechanism.maxIterations else {
                return (
                    .unacceptableCredential,
                    "Too many iterations: \(iterations) (the maximum is \(ScramMechanism.maxIterations))"
                )
            }
            guard !upsertion.salt.isEmpty, upsertion.saltedPassword.count == mechanism.hashLength else {
                return (.unacceptableCredential, "Credential must have a salt and a salted password")
            }
            config[mechanism.mechanismName] =
                ScramCredential.from(
                    saltedPassword: upsertion.saltedPassword,
                    salt: upsertion.salt,
                    iterations: iterations,
                    mechanism: mechanism
                ).text
        }
        do {
            try await services.zk.setEntityConfig(type: "users", name: node, config: config)
        } catch {
            return (.unknownServerError, "Could not write the credentials: \(error)")
        }
        services.logger.info("Altered SCRAM credentials", metadata: ["user": "\(user)"])
        return nil
    }

    /// The user's credentials as Describe shows them: mechanism and iterations.
    private static func credentialInfos(
        _ services: BrokerServices,
        user: String
    ) async -> [DescribeUserScramCredentialsResponse.CredentialInfo] {
        let config = (try? await services.zk.getEntityConfig(type: "users", name: Sanitizer.sanitize(user))) ?? [:]
        return config.compactMap { key, value in
            guard let mechanism = ScramMechanism(rawValue: key), let credential = ScramCredential(text: value) else {
                return nil
            }
            return .init(mechanism: mechanism.type, iterations: Int32(credential.iterations))
        }.sorted { $0.mechanism < $1.mechanism }
    }
}
