import Foundation
import Testing

@testable import KafkaSecurity

/// SCRAM against RFC 7677's SCRAM-SHA-256 example (user `user`, password `pencil`) and the credential Kafka stores
/// for it, then the failures Kafka answers with its generic message.
@Suite struct ScramTests {
    static let clientNonce = "rOprNGfwEbeRWgbNEkqO"
    static let serverNonce = "%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0"
    static let salt = Array(Data(base64Encoded: "W22ZaJ0SNY7soEsUEjb6gQ==")!)
    static let credential = ScramCredential.derive(password: "pencil", salt: salt, iterations: 4096, mechanism: .sha256)

    func server(_ credential: ScramCredential? = ScramTests.credential) -> ScramServer {
        ScramServer(mechanism: .sha256, serverNonce: Self.serverNonce) { user in user == "user" ? credential : nil }
    }

    @Test func theStoredCredentialIsKafkas() {
        // /config/users/user as kafka-configs writes it for this password and salt (reference/security.md §2.4).
        #expect(
            Self.credential.text
                == "salt=W22ZaJ0SNY7soEsUEjb6gQ==,stored_key=WG5d8oPm3OtcPnkdi4Uo7BkeZkBFzpcXkuLmtbsT4qY=,server_key=wfPLwcE6nTWhTAmQ7tl2KeoiWGPlZqQxSrmfPwDl2dU=,iterations=4096"
        )
        #expect(ScramCredential(text: Self.credential.text) == Self.credential)
        #expect(ScramCredential(text: "salt=AA==,stored_key=AA==,iterations=4096") == nil)
    }

    @Test func rfc7677Exchange() throws {
        var server = server()
        let first = try server.evaluate(Array("n,,n=user,r=\(Self.clientNonce)".utf8))
        #expect(
            first
                == .challenge(Array("r=\(Self.clientNonce)\(Self.serverNonce),s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096".utf8))
        )
        let final = try server.evaluate(
            Array(
                "c=biws,r=\(Self.clientNonce)\(Self.serverNonce),p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=".utf8
            )
        )
        #expect(
            final
                == .complete(
                    Array("v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=".utf8),
                    principal: KafkaPrincipal(name: "user")
                )
        )
    }

    @Test func theClientSendsRfc7677sProofAndChecksTheSignature() throws {
        var client = ScramClient(
            mechanism: .sha256,
            username: "user",
            password: "pencil",
            clientNonce: Self.clientNonce
        )
        #expect(String(decoding: client.initialResponse(), as: UTF8.self) == "n,,n=user,r=\(Self.clientNonce)")
        let final = try client.evaluate(
            Array("r=\(Self.clientNonce)\(Self.serverNonce),s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096".utf8)
        )
        #expect(
            final.map { String(decoding: $0, as: UTF8.self) }
                == "c=biws,r=\(Self.clientNonce)\(Self.serverNonce),p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ="
        )
        #expect(throws: SaslAuthenticationError.self) {
            try client.evaluate(Array("v=AAAAbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=".utf8))
        }
        #expect(try client.evaluate(Array("v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=".utf8)) == nil)
    }

    /// librdkafka up to 2.6.0 sends `r=<cnonce><cnonce><snonce>` and computes its proof over that text: accepted.
    @Test func librdkafkasDoubledClientNonceIsAccepted() throws {
        for mechanism in ScramMechanism.allCases {
            let credential = ScramCredential.derive(
                password: "secret",
                salt: Self.salt,
                iterations: 4096,
                mechanism: mechanism
            )
            var server = ScramServer(mechanism: mechanism, serverNonce: "snonce") { _ in credential }
            let clientFirstBare = "n=alice,r=cnonce"
            guard case .challenge(let challenge) = try server.evaluate(Array("n,,\(clientFirstBare)".utf8)) else {
                Issue.record("no challenge")
                return
            }
            let serverFirst = String(decoding: challenge, as: UTF8.self)
            let withoutProof = "c=biws,r=cnoncecnoncesnonce"
            let proof = Self.proof(mechanism, "secret", "\(clientFirstBare),\(serverFirst),\(withoutProof)")
            let step = try server.evaluate(Array("\(withoutProof),p=\(proof)".utf8))
            guard case .complete(_, let principal) = step else {
                Issue.record("not complete")
                return
            }
            #expect(principal == KafkaPrincipal(name: "alice"))
        }
    }

    /// A final nonce that does not end with the server's (CVE-2024-56128) fails even with a valid proof over it.
    @Test func aFinalNonceWithoutTheServerNonceFails() throws {
        var server = server()
        _ = try server.evaluate(Array("n,,n=user,r=\(Self.clientNonce)".utf8))
        let serverFirst = "r=\(Self.clientNonce)\(Self.serverNonce),s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096"
        let withoutProof = "c=biws,r=\(Self.clientNonce)forged"
        let proof = Self.proof(.sha256, "pencil", "n=user,r=\(Self.clientNonce),\(serverFirst),\(withoutProof)")
        #expect(throws: SaslAuthenticationError.genericFailure(mechanism: "SCRAM-SHA-256")) {
            try server.evaluate(Array("\(withoutProof),p=\(proof)".utf8))
        }
    }

    @Test func failuresGetKafkasGenericMessage() throws {
        let generic = SaslAuthenticationError.genericFailure(mechanism: "SCRAM-SHA-256")
        #expect(
            generic.message
                == "Authentication failed during authentication due to invalid credentials with SASL mechanism SCRAM-SHA-256"
        )
        // Unknown user, an authorization id that is not the user, a GS2 header asking for channel binding, a
        // delegation token, too few iterations, and garbage.
        for first in [
            "n,,n=mallory,r=abc", "n,a=admin,n=user,r=abc", "y,,n=user,r=abc", "n,,n=user,r=abc,tokenauth=true",
            "n,,n=us=er,r=abc", "garbage",
        ] {
            var server = server()
            #expect(throws: generic, "\(first)") { try server.evaluate(Array(first.utf8)) }
        }
        var weak = server(
            ScramCredential.derive(password: "pencil", salt: Self.salt, iterations: 4095, mechanism: .sha256)
        )
        #expect(throws: generic) { try weak.evaluate(Array("n,,n=user,r=abc".utf8)) }
        // A wrong password: the proof does not verify.
        var server = server()
        _ = try server.evaluate(Array("n,,n=user,r=\(Self.clientNonce)".utf8))
        let serverFirst = "r=\(Self.clientNonce)\(Self.serverNonce),s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096"
        let withoutProof = "c=biws,r=\(Self.clientNonce)\(Self.serverNonce)"
        let proof = Self.proof(.sha256, "pencil2", "n=user,r=\(Self.clientNonce),\(serverFirst),\(withoutProof)")
        #expect(throws: generic) { try server.evaluate(Array("\(withoutProof),p=\(proof)".utf8)) }
    }

    @Test func escapedNamesAndAMatchingAuthorizationID() throws {
        let credential = ScramCredential.derive(password: "pw", salt: Self.salt, iterations: 4096, mechanism: .sha512)
        var server = ScramServer(mechanism: .sha512, serverNonce: "s") { $0 == "a,b=c" ? credential : nil }
        let step = try server.evaluate(Array("n,a=a=2Cb=3Dc,n=a=2Cb=3Dc,r=abc".utf8))
        guard case .challenge = step else {
            Issue.record("no challenge for an escaped name")
            return
        }
        // The client escapes the same way and completes against the server.
        var client = ScramClient(mechanism: .sha512, username: "a,b=c", password: "pw")
        var roundTrip = ScramServer(mechanism: .sha512) { $0 == "a,b=c" ? credential : nil }
        guard case .challenge(let challenge) = try roundTrip.evaluate(client.initialResponse()),
            let final = try client.evaluate(challenge),
            case .complete(let signature, let principal) = try roundTrip.evaluate(final)
        else {
            Issue.record("the client and server did not complete")
            return
        }
        #expect(principal.description == "User:a,b=c")
        #expect(try client.evaluate(signature) == nil)
    }

    /// The client proof for `authMessage`, computed the RFC's way.
    static func proof(_ mechanism: ScramMechanism, _ password: String, _ authMessage: String) -> String {
        let saltedPassword = mechanism.saltedPassword(password, salt: salt, iterations: 4096)
        let clientKey = mechanism.hmac(key: saltedPassword, Array("Client Key".utf8))
        let signature = mechanism.hmac(key: mechanism.hash(clientKey), Array(authMessage.utf8))
        return Data(zip(clientKey, signature).map { $0 ^ $1 }).base64EncodedString()
    }
}
