import Foundation

/// SCRAM-SHA-256/512's server (RFC 5802/7677 as Kafka's `ScramSaslServer`): two client messages, two answers.
///
/// 1. client-first `n,[a=<authzid>],n=<saslname>,r=<cnonce>[,ext=…]` → server-first
///    `r=<cnonce><snonce>,s=<salt>,i=<iterations>` (only the GS2 header `n`; an authzid other than the username,
///    an unknown user, a credential below 4,096 iterations or a delegation-token request fail);
/// 2. client-final `c=<channel binding>,r=<nonce>[,ext=…],p=<proof>` → server-final `v=<server signature>`, once
///    H(proof XOR HMAC(StoredKey, AuthMessage)) equals StoredKey (compared in constant time).
///
/// The final nonce must end with the nonce of the server-first message, as Kafka checks since 3.8.1
/// (CVE-2024-56128): librdkafka up to 2.6.0 (Debian's 2.0.2 too) sends its client nonce twice in front of it, and
/// the AuthMessage is built from the client's own text, so those clients still authenticate. Every failure is
/// answered with Kafka's generic message, which does not say whether the user exists.
public struct ScramServer: SaslServer {
    public let scram: ScramMechanism
    public var mechanism: String { scram.mechanismName }
    let credentials: @Sendable (String) -> ScramCredential?
    let serverNonce: String
    private var state = State.receiveClientFirst

    private enum State: Sendable {
        case receiveClientFirst
        case receiveClientFinal(Exchange)
        case done
    }

    private struct Exchange: Sendable {
        var username: String
        var credential: ScramCredential
        var clientFirstBare: String
        var serverFirst: String
        var nonce: String
    }

    /// `credentials` looks a user's credential up by username (nil: no such user).
    public init(
        mechanism: ScramMechanism,
        serverNonce: String? = nil,
        credentials: @escaping @Sendable (String) -> ScramCredential?
    ) {
        self.scram = mechanism
        self.serverNonce = serverNonce ?? ScramNonce.random()
        self.credentials = credentials
    }

    public mutating func evaluate(_ token: [UInt8]) throws(SaslAuthenticationError) -> SaslStep {
        let failure = SaslAuthenticationError.genericFailure(mechanism: mechanism)
        guard let text = String(validating: token, as: UTF8.self) else { throw failure }
        switch state {
        case .receiveClientFirst:
            state = .done
            guard let first = ClientFirstMessage(text), !first.tokenAuthentication,
                first.authorizationID.isEmpty || first.authorizationID == first.username,
                let credential = credentials(first.username),
                credential.iterations >= ScramMechanism.minIterations
            else { throw failure }
            let nonce = first.nonce + serverNonce
            let serverFirst = "r=\(nonce),s=\(Data(credential.salt).base64EncodedString()),i=\(credential.iterations)"
            state = .receiveClientFinal(
                Exchange(
                    username: first.username,
                    credential: credential,
                    clientFirstBare: first.bare,
                    serverFirst: serverFirst,
                    nonce: nonce
                )
            )
            return .challenge(Array(serverFirst.utf8))
        case .receiveClientFinal(let exchange):
            state = .done
            guard let final = ClientFinalMessage(text), final.nonce.hasSuffix(exchange.nonce) else { throw failure }
            let authMessage = Array("\(exchange.clientFirstBare),\(exchange.serverFirst),\(final.withoutProof)".utf8)
            let clientSignature = scram.hmac(key: exchange.credential.storedKey, authMessage)
            guard final.proof.count == clientSignature.count else { throw failure }
            let clientKey = zip(final.proof, clientSignature).map { $0 ^ $1 }
            guard constantTimeEqual(scram.hash(clientKey), exchange.credential.storedKey) else { throw failure }
            let signature = scram.hmac(key: exchange.credential.serverKey, authMessage)
            return .complete(
                Array("v=\(Data(signature).base64EncodedString())".utf8),
                principal: KafkaPrincipal(name: exchange.username)
            )
        case .done:
            throw failure
        }
    }
}

/// `n,[a=<authzid>],n=<saslname>,r=<nonce>[,<ext>=<value>…]`, with `=2C`/`=3D` unescaped in names.
struct ClientFirstMessage {
    var authorizationID: String
    var username: String
    var nonce: String
    /// The message without its GS2 header: what the AuthMessage starts with.
    var bare: String
    /// `tokenauth=true`: a delegation token's credentials (which this broker does not issue).
    var tokenAuthentication: Bool

    init?(_ text: String) {
        guard text.hasPrefix("n,") else { return nil }
        let afterFlag = text.dropFirst(2)
        guard let comma = afterFlag.firstIndex(of: ",") else { return nil }
        let authzid = afterFlag[..<comma]
        if authzid.isEmpty {
            authorizationID = ""
        } else {
            guard authzid.hasPrefix("a="), let name = Self.unescape(authzid.dropFirst(2)) else { return nil }
            authorizationID = name
        }
        bare = String(afterFlag[afterFlag.index(after: comma)...])
        let fields = bare.split(separator: ",", omittingEmptySubsequences: false)
        guard fields.count >= 2, fields[0].hasPrefix("n="), fields[1].hasPrefix("r="),
            let username = Self.unescape(fields[0].dropFirst(2)), !username.isEmpty
        else { return nil }
        self.username = username
        nonce = String(fields[1].dropFirst(2))
        guard !nonce.isEmpty, nonce.utf8.allSatisfy({ $0 >= 0x21 && $0 <= 0x7E }) else { return nil }
        var extensions: [String: String] = [:]
        for field in fields.dropFirst(2) {
            guard let equals = field.firstIndex(of: "=") else { return nil }
            extensions[String(field[..<equals])] = String(field[field.index(after: equals)...])
        }
        tokenAuthentication = extensions["tokenauth"]?.lowercased() == "true"
    }

    /// A saslname: `=2C` is a comma, `=3D` an equals sign, any other `=` is invalid.
    static func unescape(_ name: Substring) -> String? {
        var result = ""
        var rest = name[...]
        while let equals = rest.firstIndex(of: "=") {
            result += rest[..<equals]
            let code = rest[rest.index(after: equals)...].prefix(2)
            switch code {
            case "2C": result += ","
            case "3D": result += "="
            default: return nil
            }
            rest = rest[rest.index(equals, offsetBy: 3)...]
        }
        return result + rest
    }
}

/// `c=<channel binding>,r=<nonce>[,<ext>=<value>…],p=<proof>`.
struct ClientFinalMessage {
    var nonce: String
    var proof: [UInt8]
    /// Everything before `,p=`: the AuthMessage's last part.
    var withoutProof: String

    init?(_ text: String) {
        guard let proofStart = text.range(of: ",p=", options: .backwards) else { return nil }
        withoutProof = String(text[..<proofStart.lowerBound])
        guard let proof = Data(base64Encoded: String(text[proofStart.upperBound...])) else { return nil }
        self.proof = Array(proof)
        let fields = withoutProof.split(separator: ",", omittingEmptySubsequences: false)
        guard fields.count >= 2, fields[0].hasPrefix("c="), fields[1].hasPrefix("r="),
            Data(base64Encoded: String(fields[0].dropFirst(2))) != nil
        else { return nil }
        nonce = String(fields[1].dropFirst(2))
    }
}
