import Synchronization

/// The sequence numbers of default client ids (`producer-1`, `consumer-<group>-2`, ...), as the Java client
/// numbers its clients within a process.
enum ClientIDs {
    private static let counter = Atomic<Int>(0)

    static func next() -> Int { counter.add(1, ordering: .relaxed).newValue }
}
