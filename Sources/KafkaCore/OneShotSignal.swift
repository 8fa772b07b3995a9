import Synchronization

/// A signal fired once for one waiter: the first `fire` wakes it and later ones do nothing; `wait` returns as soon
/// as the signal is fired, whether that happened before or after the call. A request waiting for a partition to
/// change (`FetchWaiters`) and a connection waiting for a request to let it read on (`RequestRelease`) both park
/// on one. At most one task may call `wait`; any thread may `fire`.
///
/// Not generic on purpose: one is made and released per waiting request, and a generic class's deinit (and any
/// unspecialized method) looks up its field types' metadata at run time, which showed in the request path's profile.
public final class OneShotSignal: Sendable {
    private struct State {
        var fired = false
        var waiting: UnsafeContinuation<Void, Never>?
    }

    private let state = Mutex(State())

    public init() {}

    /// Fires the signal; true when this call fired it (it had not been fired before).
    @discardableResult
    public func fire() -> Bool {
        let (first, waiting) = state.withLock { state -> (Bool, UnsafeContinuation<Void, Never>?) in
            guard !state.fired else { return (false, nil) }
            state.fired = true
            defer { state.waiting = nil }
            return (true, state.waiting)
        }
        // Resumed outside the lock, exactly once: `waiting` is taken by the call that fires.
        waiting?.resume()
        return first
    }

    /// Returns once the signal is fired.
    public func wait() async {
        await withUnsafeContinuation { continuation in
            let fired = state.withLock { state -> Bool in
                if state.fired { return true }
                state.waiting = continuation
                return false
            }
            if fired { continuation.resume() }
        }
    }
}
