public import KafkaCore

/// The offset syncs read from `mm2-offset-syncs.<target>.internal`, kept per source partition, and the
/// translation of a group's source offset into the target's (Kafka 3.5's rule, KAFKA-14666, not 2.8's):
/// - a group exactly at a sync point lands on that sync's downstream offset;
/// - a group past it lands **one** record past the sync's downstream offset: never extrapolated, so a group that
///   fails over re-reads records and never skips one (2.8's `downstream + (group − upstream)` could skip);
/// - a group older than every kept sync, or any group before the topic was read to its end once, gets nothing.
///
/// Up to `capacity` syncs are kept per partition, thinned with age (the gap between two kept syncs stays within
/// about half the newer one's distance from the newest sync, and the oldest is kept), so old group offsets still
/// translate, more coarsely the older they are (as Kafka 3.5 keeps 64 exponentially spaced syncs). A sync whose upstream offset went backwards (the source was truncated or recreated)
/// replaces the partition's history. A value, owned by whoever reads the syncs topic.
public struct OffsetSyncStore: Sendable {
    public let capacity: Int
    /// Newest first.
    private var syncs: [TopicPartition: [OffsetSync]] = [:]
    /// Set once the syncs topic was read to the end offset it had when reading began.
    public var readToEnd = false

    public init(capacity: Int = 64) {
        self.capacity = max(1, capacity)
    }

    public mutating func add(_ sync: OffsetSync) {
        let partition = TopicPartition(sync.topic, sync.partition)
        let previous = syncs[partition] ?? []
        var kept = [sync]
        for (index, old) in previous.enumerated() {
            // A sync that went backwards (the source was truncated or recreated) ends the old history.
            if old.upstreamOffset > sync.upstreamOffset || old.downstreamOffset > sync.downstreamOffset { break }
            if old.upstreamOffset == sync.upstreamOffset { continue }
            guard kept.count < capacity else { break }
            let newer = kept[kept.count - 1]
            if index + 1 < previous.count {
                // Dropping `old` leaves a gap from `newer` to the next older sync; allowed while that gap is at
                // most half `newer`'s age, so gaps grow with age and the syncs kept grow with its logarithm.
                let gap = newer.upstreamOffset - previous[index + 1].upstreamOffset
                let age = sync.upstreamOffset - newer.upstreamOffset
                if gap * 2 <= age { continue }
            }
            kept.append(old)
        }
        syncs[partition] = kept
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
