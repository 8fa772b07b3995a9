public import KafkaProtocol
import KafkaSecurity
public import NIOCore
import NIOPosix
import NIOSSL
import Synchronization

/// One TCP connection to a Kafka broker, speaking the request/response protocol: each `send` frames a request
/// with a fresh correlation id, writes it at once (requests are pipelined: several may be in flight), and resumes
/// when the response carrying that correlation id arrives. The broker answers a connection's requests in order;
/// matching by id also keeps concurrent senders apart. How many requests are in flight is the caller's choice
/// (the producer's `max.in.flight.requests.per.connection`, one fetch at a time for a fetcher).
///
/// With `ConnectionSecurity`, TLS is the pipeline's first handler and a SASL exchange (SaslHandshake v1,
/// SaslAuthenticate v1) completes before `connect` returns; the broker's refusal is `AuthenticationFailed`.
///
/// Lifecycle: `connect` → `send`… → `close()`. When the connection fails or closes, every request in flight fails
/// with `Closed`, and later sends fail at once: the owner (usually a `ConnectionPool`) connects again. A request
/// whose task is cancelled, or that outlives its `timeout`, fails alone; its late response is dropped.
public final class KafkaConnection: Sendable {
    /// The connection is closed (by either side, or after an I/O error).
    public struct Closed: Error, CustomStringConvertible {
        public var address: BrokerAddress
        public var description: String { "the connection to \(address) closed" }
    }

    /// No response within the request's timeout.
    public struct TimedOut: Error, CustomStringConvertible {
        public var address: BrokerAddress
        public var timeout: Duration
        public var description: String { "no answer from \(address) within \(timeout)" }
    }

    public let address: BrokerAddress
    public let clientID: String
    private let channel: any Channel
    private let correlationIDs = Atomic<Int32>(0)
    private let inFlight: InFlightRequests

