import NIOCore
import NIOHTTP1
import NIOPosix

/// One JSON request over HTTP/1.1 (Java's `RestClient.httpRequest`): a distributed worker sends the requests only
/// the leader may answer (creating, reconfiguring and deleting connectors, task configurations) or only a
/// connector's owner may answer (restarts) to that worker's URL, and relays its status and body unchanged;
/// `AvroConverter`'s `SchemaRegistryClient` asks a schema registry. One connection per request, closed after the
/// answer; `timeout` covers connecting and answering. Stateless: any task may call it.
enum RestClient {
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// Sends `method target` with a JSON `body` to `baseURL` (`http://host:port/`); returns the status and body.
    static func send(
        method: String,
        baseURL: String,
        target: String,
        body: [UInt8],
        headers: [(String, String)] = [],
        timeout: TimeAmount = .seconds(90)
    ) async throws -> (status: Int, body: [UInt8]) {
        guard let (host, port) = hostAndPort(baseURL) else { throw Failure(description: "bad worker URL \(baseURL)") }
        let group = MultiThreadedEventLoopGroup.singleton
        let promise = group.next().makePromise(of: (status: Int, body: [UInt8]).self)
        let channel: any Channel
        do {
            channel = try await ClientBootstrap(group: group)
                .connectTimeout(.seconds(5))
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHTTPClientHandlers()
                        try channel.pipeline.syncOperations.addHandler(Collector(promise: promise))
                    }
                }
                .connect(host: host, port: port)
                .get()
        } catch {
            // Nothing will answer: the promise is completed here (a promise left pending is a leak NIO traps on).
            promise.fail(error)
            throw error
        }
        let timer = channel.eventLoop.scheduleTask(in: timeout) {
            promise.fail(Failure(description: "no answer from \(baseURL) within \(timeout)"))
            channel.close(promise: nil)
        }
        defer { timer.cancel() }
        var head = HTTPRequestHead(version: .http1_1, method: HTTPMethod(rawValue: method), uri: target)
        head.headers.add(name: "Host", value: "\(host):\(port)")
        head.headers.add(name: "Content-Type", value: "application/json")
        head.headers.add(name: "Accept", value: "application/json")
        head.headers.add(name: "Content-Length", value: String(body.count))
        head.headers.add(name: "Connection", value: "close")
        for (name, value) in headers { head.headers.add(name: name, value: value) }
        channel.write(HTTPClientRequestPart.head(head), promise: nil)
        if !body.isEmpty {
            channel.write(HTTPClientRequestPart.body(.byteBuffer(ByteBuffer(bytes: body))), promise: nil)
        }
        try await channel.writeAndFlush(HTTPClientRequestPart.end(nil))
        return try await promise.futureResult.get()
    }

    /// The host and port of `http://host:port/`.
    static func hostAndPort(_ url: String) -> (String, Int)? {
        guard url.hasPrefix("http://") else { return nil }
        let authority = url.dropFirst("http://".count).split(separator: "/", maxSplits: 1).first ?? ""
        guard let colon = authority.lastIndex(of: ":"), let port = Int(authority[authority.index(after: colon)...])
        else { return authority.isEmpty ? nil : (String(authority), 80) }
        return (String(authority[..<colon]), port)
    }

    /// Collects one response; the first outcome (answer, error or closed connection) completes the promise.
    private final class Collector: ChannelInboundHandler {
        typealias InboundIn = HTTPClientResponsePart
        let promise: EventLoopPromise<(status: Int, body: [UInt8])>
        var status = 0
        var body: [UInt8] = []
        var done = false

        init(promise: EventLoopPromise<(status: Int, body: [UInt8])>) { self.promise = promise }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            switch unwrapInboundIn(data) {
            case .head(let head): status = Int(head.status.code)
            case .body(let buffer): body += buffer.readableBytesView
            case .end:
                finish(.success((status, body)))
                context.close(promise: nil)
            }
        }

        func errorCaught(context: ChannelHandlerContext, error: any Error) {
            finish(.failure(error))
            context.close(promise: nil)
        }

        func channelInactive(context: ChannelHandlerContext) {
            finish(.failure(Failure(description: "the worker closed the connection before answering")))
        }

        private func finish(_ result: Result<(status: Int, body: [UInt8]), any Error>) {
            guard !done else { return }
            done = true
            promise.completeWith(result)
        }
    }
}
