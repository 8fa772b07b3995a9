public import Logging
import NIOCore
import NIOHTTP1
public import NIOPosix

/// The HTTP endpoint Prometheus scrapes (`metrics.port`, on `metrics.host`): `GET /metrics` answers the exposition
/// text (`text/plain; version=0.0.4`), `GET /health` answers `ok`, anything else 404 (405 for other methods).
///
/// Lifecycle: `bind` → `run()` until cancelled → `close()`. Each connection is served by its own task, one
/// request at a time (keep-alive honoured); `render` is called once per scrape.
public final class MetricsHTTPServer: Sendable {
    public let port: Int
    let channel: NIOAsyncChannel<AcceptedConnection<HTTPServerRequestPart, HTTPServerResponsePart>, Never>
    let render: @Sendable () async -> [UInt8]
    let logger: Logger

    public static func bind(
        host: String,
        port: Int,
        group: MultiThreadedEventLoopGroup,
        logger: Logger,
        render: @escaping @Sendable () async -> [UInt8]
    ) async throws -> MetricsHTTPServer {
        let channel: NIOAsyncChannel<AcceptedConnection<HTTPServerRequestPart, HTTPServerResponsePart>, Never> =
            try await ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 64)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .bindAccepting(host: host, port: port) { child in
                try child.pipeline.syncOperations.configureHTTPServerPipeline()
            }
        return MetricsHTTPServer(
            port: channel.channel.localAddress?.port ?? port,
            channel: channel,
            render: render,
            logger: logger
        )
    }

    private init(
        port: Int,
        channel: NIOAsyncChannel<AcceptedConnection<HTTPServerRequestPart, HTTPServerResponsePart>, Never>,
        render: @escaping @Sendable () async -> [UInt8],
        logger: Logger
    ) {
        self.port = port
        self.channel = channel
        self.render = render
        self.logger = logger
    }

    /// Accepts and serves connections until the task is cancelled.
    public func run() async throws {
        try await channel.serveEach { await self.serve($0) }
    }

    public func close() async {
        try? await channel.channel.close()
    }

    private func serve(_ connection: NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>) async {
        do {
            try await connection.executeThenClose { inbound, outbound in
                var head: HTTPRequestHead?
                for try await part in inbound {
                    switch part {
                    case .head(let request):
                        head = request
                    case .body:
                        continue
                    case .end:
                        guard let request = head else { continue }
                        let (status, contentType, body) = await respond(to: request)
                        var headers = HTTPHeaders()
                        headers.add(name: "Content-Type", value: contentType)
                        headers.add(name: "Content-Length", value: "\(body.count)")
                        if !request.isKeepAlive { headers.add(name: "Connection", value: "close") }
                        try await outbound.write(
                            .head(HTTPResponseHead(version: request.version, status: status, headers: headers))
                        )
                        try await outbound.write(.body(.byteBuffer(ByteBuffer(bytes: body))))
                        try await outbound.write(.end(nil))
                        if !request.isKeepAlive { return }
                    }
                }
            }
        } catch {
            logger.debug("Metrics connection ended: \(error)")
        }
    }

    private func respond(to request: HTTPRequestHead) async -> (HTTPResponseStatus, String, [UInt8]) {
        guard request.method == .GET else {
            return (.methodNotAllowed, "text/plain", Array("only GET\n".utf8))
        }
        switch request.uri.split(separator: "?").first.map(String.init) ?? "" {
        case "/metrics":
            return (.ok, "text/plain; version=0.0.4; charset=utf-8", await render())
        case "/health":
            return (.ok, "text/plain", Array("ok\n".utf8))
        default:
            return (.notFound, "text/plain", Array("not found; try /metrics\n".utf8))
        }
    }
}
