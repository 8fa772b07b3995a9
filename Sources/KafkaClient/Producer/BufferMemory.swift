import Synchronization

/// The producer's `buffer.memory`: the bytes of records appended and not yet acknowledged. `send` reserves a
/// record's size before appending it and waits (up to `max.block.ms`) while the buffer is full; the sender releases
/// a batch's bytes when it completes, waking the waiters in order.
final class BufferMemory: Sendable {
    private struct Waiter {
        var id: Int
        var size: Int
        var continuation: CheckedContinuation<Void, any Error>
    }

    private struct State {
        var used = 0
        var waiters: [Waiter] = []
        var nextID = 0
    }

    let limit: Int
    private let state = Mutex(State())

    init(limit: Int) {
        self.limit = limit
    }

    var used: Int { state.withLock(\.used) }

    /// Reserves `size` bytes at once when there is room and nobody waits before.
    func tryReserve(_ size: Int) -> Bool {
        state.withLock { state in
            guard state.waiters.isEmpty, state.used + size <= limit else { return false }
            state.used += size
            return true
        }
    }

    /// Reserves `size` bytes, waiting for room until `timeout`.
    func reserve(_ size: Int, timeout: Duration) async throws(ProducerError) {
        if tryReserve(size) { return }
        let id = state.withLock { state in
            state.nextID += 1
            return state.nextID
        }
        let timer = Task {
            try await Task.sleep(for: timeout)
            self.cancel(id, with: ProducerError.timedOut("buffer memory"))
        }
        defer { timer.cancel() }
        do {
            try await withCheckedThrowingContinuation { continuation in
                let granted = state.withLock { state in
                    if state.waiters.isEmpty && state.used + size <= limit {
                        state.used += size
                        return true
                    }
                    state.waiters.append(Waiter(id: id, size: size, continuation: continuation))
                    return false
                }
                if granted { continuation.resume() }
            }
        } catch let error as ProducerError {
            throw error
        } catch {
            throw .timedOut("buffer memory")
        }
    }

    private func cancel(_ id: Int, with error: ProducerError) {
        let waiter = state.withLock { state -> Waiter? in
            guard let index = state.waiters.firstIndex(where: { $0.id == id }) else { return nil }
            return state.waiters.remove(at: index)
        }
        waiter?.continuation.resume(throwing: error)
    }

    /// Returns `size` bytes; waiters that now fit are let in, first come first served.
    func release(_ size: Int) {
        let woken = state.withLock { state -> [Waiter] in
            state.used -= size
            var woken: [Waiter] = []
            while let first = state.waiters.first, state.used + first.size <= limit {
                state.used += first.size
                woken.append(state.waiters.removeFirst())
            }
            return woken
        }
        for waiter in woken { waiter.continuation.resume() }
    }
}
