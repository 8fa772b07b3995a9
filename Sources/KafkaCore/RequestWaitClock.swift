import Synchronization

/// The time one request spends waiting on something other than its own work — a follower's fetch before acks=all
/// is answered, new data for a long-polling fetch, the rest of a group for a rebalance, a transaction's markers, a
/// controller — which Kafka calls the request's remote time and which its request quota (`request_percentage`) does
/// not charge. The broker's dispatcher makes one per request and binds it to the handling task as `current`; the
/// places that park a request wrap the wait in `RequestWaitClock.parked`. Outside a request (`current` nil) the
/// wrapper only runs its body. Only the request's own task and its children add to it.
public final class RequestWaitClock: Sendable {
    @TaskLocal public static var current: RequestWaitClock?

    private let nanoseconds = Atomic<Int64>(0)

    public init() {}

    /// Everything waited so far.
    public var waited: Duration { .nanoseconds(nanoseconds.load(ordering: .relaxed)) }

    /// Runs `body` (a wait) and counts its duration as waiting of the current request, if any.
    public static func parked<T>(
        isolation: isolated (any Actor)? = #isolation,
        _ body: () async throws -> T
    ) async rethrows -> T {
        guard let clock = current else { return try await body() }
        let start = ContinuousClock.now
        defer {
            let elapsed = ContinuousClock.now - start
            let (seconds, attoseconds) = elapsed.components
            clock.nanoseconds.wrappingAdd(seconds * 1_000_000_000 + attoseconds / 1_000_000_000, ordering: .relaxed)
        }
        return try await body()
    }
}
