import Synchronization

/// One kind of bandwidth quota (Kafka's `ClientQuotaManager` for Produce or Fetch): the bytes each `Owner` sent or
/// received, as a `QuotaRate` over `quota.window.num` windows of `quota.window.size.seconds`, and the throttle time
/// a request that takes it over its bound earns (KIP-219: the response goes at once, carrying `throttle_time_ms`,
/// and the connection is muted that long). Rates of owners without a quota are not kept. One lock for all owners;
/// taken once per request.
final class ClientQuotaManager: Sendable {
    let key: String
    let cache: ClientQuotaCache
    private let samples: Int
    private let windowMs: Int64
    private let rates = Mutex<[ClientQuotaCache.Owner: QuotaRate]>([:])
    private let observe: @Sendable (ClientQuotaCache.Owner, _ rate: Double, _ throttleMs: Int64) -> Void

    init(
        key: String,
        cache: ClientQuotaCache,
        samples: Int,
        windowSeconds: Int,
        observe: @escaping @Sendable (ClientQuotaCache.Owner, Double, Int64) -> Void = { _, _, _ in }
    ) {
        self.key = key
        self.cache = cache
        self.samples = samples
        self.windowMs = Int64(windowSeconds) * 1000
        self.observe = observe
    }

    /// The quota that applies to the request's principal and client id, if any.
    func quota(user: String, clientID: String) -> (bound: Double, owner: ClientQuotaCache.Owner)? {
        cache.quota(key, user: user, clientID: clientID)
    }

    /// Records `bytes` against the owner's rate; the throttle time (ms) the request earns (0 within the quota).
    /// `bytes` is only counted when a quota applies.
    func recordAndGetThrottleMs(bytes: () -> Int, user: String, clientID: String, now: Int64) -> Int64 {
        guard let (bound, owner) = quota(user: user, clientID: clientID) else { return 0 }
        let count = Double(bytes())
        let (rate, throttle) = rates.withLock { rates in
            var rate = rates[owner] ?? QuotaRate(samples: samples, windowMs: windowMs)
            rate.record(count, now: now)
            rates[owner] = rate
            return (rate.rate(now: now), rate.throttleMs(bound: bound, now: now))
        }
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
