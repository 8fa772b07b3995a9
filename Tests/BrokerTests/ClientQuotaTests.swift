import KafkaCore
import Testing

@testable import KafkaServer

/// Client quotas without I/O: which configured quota applies to a request (Kafka's precedence and sharing), the
/// sampled rate and KIP-219's throttle time, and the entity paths ZooKeeper announces.
@Suite struct ClientQuotaTests {
    @Test func theMostSpecificEntityWithTheKeyApplies() {
        let cache = ClientQuotaCache()
        let key = ClientQuotaKey.producerByteRate
        cache.update(.init(user: nil, clientID: .default), config: [key: "100"])
        #expect(cache.quota(key, user: "alice", clientID: "app")?.bound == 100)
        cache.update(.init(user: nil, clientID: .named("app")), config: [key: "200"])
        #expect(cache.quota(key, user: "alice", clientID: "app")?.bound == 200)
        cache.update(.init(user: .default, clientID: nil), config: [key: "300"])
        #expect(cache.quota(key, user: "alice", clientID: "app")?.bound == 300)
        cache.update(.init(user: .named("alice"), clientID: nil), config: [key: "400", "SCRAM-SHA-256": "salt=..."])
        let user = cache.quota(key, user: "alice", clientID: "app")
        #expect(user?.bound == 400)
        // A user quota is shared by all of the user's client ids.
        #expect(user?.owner == ClientQuotaCache.Owner(user: "alice", clientID: ""))
        cache.update(.init(user: .named("alice"), clientID: .named("app")), config: [key: "500"])
        #expect(cache.quota(key, user: "alice", clientID: "app")?.bound == 500)
        #expect(cache.quota(key, user: "alice", clientID: "other")?.bound == 400)
        #expect(cache.quota(key, user: "bob", clientID: "other")?.bound == 300)
        // Another key is looked up on its own: consumer_byte_rate is set nowhere.
        #expect(cache.quota(ClientQuotaKey.consumerByteRate, user: "alice", clientID: "app") == nil)
        // Removing every quota key of an entity removes it.
        cache.update(.init(user: .named("alice"), clientID: .named("app")), config: [:])
        #expect(cache.quota(key, user: "alice", clientID: "app")?.bound == 400)
    }

    @Test func entityPathsAsZooKeeperAnnouncesThem() {
        #expect(ClientQuotaEntity(entityPath: "users/alice") == .init(user: .named("alice"), clientID: nil))
        #expect(
            ClientQuotaEntity(entityPath: "users/<default>/clients/app")
                == .init(user: .default, clientID: .named("app"))
        )
        #expect(ClientQuotaEntity(entityPath: "clients/<default>") == .init(user: nil, clientID: .default))
        #expect(ClientQuotaEntity(entityPath: "users/CN%3Dalice%2COU%3Deng")?.user == .named("CN=alice,OU=eng"))
        #expect(ClientQuotaEntity(entityPath: "topics/t") == nil)
        let entity = ClientQuotaEntity(user: .named("CN=alice,OU=eng"), clientID: .named("app"))
        #expect(entity.configEntity.type == "users")
        #expect(entity.configEntity.name == "CN%3Dalice%2COU%3Deng/clients/app")
        #expect(entity.description == "user-principal 'CN=alice,OU=eng', client-id 'app'")
    }

    /// Kafka's numbers: 11 windows of 1 s; a first burst is measured over its elapsed time padded to 10 whole
    /// windows; the throttle is (rate - bound) / bound × that span.
    @Test func rateAndThrottleTime() {
        var rate = QuotaRate(samples: 11, windowMs: 1000)
        rate.record(50_000, now: 0)
        #expect(rate.rate(now: 0) == 5_000)  // 50,000 bytes over the 10 s minimum span
        #expect(rate.throttleMs(bound: 10_000, now: 0) == 0)
        rate.record(150_000, now: 500)  // 200,000 bytes over 10.5 s
        let measured = rate.rate(now: 500)
        #expect(abs(measured - 200_000 / 10.5) < 0.001)
        let throttle = rate.throttleMs(bound: 10_000, now: 500)
        #expect(throttle == Int64(((measured - 10_000) / 10_000 * 10_500).rounded()))
        // Old windows fall out after samples × window.
        #expect(rate.rate(now: 60_000) == 0)
    }

    @Test func aManagerThrottlesOnlyOwnersWithAQuota() {
        let cache = ClientQuotaCache()
        cache.update(.init(user: .named("alice"), clientID: nil), config: [ClientQuotaKey.producerByteRate: "1000"])
        let manager = ClientQuotaManager(
            key: ClientQuotaKey.producerByteRate,
            cache: cache,
            samples: 11,
            windowSeconds: 1
        )
        #expect(manager.recordAndGetThrottleMs({ 5_000 }, user: "alice", clientID: "a", now: 0) == 0)
        // alice's second client shares her quota: 25,000 bytes in 10 s is 2.5× the bound.
        #expect(manager.recordAndGetThrottleMs({ 20_000 }, user: "alice", clientID: "b", now: 0) == 15_000)
        #expect(manager.recordAndGetThrottleMs({ 1_000_000 }, user: "bob", clientID: "a", now: 0) == 0)
        manager.unrecord(bytes: 20_000, user: "alice", clientID: "b", now: 0)
        #expect(manager.recordAndGetThrottleMs({ 0 }, user: "alice", clientID: "a", now: 0) == 0)
        #expect(manager.maxBytesInWindow(user: "alice", clientID: "a") == 10_000)
        #expect(manager.maxBytesInWindow(user: "bob", clientID: "a") == nil)
    }

    /// request_percentage charges a request's work, not the time it waited for others (here a parked sleep), and
    /// never throttles longer than one window.
    @Test func aRequestIsChargedItsWorkNotItsWaits() async {
        let cache = ClientQuotaCache()
        cache.update(.init(user: nil, clientID: .named("app")), config: [ClientQuotaKey.requestPercentage: "50"])
        let manager = ClientQuotaManager(
            key: ClientQuotaKey.requestPercentage,
            cache: cache,
            samples: 2,
            windowSeconds: 1,
            maxThrottleMs: 1000
        )
        struct Frozen: KafkaClock { var milliseconds: Int64 { 1_000_000 } }
        func meter(user: String, startedAgo: Duration) -> RequestQuotaMeter {
            RequestQuotaMeter(
                manager: manager,
                user: user,
                clientID: "app",
                start: .now - startedAgo,
                waits: RequestWaitClock(),
                clock: Frozen()
            )
        }
        // 800 ms parked: 80 % of the one-second span if it were charged, over the 50 % bound.
        let waiting = meter(user: "waiter", startedAgo: .zero)
        await RequestWaitClock.$current.withValue(waiting.waits) {
            await RequestWaitClock.parked { try? await Task.sleep(for: .milliseconds(800)) }
        }
        #expect(waiting.waits.waited >= .milliseconds(800))
        #expect(waiting.recordAndGetThrottleMs() == 0)
        // 800 ms of work (a request that began 800 ms ago and never waited) is over it; users of one client id
        // share the client's quota, so the waiter's charge counts too. (80 − 50) / 50 × 1000 ms = 600 ms at least.
        let worker = meter(user: "worker", startedAgo: .milliseconds(800))
        #expect(worker.recordAndGetThrottleMs() >= 600)
        // Far over: bounded by one window.
        #expect(meter(user: "worker", startedAgo: .seconds(10)).recordAndGetThrottleMs() == 1000)
    }
}
