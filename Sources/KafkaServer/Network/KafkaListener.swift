import Dispatch
import KafkaProtocol
import KafkaSecurity
public import Logging
import NIOCore
public import NIOPosix
import NIOSSL

/// A listener socket (one of `listeners`) and the connections it accepts.
///
/// Each connection is served by its own task on its socket's event loop: frames are read in order and responses go
/// out in request order. A request is answered before the next is handled (Kafka mutes a connection while a request
/// is in progress; pipelined requests wait in the socket), except that an acks=all Produce lets the next requests in
/// once its batches are appended (`RequestRelease`, `ResponseQueue`). A connection whose client misbehaves is closed
/// with one log line; the others are not affected; one that stays silent for `connections.max.idle.ms` is closed
/// (Kafka's `Selector` idle expiry). Lifecycle: `bind` → `run()` until cancelled.
///
/// Security (`ListenerSecurity`): on SSL and SASL_SSL listeners TLS is the pipeline's first handler; on SASL ones
/// each connection's frames go through its `SaslServerAuthenticator` until it is authenticated (and again for a
/// re-authentication); a failed authentication is answered, logged in one line without secrets, counted, and the
/// connection closed after `connection.failed.authentication.delay.ms`. Each request is dispatched with the
/// connection's principal.
public final class KafkaListener: Sendable {
    public let name: String
    public let port: Int
    let channel: NIOAsyncChannel<AcceptedConnection<ByteBuffer, [ResponsePart]>, Never>
    let security: ListenerSecurity
    let dispatcher: RequestDispatcher
    let logger: Logger

