#if canImport(Glibc)
import Glibc
#endif

/// Wall-clock time in milliseconds since the epoch, as Kafka's timestamps and time-based configs use it.
/// Code that decides by time (segment rolls, retention, session timeouts) takes a clock, so tests can move time.
public protocol KafkaClock: Sendable {
    var milliseconds: Int64 { get }
}

/// The system's wall clock.
public struct SystemClock: KafkaClock {
    public init() {}

    public var milliseconds: Int64 {
        var time = timespec()
        clock_gettime(CLOCK_REALTIME, &time)
        return Int64(time.tv_sec) * 1000 + Int64(time.tv_nsec) / 1_000_000
    }
}
