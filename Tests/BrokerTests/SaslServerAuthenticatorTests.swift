import KafkaCore
import KafkaProtocol
import KafkaSecurity
import NIOCore
import Testing

@testable import KafkaServer

/// The SASL connection state machine on frames built by hand: handshake versions, raw v0 tokens, the states in
/// which each request is refused, and KIP-368 re-authentication with session expiry (the interop suite drives the
/// same paths with real clients).
@Suite struct SaslServerAuthenticatorTests {
    static func settings(reauthenticationMs: Int64 = 0) -> SaslSettings {
        SaslSettings(
            enabledMechanisms: ["PLAIN", "SCRAM-SHA-256"],
            plainUsers: ["alice": "pw", "bob": "pw2"],
            scramCredentials: ScramCredentialCache(),
            maxReceiveSize: 1024,
            reauthenticationMs: reauthenticationMs,
            failedAuthenticationDelayMs: 100
        )
    }

    static func frame<Request: KafkaRequest>(_ request: Request, version: Int16) -> ByteBuffer {
        var buffer = ByteBuffer()
        RequestHeader(
            requestApiKey: Request.apiKey.rawValue,
            requestApiVersion: version,
            correlationID: 9,
            clientID: "test"
        ).write(to: &buffer, version: Request.apiKey.requestHeaderVersion(for: version))
        request.write(to: &buffer, version: version)
        return buffer
    }

    static func response<Response: KafkaResponse>(
        _ buffer: ByteBuffer,
        as _: Response.Type,
        version: Int16
    ) throws
        -> Response
    {
        var buffer = buffer
        buffer.moveReaderIndex(forwardBy: 4)  // size
        _ = try ResponseHeader(from: &buffer, version: Response.apiKey.responseHeaderVersion(for: version))
        return try Response(from: &buffer, version: version)
    }

    static let plainToken = Array("\0alice\0pw".utf8)

