/// Waiting helpers for tests that observe asynchronous behaviour. A timeout here is a test failure, never a
/// measurement: bounds are generous and only stop a broken test from hanging.

/// The first element of `stream` that satisfies `predicate`, or a `HarnessError` after `timeout`.
///
/// Subscribe (create `stream`) before triggering what it should observe. A timeout ends the stream (AsyncStream
/// finishes when its iterating task is cancelled), so use a fresh subscription after one.
public func waitFor<Element: Sendable>(
    _ stream: AsyncStream<Element>,
    timeout: Duration = .seconds(30),
    _ what: String = "event",
    where predicate: @escaping @Sendable (Element) -> Bool = { _ in true }
) async throws -> Element {
    try await withThrowingTaskGroup(of: Element?.self) { group in
        group.addTask {
            for await element in stream where predicate(element) { return element }
            return nil
        }
        group.addTask {
            try await Task.sleep(for: timeout)
            throw HarnessError("timed out after \(timeout) waiting for \(what)")
        }
        defer { group.cancelAll() }
        guard let element = try await group.next()! else { throw HarnessError("stream ended before \(what)") }
        return element
    }
}

/// Polls `condition` until it holds, or throws a `HarnessError` after `timeout`.
public func eventually(
    timeout: Duration = .seconds(30),
    interval: Duration = .milliseconds(50),
    _ what: String = "condition",
    _ condition: () async throws -> Bool
) async throws {
    let deadline = ContinuousClock.now + timeout
    while true {
        if try await condition() { return }
        guard ContinuousClock.now < deadline else {
            throw HarnessError("timed out after \(timeout) waiting for \(what)")
        }
        try await Task.sleep(for: interval)
    }
}
