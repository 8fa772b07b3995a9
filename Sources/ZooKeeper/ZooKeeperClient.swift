public import Logging
import Synchronization

/// An asynchronous ZooKeeper client over the C library libzookeeper-mt. It knows nothing of Kafka.
///
/// Lifecycle: `init` does nothing on the network; `connect()` opens a session and waits for it; calls made while
/// the connection is being re-established wait in the C library's queue and fail with `connectionLoss` or
/// `operationTimeout` after two thirds of the session timeout. When the server expires the session, `state`
/// becomes `.expired`, `sessionStates()` says so, and every call fails with `sessionExpired`; the owner then
/// calls `connect()` again for a new session and re-creates its ephemeral nodes and watches. `close()` ends it
/// all: it never hangs, and every call still pending completes with `closing`.
///
/// Every call is `async` over the C library's asynchronous API: nothing blocks Swift's cooperative threads.
/// Watches are one-shot and set by the read calls with `watch: true`; they all arrive on `watchEvents()`.
/// Any task may use the client concurrently.
public final class ZooKeeperClient: Sendable {
    public let configuration: ZooKeeperConfiguration
    let logger: Logger
    private let states = Broadcast<SessionState>()
    private let watches = Broadcast<WatchEvent>()

    private enum Lifecycle {
        case idle
        case open(ZooKeeperSession)
        case closed
    }

    private let lifecycle = Mutex(Lifecycle.idle)
    /// Told how long each request took, from submission to its reply or failure.
    private let requestObserver = Mutex<(@Sendable (Duration) -> Void)?>(nil)

    public init(configuration: ZooKeeperConfiguration, logger: Logger = Logger(label: "zookeeper")) {
        self.configuration = configuration
        self.logger = logger
    }

    public convenience init(connectString: String, sessionTimeout: Duration = .seconds(18)) {
        self.init(configuration: ZooKeeperConfiguration(connectString: connectString, sessionTimeout: sessionTimeout))
    }

    /// Opens a session, or a new one when the last has expired, and waits until it is connected (at most
    /// `configuration.connectionTimeout`). Returns at once when already connected.
    public func connect() async throws {
        let (session, expired) = try lifecycle.withLock { lifecycle -> (ZooKeeperSession, ZooKeeperSession?) in
            switch lifecycle {
            case .closed:
                throw ZooKeeperError(.closing)
            case .open(let session) where session.context.current == .connecting || session.context.current.isConnected:
                return (session, nil)
            case .open(let old):
                let session = try makeSession()
                lifecycle = .open(session)
                return (session, old)
            case .idle:
                let session = try makeSession()
                lifecycle = .open(session)
                return (session, nil)
            }
        }
        if let expired {
            logger.info("Opening a new ZooKeeper session after the old one ended")
            states.yield(.connecting)
            await expired.close()
        }
        try await session.context.waitUntilConnected(timeout: configuration.connectionTimeout)
    }

    private func makeSession() throws -> ZooKeeperSession {
        let context = SessionContext(
            connectString: configuration.connectString,
            states: states,
            watches: watches,
            logger: logger
        )
        return try ZooKeeperSession(configuration: configuration, context: context)
    }

    /// Ends the session and the client. Ephemeral nodes of the session go at once; pending calls fail with
    /// `closing`; the streams end after a final `.closed`.
    public func close() async {
        let session = lifecycle.withLock { lifecycle -> ZooKeeperSession? in
            defer { lifecycle = .closed }
            if case .open(let session) = lifecycle { return session }
            return nil
        }
        await session?.close()
        states.yield(.closed)
        states.finish()
        watches.finish()
    }

    /// The state of the current session.
    public var state: SessionState {
        lifecycle.withLock { lifecycle in
            switch lifecycle {
            case .idle: .connecting
            case .open(let session): session.context.current
            case .closed: .closed
            }
        }
    }

    /// The current session's id, once the server has assigned one.
    public var sessionID: Int64? { currentSession?.sessionID }

    /// "host:port" of the ensemble member the client is connected to now.
    public var connectedServer: String? { currentSession?.connectedServer }

    /// Every session state from now on, starting with the current one. The stream outlives sessions: after an
    /// expiry and `connect()`, it goes on with the new session's states. It ends after `.closed`.
    public func sessionStates() -> AsyncStream<SessionState> {
        states.subscribe(startingWith: state)
    }

    /// Calls `observer` with the time each request takes from now on (ZooKeeperRequestLatencyMs), on the task
    /// that made the request.
    public func observeRequestLatency(_ observer: @escaping @Sendable (Duration) -> Void) {
        requestObserver.withLock { $0 = observer }
    }

    /// Submits one C call to the current session, timed for the latency observer.
    func submit(
        path: String?,
        multiStorage: MultiStorage? = nil,
        _ call: (OpaquePointer, UnsafeRawPointer) -> Int32
    ) async throws -> Reply {
        let started = ContinuousClock.now
        defer {
            if let observer = requestObserver.withLock({ $0 }) { observer(ContinuousClock.now - started) }
        }
        return try await session().submit(path: path, multiStorage: multiStorage, call)
    }

    /// Every watch that fires from now on, for this client's sessions. It ends when the client is closed.
    public func watchEvents() -> AsyncStream<WatchEvent> {
        watches.subscribe()
    }

    private var currentSession: ZooKeeperSession? {
        lifecycle.withLock { lifecycle in
            if case .open(let session) = lifecycle { return session }
            return nil
        }
    }

    /// The session calls go to; before `connect()` or after `close()` there is none and calls fail.
    func session() throws -> ZooKeeperSession {
        guard let session = currentSession else { throw ZooKeeperError(.closing) }
        return session
    }
}
