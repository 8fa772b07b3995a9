import KafkaCore
import KafkaProtocol

/// One request's charge against its `request_percentage` quota (Kafka's `ClientRequestQuotaManager`): the time the
/// broker spent working on it — from dispatch until its response is built, less what it waited for others
/// (`RequestWaitClock`: followers, new data, a rebalance) — as a percentage of one thread over the quota window.
/// Made by the dispatcher for a request whose principal and client id have such a quota and whose API is not exempt;
/// read once, by the handler that builds the response.
///
/// Kafka charges its request-handler thread time and records its network thread time apart; here both run on the
/// same event loops and are charged together, and the time a ready task waits for a free thread is charged too.
struct RequestQuotaMeter: Sendable {
    let manager: ClientQuotaManager
    let user: String
    let clientID: String
    let start: ContinuousClock.Instant
    let waits: RequestWaitClock
    let clock: any KafkaClock

    /// APIs that never count against a request quota: those brokers send each other (Kafka's cluster actions:
    /// an unauthorized sender is refused anyway) and authentication.
    static let exemptApis: Set<ApiKey> = [
        .leaderAndIsr, .stopReplica, .updateMetadata, .controlledShutdown, .writeTxnMarkers, .saslHandshake,
        .saslAuthenticate,
    ]

    /// Records the request's work so far; the throttle time (ms) it earns, at most one quota window.
    func recordAndGetThrottleMs() -> Int64 {
        let worked = ContinuousClock.now - start - waits.waited
        let (seconds, attoseconds) = worked.components
        let nanoseconds = max(Double(seconds) * 1e9 + Double(attoseconds) / 1e9, 0)
        // Kafka's nanosToPercentage: 100 % of one thread is one second of work per second.
        return manager.recordAndGetThrottleMs(
            { nanoseconds * 100 / 1e9 },
            user: user,
            clientID: clientID,
            now: clock.milliseconds
        )
    }
}
