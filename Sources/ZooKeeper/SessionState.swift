/// The state of a client's ZooKeeper session, as observed through `ZooKeeperClient.sessionStates()`.
///
/// Legal transitions: `connecting` → `connected` → `connecting` (connection lost; the session may still be
/// alive on the server) → `connected` (same session id) …; `connecting` → `expired` (the server ended the
/// session: its ephemeral nodes and watches are gone) → `connecting` (after `reopen()`, a new session);
/// any state → `closed` (final).
public enum SessionState: Sendable, Equatable, CustomStringConvertible {
    case connecting
    case connected(sessionID: Int64)
    case expired
    case authenticationFailed
    case closed

    public var isConnected: Bool {
        if case .connected = self { return true }
        return false
    }

    public var description: String {
        switch self {
        case .connecting: "connecting"
        case .connected(let sessionID): "connected (session 0x\(String(UInt64(bitPattern: sessionID), radix: 16)))"
        case .expired: "expired"
        case .authenticationFailed: "authentication failed"
        case .closed: "closed"
        }
    }
}
