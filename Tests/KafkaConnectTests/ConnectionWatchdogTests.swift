import Synchronization
import Testing

@testable import ConnectRuntime

/// `ConnectionWatchdog`: a write that never returns after its connection closed, or whose session the probe no
/// longer finds, is given up; a slow write on a live connection and a failing write keep their own outcome.
@Suite struct ConnectionWatchdogTests {
    struct WriteFailed: Error {}

    /// A value the work and the watchdog's check share.
    final class Shared<Value: Sendable>: Sendable {
        private let value: Mutex<Value>
        init(_ value: Value) { self.value = Mutex(value) }
        var current: Value {
            get { value.withLock { $0 } }
            set { value.withLock { $0 = newValue } }
        }
    }

    /// Work that never ends, not even when cancelled (what a query PostgresNIO lost does).
    static func hang() async {
        await withCheckedContinuation { (_: CheckedContinuation<Void, Never>) in }
    }

    @Test func aWriteStuckOnAClosedConnectionIsGivenUp() async throws {
        let closed = Shared(false)
        let started = Shared(false)
        let error = await #expect(throws: ConnectionWatchdog.ConnectionLost.self) {
            try await ConnectionWatchdog.run(
                until: { closed.current },
                checkInterval: .milliseconds(20),
                grace: .milliseconds(100)
            ) {
                started.current = true
                closed.current = true
                await Self.hang()
            }
        }
        #expect(started.current)
        #expect(error?.description == "the connection closed and the statement did not return")
    }

    @Test func aWriteWhoseSessionTheServerNoLongerHasIsGivenUp() async throws {
        // The socket looks open (PostgresNIO stopped reading from it); the server's answer says the session is gone.
        let probes = Shared(0)
        await #expect(throws: ConnectionWatchdog.ConnectionLost.self) {
            try await ConnectionWatchdog.run(
                until: { false },
                probe: {
                    probes.current += 1
                    return probes.current < 3
                },
                checkInterval: .milliseconds(10),
                probeEvery: .milliseconds(50)
            ) {
                await Self.hang()
            }
        }
        #expect(probes.current == 3)
    }

    @Test func aSlowWriteOnALiveConnectionFinishes() async throws {
        let rows = Shared(0)
        try await ConnectionWatchdog.run(
            until: { false },
            probe: { true },
            checkInterval: .milliseconds(10),
            grace: .milliseconds(20),
            probeEvery: .milliseconds(20)
        ) {
            try await Task.sleep(for: .milliseconds(200))  // ten grace periods
            rows.current = 200
        }
        #expect(rows.current == 200)
    }

    @Test func aFailedWriteKeepsItsOwnError() async throws {
        await #expect(throws: WriteFailed.self) {
            try await ConnectionWatchdog.run(until: { true }, checkInterval: .seconds(5), grace: .seconds(10)) {
                throw WriteFailed()
            }
        }
    }
}
