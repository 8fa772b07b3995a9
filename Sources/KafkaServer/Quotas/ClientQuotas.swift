/// The broker's client quotas: the configured ones (`ClientQuotaCache`, kept current from ZooKeeper) and the two
/// bandwidth managers that enforce them — `producer_byte_rate` on Produce, `consumer_byte_rate` on consumers'
/// Fetch. `request_percentage` and `controller_mutation_rate` are stored and described, not enforced. Built once at
/// startup from `quota.window.num` and `quota.window.size.seconds`.
struct ClientQuotas: Sendable {
    let cache: ClientQuotaCache
    let produce: ClientQuotaManager
    let fetch: ClientQuotaManager

    init(config: BrokerConfig, metrics: BrokerMetrics) {
        let cache = ClientQuotaCache()
        self.cache = cache
        func manager(_ key: String, _ type: String) -> ClientQuotaManager {
            ClientQuotaManager(
                key: key,
                cache: cache,
                samples: config.quotaWindowNum,
                windowSeconds: config.quotaWindowSizeSeconds
            ) { owner, rate, throttle in
                metrics.recordQuota(type, user: owner.user, clientID: owner.clientID, rate: rate, throttleMs: throttle)
            }
        }
        produce = manager(ClientQuotaKey.producerByteRate, "Produce")
        fetch = manager(ClientQuotaKey.consumerByteRate, "Fetch")
    }
}
