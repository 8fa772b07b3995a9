import Crypto
import Foundation

/// What a console user may do: a viewer reads, an operator also produces messages and resets group offsets, an
/// admin also creates, changes and deletes topics and groups.
public enum ConsoleRole: String, Sendable, Comparable, Codable {
    case viewer, `operator`, admin

    public static func < (lhs: ConsoleRole, rhs: ConsoleRole) -> Bool { lhs.rank < rhs.rank }
    var rank: Int {
        switch self {
        case .viewer: 0
        case .operator: 1
        case .admin: 2
        }
    }
}

/// One entry of `console.users`: `name:role:sha256-hex-of-password`. Only the password's SHA-256 is kept, never
/// the password; it is compared in constant time.
public struct ConsoleUser: Sendable, Equatable {
    public var name: String
    public var role: ConsoleRole
    var passwordSHA256: [UInt8]

    public init(_ entry: String) throws(ConsoleConfigError) {
        let parts = entry.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 3, !parts[0].isEmpty else {
            throw ConsoleConfigError("console.users entry '\(parts.first ?? "")…': not name:role:sha256-hex")
        }
        guard let role = ConsoleRole(rawValue: parts[1]) else {
            throw ConsoleConfigError("console.users: \(parts[0])'s role \(parts[1]) is not viewer, operator or admin")
        }
        guard let hash = Self.hex(parts[2]), hash.count == 32 else {
            throw ConsoleConfigError("console.users: \(parts[0])'s password hash is not 64 hexadecimal digits")
        }
        name = parts[0]
        self.role = role
        passwordSHA256 = hash
    }

    func accepts(_ password: String) -> Bool {
        let digest = Array(SHA256.hash(data: Array(password.utf8)))
        return zip(digest, passwordSHA256).reduce(0) { $0 | ($1.0 ^ $1.1) } == 0
    }

    static func hex(_ text: String) -> [UInt8]? {
        let digits = Array(text.utf8)
        guard digits.count % 2 == 0 else { return nil }
        var bytes: [UInt8] = []
        for index in stride(from: 0, to: digits.count, by: 2) {
            guard let byte = UInt8(String(decoding: digits[index..<index + 2], as: UTF8.self), radix: 16) else {
                return nil
            }
            bytes.append(byte)
        }
        return bytes
    }
}

/// A visitor's session: who (nil before login when logins are required), the role, and the CSRF token every form
/// of the session carries.
public struct ConsoleSession: Sendable {
    public var id: String
    public var user: String?
    public var role: ConsoleRole?
    public var csrf: String
    var lastSeen: ContinuousClock.Instant
}

/// The sessions of the console, in memory (a restart logs everyone out). Each visitor gets a session cookie on
/// the first request; logging in replaces it (no fixation). The server's request handlers are its only users.
actor ConsoleSessions {
    let users: [String: ConsoleUser]
    let timeout: Duration
    var sessions: [String: ConsoleSession] = [:]
    /// The message each session sees on its next page (after a change redirected it).
    var flashes: [String: LayoutView.Flash] = [:]

    init(users: [ConsoleUser], timeoutMs: Int64) {
        self.users = Dictionary(users.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        timeout = .milliseconds(timeoutMs)
    }

    /// Whether logins are required (some users configured).
    nonisolated var loginRequired: Bool { !users.isEmpty }

    /// The session of `id`, or a new anonymous one (an admin when no login is required).
    func session(_ id: String?) -> ConsoleSession {
        let now = ContinuousClock.now
        if let id, var session = sessions[id], now - session.lastSeen < timeout {
            session.lastSeen = now
            sessions[id] = session
            return session
        }
        if sessions.count > 10_000 {
            // Scripts that keep no cookie make a session per request: past 10,000, anonymous sessions idle for
            // ten minutes go too, logged-in ones only when they time out.
            sessions = sessions.filter { _, session in
                let idle = now - session.lastSeen
                return idle < timeout && (session.user != nil || idle < .seconds(600))
            }
            flashes = flashes.filter { sessions[$0.key] != nil }
        }
        let session = ConsoleSession(
            id: Self.token(),
            user: nil,
            role: loginRequired ? nil : .admin,
            csrf: Self.token(),
            lastSeen: now
        )
        sessions[session.id] = session
        return session
    }

    /// A new session for `name` when the password is right.
    func login(_ name: String, _ password: String, replacing old: String) -> ConsoleSession? {
        guard let user = users[name], user.accepts(password) else { return nil }
        sessions[old] = nil
        let session = ConsoleSession(
            id: Self.token(),
            user: name,
            role: user.role,
            csrf: Self.token(),
            lastSeen: .now
        )
        sessions[session.id] = session
        return session
    }

    func logout(_ id: String) {
        sessions[id] = nil
        flashes[id] = nil
    }

    func flash(_ id: String, _ flash: LayoutView.Flash) { flashes[id] = flash }

    func takeFlash(_ id: String) -> LayoutView.Flash? { flashes.removeValue(forKey: id) }

    static func token() -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<32).map { _ in String(format: "%02x", UInt8.random(in: 0...255, using: &generator)) }.joined()
    }
}
