import KafkaCore
import KafkaProtocol

/// SaslHandshake (17, v0-1) and SaslAuthenticate (36, v0-2) as the dispatcher sees them: only where no
/// authentication is under way — on a PLAINTEXT or SSL listener, or once a SASL connection is authenticated (its
/// `SaslServerAuthenticator` answers the handshake and tokens before that). Kafka's `KafkaApis` answers both with
/// ILLEGAL_SASL_STATE there; they are in `ApiTable` so that ApiVersions advertises them, which clients need to see
/// before they start a handshake.
enum SaslHandlers {
    static func handshake() -> any RequestHandler {
        TypedHandler(SaslHandshakeRequest.self) { _, _ in
            SaslHandshakeResponse(errorCode: .illegalSaslState, mechanisms: [])
        }
    }

    static func authenticate() -> any RequestHandler {
        TypedHandler(SaslAuthenticateRequest.self) { _, _ in
            SaslAuthenticateResponse(
                errorCode: .illegalSaslState,
                errorMessage: "SaslAuthenticate request received after successful authentication"
            )
        }
    }
}
