import NIOCore
import NIOPosix
import Synchronization

/// A TCP proxy on 127.0.0.1 that a test puts between a client and a server to break the path between them
/// without touching either process.
///
/// `blackhole()` makes the path silent: bytes in both directions are read and dropped, connections stay open
/// and new ones are accepted, exactly as a network partition looks to both ends (no reset, just silence);
/// `heal()` lets bytes through again on every connection. `severConnections()` closes every open connection
/// (resets both ends). Lifecycle: `start` → … → `stop()`. Any task may call any method.
public final class FaultProxy: Sendable {
    public let port: Int
    public let targetPort: Int
    private let group: MultiThreadedEventLoopGroup
    private let listener: any Channel
    private let state: ProxyState

    /// Starts a proxy that forwards every connection to `127.0.0.1:targetPort`.
    public static func start(targetPort: Int) async throws -> FaultProxy {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let state = ProxyState()
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.autoRead, value: false)
            .childChannelInitializer { inbound in
                ClientBootstrap(group: inbound.eventLoop)
                    .connect(host: "127.0.0.1", port: targetPort)
                    .flatMap { outbound in
                        state.track(inbound)
                        state.track(outbound)
                        return inbound.eventLoop.makeCompletedFuture {
                            try inbound.pipeline.syncOperations.addHandler(
                                RelayHandler(partner: outbound, state: state)
                            )
                            try outbound.pipeline.syncOperations.addHandler(
                                RelayHandler(partner: inbound, state: state)
                            )
                        }.flatMap {
                            inbound.setOption(.autoRead, value: true)
                        }
                    }
                    .flatMapError { error in
                        inbound.close().flatMapThrowing { throw error }
                    }
            }
        let listener = try await bootstrap.bind(host: "127.0.0.1", port: 0).get()
        return FaultProxy(group: group, listener: listener, state: state, targetPort: targetPort)
    }

    private init(group: MultiThreadedEventLoopGroup, listener: any Channel, state: ProxyState, targetPort: Int) {
        self.group = group
        self.listener = listener
        self.state = state
        self.targetPort = targetPort
        self.port = listener.localAddress?.port ?? 0
    }

    /// Drops every byte in both directions from now on, on open and new connections alike.
    public func blackhole() { state.isBlackholed = true }

    /// Forwards bytes again.
    public func heal() { state.isBlackholed = false }

    /// Closes every connection open now.
    public func severConnections() {
        for channel in state.openChannels() { channel.close(promise: nil) }
    }

    public func stop() async {
        severConnections()
        try? await listener.close()
        try? await group.shutdownGracefully()
    }
}

/// The proxy's shared switches and its open connections. Any thread may use it.
final class ProxyState: Sendable {
    private let blackholed = Atomic<Bool>(false)
    private let channels = Mutex<[ObjectIdentifier: any Channel]>([:])

    var isBlackholed: Bool {
        get { blackholed.load(ordering: .relaxed) }
        set { blackholed.store(newValue, ordering: .relaxed) }
    }

    func track(_ channel: any Channel) {
        let id = ObjectIdentifier(channel)
        channels.withLock { $0[id] = channel }
        channel.closeFuture.whenComplete { _ in
            _ = self.channels.withLock { $0.removeValue(forKey: id) }
        }
    }

    func openChannels() -> [any Channel] { channels.withLock { Array($0.values) } }
}

/// Copies what one side of a proxied connection reads to the other side, unless the proxy is blackholed;
/// closes the other side when this one closes. Lives on the connection's event loop.
final class RelayHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer

    private let partner: any Channel
    private let state: ProxyState

    init(partner: any Channel, state: ProxyState) {
        self.partner = partner
        self.state = state
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !state.isBlackholed else { return }
        partner.writeAndFlush(unwrapInboundIn(data), promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        partner.close(promise: nil)
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}
