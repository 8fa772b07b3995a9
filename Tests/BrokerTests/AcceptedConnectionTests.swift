import NIOCore
import NIOPosix
import Testing

@testable import KafkaServer

/// A listener that stops while a connection it accepted waits to be served: the connection is closed, the process
/// does not trap (before `AcceptedConnection`, NIO's dropped connection trapped the broker as it shut down).
@Suite("Accepted connections", .timeLimit(.minutes(1)))
struct AcceptedConnectionTests {
    /// Tells when an accepted connection is active: from then on NIO no longer finishes its writer itself.
    final class ActiveSignal: ChannelInboundHandler {
        typealias InboundIn = ByteBuffer
        let active: EventLoopPromise<Void>

        init(_ active: EventLoopPromise<Void>) {
            self.active = active
        }

        func channelActive(context: ChannelHandlerContext) {
            active.succeed()
            context.fireChannelActive()
        }
    }

    @Test func aConnectionAcceptedButNeverServedIsClosedWhenTheListenerGoes() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let active = group.next().makePromise(of: Void.self)
        var listener: NIOAsyncChannel<AcceptedConnection<ByteBuffer, ByteBuffer>, Never>? =
            try await ServerBootstrap(group: group).bindAccepting(host: "127.0.0.1", port: 0) { child in
                try child.pipeline.syncOperations.addHandler(ActiveSignal(active))
            }
        let port = try #require(listener?.channel.localAddress?.port)
        // Connects and waits for the server to close the connection (or 10 s to pass with it open).
        async let reply = RawClient.exchange(port: port, send: [], timeout: .seconds(10))
        try await active.futureResult.get()
        // Nobody reads the accepted connections: the listener closes and goes with one still queued.
        try await listener?.channel.close()
        listener = nil
        let closed = await reply.closedByBroker
        #expect(closed, "the queued connection stayed open")
        try await group.shutdownGracefully()
    }
}
