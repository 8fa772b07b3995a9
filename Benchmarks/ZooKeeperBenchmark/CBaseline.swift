import CZooKeeper
import Dispatch
import Synchronization

/// The yardstick: the same writes made straight through the C library's asynchronous API, with no Swift layer,
/// on a handle of its own.
///
/// `@unchecked Sendable`: the C boundary. The handle is used by one benchmark task at a time, and closed last.
final class CBaseline: @unchecked Sendable {
    private let handle: OpaquePointer

    init(connectString: String) async throws {
        guard let handle = zookeeper_init(connectString, nil, 10_000, nil, nil, 0) else {
            throw BenchmarkError("zookeeper_init failed for \(connectString)")
        }
        self.handle = handle
        for _ in 0..<500 where zoo_state(handle) != ZOO_CONNECTED_STATE {
            try await Task.sleep(for: .milliseconds(10))
        }
        guard zoo_state(handle) == ZOO_CONNECTED_STATE else { throw BenchmarkError("C handle did not connect") }
    }

    /// `count` zoo_aset calls submitted at once; returns when every completion has arrived.
    func setAllInFlight(path: String, count: Int) {
        let tally = Tally(count: count)
        let context = Unmanaged.passRetained(tally).toOpaque()
        var value: [CChar] = Array(repeating: 120, count: 16)
        for _ in 0..<count {
            let rc = zoo_aset(handle, path, &value, Int32(value.count), -1, baselineCompletion, context)
            precondition(rc == ZOK.rawValue, "zoo_aset failed: \(rc)")
        }
        tally.done.wait()
        Unmanaged<Tally>.fromOpaque(context).release()
    }

    /// `count` zoo_aset calls, each waiting for the previous one's completion.
    func setOneAtATime(path: String, count: Int) {
        let tally = Tally(count: 1)
        let context = Unmanaged.passRetained(tally).toOpaque()
        var value: [CChar] = Array(repeating: 120, count: 16)
        for _ in 0..<count {
            tally.remaining.store(1, ordering: .relaxed)
            let rc = zoo_aset(handle, path, &value, Int32(value.count), -1, baselineCompletion, context)
            precondition(rc == ZOK.rawValue, "zoo_aset failed: \(rc)")
            tally.done.wait()
        }
        Unmanaged<Tally>.fromOpaque(context).release()
    }

    func close() { zookeeper_close(handle) }
}

/// Counts completions down and signals when the last arrives.
final class Tally: Sendable {
    let remaining: Atomic<Int>
    let done = DispatchSemaphore(value: 0)
    init(count: Int) { remaining = Atomic(count) }
}

let baselineCompletion: stat_completion_t = { rc, _, data in
    precondition(rc == ZOK.rawValue, "zoo_aset completed with \(rc)")
    let tally = Unmanaged<Tally>.fromOpaque(data!).takeUnretainedValue()
    if tally.remaining.subtract(1, ordering: .acquiringAndReleasing).newValue == 0 { tally.done.signal() }
}

struct BenchmarkError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
