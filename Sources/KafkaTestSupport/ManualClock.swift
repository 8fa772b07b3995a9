public import KafkaCore
import Synchronization

/// A clock that moves only when told to, for tests.
public final class ManualClock: KafkaClock {
    private let now: Atomic<Int64>

    public init(milliseconds: Int64 = 1_700_000_000_000) { now = Atomic(milliseconds) }

    public var milliseconds: Int64 { now.load(ordering: .relaxed) }

    public func advance(by milliseconds: Int64) { now.add(milliseconds, ordering: .relaxed) }
    public func set(_ milliseconds: Int64) { now.store(milliseconds, ordering: .relaxed) }
}
