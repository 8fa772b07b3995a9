import Synchronization

/// Fans the values of one producer out to any number of `AsyncStream` subscribers.
///
/// Lifecycle: open until `finish()`; a subscriber that arrives later gets a stream that ends at once. Each
/// subscriber has its own unbounded buffer, so a slow reader delays nobody and loses nothing. Any thread may
/// call any method; the C library's completion thread calls `yield`.
final class Broadcast<Element: Sendable>: Sendable {
    private struct State {
        var nextID = 0
        var subscribers: [Int: AsyncStream<Element>.Continuation] = [:]
        var isFinished = false
    }

    private let state = Mutex(State())

    init() {}

    /// A new stream of every value yielded from now on, starting with `initial` when given.
    func subscribe(startingWith initial: Element? = nil) -> AsyncStream<Element> {
        let (stream, continuation) = AsyncStream.makeStream(of: Element.self, bufferingPolicy: .unbounded)
        let id: Int? = state.withLock { state in
            guard !state.isFinished else { return nil }
            let id = state.nextID
            state.nextID += 1
            state.subscribers[id] = continuation
            if let initial { continuation.yield(initial) }
            return id
        }
        guard let id else {
            continuation.finish()
            return stream
        }
        continuation.onTermination = { [weak self] _ in
            _ = self?.state.withLock { $0.subscribers.removeValue(forKey: id) }
        }
        return stream
    }

    func yield(_ element: Element) {
        state.withLock { state in
            for continuation in state.subscribers.values { continuation.yield(element) }
        }
    }

    func finish() {
        let subscribers = state.withLock { state in
            state.isFinished = true
            defer { state.subscribers = [:] }
            return state.subscribers
        }
        for continuation in subscribers.values { continuation.finish() }
    }
}
