public import KafkaCore

/// The offset syncs read from `mm2-offset-syncs.<target>.internal`, kept per source partition, and the
/// translation of a group's source offset into the target's (Kafka 3.5's rule, KAFKA-14666, not 2.8's):
/// - a group exactly at a sync point lands on that sync's downstream offset;
/// - a group past it lands **one** record past the sync's downstream offset: never extrapolated, so a group that
///   fails over re-reads records and never skips one (2.8's `downstream + (group − upstream)` could skip);
/// - a group older than every kept sync, or any group before the topic was read to its end once, gets nothing.
///
/// Up to `capacity` syncs are kept per partition: every sync until the partition has more, then (thinning once
/// per `capacity / 2` or so new syncs) at least the newest half of them exactly and the older ones thinned with age (the gap between two kept syncs stays within about half
/// the newer one's distance from the newest sync; the oldest is kept), so a group lagging fewer than
/// `capacity / 2` syncs re-reads fewer than `offset.lag.max` records and older group offsets still translate,
/// more coarsely the older they are (Kafka 3.5 keeps 64 exponentially spaced syncs, so even a group a few
/// thousand records behind re-reads hundreds). A sync whose upstream offset went backwards (the source was
/// truncated or recreated) replaces the partition's history. A value, owned by whoever reads the syncs topic.
public struct OffsetSyncStore: Sendable {
    public let capacity: Int
    /// Newest first.
    private var syncs: [TopicPartition: [OffsetSync]] = [:]
    /// Set once the syncs topic was read to the end offset it had when reading began.
    public var readToEnd = false

    public init(capacity: Int = 256) {
        self.capacity = max(2, capacity)
    }

    public mutating func add(_ sync: OffsetSync) {
        let partition = TopicPartition(sync.topic, sync.partition)
        var kept = [sync]
        for old in syncs[partition] ?? [] {
            // A sync that went backwards (the source was truncated or recreated) ends the old history.
            if old.upstreamOffset > sync.upstreamOffset || old.downstreamOffset > sync.downstreamOffset { break }
            if old.upstreamOffset == sync.upstreamOffset { continue }
            kept.append(old)
        }
        syncs[partition] = kept.count > capacity ? Self.thinned(kept, capacity: capacity) : kept
    }

    /// `all` (newest first) cut to `capacity`: the newest half as they are, the older ones thinned with age, and
    /// when still too many, those just younger than the oldest dropped.
    private static func thinned(_ all: [OffsetSync], capacity: Int) -> [OffsetSync] {
        let dense = capacity / 2
        let newest = all[0].upstreamOffset
        var kept = Array(all.prefix(dense))
        for index in dense..<all.count {
            if index + 1 < all.count {
                // Dropping this sync leaves a gap from the newer kept one to the next older sync; allowed while
                // that gap is at most half the newer one's age, so gaps grow with age (logarithmically many).
                let newer = kept[kept.count - 1]
                let gap = newer.upstreamOffset - all[index + 1].upstreamOffset
                if gap * 2 <= newest - newer.upstreamOffset { continue }
            }
            kept.append(all[index])
        }
        if kept.count > capacity { kept.removeSubrange((capacity - 1)..<(kept.count - 1)) }
        return kept
    }

    /// The syncs kept for `partition`, newest first.
    public func syncs(for partition: TopicPartition) -> [OffsetSync] { syncs[partition] ?? [] }

    /// The target offset for a group at `upstreamOffset` of the source's `partition`; nil when it cannot be
    /// translated (nothing read yet, no sync for the partition, or the group is older than every kept sync).
    public func translate(_ partition: TopicPartition, upstreamOffset: Int64) -> Int64? {
        guard readToEnd, let kept = syncs[partition], !kept.isEmpty else { return nil }
        guard let sync = kept.first(where: { $0.upstreamOffset <= upstreamOffset }) else { return nil }
        return sync.downstreamOffset + (upstreamOffset == sync.upstreamOffset ? 0 : 1)
    }
}
