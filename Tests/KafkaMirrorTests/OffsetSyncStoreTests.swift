import KafkaCore
import KafkaMirror
import Testing

/// Kafka 3.5's translation rule (never past a record the group has not read) and the store's spacing.
@Suite struct OffsetSyncStoreTests {
    let orders = TopicPartition("orders", 0)

    func sync(_ upstream: Int64, _ downstream: Int64) -> OffsetSync {
        OffsetSync(topic: "orders", partition: 0, upstreamOffset: upstream, downstreamOffset: downstream)
    }

    @Test func nothingBeforeTheSyncsWereReadToTheEnd() {
        var store = OffsetSyncStore()
        store.add(sync(100, 42))
        #expect(store.translate(orders, upstreamOffset: 100) == nil)
        store.readToEnd = true
        #expect(store.translate(orders, upstreamOffset: 100) == 42)
        #expect(store.translate(TopicPartition("orders", 1), upstreamOffset: 100) == nil)
    }

    @Test func aGroupPastTheSyncLandsOneRecordPastIt() {
        var store = OffsetSyncStore()
        store.readToEnd = true
        store.add(sync(0, 0))
        store.add(sync(100, 42))
        // Kafka 2.8 would say 42 + 50 = 92, beyond records the target may not hold at those offsets.
        #expect(store.translate(orders, upstreamOffset: 150) == 43)
        #expect(store.translate(orders, upstreamOffset: 100) == 42)
        #expect(store.translate(orders, upstreamOffset: 99) == 1, "the older sync at 0 -> 0, plus one")
        #expect(store.translate(orders, upstreamOffset: 0) == 0)
    }

    @Test func aGroupOlderThanEverySyncIsNotTranslated() {
        var store = OffsetSyncStore()
        store.readToEnd = true
        store.add(sync(500, 10))
        #expect(store.translate(orders, upstreamOffset: 499) == nil)
    }

    @Test func aSyncThatGoesBackwardsReplacesTheHistory() {
        var store = OffsetSyncStore()
        store.readToEnd = true
        store.add(sync(100, 100))
        store.add(sync(200, 200))
        store.add(sync(50, 300))  // the source topic was recreated
        #expect(store.syncs(for: orders).map(\.upstreamOffset) == [50])
        #expect(store.translate(orders, upstreamOffset: 150) == 301)
        // The same upstream offset synced again (a restart re-copied records) replaces the old sync.
        store.add(sync(50, 310))
        #expect(store.syncs(for: orders) == [sync(50, 310)])
    }

    @Test func recentSyncsAreKeptExactlyAndOldOnesExponentiallySpaced() {
        var store = OffsetSyncStore()
        store.readToEnd = true
        for index in Int64(0)..<1000 { store.add(sync(index * 10, index * 10)) }
        let kept = store.syncs(for: orders).map(\.upstreamOffset)
        #expect(kept.count <= store.capacity)
        let old = kept.filter { $0 < 9990 - 10 * Int64(store.capacity) }
        #expect(old.count < 40, "old ones spaced out, not every sync: \(old)")
        #expect(Array(kept.prefix(store.capacity / 2)) == (0..<Int64(store.capacity / 2)).map { 9990 - $0 * 10 })
        #expect(kept.last == 0, "the oldest sync survives")
        #expect(kept == kept.sorted(by: >))
        // Recent groups translate to the sync at or below them, plus one; old groups still translate, never past
        // their own position (the mirror here keeps offsets equal), the re-reads growing with the group's age.
        #expect(store.translate(orders, upstreamOffset: 9985) == 9981)
        #expect(store.translate(orders, upstreamOffset: 8725) == 8721)
        for group in [Int64(5), 4000, 8000] {
            let translated = store.translate(orders, upstreamOffset: group) ?? -1
            #expect(translated >= 0 && translated <= group, "\(group)")
            #expect(group - translated <= max(10, (9990 - group) / 2 + 10), "\(group) -> \(translated)")
        }
        #expect(store.translate(orders, upstreamOffset: 5) == 1)
    }

    @Test func aStoreUnderCapacityKeepsEverySync() {
        var store = OffsetSyncStore()
        store.readToEnd = true
        for index in Int64(0)..<100 { store.add(sync(index * 101, index * 101)) }
        #expect(store.syncs(for: orders).count == 100)
        #expect(store.translate(orders, upstreamOffset: 2001) == 1920)
    }

    @Test func aFullStoreKeepsTheNewestHalfAndTheOldest() {
        var store = OffsetSyncStore(capacity: 4)
        store.readToEnd = true
        for index in Int64(0)..<10 { store.add(sync(index, index)) }
        let kept = store.syncs(for: orders).map(\.upstreamOffset)
        #expect(kept.count == 4)
        #expect(kept.prefix(2) == [9, 8])
        #expect(kept.last == 0)
        #expect(store.translate(orders, upstreamOffset: 0) == 0)
        #expect(store.translate(orders, upstreamOffset: 8) == 8)
        #expect(store.translate(orders, upstreamOffset: 9) == 9)
    }
}
