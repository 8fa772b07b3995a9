import NIOCore
import NIOPosix

/// A connection a listening socket accepted (a Kafka listener's or the metrics endpoint's), on its way to the task
/// that serves it.
///
/// NIO hands accepted connections over through the listening channel's async sequence, which drops what it still
/// holds when its reader stops — a listener shutting down as a client connects — and a dropped `NIOAsyncChannel`
/// whose writer was never finished traps the process (swift-nio#2813; a broker stopping with SIGTERM died that way,
/// frozen while the trap printed its backtrace). This box finishes the writer and closes the connection when it goes
/// away: after `executeThenClose` both do nothing; a connection never served is closed. Made by the child channel
/// initializer (`bindAccepting`); the serving task (`serveEach`) keeps it until the connection is done.
final class AcceptedConnection<Inbound: Sendable, Outbound: Sendable>: Sendable {
    let connection: NIOAsyncChannel<Inbound, Outbound>

    init(_ connection: NIOAsyncChannel<Inbound, Outbound>) {
        self.connection = connection
    }

    deinit {
        connection.outbound.finish()
        connection.channel.close(promise: nil)
    }
}

extension ServerBootstrap {
    /// Binds a listening socket whose accepted connections get `configure`'s pipeline and are handed over as
    /// `AcceptedConnection`s.
    func bindAccepting<Inbound: Sendable, Outbound: Sendable>(
        host: String,
        port: Int,
        configure: @escaping @Sendable (any Channel) throws -> Void
    ) async throws -> NIOAsyncChannel<AcceptedConnection<Inbound, Outbound>, Never> {
        try await bind(host: host.isEmpty ? "0.0.0.0" : host, port: port) { child in
            child.eventLoop.makeCompletedFuture {
                try configure(child)
                return AcceptedConnection(try NIOAsyncChannel<Inbound, Outbound>(wrappingChannelSynchronously: child))
            }
        }
    }
}

extension NIOAsyncChannel where Outbound == Never {
    /// A listening channel's accept loop: serves each accepted connection in a task of its own until the calling
    /// task is cancelled or the channel closes.
    func serveEach<ConnectionInbound: Sendable, ConnectionOutbound: Sendable>(
        _ serve: @escaping @Sendable (NIOAsyncChannel<ConnectionInbound, ConnectionOutbound>) async -> Void
    ) async throws where Inbound == AcceptedConnection<ConnectionInbound, ConnectionOutbound> {
        try await withThrowingDiscardingTaskGroup { group in
            try await executeThenClose { connections in
                for try await accepted in connections {
                    group.addTask {
                        await serve(accepted.connection)
                        // Kept to here: its end finishes the connection's writer.
                        withExtendedLifetime(accepted) {}
                    }
                }
            }
        }
    }
}
