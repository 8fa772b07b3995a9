import Synchronization

/// A value delivered once to one waiter: the first `fire` wins and later ones do nothing; `wait` returns the value
/// as soon as it is fired, whether that happened before or after the call. A request waiting for a partition to
/// change (`FetchWaiters`) and a connection waiting for a request to let it read on (`RequestRelease`) both park
/// on one. At most one task may call `wait`; any thread may `fire`.
public final class OneShotSignal<Value: Sendable>: Sendable {
    private let state = Mutex<(fired: Value?, waiting: CheckedContinuation<Value, Never>?)>((nil, nil))

    public init() {}

    /// Delivers `value` unless a value was delivered already.
    public func fire(_ value: Value) {
        let waiting = state.withLock { state -> CheckedContinuation<Value, Never>? in
            guard state.fired == nil else { return nil }
            state.fired = value
            defer { state.waiting = nil }
            return state.waiting
        }
        waiting?.resume(returning: value)
    }

    /// The value, once fired.
    public func wait() async -> Value {
        await withCheckedContinuation { continuation in
            let fired = state.withLock { state -> Value? in
                if let fired = state.fired { return fired }
                state.waiting = continuation
                return nil
            }
            if let fired { continuation.resume(returning: fired) }
        }
    }
}

extension OneShotSignal where Value == Void {
    public func fire() { fire(()) }
}