    /// Connects to `address`. `maxResponseSize` bounds one response frame (a larger one closes the connection).
    public static func connect(
        to address: BrokerAddress,
        clientID: String,
        group: any EventLoopGroup,
        connectTimeout: Duration = .seconds(5),
        maxResponseSize: Int = 100 << 20,
        security: ConnectionSecurity = .plaintext
    ) async throws -> KafkaConnection {
        let inFlight = InFlightRequests(address: address)
        // The host name for SNI and the certificate check; an IP address is checked against the peer's address.
        let isIP = (try? SocketAddress(ipAddress: address.host, port: 0)) != nil
        let serverHostname = isIP || !security.verifiesHostname ? nil : address.host
        let channel = try await ClientBootstrap(group: group)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .connectTimeout(TimeAmount(connectTimeout))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    if let tls = security.tls {
                        try channel.pipeline.syncOperations.addHandler(
                            try NIOSSLClientHandler(context: tls, serverHostname: serverHostname)
                        )
                    }
                    try channel.pipeline.syncOperations.addHandlers(
                        KafkaFrameReader(maxFrameSize: maxResponseSize),
                        ResponseRouter(inFlight: inFlight)
                    )
                }
            }
            .connect(host: address.host, port: address.port)
            .get()
        let connection = KafkaConnection(address: address, clientID: clientID, channel: channel, inFlight: inFlight)
        if let sasl = security.sasl {
            do {
                try await connection.authenticate(sasl, timeout: connectTimeout)
            } catch {
                connection.close()
                throw error
            }
        }
        return connection
    }

    /// The broker refused the SASL exchange (or offered no such mechanism); the message is the broker's.
    public struct AuthenticationFailed: Error, CustomStringConvertible {
        public var address: BrokerAddress
        public var message: String
        public var description: String { "authentication with \(address) failed: \(message)" }
    }

    /// SaslHandshake v1, then SaslAuthenticate v1 until the mechanism has checked the broker's final token.
    private func authenticate(_ credentials: SaslCredentials, timeout: Duration) async throws {
        guard var client = credentials.client() else {
            throw AuthenticationFailed(
                address: address,
                message: "SASL mechanism \(credentials.mechanism) is not available"
            )
        }
        let handshake = try await send(
            SaslHandshakeRequest(mechanism: credentials.mechanism),
            version: 1,
            timeout: timeout
        )
        guard handshake.errorCode == .none else {
            throw AuthenticationFailed(
                address: address,
                message: "\(handshake.errorCode) (the broker offers \(handshake.mechanisms.joined(separator: ", ")))"
            )
        }
        var token = client.initialResponse()
        while true {
            let answer = try await send(SaslAuthenticateRequest(authBytes: token), version: 1, timeout: timeout)
            guard answer.errorCode == .none else {
                throw AuthenticationFailed(address: address, message: answer.errorMessage ?? "\(answer.errorCode)")
            }
            do {
                guard let next = try client.evaluate(answer.authBytes) else { return }
                token = next
            } catch {
                throw AuthenticationFailed(address: address, message: error.message)
            }
        }
    }

    private init(address: BrokerAddress, clientID: String, channel: any Channel, inFlight: InFlightRequests) {
        self.address = address
        self.clientID = clientID
        self.channel = channel
        self.inFlight = inFlight
    }

    public var isOpen: Bool { inFlight.isOpen }

    /// Sends `request` at `version` and returns its response; fails after `timeout` when one is given.
    public func send<Request: KafkaRequest>(
        _ request: Request,
        version: Int16,
        timeout: Duration? = nil
    ) async throws -> Request.Response {
        let correlationID = correlationIDs.add(1, ordering: .relaxed).newValue
        let frame = frame(request, version: version, correlationID: correlationID)
        var response = try await exchange(frame, correlationID: correlationID, timeout: timeout)
        let header = try ResponseHeader(from: &response, version: Request.apiKey.responseHeaderVersion(for: version))
        precondition(header.correlationID == correlationID, "responses are routed by correlation id")
        return try Request.Response(from: &response, version: version)
    }

    /// Sends a request the broker does not answer (Produce with acks=0); returns once it is written.
    public func sendWithoutResponse<Request: KafkaRequest>(_ request: Request, version: Int16) async throws {
        guard isOpen else { throw Closed(address: address) }
        let correlationID = correlationIDs.add(1, ordering: .relaxed).newValue
        try await channel.writeAndFlush(frame(request, version: version, correlationID: correlationID))
    }

    private func frame<Request: KafkaRequest>(_ request: Request, version: Int16, correlationID: Int32) -> ByteBuffer {
        var frame = channel.allocator.buffer(capacity: 256)
        frame.writeInteger(Int32(0))
        RequestHeader(
            requestApiKey: Request.apiKey.rawValue,
            requestApiVersion: version,
            correlationID: correlationID,
            clientID: clientID
        ).write(to: &frame, version: Request.apiKey.requestHeaderVersion(for: version))
        request.write(to: &frame, version: version)
        frame.setInteger(Int32(frame.readableBytes - 4), at: 0)
        return frame
    }

    /// Writes `frame` and waits for the response frame with `correlationID`.
    private func exchange(_ frame: ByteBuffer, correlationID: Int32, timeout: Duration?) async throws -> ByteBuffer {
        let (inFlight, channel, address) = (self.inFlight, self.channel, self.address)
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                Self.write(frame, correlationID, timeout, channel, inFlight, address) { continuation.resume(with: $0) }
            }
        } onCancel: {
            inFlight.fail(correlationID, with: CancellationError())
        }
    }

    /// Registers the waiter of `correlationID` (with its timeout) and writes `frame`.
    private static func write(
        _ frame: ByteBuffer,
        _ correlationID: Int32,
        _ timeout: Duration?,
        _ channel: any Channel,
        _ inFlight: InFlightRequests,
        _ address: BrokerAddress,
        complete: @escaping InFlightRequests.Completion
    ) {
        guard inFlight.add(correlationID, complete) else { return }
        if let timeout {
            let timer = channel.eventLoop.scheduleTask(in: TimeAmount(timeout)) {
                inFlight.fail(correlationID, with: TimedOut(address: address, timeout: timeout))
            }
            inFlight.setTimer(timer, for: correlationID)
        }
        channel.writeAndFlush(frame).whenFailure { error in
            inFlight.fail(correlationID, with: error)
            channel.close(promise: nil)
        }
    }

    /// Writes `request` before returning, so requests written one after another by one task reach the broker in
    /// that order (the producer's batches of a partition must); the response is awaited from the returned future.
    public func write<Request: KafkaRequest>(
        _ request: Request,
        version: Int16,
        timeout: Duration?
    ) -> EventLoopFuture<Request.Response> {
        let correlationID = correlationIDs.add(1, ordering: .relaxed).newValue
        let frame = frame(request, version: version, correlationID: correlationID)
        let promise = channel.eventLoop.makePromise(of: ByteBuffer.self)
        Self.write(frame, correlationID, timeout, channel, inFlight, address) { promise.completeWith($0) }
        return promise.futureResult.flatMapThrowing { response in
            var response = response
            let header = try ResponseHeader(
                from: &response,
                version: Request.apiKey.responseHeaderVersion(for: version)
            )
            precondition(header.correlationID == correlationID, "responses are routed by correlation id")
            return try Request.Response(from: &response, version: version)
        }
    }

    /// Writes a request the broker does not answer (Produce with acks=0) before returning, in call order.
    public func writeWithoutResponse<Request: KafkaRequest>(_ request: Request, version: Int16) -> EventLoopFuture<Void>
    {
        guard isOpen else { return channel.eventLoop.makeFailedFuture(Closed(address: address)) }
        let correlationID = correlationIDs.add(1, ordering: .relaxed).newValue
        return channel.writeAndFlush(frame(request, version: version, correlationID: correlationID))
    }

    /// Closes the connection; requests in flight fail with `Closed`.
    public func close() {
        channel.close(promise: nil)
    }
}