    @Test func handshakeV1ThenAuthenticate() throws {
        var sasl = SaslServerAuthenticator(settings: Self.settings())
        guard case .dispatch = sasl.receive(Self.frame(ApiVersionsRequest(), version: 0), now: 0) else {
            Issue.record("ApiVersions is not dispatched before authentication")
            return
        }
        guard
            case .respond(let handshake) = sasl.receive(
                Self.frame(SaslHandshakeRequest(mechanism: "PLAIN"), version: 1),
                now: 0
            )
        else {
            Issue.record("no handshake answer")
            return
        }
        #expect(
            try Self.response(handshake, as: SaslHandshakeResponse.self, version: 1).mechanisms == [
                "PLAIN", "SCRAM-SHA-256",
            ]
        )
        guard
            case .respond(let done) = sasl.receive(
                Self.frame(SaslAuthenticateRequest(authBytes: Self.plainToken), version: 2),
                now: 0
            )
        else {
            Issue.record("no authenticate answer")
            return
        }
        let answer = try Self.response(done, as: SaslAuthenticateResponse.self, version: 2)
        #expect(answer.errorCode == .none && answer.errorMessage == nil && answer.sessionLifetimeMs == 0)
        #expect(sasl.isComplete && sasl.principal == KafkaPrincipal(name: "alice"))
        // Authenticated: requests go through, SaslAuthenticate is refused with ILLEGAL_SASL_STATE.
        guard case .dispatch = sasl.receive(Self.frame(MetadataRequest(), version: 1), now: 0) else {
            Issue.record("an authenticated request is not dispatched")
            return
        }
        guard
            case .respond(let again) = sasl.receive(
                Self.frame(SaslAuthenticateRequest(authBytes: Self.plainToken), version: 1),
                now: 0
            )
        else {
            Issue.record("no answer to a second SaslAuthenticate")
            return
        }
        #expect(try Self.response(again, as: SaslAuthenticateResponse.self, version: 1).errorCode == .illegalSaslState)
    }

    @Test func refusals() throws {
        var early = SaslServerAuthenticator(settings: Self.settings())
        guard case .close = early.receive(Self.frame(MetadataRequest(), version: 1), now: 0) else {
            Issue.record("Metadata before authentication is not closed")
            return
        }
        var unknown = SaslServerAuthenticator(settings: Self.settings())
        guard
            case .fail(let answer?, _) = unknown.receive(
                Self.frame(SaslHandshakeRequest(mechanism: "GSSAPI"), version: 1),
                now: 0
            )
        else {
            Issue.record("an unknown mechanism is not refused")
            return
        }
        #expect(
            try Self.response(answer, as: SaslHandshakeResponse.self, version: 1).errorCode == .unsupportedSaslMechanism
        )
        var wrong = SaslServerAuthenticator(settings: Self.settings())
        _ = wrong.receive(Self.frame(SaslHandshakeRequest(mechanism: "PLAIN"), version: 1), now: 0)
        guard
            case .fail(let failed?, _) = wrong.receive(
                Self.frame(SaslAuthenticateRequest(authBytes: Array("\0alice\0nope".utf8)), version: 1),
                now: 0
            )
        else {
            Issue.record("a wrong password does not fail")
            return
        }
        let response = try Self.response(failed, as: SaslAuthenticateResponse.self, version: 1)
        #expect(response.errorCode == .saslAuthenticationFailed)
        #expect(response.errorMessage == "Authentication failed: Invalid username or password")
        var oversized = SaslServerAuthenticator(settings: Self.settings())
        guard case .close = oversized.receive(ByteBuffer(repeating: 0, count: 2048), now: 0) else {
            Issue.record("a frame above sasl.server.max.receive.size is not closed")
            return
        }
    }

    @Test func rawTokensAfterAVersion0Handshake() throws {
        var sasl = SaslServerAuthenticator(settings: Self.settings())
        _ = sasl.receive(Self.frame(SaslHandshakeRequest(mechanism: "PLAIN"), version: 0), now: 0)
        guard case .respond(let final) = sasl.receive(ByteBuffer(bytes: Self.plainToken), now: 0) else {
            Issue.record("no raw answer")
            return
        }
        #expect(Array(final.readableBytesView) == [0, 0, 0, 0])  // an empty token, size-prefixed, no header
        #expect(sasl.isComplete)
        var wrong = SaslServerAuthenticator(settings: Self.settings())
        _ = wrong.receive(Self.frame(SaslHandshakeRequest(mechanism: "PLAIN"), version: 0), now: 0)
        guard case .fail(nil, _) = wrong.receive(ByteBuffer(bytes: Array("\0alice\0x".utf8)), now: 0) else {
            Issue.record("a wrong raw token is answered")
            return
        }
    }

    @Test func reauthenticationKeepsThePrincipalAndTheSessionExpires() throws {
        var sasl = SaslServerAuthenticator(settings: Self.settings(reauthenticationMs: 10_000))
        _ = sasl.receive(Self.frame(SaslHandshakeRequest(mechanism: "PLAIN"), version: 1), now: 0)
        guard
            case .respond(let done) = sasl.receive(
                Self.frame(SaslAuthenticateRequest(authBytes: Self.plainToken), version: 1),
                now: 1000
            )
        else {
            Issue.record("no answer")
            return
        }
        #expect(try Self.response(done, as: SaslAuthenticateResponse.self, version: 1).sessionLifetimeMs == 10_000)
        guard case .dispatch = sasl.receive(Self.frame(MetadataRequest(), version: 1), now: 10_999) else {
            Issue.record("a request within the session is not dispatched")
            return
        }
        // Re-authentication on the same connection renews the session.
        guard case .respond = sasl.receive(Self.frame(SaslHandshakeRequest(mechanism: "PLAIN"), version: 1), now: 9000),
            case .respond = sasl.receive(
                Self.frame(SaslAuthenticateRequest(authBytes: Self.plainToken), version: 1),
                now: 9000
            )
        else {
            Issue.record("re-authentication refused")
            return
        }
        guard case .dispatch = sasl.receive(Self.frame(MetadataRequest(), version: 1), now: 18_999) else {
            Issue.record("the renewed session is not honoured")
            return
        }
        guard case .close = sasl.receive(Self.frame(MetadataRequest(), version: 1), now: 19_000) else {
            Issue.record("an expired session is not closed")
            return
        }
        // Another principal on re-authentication fails.
        var other = SaslServerAuthenticator(settings: Self.settings(reauthenticationMs: 10_000))
        _ = other.receive(Self.frame(SaslHandshakeRequest(mechanism: "PLAIN"), version: 1), now: 0)
        _ = other.receive(Self.frame(SaslAuthenticateRequest(authBytes: Self.plainToken), version: 1), now: 0)
        _ = other.receive(Self.frame(SaslHandshakeRequest(mechanism: "PLAIN"), version: 1), now: 5000)
        guard
            case .fail = other.receive(
                Self.frame(SaslAuthenticateRequest(authBytes: Array("\0bob\0pw2".utf8)), version: 1),
                now: 5000
            )
        else {
            Issue.record("a re-authentication as someone else succeeded")
            return
        }
    }
}
