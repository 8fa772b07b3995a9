import KafkaProtocol
public import Logging
import NIOCore
public import NIOPosix

/// A listener socket (one of `listeners`) and the connections it accepts.
///
/// Each connection is served by its own task: frames are read in order and each request is answered before the
/// next is handled, so responses go out in request order (Kafka mutes a connection while a request is in
/// progress; pipelined requests wait in the socket). A connection whose client misbehaves is closed with one log
/// line; the others are not affected; one that stays silent for `connections.max.idle.ms` is closed (Kafka's
/// `Selector` idle expiry). Lifecycle: `bind` → `run()` until cancelled.
public final class KafkaListener: Sendable {
    public let name: String
    public let port: Int
    let channel: NIOAsyncChannel<NIOAsyncChannel<ByteBuffer, [ResponsePart]>, Never>
    let dispatcher: RequestDispatcher
    let logger: Logger

    public static func bind(
        name: String,
        host: String,
        port: Int,
        maxRequestSize: Int,
        maxIdleMs: Int64,
        dispatcher: RequestDispatcher,
        group: MultiThreadedEventLoopGroup,
        logger: Logger
    ) async throws -> KafkaListener {
        let channel = try await ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .bind(host: host.isEmpty ? "0.0.0.0" : host, port: port) { child in
                child.eventLoop.makeCompletedFuture {
                    // connections.max.idle.ms: no byte read or written for that long closes the connection.
                    try child.pipeline.syncOperations.addHandler(IdleStateHandler(allTimeout: .milliseconds(maxIdleMs)))
                    try child.pipeline.syncOperations.addHandler(IdleConnectionCloser())
                    try child.pipeline.syncOperations.addHandler(
                        ByteToMessageHandler(KafkaFrameDecoder(maxFrameSize: maxRequestSize))
                    )
                    try child.pipeline.syncOperations.addHandler(ResponsePartsWriter())
                    return try NIOAsyncChannel<ByteBuffer, [ResponsePart]>(wrappingChannelSynchronously: child)
                }
            }
        return KafkaListener(
            name: name,
            port: channel.channel.localAddress?.port ?? port,
            channel: channel,
            dispatcher: dispatcher,
            logger: logger
        )
    }

    private init(
        name: String,
        port: Int,
        channel: NIOAsyncChannel<NIOAsyncChannel<ByteBuffer, [ResponsePart]>, Never>,
        dispatcher: RequestDispatcher,
        logger: Logger
    ) {
        self.name = name
        self.port = port
        self.channel = channel
        self.dispatcher = dispatcher
        self.logger = logger
    }

    /// Accepts and serves connections until the task is cancelled.
    public func run() async throws {
        try await channel.serveEach { await self.serve($0) }
    }

    public func close() async {
        try? await channel.channel.close()
    }

    private func serve(_ connection: NIOAsyncChannel<ByteBuffer, [ResponsePart]>) async {
        let client = connection.channel.remoteAddress?.description ?? "unknown"
        let clientHost = "/" + (connection.channel.remoteAddress?.ipAddress ?? "")
        do {
            try await connection.executeThenClose { inbound, outbound in
                for try await frame in inbound {
                    switch await dispatcher.dispatch(
                        frame,
                        listenerName: name,
                        clientAddress: client,
                        clientHost: clientHost
                    ) {
                    case .response(let buffer):
                        try await outbound.write([.bytes(buffer)])
                    case .parts(let parts):
                        try await outbound.write(parts)
                    case .noResponse:
                        continue
                    case .closeConnection(let reason):
                        logger.warning("Closing connection: \(reason)", metadata: ["client": "\(client)"])
                        return
                    }
                }
            }
        } catch let error as KafkaFrameDecoder.FrameTooLarge {
            logger.warning("Closing connection: \(error)", metadata: ["client": "\(client)"])
        } catch {
            logger.debug("Connection ended: \(error)", metadata: ["client": "\(client)"])
        }
    }
}

/// Closes a connection when `IdleStateHandler` reports it idle in both directions. Lives on the connection's
/// event loop, in its pipeline only.
final class IdleConnectionCloser: ChannelInboundHandler, Sendable {
    typealias InboundIn = NIOAny

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let idle = event as? IdleStateHandler.IdleStateEvent, idle == .all {
            context.close(promise: nil)
        } else {
            context.fireUserInboundEventTriggered(event)
        }
    }
}