    static func bind(
        name: String,
        host: String,
        port: Int,
        maxRequestSize: Int,
        maxIdleMs: Int64,
        security: ListenerSecurity = .plaintext,
        dispatcher: RequestDispatcher,
        group: MultiThreadedEventLoopGroup,
        logger: Logger
    ) async throws -> KafkaListener {
        let channel: NIOAsyncChannel<AcceptedConnection<ByteBuffer, [ResponsePart]>, Never> =
            try await ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .bindAccepting(host: host, port: port) { child in
                if let tls = security.tls {
                    try child.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: tls))
                }
                // connections.max.idle.ms: no byte read or written for that long closes the connection.
                try child.pipeline.syncOperations.addHandler(IdleStateHandler(allTimeout: .milliseconds(maxIdleMs)))
                try child.pipeline.syncOperations.addHandler(IdleConnectionCloser())
                try child.pipeline.syncOperations.addHandler(KafkaFrameReader(maxFrameSize: maxRequestSize))
                // TLS encrypts in user space: file regions are read into memory there, not sent with sendfile.
                try child.pipeline.syncOperations.addHandler(ResponsePartsWriter(readsFileRegions: security.tls != nil))
            }
        return KafkaListener(
            name: name,
            port: channel.channel.localAddress?.port ?? port,
            channel: channel,
            security: security,
            dispatcher: dispatcher,
            logger: logger
        )
    }

    private init(
        name: String,
        port: Int,
        channel: NIOAsyncChannel<AcceptedConnection<ByteBuffer, [ResponsePart]>, Never>,
        security: ListenerSecurity,
        dispatcher: RequestDispatcher,
        logger: Logger
    ) {
        self.name = name
        self.port = port
        self.channel = channel
        self.security = security
        self.dispatcher = dispatcher
        self.logger = logger
    }

    /// Accepts and serves connections until the task is cancelled.
    public func run() async throws {
        try await channel.serveEach { connection in
            await withTaskExecutorPreference(EventLoopTaskExecutor(connection.channel.eventLoop)) {
                await self.serve(connection)
            }
        }
    }

    public func close() async {
        try? await channel.channel.close()
    }

    private func serve(_ connection: NIOAsyncChannel<ByteBuffer, [ResponsePart]>) async {
        let client = connection.channel.remoteAddress?.description ?? "unknown"
        do {
            try await connection.executeThenClose { inbound, outbound in
                try await withThrowingDiscardingTaskGroup { group in
                    var responses = ResponseQueue(
                        outbound: outbound,
                        channel: connection.channel,
                        client: client,
                        logger: logger
                    )
                    defer { responses.finish() }
                    try await read(inbound, of: connection.channel, answeringTo: &responses, in: &group)
                }
            }
        } catch let error as KafkaFrameReader.FrameTooLarge {
            logger.warning("Closing connection: \(error)", metadata: ["client": "\(client)"])
        } catch {
            logger.debug("Connection ended: \(error)", metadata: ["client": "\(client)"])
        }
    }

    /// Reads and handles the connection's requests in order. A Produce with acks=all runs in a task of its own and
    /// lets the next request be read once its batches are appended (`RequestRelease`); any other request is done
    /// before the next is read. Every answer, authentication's too, goes out through `responses`, in order.
    private func read(
        _ inbound: NIOAsyncChannelInboundStream<ByteBuffer>,
        of channel: any Channel,
        answeringTo responses: inout ResponseQueue,
        in group: inout ThrowingDiscardingTaskGroup<any Error>
    ) async throws {
        let client = channel.remoteAddress?.description ?? "unknown"
        let clientHost = "/" + (channel.remoteAddress?.ipAddress ?? "")
        var authenticator = security.sasl.map(SaslServerAuthenticator.init)
        var principal: KafkaPrincipal? = security.securityProtocol == .ssl ? nil : .anonymous
        let throttle = ResponseThrottle()
        for try await frame in inbound {
            if principal == nil {
                // The first frame came through TLS, so the handshake is done: the certificate is known.
                principal = security.principal(forCertificate: try await peerCertificate(channel))
                guard principal != nil else {
                    dispatcher.metrics.recordAuthentication(listener: name, succeeded: false)
                    logger.info(
                        "Failed authentication: no ssl.principal.mapping.rules rule applies to the client certificate",
                        metadata: ["client": "\(client)", "listener": "\(name)"]
                    )
                    return
                }
            }
            if var sasl = authenticator {
                let wasComplete = sasl.isComplete
                let reauthentications = sasl.reauthentications
                let action = sasl.receive(frame, now: Self.monotonicMilliseconds())
                authenticator = sasl
                switch action {
                case .dispatch:
                    break
                case .respond(let response):
                    if sasl.isComplete, !wasComplete || sasl.principal != principal {
                        principal = sasl.principal
                        dispatcher.metrics.recordAuthentication(listener: name, succeeded: true)
                    }
                    if sasl.reauthentications > reauthentications {
                        dispatcher.metrics.recordAuthentication(listener: name, succeeded: true, reauthentication: true)
                    }
                    _ = try await responses.answer(.response(response))
                    continue
                case .fail(let response, let reason):
                    dispatcher.metrics.recordAuthentication(listener: name, succeeded: false)
                    logger.info(
                        "Failed authentication: \(reason)",
                        metadata: ["client": "\(client)", "listener": "\(name)"]
                    )
                    if let response { _ = try await responses.answer(.response(response)) }
                    try await Task.sleep(for: .milliseconds(sasl.settings.failedAuthenticationDelayMs))
                    return
                case .close(let reason):
                    logger.info("Closing connection: \(reason)", metadata: ["client": "\(client)"])
                    return
                }
            }
            let requestPrincipal = principal ?? .anonymous
            if ProduceAcks.peek(frame) == -1 {
                let release = RequestRelease()
                let outcome = channel.eventLoop.makePromise(of: RequestOutcome.self)
                await responses.enqueue(outcome.futureResult, bytes: frame.readableBytes, in: &group)
                group.addTask {
                    let result = await self.dispatcher.dispatch(
                        frame,
                        listenerName: self.name,
                        clientAddress: client,
                        clientHost: clientHost,
                        principal: requestPrincipal,
                        throttle: throttle,
                        release: release
                    )
                    outcome.succeed(result)
                    if case .closeConnection = result { release.open(closing: true) } else { release.open() }
                }
                if await release.wait() == .closing { return }
            } else {
                let outcome = await dispatcher.dispatch(
                    frame,
                    listenerName: name,
                    clientAddress: client,
                    clientHost: clientHost,
                    principal: requestPrincipal,
                    throttle: throttle
                )
                guard try await responses.answer(outcome) else { return }
            }
            // KIP-219: a throttled response is sent at once, then the connection is muted that long.
            let mute = throttle.take()
            if mute > 0 { try await Task.sleep(for: .milliseconds(mute)) }
        }
    }
}

extension KafkaListener {
    /// The TLS peer's certificate (DER), on the connection's event loop; nil without TLS or without a certificate.
    fileprivate func peerCertificate(_ channel: any Channel) async throws -> [UInt8]? {
        try await channel.eventLoop.submit {
            let handler = try channel.pipeline.syncOperations.handler(type: NIOSSLServerHandler.self)
            return try handler.peerCertificate?.toDERBytes()
        }.get()
    }

    fileprivate static func monotonicMilliseconds() -> Int64 {
        return Int64(DispatchTime.now().uptimeNanoseconds / 1_000_000)
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
