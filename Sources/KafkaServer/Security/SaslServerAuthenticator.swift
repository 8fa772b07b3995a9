import KafkaCore
import KafkaProtocol
import KafkaSecurity
import NIOCore

/// One SASL connection's authentication, as Kafka's `SaslServerAuthenticator`: a state machine over the frames
/// that arrive before (and, for KIP-368 re-authentication, between) requests. Sans I/O; owned by the connection's
/// task in `KafkaListener`, which does what each `Action` says.
///
/// States: handshake (ApiVersions answered by the dispatcher as often as asked; SaslHandshake picks an enabled
/// mechanism or is refused with UNSUPPORTED_SASL_MECHANISM and the connection closed; any other request closes the
/// connection without an answer) → authenticate → complete. After SaslHandshake v0 the tokens travel as raw
/// size-prefixed frames without a Kafka header, both ways (kafka-python before 2.1, Sarama); after v1, inside
/// SaslAuthenticate requests. A failed exchange is answered with SASL_AUTHENTICATION_FAILED and its message (v1)
/// or nothing (v0), and the connection closed after `connection.failed.authentication.delay.ms`. Once complete,
/// SaslAuthenticate gets ILLEGAL_SASL_STATE; SaslHandshake does too unless `connections.max.reauth.ms` is set, in
/// which case it starts a re-authentication with the same mechanism that must end with the same principal. With
/// re-authentication on, the session ends `SessionLifetimeMs` after it began: any other request after that closes
/// the connection.
struct SaslServerAuthenticator {
    let settings: SaslSettings
    private var state = State.handshake
    private(set) var principal: KafkaPrincipal?
    private var mechanism: String?
    /// When the authenticated session ends (milliseconds, monotonic); nil without re-authentication.
    private var sessionExpiresAt: Int64?
    /// How many KIP-368 re-authentications have completed on this connection.
    private(set) var reauthentications = 0

    private enum State {
        case handshake
        case authenticate(any SaslServer, rawTokens: Bool)
        case complete
        case failed
    }

    /// What the connection does with a frame.
    enum Action {
        /// Dispatch the frame as a request (ApiVersions before authentication; everything once complete).
        case dispatch
        /// Write this framed response; the connection goes on.
        case respond(ByteBuffer)
        /// Write this framed response (if any), wait `connection.failed.authentication.delay.ms`, close.
        case fail(ByteBuffer?, reason: String)
        /// Close at once, without an answer.
        case close(reason: String)
    }

    init(settings: SaslSettings) {
        self.settings = settings
    }

    var isComplete: Bool {
        if case .complete = state { return true }
        return false
    }

    /// The next frame's fate. `now` is a monotonic time in milliseconds.
    mutating func receive(_ frame: ByteBuffer, now: Int64) -> Action {
        switch state {
        case .handshake:
            guard frame.readableBytes <= settings.maxReceiveSize else {
                return .close(reason: "a \(frame.readableBytes)-byte frame before authentication")
            }
            return handshake(frame)
        case .authenticate(var server, rawTokens: true):
            guard frame.readableBytes <= settings.maxReceiveSize else {
                return .close(reason: "a \(frame.readableBytes)-byte SASL token")
            }
            let step: SaslStep
            do {
                step = try server.evaluate(Array(frame.readableBytesView))
            } catch {
                state = .failed
                return .fail(nil, reason: "authentication failed: \(error.message)")
            }
            state = .authenticate(server, rawTokens: true)
            var buffer = ByteBuffer()
            switch step {
            case .challenge(let bytes):
                buffer.writeInteger(Int32(bytes.count))
                buffer.writeBytes(bytes)
            case .complete(let bytes, let principal):
                buffer.writeInteger(Int32(bytes.count))
                buffer.writeBytes(bytes)
                if let failure = complete(principal, now: now) { return failure }
            }
            return .respond(buffer)
        case .authenticate(let server, rawTokens: false):
            return authenticate(frame, server: server, now: now)
        case .complete:
            guard let request = try? RequestFrame(frame: frame) else { return .dispatch }
            switch request.apiKey {
            case .saslHandshake where settings.reauthenticationMs > 0:
                return handshake(frame)
            case .saslHandshake:
                return .respond(
                    Self.frame(
                        SaslHandshakeResponse(errorCode: .illegalSaslState, mechanisms: settings.enabledMechanisms),
                        request
                    )
                )
            case .saslAuthenticate:
                return .respond(
                    Self.frame(
                        SaslAuthenticateResponse(
                            errorCode: .illegalSaslState,
                            errorMessage: "SaslAuthenticate request received after successful authentication"
                        ),
                        request
                    )
                )
            default:
                if let sessionExpiresAt, now >= sessionExpiresAt {
                    return .close(reason: "the authenticated session expired (connections.max.reauth.ms)")
                }
                return .dispatch
            }
        case .failed:
            return .close(reason: "a request after a failed authentication")
        }
    }

