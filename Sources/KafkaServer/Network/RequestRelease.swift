import KafkaCore
import Synchronization

/// The point where a request lets its connection read the next one: Kafka handles a connection's requests in
/// order and answers them in order; a Produce with acks=all has done its ordered part once its batches are
/// appended, and what remains (waiting for the ISR) may overlap the next requests, whose responses are written
/// after its own. Without that overlap a client that pipelines single-record acks=all requests gets one per
/// replication round trip.
///
/// Made by `KafkaListener` for each request it may overlap; the handler opens it through
/// `RequestContext.releaseConnection()`, and the listener opens it when the request ends in any case (`closing`
/// when the request closes the connection, which then reads nothing more). Opens once (the first verdict stands);
/// `wait` returns as soon as it is open, before or after the call.
public final class RequestRelease: Sendable {
    enum Verdict: UInt8, Sendable {
        case readNext = 1
        case closing = 2
    }

    private let signal = OneShotSignal()
    /// 0 until opened, then the verdict's raw value; written before the signal wakes the waiter.
    private let verdict = Atomic<UInt8>(0)

    func open(closing: Bool = false) {
        let decided = closing ? Verdict.closing : .readNext
        if verdict.compareExchange(expected: 0, desired: decided.rawValue, ordering: .acquiringAndReleasing).exchanged {
            signal.fire()
        }
    }

    func wait() async -> Verdict {
        await signal.wait()
        return Verdict(rawValue: verdict.load(ordering: .acquiring)) ?? .readNext
    }
}
