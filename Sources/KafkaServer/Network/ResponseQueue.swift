import Logging
import NIOCore
import Synchronization

/// One connection's way out: its responses, written in request order.
///
/// While every request is done before the next is read, a response is written at once by the reading task. Once a
/// Produce lets the next requests be read before it is answered (`RequestRelease`), every later response is queued
/// behind it and a writer task, started then in the connection's task group, writes each as its request ends; so a
/// connection that never overlaps requests (an idle one, a consumer's) costs no second task. A response that closes
/// the connection closes it after those before it. It also bounds what a connection reads ahead of its answers:
/// `maxAhead` requests and `maxBytesAhead` frame bytes.
///
/// Owned by the connection's reading task (`KafkaListener`); only the writer task it starts reads the queue.
struct ResponseQueue {
    static let maxAhead = 64
    static let maxBytesAhead = 16 << 20

    let outbound: NIOAsyncChannelOutboundWriter<[ResponsePart]>
    let channel: any Channel
    let client: String
    let logger: Logger
    private var queued: AsyncStream<EventLoopFuture<RequestOutcome>>.Continuation?
    /// The overlapping requests not yet known to be answered, oldest first; those answered leave from the front
    /// at the next `enqueue`, so a quiet connection keeps at most the entries of its last burst.
    private var ahead: [Pending] = []
    private var bytesAhead = 0

    init(outbound: NIOAsyncChannelOutboundWriter<[ResponsePart]>, channel: any Channel, client: String, logger: Logger)
    {
        self.outbound = outbound
        self.channel = channel
        self.client = client
        self.logger = logger
    }

    /// Answers a request that is done; false when the answer closes the connection (nothing more is read).
    mutating func answer(_ outcome: RequestOutcome) async throws -> Bool {
        if let queued {
            queued.yield(channel.eventLoop.makeSucceededFuture(outcome))
            if case .closeConnection = outcome { return false }
            return true
        }
        return try await Self.write(outcome, to: outbound, closing: channel, client: client, logger: logger)
    }

    /// Waits until a request of `bytes` may be read ahead, then queues its response, still being worked on.
    mutating func enqueue(
        _ response: EventLoopFuture<RequestOutcome>,
        bytes: Int,
        in group: inout ThrowingDiscardingTaskGroup<any Error>
    ) async {
        while let oldest = ahead.first,
            oldest.isAnswered || ahead.count >= Self.maxAhead || bytesAhead + bytes > Self.maxBytesAhead
        {
            _ = try? await oldest.response.get()
            ahead.removeFirst()
            bytesAhead -= oldest.bytes
        }
        ahead.append(Pending(response, bytes: bytes))
        bytesAhead += bytes
        if queued == nil {
            let (responses, queued) = AsyncStream.makeStream(of: EventLoopFuture<RequestOutcome>.self)
            self.queued = queued
            let (outbound, channel, client, logger) = (outbound, channel, client, logger)
            group.addTask {
                for await response in responses {
                    let outcome = try await response.get()
                    guard try await Self.write(outcome, to: outbound, closing: channel, client: client, logger: logger)
                    else { return }
                }
            }
        }
        queued?.yield(response)
    }

    /// A request read ahead of its answer: its response to come and its frame's size.
    private final class Pending: Sendable {
        let response: EventLoopFuture<RequestOutcome>
        let bytes: Int
        private let answered = Atomic(false)

        init(_ response: EventLoopFuture<RequestOutcome>, bytes: Int) {
            self.response = response
            self.bytes = bytes
            response.whenComplete { _ in self.answered.store(true, ordering: .releasing) }
        }

        var isAnswered: Bool { answered.load(ordering: .acquiring) }
    }

    /// No more responses: the writer task ends after writing the queued ones.
    func finish() {
        queued?.finish()
    }

    private static func write(
        _ outcome: RequestOutcome,
        to outbound: NIOAsyncChannelOutboundWriter<[ResponsePart]>,
        closing channel: any Channel,
        client: String,
        logger: Logger
    ) async throws -> Bool {
        switch outcome {
        case .response(let buffer):
            try await outbound.write([.bytes(buffer)])
        case .parts(let parts):
            try await outbound.write(parts)
        case .noResponse:
            break
        case .closeConnection(let reason):
            logger.warning("Closing connection: \(reason)", metadata: ["client": "\(client)"])
            try? await channel.close()
            return false
        }
        return true
    }
}
