import CZooKeeper
import Logging
import Synchronization

/// The state of one C handle's session, fed by the C watcher: the current `SessionState`, the tasks waiting for
/// a connection, and the requests in flight.
///
/// Lifecycle: created with its `ZooKeeperSession`; receives events on the handle's completion thread until the
/// session detaches it at close, after which it neither broadcasts nor wakes anyone. Any thread may read it.
final class SessionContext: Sendable {
    let registry = RequestRegistry()
    private let states: Broadcast<SessionState>
    private let watches: Broadcast<WatchEvent>
    private let logger: Logger
    private let connectString: String

    private struct State {
        var session: SessionState = .connecting
        var isDetached = false
        var nextWaiterID = 0
        var waiters: [Int: CheckedContinuation<Void, any Error>] = [:]
    }

    private let state = Mutex(State())

    init(connectString: String, states: Broadcast<SessionState>, watches: Broadcast<WatchEvent>, logger: Logger) {
        self.connectString = connectString
        self.states = states
        self.watches = watches
        self.logger = logger
    }

    var current: SessionState { state.withLock { $0.session } }

    /// A C session event (`ZOO_SESSION_EVENT` with its state).
    func sessionEvent(state cState: Int32, handle: OpaquePointer?) {
        let next: SessionState
        switch cState {
        case ZOO_CONNECTED_STATE, ZOO_READONLY_STATE:
            next = .connected(sessionID: handle.flatMap { zoo_client_id($0)?.pointee.client_id } ?? 0)
        case ZOO_CONNECTING_STATE, ZOO_ASSOCIATING_STATE:
            next = .connecting
        case ZOO_EXPIRED_SESSION_STATE:
            next = .expired
        case ZOO_AUTH_FAILED_STATE:
            next = .authenticationFailed
        default:
            return
        }
        transition(to: next)
    }

    func watchEvent(_ event: WatchEvent) {
        guard !state.withLock({ $0.isDetached }) else { return }
        logger.trace("ZooKeeper watch fired", metadata: ["event": "\(event)"])
        watches.yield(event)
    }

    private func transition(to next: SessionState) {
        let (previous, waiters): (SessionState, [CheckedContinuation<Void, any Error>]) = state.withLock { state in
            let previous = state.session
            guard !state.isDetached, previous != next else { return (next, []) }
            state.session = next
            switch next {
            case .connecting: return (previous, [])
            default:
                defer { state.waiters = [:] }
                return (previous, Array(state.waiters.values))
            }
        }
        guard previous != next else { return }
        switch next {
        case .connected:
            logger.info("ZooKeeper session \(next)", metadata: ["zookeeper": "\(connectString)"])
        case .connecting:
            logger.warning(
                "ZooKeeper connection lost; reconnecting, the session may still be alive",
                metadata: ["zookeeper": "\(connectString)"]
            )
        case .expired:
            logger.error(
                "ZooKeeper session expired: its ephemeral nodes and watches are gone",
                metadata: ["zookeeper": "\(connectString)"]
            )
        case .authenticationFailed, .closed:
            logger.error("ZooKeeper session \(next)", metadata: ["zookeeper": "\(connectString)"])
        }
        states.yield(next)
        let error: ZooKeeperError? =
            switch next {
            case .connected: nil
            case .expired: ZooKeeperError(.sessionExpired)
            case .authenticationFailed: ZooKeeperError(.authFailed)
            case .closed, .connecting: ZooKeeperError(.closing)
            }
        for waiter in waiters {
            if let error { waiter.resume(throwing: error) } else { waiter.resume() }
        }
    }

    /// Stops this context from speaking for the client: called before its handle is closed, so that the closing
    /// handle's last events do not reach the client's streams. Waiting tasks fail with `closing`.
    func detach() {
        let waiters = state.withLock { state in
            state.isDetached = true
            defer { state.waiters = [:] }
            return Array(state.waiters.values)
        }
        for waiter in waiters { waiter.resume(throwing: ZooKeeperError(.closing)) }
    }

    /// Returns once the session is connected; throws at once if it has expired, failed or been closed, and
    /// `operationTimeout` after `timeout`.
    func waitUntilConnected(timeout: Duration) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await self.waitUntilConnected() }
            group.addTask {
                try await Task.sleep(for: timeout)
                throw ZooKeeperError(.operationTimeout)
            }
            defer { group.cancelAll() }
            try await group.next()
        }
    }

    private func waitUntilConnected() async throws {
        let id = state.withLock { state in
            defer { state.nextWaiterID += 1 }
            return state.nextWaiterID
        }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                let immediate: Result<Void, any Error>? = state.withLock { state in
                    if state.isDetached { return .failure(ZooKeeperError(.closing)) }
                    switch state.session {
                    case .connected: return .success(())
                    case .expired: return .failure(ZooKeeperError(.sessionExpired))
                    case .authenticationFailed: return .failure(ZooKeeperError(.authFailed))
                    case .closed: return .failure(ZooKeeperError(.closing))
                    case .connecting:
                        if Task.isCancelled { return .failure(CancellationError()) }
                        state.waiters[id] = continuation
                        return nil
                    }
                }
                if let immediate { continuation.resume(with: immediate) }
            }
        } onCancel: {
            let waiter = state.withLock { $0.waiters.removeValue(forKey: id) }
            waiter?.resume(throwing: CancellationError())
        }
    }
}
