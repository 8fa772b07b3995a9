import Synchronization

/// Runs one piece of work on a database connection and gives up on it once the connection is gone: PostgresNIO can
/// leave a query waiting forever when the server closes the connection in the middle of it (a fast shutdown or a
/// restart; vapor/postgres-nio#487, reverted in #501), and a task stuck there would never retry or fail. The work
/// runs in its own task and is watched two ways: every `checkInterval` `isClosed` is asked (the socket closed), and
/// once the work has run for `probeEvery`, and again each `probeEvery` after, `probe` asks the server from outside
/// whether the connection's session still exists (a socket PostgresNIO stopped reading from looks open). When the
/// connection has been closed for `grace`, or the probe says the session is gone, the caller gets
/// `ConnectionWatchdog.ConnectionLost` and the work is cancelled and left behind (its session is gone, so it holds
/// nothing on the server). Work on a live connection is never cut short, however long it takes. Used by
/// `PostgresSinkDatabase` for each batch and `PostgresSourceDatabase` for each query; stateless, any task.
enum ConnectionWatchdog {
    /// The connection closed under the work and the work did not end.
    struct ConnectionLost: Error, CustomStringConvertible {
        var description: String { "the connection closed and the statement did not return" }
    }

    static func run<Result: Sendable>(
        until isClosed: @escaping @Sendable () -> Bool,
        probe: (@Sendable () async -> Bool)? = nil,
        checkInterval: Duration = .milliseconds(500),
        grace: Duration = .seconds(2),
        probeEvery: Duration = .seconds(10),
        _ work: @escaping @Sendable () async throws -> Result
    ) async throws -> Result {
        let outcome = Outcome<Result>()
        return try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Result, any Error>) in
            let worker = Task {
                do {
                    outcome.finish(.success(try await work()))
                } catch {
                    outcome.finish(.failure(error))
                }
            }
            outcome.start(continuation)
            Task {
                var closedFor: Duration = .zero
                var sinceProbe: Duration = .zero
                while !outcome.isFinished {
                    try? await Task.sleep(for: checkInterval)
                    closedFor = isClosed() ? closedFor + checkInterval : .zero
                    sinceProbe += checkInterval
                    var lost = closedFor >= grace
                    if !lost, let probe, sinceProbe >= probeEvery, !outcome.isFinished {
                        sinceProbe = .zero
                        lost = await !probe()
                    }
                    if lost, outcome.finish(.failure(ConnectionLost())) {
                        worker.cancel()
                    }
                }
            }
        }
    }

    /// The one result handed to the caller: the work's, or the watchdog's if it comes first.
    private final class Outcome<Value: Sendable>: Sendable {
        private struct State {
            var continuation: CheckedContinuation<Value, any Error>?
            var result: Swift.Result<Value, any Error>?
        }
        private let state = Mutex(State())

        var isFinished: Bool { state.withLock { $0.result != nil } }

        func start(_ continuation: CheckedContinuation<Value, any Error>) {
            let early = state.withLock { state -> Swift.Result<Value, any Error>? in
                guard let result = state.result else {
                    state.continuation = continuation
                    return nil
                }
                return result
            }
            if let early { continuation.resume(with: early) }
        }

        /// Records `result` if none was recorded yet and resumes the caller; false when another result came first.
        @discardableResult
        func finish(_ result: Swift.Result<Value, any Error>) -> Bool {
            let (first, continuation) = state.withLock { state in
                guard state.result == nil else { return (false, nil as CheckedContinuation<Value, any Error>?) }
                state.result = result
                defer { state.continuation = nil }
                return (true, state.continuation)
            }
            continuation?.resume(with: result)
            return first
        }
    }
}
