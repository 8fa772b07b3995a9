/// Which `__consumer_offsets` partition holds a group: `abs(groupId.hashCode) % partitions`, with Java's
/// `String.hashCode` (h = 31·h + c over the UTF-16 code units, wrapping) and Kafka's `Utils.abs`, which maps
/// Int32.min to 0.
public enum GroupPartitioner {
    public static func javaHashCode(_ text: String) -> Int32 {
        var hash: Int32 = 0
        for unit in text.utf16 { hash = hash &* 31 &+ Int32(unit) }
        return hash
    }

    public static func partition(for group: String, partitions: Int32) -> Int32 {
        let hash = javaHashCode(group)
        let positive = hash == Int32.min ? 0 : abs(hash)
        return positive % partitions
    }
}
