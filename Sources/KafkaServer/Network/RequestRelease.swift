import KafkaCore

/// The point where a request lets its connection read the next one: Kafka handles a connection's requests in
/// order and answers them in order; a Produce with acks=all has done its ordered part once its batches are
/// appended, and what remains (waiting for the ISR) may overlap the next requests, whose responses are written
/// after its own. Without that overlap a client that pipelines single-record acks=all requests gets one per
/// replication round trip.
///
/// Made by `KafkaListener` for each request it may overlap; the handler opens it through
/// `RequestContext.releaseConnection()`, and the listener opens it when the request ends in any case (`closing`
/// when the request closes the connection, which then reads nothing more). Opens once; `wait` returns as soon as it
/// is open, before or after the call.
public final class RequestRelease: Sendable {
    enum Verdict: Sendable { case readNext, closing }

    private let signal = OneShotSignal<Verdict>()

    func open(closing: Bool = false) {
        signal.fire(closing ? .closing : .readNext)
    }

    func wait() async -> Verdict {
        await signal.wait()
    }
}
