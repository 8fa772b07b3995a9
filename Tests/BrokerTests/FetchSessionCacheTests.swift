import KafkaCore
import KafkaReplication
import Testing

@testable import KafkaServer

/// The fetch session state machine (KIP-227) on its own: opening, incremental updates, errors, what an incremental
/// answer carries, fairness order and eviction. The broker's use of it over the wire is `FetchSessionTests`.
@Suite("Fetch session cache")
struct FetchSessionCacheTests {
    static func partition(_ topic: String, _ index: Int32, offset: Int64 = 0) -> ReplicaManager.FetchRequestPartition {
        .init(topicPartition: TopicPartition(topic, index), offset: offset, maxBytes: 1 << 20)
    }

    static func answer(hw: Int64, records: Bool = false, error: KafkaErrorCode = .none) -> FetchSessionCache.Answer {
        .init(errorCode: error, highWatermark: hw, lastStableOffset: hw, logStartOffset: 0, hasRecords: records)
    }

    /// Opens a session of `partitions`, each answered with high watermark 5 and no records.
    static func open(
        _ cache: FetchSessionCache,
        _ partitions: [ReplicaManager.FetchRequestPartition],
        follower: Bool = false,
        now: Int64 = 0
    ) -> Int32 {
        let begun = cache.begin(sessionID: 0, epoch: 0, partitions: partitions, forgotten: [], now: now)
        #expect(begun.context == .opening)
        return cache.open(partitions.map { ($0, answer(hw: 5)) }, privileged: follower, now: now)
    }

    /// The partitions an incremental answer carries, of those `answered`.
    static func carried(
        _ cache: FetchSessionCache,
        _ id: Int32,
        _ answered: [(TopicPartition, FetchSessionCache.Answer)]
    ) -> [TopicPartition] {
        let carried = cache.answer(id, answered.map { (topicPartition: $0.0, answer: $0.1) })
        #expect(carried.count == answered.count)
        return zip(answered, carried).filter(\.1).map(\.0.0)
    }

