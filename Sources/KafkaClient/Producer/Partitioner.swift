import Synchronization

/// The Java client's `DefaultPartitioner` (Kafka 2.4 to 3.2): a record with a key goes to
/// `toPositive(murmur2(key)) % partitions`, so a Swift producer and a Java one send each key to the same partition;
/// a record without a key goes to the topic's sticky partition, which changes only when a batch for it is closed
/// (KIP-480), so keyless records fill whole batches.
///
/// Stateless: the sticky choice lives in each topic's `TopicRoute` (an atomic, read on every keyless append).
/// Public for tools that must find a key's partition as producers chose it (the console's key search).
public enum Partitioner {
    /// The partition of a record of `route`'s topic with `key`.
    static func partition(of route: TopicRoute, key: [UInt8]?) -> Int32 {
        if let key { return partition(forKey: key, count: route.partitionCount) }
        let current = route.sticky.load(ordering: .relaxed)
        if current >= 0 { return current }
        let chosen = Int32.random(in: 0..<route.partitionCount)
        let (exchanged, original) = route.sticky.compareExchange(expected: -1, desired: chosen, ordering: .relaxed)
        return exchanged ? chosen : original
    }

    /// A batch of the sticky `partition` of `route`'s topic was closed: keyless records move to another partition.
    static func batchClosed(of route: TopicRoute, partition: Int32) {
        guard route.partitionCount > 1 else { return }
        var next = Int32.random(in: 0..<(route.partitionCount - 1))
        if next >= partition { next += 1 }
        _ = route.sticky.compareExchange(expected: partition, desired: next, ordering: .relaxed)
    }

    /// Java's `Utils.toPositive(Utils.murmur2(key)) % numPartitions`.
    public static func partition(forKey key: [UInt8], count: Int32) -> Int32 {
        (murmur2(key) & 0x7fff_ffff) % count
    }

    /// Kafka's `Utils.murmur2`: 32-bit MurmurHash2 with seed 0x9747b28c, bytes read little-endian in fours.
    static func murmur2(_ data: [UInt8]) -> Int32 {
        let m: UInt32 = 0x5bd1_e995
        var h: UInt32 = 0x9747_b28c ^ UInt32(truncatingIfNeeded: data.count)
        let fours = data.count / 4
        data.withUnsafeBufferPointer { bytes in
            for index in 0..<fours {
                let base = index * 4
                var k =
                    UInt32(bytes[base]) | UInt32(bytes[base + 1]) << 8 | UInt32(bytes[base + 2]) << 16
                    | UInt32(bytes[base + 3]) << 24
                k &*= m
                k ^= k >> 24
                k &*= m
                h &*= m
                h ^= k
            }
            let tail = fours * 4
            switch data.count % 4 {
            case 3:
                h ^= UInt32(bytes[tail + 2]) << 16
                h ^= UInt32(bytes[tail + 1]) << 8
                h ^= UInt32(bytes[tail])
                h &*= m
            case 2:
                h ^= UInt32(bytes[tail + 1]) << 8
                h ^= UInt32(bytes[tail])
                h &*= m
            case 1:
                h ^= UInt32(bytes[tail])
                h &*= m
            default: break
            }
        }
        h ^= h >> 13
        h &*= m
        h ^= h >> 15
        return Int32(bitPattern: h)
    }
}
