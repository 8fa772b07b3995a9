import KafkaCore
import KafkaProtocol
import KafkaSecurity

/// The broker's client quotas: the configured ones (`ClientQuotaCache`, kept current from ZooKeeper) and the
/// managers that enforce them — `producer_byte_rate` on Produce, `consumer_byte_rate` on consumers' Fetch,
/// `request_percentage` on every request that is not exempt (`RequestQuotaMeter`). `controller_mutation_rate` is
/// stored and described, not enforced. Built once at startup from `quota.window.num` and
/// `quota.window.size.seconds`.
struct ClientQuotas: Sendable {
    let cache: ClientQuotaCache
    let produce: ClientQuotaManager
    let fetch: ClientQuotaManager
    let request: ClientQuotaManager
    let clock: any KafkaClock

    init(config: BrokerConfig, metrics: BrokerMetrics, clock: any KafkaClock) {
        let cache = ClientQuotaCache()
        self.cache = cache
        self.clock = clock
        func manager(_ key: String, _ type: String, maxThrottleMs: Int64? = nil) -> ClientQuotaManager {
            ClientQuotaManager(
                key: key,
                cache: cache,
                samples: config.quotaWindowNum,
                windowSeconds: config.quotaWindowSizeSeconds,
                maxThrottleMs: maxThrottleMs
            ) { owner, rate, throttle in
                metrics.recordQuota(type, user: owner.user, clientID: owner.clientID, rate: rate, throttleMs: throttle)
            }
        }
        produce = manager(ClientQuotaKey.producerByteRate, "Produce")
        fetch = manager(ClientQuotaKey.consumerByteRate, "Fetch")
        // Kafka bounds a request-quota throttle by one window.
        request = manager(
            ClientQuotaKey.requestPercentage,
            "Request",
            maxThrottleMs: Int64(config.quotaWindowSizeSeconds) * 1000
        )
    }

    /// The request-time meter for a request about to be handled; nil when its API (or a follower's Fetch) is
    /// exempt or no `request_percentage` applies to its principal and client id.
    func requestMeter(for request: RequestFrame, principal: KafkaPrincipal) -> RequestQuotaMeter? {
        if RequestQuotaMeter.exemptApis.contains(request.apiKey) || request.isFollowerFetch { return nil }
        let clientID = request.header.clientID ?? ""
        guard self.request.quota(user: principal.name, clientID: clientID) != nil else { return nil }
        return RequestQuotaMeter(
            manager: self.request,
            user: principal.name,
            clientID: clientID,
            start: .now,
            waits: RequestWaitClock(),
            clock: clock
        )
    }
}

extension RequestFrame {
    /// A follower's Fetch: v4-12 open with the replica id, which is a broker id (≥ 0) for followers.
    var isFollowerFetch: Bool {
        guard apiKey == .fetch, let replicaID = body.getInteger(at: body.readerIndex, as: Int32.self) else {
            return false
        }
        return replicaID >= 0
    }
}