    @Test func aFullFetchOpensASessionThatTheNextEpochContinues() {
        let cache = FetchSessionCache(maxSlots: 10)
        let id = Self.open(cache, [Self.partition("a", 0), Self.partition("a", 1)])
        #expect(id != 0)
        #expect(cache.stats.sessions == 1)
        // Epoch 1 with no partitions fetches the whole session, in order.
        let next = cache.begin(sessionID: id, epoch: 1, partitions: [], forgotten: [], now: 1)
        #expect(next.context == .incremental(id: id))
        #expect(next.partitions.map(\.topicPartition) == [TopicPartition("a", 0), TopicPartition("a", 1)])
        // The same epoch again is refused, and so is an unknown id.
        #expect(
            cache.begin(sessionID: id, epoch: 1, partitions: [], forgotten: [], now: 2).context
                == .failed(.invalidFetchSessionEpoch)
        )
        #expect(
            cache.begin(sessionID: id &+ 1, epoch: 2, partitions: [], forgotten: [], now: 2).context
                == .failed(.fetchSessionIDNotFound)
        )
        #expect(
            cache.begin(sessionID: id, epoch: 2, partitions: [], forgotten: [], now: 3).context == .incremental(id: id)
        )
    }

    @Test func anIncrementalFetchUpdatesAddsAndForgetsPartitions() {
        let cache = FetchSessionCache(maxSlots: 10)
        let id = Self.open(cache, [Self.partition("a", 0), Self.partition("a", 1)])
        let next = cache.begin(
            sessionID: id,
            epoch: 1,
            partitions: [Self.partition("a", 1, offset: 40), Self.partition("b", 0, offset: 7)],
            forgotten: [TopicPartition("a", 0)],
            now: 1
        )
        #expect(next.partitions.map(\.topicPartition) == [TopicPartition("a", 1), TopicPartition("b", 0)])
        #expect(next.partitions.map(\.offset) == [40, 7])
        // Forgetting every partition closes the session; that fetch is answered without one.
        let last = cache.begin(
            sessionID: id,
            epoch: 2,
            partitions: [],
            forgotten: [TopicPartition("a", 1), TopicPartition("b", 0)],
            now: 2
        )
        #expect(last.context == .sessionless)
        #expect(cache.stats.sessions == 0)
    }

    @Test func anIncrementalAnswerCarriesOnlyWhatChangedAndRotatesItToTheEnd() {
        let cache = FetchSessionCache(maxSlots: 10)
        let partitions = [Self.partition("a", 0), Self.partition("a", 1), Self.partition("a", 2)]
        let id = Self.open(cache, partitions)
        _ = cache.begin(sessionID: id, epoch: 1, partitions: [], forgotten: [], now: 1)
        let carried = Self.carried(
            cache,
            id,
            [
                (TopicPartition("a", 0), Self.answer(hw: 5, records: true)),  // records
                (TopicPartition("a", 1), Self.answer(hw: 5)),  // nothing new
                (TopicPartition("a", 2), Self.answer(hw: 6)),  // a moved high watermark
            ]
        )
        #expect(carried == [TopicPartition("a", 0), TopicPartition("a", 2)])
        // Those answered go to the end: the next fetch reads a-1 first.
        let next = cache.begin(sessionID: id, epoch: 2, partitions: [], forgotten: [], now: 2)
        #expect(
            next.partitions.map(\.topicPartition) == [
                TopicPartition("a", 1), TopicPartition("a", 0), TopicPartition("a", 2),
            ]
        )
        // The high watermark 6 was remembered; an error is always carried, and carried again next time.
        let errors = Self.carried(
            cache,
            id,
            [
                (TopicPartition("a", 1), Self.answer(hw: 5, error: .notLeaderOrFollower)),
                (TopicPartition("a", 0), Self.answer(hw: 5)),
                (TopicPartition("a", 2), Self.answer(hw: 6)),
            ]
        )
        #expect(errors == [TopicPartition("a", 1)])
        _ = cache.begin(sessionID: id, epoch: 3, partitions: [], forgotten: [], now: 3)
        let after = Self.carried(cache, id, [(TopicPartition("a", 1), Self.answer(hw: 5))])
        #expect(after == [TopicPartition("a", 1)])
        // A partition named twice in one answer moves to the end once: the session keeps three partitions.
        _ = Self.carried(
            cache,
            id,
            [(TopicPartition("a", 2), Self.answer(hw: 7)), (TopicPartition("a", 2), Self.answer(hw: 8))]
        )
        let last = cache.begin(sessionID: id, epoch: 4, partitions: [], forgotten: [], now: 4)
        #expect(
            last.partitions.map(\.topicPartition) == [
                TopicPartition("a", 0), TopicPartition("a", 1), TopicPartition("a", 2),
            ]
        )
    }

    @Test func epochMinusOneAndZeroCloseTheNamedSession() {
        let cache = FetchSessionCache(maxSlots: 10)
        let first = Self.open(cache, [Self.partition("a", 0)])
        #expect(
            cache.begin(sessionID: first, epoch: -1, partitions: [Self.partition("a", 0)], forgotten: [], now: 1)
                .context == .sessionless
        )
        #expect(cache.stats.sessions == 0)
        let second = Self.open(cache, [Self.partition("a", 0)])
        #expect(
            cache.begin(sessionID: second, epoch: 0, partitions: [Self.partition("a", 0)], forgotten: [], now: 1)
                .context == .opening
        )
        #expect(cache.stats.sessions == 0)
    }

    @Test func noSlotsMeansNoSessions() {
        let cache = FetchSessionCache(maxSlots: 0)
        let begun = cache.begin(sessionID: 0, epoch: 0, partitions: [Self.partition("a", 0)], forgotten: [], now: 0)
        #expect(begun.context == .sessionless)
    }

    @Test func aFullCacheEvictsAStaleSessionThenALessValuableOne() {
        let cache = FetchSessionCache(maxSlots: 2)
        let small = Self.open(cache, [Self.partition("a", 0)], now: 0)
        let large = Self.open(
            cache,
            [Self.partition("a", 0), Self.partition("a", 1), Self.partition("a", 2)],
            now: 1000
        )
        #expect(small != 0 && large != 0)
        // A consumer session of one partition is worth no more than the smallest: no slot.
        #expect(Self.open(cache, [Self.partition("b", 0)], now: 2000) == 0)
        // Two partitions outweigh one: the one-partition session goes.
        let middle = Self.open(cache, [Self.partition("b", 0), Self.partition("b", 1)], now: 3000)
        #expect(middle != 0)
        #expect(
            cache.begin(sessionID: small, epoch: 1, partitions: [], forgotten: [], now: 3000).context
                == .failed(.fetchSessionIDNotFound)
        )
        // A follower's session outweighs any consumer's.
        let follower = Self.open(cache, [Self.partition("c", 0)], follower: true, now: 4000)
        #expect(follower != 0)
        #expect(cache.stats.sessions == 2)
        #expect(cache.stats.evictions == 2)
        // Past the eviction time, the least recently used goes whatever its worth.
        let late = Self.open(cache, [Self.partition("d", 0)], now: 4000 + FetchSessionCache.evictionMs + 1)
        #expect(late != 0)
        #expect(
            cache.begin(sessionID: large, epoch: 1, partitions: [], forgotten: [], now: 200_000).context
                == .failed(.fetchSessionIDNotFound)
        )
    }
}
