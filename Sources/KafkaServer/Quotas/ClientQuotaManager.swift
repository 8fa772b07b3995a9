import Synchronization

/// One kind of client quota (Kafka's `ClientQuotaManager` for Produce or Fetch bytes, `ClientRequestQuotaManager`
/// for request time): the amount each `Owner` used, as a `QuotaRate` over `quota.window.num` windows of
/// `quota.window.size.seconds`, and the throttle time a request that takes it over its bound earns (KIP-219: the
/// response goes at once, carrying `throttle_time_ms`, and the connection is muted that long), at most
/// `maxThrottleMs` when set. Rates of owners without a quota are not kept. One lock for all owners; taken once per
/// request.
final class ClientQuotaManager: Sendable {
    let key: String
    let cache: ClientQuotaCache
    private let samples: Int
    private let windowMs: Int64
    private let maxThrottleMs: Int64?
    private let rates = Mutex<[ClientQuotaCache.Owner: QuotaRate]>([:])
    private let observe: @Sendable (ClientQuotaCache.Owner, _ rate: Double, _ throttleMs: Int64) -> Void

    init(
        key: String,
        cache: ClientQuotaCache,
        samples: Int,
        windowSeconds: Int,
        maxThrottleMs: Int64? = nil,
        observe: @escaping @Sendable (ClientQuotaCache.Owner, Double, Int64) -> Void = { _, _, _ in }
    ) {
        self.key = key
        self.cache = cache
        self.samples = samples
        self.windowMs = Int64(windowSeconds) * 1000
        self.maxThrottleMs = maxThrottleMs
        self.observe = observe
    }

    /// The quota that applies to the request's principal and client id, if any.
    func quota(user: String, clientID: String) -> (bound: Double, owner: ClientQuotaCache.Owner)? {
        cache.quota(key, user: user, clientID: clientID)
    }

    /// Records `amount` against the owner's rate; the throttle time (ms) the request earns (0 within the quota).
    /// `amount` is only counted when a quota applies.
    func recordAndGetThrottleMs(_ amount: () -> Double, user: String, clientID: String, now: Int64) -> Int64 {
        guard let (bound, owner) = quota(user: user, clientID: clientID) else { return 0 }
        let count = amount()
        let (rate, earned) = rates.withLock { rates in
            var rate = rates[owner] ?? QuotaRate(samples: samples, windowMs: windowMs)
            rate.record(count, now: now)
            rates[owner] = rate
            return (rate.rate(now: now), rate.throttleMs(bound: bound, now: now))
        }
        let throttle = maxThrottleMs.map { min(earned, $0) } ?? earned
        observe(owner, rate, throttle)
        return throttle
    }

    /// Takes back bytes recorded for a response that was then not sent with data (a throttled Fetch).
    func unrecord(bytes: Int, user: String, clientID: String, now: Int64) {
        guard let (_, owner) = quota(user: user, clientID: clientID) else { return }
        rates.withLock { $0[owner]?.record(-Double(bytes), now: now) }
    }

    /// The most a Fetch may return under the quota: one full span of windows at the bound (Kafka's
    /// `getMaxValueInQuotaWindow`); nil without a quota.
    func maxBytesInWindow(user: String, clientID: String) -> Int? {
        guard let (bound, _) = quota(user: user, clientID: clientID) else { return nil }
        return Int(min(bound * Double(samples - 1) * Double(windowMs) / 1000, Double(Int32.max)))
    }
}