    private mutating func handshake(_ frame: ByteBuffer) -> Action {
        guard let request = try? RequestFrame(frame: frame) else {
            // Kafka reads such a frame as a raw GSSAPI token (0.9 clients); there is no Kerberos here.
            return .close(reason: "a first frame that is not a Kafka request (GSSAPI is not enabled)")
        }
        switch request.apiKey {
        case .apiVersions where !isComplete:
            return .dispatch
        case .saslHandshake:
            guard SaslHandshakeRequest.validVersions.contains(request.apiVersion),
                let handshake = try? request.decodeBody(as: SaslHandshakeRequest.self)
            else { return .close(reason: "an invalid SaslHandshake request") }
            let reauthenticating = isComplete
            guard settings.enabledMechanisms.contains(handshake.mechanism),
                !reauthenticating || handshake.mechanism == mechanism,
                let server = settings.server(handshake.mechanism)
            else {
                let response = SaslHandshakeResponse(
                    errorCode: .unsupportedSaslMechanism,
                    mechanisms: settings.enabledMechanisms
                )
                state = .failed
                return .fail(
                    Self.frame(response, request),
                    reason: "unsupported SASL mechanism \(handshake.mechanism)"
                )
            }
            mechanism = handshake.mechanism
            state = .authenticate(server, rawTokens: request.apiVersion == 0)
            return .respond(
                Self.frame(SaslHandshakeResponse(errorCode: .none, mechanisms: settings.enabledMechanisms), request)
            )
        default:
            return .close(reason: "unexpected \(request.apiKey.name) request during the SASL handshake")
        }
    }

    private mutating func authenticate(_ frame: ByteBuffer, server: any SaslServer, now: Int64) -> Action {
        guard let request = try? RequestFrame(frame: frame), request.apiKey == .saslAuthenticate,
            SaslAuthenticateRequest.validVersions.contains(request.apiVersion),
            let authenticate = try? request.decodeBody(as: SaslAuthenticateRequest.self)
        else { return .close(reason: "a request other than SaslAuthenticate during SASL authentication") }
        var server = server
        do {
            switch try server.evaluate(authenticate.authBytes) {
            case .challenge(let bytes):
                state = .authenticate(server, rawTokens: false)
                return .respond(
                    Self.frame(SaslAuthenticateResponse(errorCode: .none, errorMessage: nil, authBytes: bytes), request)
                )
            case .complete(let bytes, let principal):
                if let failure = complete(principal, now: now) { return failure }
                let lifetime = request.apiVersion >= 1 ? settings.reauthenticationMs : 0
                return .respond(
                    Self.frame(
                        SaslAuthenticateResponse(
                            errorCode: .none,
                            errorMessage: nil,
                            authBytes: bytes,
                            sessionLifetimeMs: lifetime
                        ),
                        request
                    )
                )
            }
        } catch {
            state = .failed
            let response = SaslAuthenticateResponse(errorCode: .saslAuthenticationFailed, errorMessage: error.message)
            return .fail(Self.frame(response, request), reason: "authentication failed: \(error.message)")
        }
    }

    /// The exchange succeeded: a re-authentication must keep the principal.
    private mutating func complete(_ authenticated: KafkaPrincipal, now: Int64) -> Action? {
        if let principal, principal != authenticated {
            state = .failed
            return .fail(nil, reason: "re-authentication changed the principal from \(principal) to \(authenticated)")
        }
        if principal != nil { reauthentications += 1 }
        principal = authenticated
        state = .complete
        sessionExpiresAt = settings.reauthenticationMs > 0 ? now + settings.reauthenticationMs : nil
        return nil
    }

    private static func frame<Response: KafkaResponse>(_ response: Response, _ request: RequestFrame) -> ByteBuffer {
        var buffer = ByteBuffer()
        ResponseFrame.write(response, version: request.apiVersion, correlationID: request.correlationID, to: &buffer)
        return buffer
    }
}