extension TimeAmount {
    init(_ duration: Duration) {
        let (seconds, attoseconds) = duration.components
        self = .nanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }
}

/// The requests of one connection that await their responses, by correlation id; once the connection is closed it
/// takes no more. Senders (any task) add, the connection's event loop resolves; a lock guards the map.
final class InFlightRequests: Sendable {
    typealias Completion = @Sendable (Result<ByteBuffer, any Error>) -> Void

    private struct Waiting {
        var complete: Completion
        /// The request's timeout, cancelled when it ends another way.
        var timer: Scheduled<Void>?

        func resume(with result: Result<ByteBuffer, any Error>) {
            timer?.cancel()
            complete(result)
        }
    }

    private struct State {
        var waiting: [Int32: Waiting] = [:]
        var isOpen = true
    }

    let address: BrokerAddress
    private let state = Mutex(State())

    init(address: BrokerAddress) {
        self.address = address
    }

    var isOpen: Bool { state.withLock(\.isOpen) }

    /// Registers a waiting request; when the connection is already closed, fails it and returns false.
    func add(_ correlationID: Int32, _ complete: @escaping Completion) -> Bool {
        let added = state.withLock { state in
            guard state.isOpen else { return false }
            state.waiting[correlationID] = Waiting(complete: complete)
            return true
        }
        if !added { complete(.failure(KafkaConnection.Closed(address: address))) }
        return added
    }

    /// Attaches `timer` to a waiting request; cancels it when the request has already ended.
    func setTimer(_ timer: Scheduled<Void>, for correlationID: Int32) {
        let attached = state.withLock { state in
            guard state.waiting[correlationID] != nil else { return false }
            state.waiting[correlationID]?.timer = timer
            return true
        }
        if !attached { timer.cancel() }
    }

    /// Hands a response frame (positioned at its correlation id) to its request; a response nobody awaits (its
    /// request timed out or was cancelled) is dropped.
    func complete(_ frame: ByteBuffer) {
        guard let correlationID = frame.getInteger(at: frame.readerIndex, as: Int32.self) else { return }
        state.withLock { $0.waiting.removeValue(forKey: correlationID) }?.resume(with: .success(frame))
    }

    func fail(_ correlationID: Int32, with error: any Error) {
        state.withLock { $0.waiting.removeValue(forKey: correlationID) }?.resume(with: .failure(error))
    }

    /// The connection is gone: every waiting request fails, and later ones are refused.
    func closeAll() {
        let waiting = state.withLock { state in
            state.isOpen = false
            defer { state.waiting = [:] }
            return state.waiting.values
        }
        for request in waiting { request.resume(with: .failure(KafkaConnection.Closed(address: address))) }
    }
}

/// The last handler of a client connection's pipeline: response frames go to their waiting requests; an error or
/// the end of the connection fails them all. Runs on the channel's event loop only.
final class ResponseRouter: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer

    let inFlight: InFlightRequests

    init(inFlight: InFlightRequests) {
        self.inFlight = inFlight
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        inFlight.complete(unwrapInboundIn(data))
    }

    func channelInactive(context: ChannelHandlerContext) {
        inFlight.closeAll()
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        inFlight.closeAll()
        context.close(promise: nil)
    }
}
