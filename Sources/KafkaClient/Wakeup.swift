import Synchronization

/// Wakes a background loop (the producer's sender, a consumer's poll): a signal while nobody waits is kept, so the
/// next wait returns at once. One waiter at a time.
final class Wakeup: Sendable {
    private struct State {
        var signalled = false
        var waiter: CheckedContinuation<Void, Never>?
    }

    private let state = Mutex(State())

    func signal() {
        let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
            if let waiter = state.waiter {
                state.waiter = nil
                return waiter
            }
            state.signalled = true
            return nil
        }
        waiter?.resume()
    }

    /// Returns at the next signal, or at `deadline`.
    func wait(until deadline: ContinuousClock.Instant?) async {
        let timer = deadline.map { deadline in
            Task {
                try await Task.sleep(until: deadline)
                self.signal()
            }
        }
        defer { timer?.cancel() }
        await withCheckedContinuation { continuation in
            let ready = state.withLock { state in
                if state.signalled {
                    state.signalled = false
                    return true
                }
                state.waiter = continuation
                return false
            }
            if ready { continuation.resume() }
        }
    }
}
