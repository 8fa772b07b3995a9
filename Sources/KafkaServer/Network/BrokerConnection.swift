public import KafkaProtocol
import NIOCore
public import NIOPosix
import Synchronization

/// A client connection to another broker (or to this one), for the controller's requests. One task owns the
/// channel and sends queued requests one at a time, each answered before the next goes out.
///
/// Lifecycle: `connect` → `send`… → `close()`. When the connection fails, the request in flight and every queued
/// one fail, and later sends fail at once; the owner connects again.
public final class BrokerConnection: Sendable {
    private struct Job: Sendable {
        var frame: ByteBuffer
        var continuation: CheckedContinuation<ByteBuffer, any Error>
    }

    struct ConnectionClosed: Error, CustomStringConvertible {
        var description: String { "the connection to the broker closed" }
    }

    private let jobs: AsyncStream<Job>.Continuation
    private let correlationIDs = Atomic<Int32>(0)
    private let isClosed = Atomic<Bool>(false)
    let clientID: String

    public static func connect(
        host: String,
        port: Int,
        clientID: String,
        group: MultiThreadedEventLoopGroup
    ) async throws -> BrokerConnection {
        // The async wrapper is made only once the connection is up: one made in the channel initializer of a
        // connection that then fails is dropped unfinished, which NIO treats as a fatal error.
        let connected = try await ClientBootstrap(group: group)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .connectTimeout(.seconds(5))
            .connect(host: host, port: port)
            .get()
        let channel = try await connected.eventLoop.submit {
            try connected.pipeline.syncOperations.addHandler(
                ByteToMessageHandler(KafkaFrameDecoder(maxFrameSize: 100 << 20))
            )
            return try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: connected)
        }.get()
        let (stream, continuation) = AsyncStream.makeStream(of: Job.self)
        let connection = BrokerConnection(jobs: continuation, clientID: clientID)
        Task { await connection.run(channel, jobs: stream) }
        return connection
    }

    private init(jobs: AsyncStream<Job>.Continuation, clientID: String) {
        self.jobs = jobs
        self.clientID = clientID
    }

    private func run(_ channel: NIOAsyncChannel<ByteBuffer, ByteBuffer>, jobs: AsyncStream<Job>) async {
        var current: Job?
        do {
            try await channel.executeThenClose { inbound, outbound in
                var responses = inbound.makeAsyncIterator()
                for await job in jobs {
                    current = job
                    try await outbound.write(job.frame)
                    guard let response = try await responses.next() else { throw ConnectionClosed() }
                    current = nil
                    job.continuation.resume(returning: response)
                }
            }
        } catch {
            current?.continuation.resume(throwing: error)
        }
        isClosed.store(true, ordering: .relaxed)
        self.jobs.finish()
        for await job in jobs { job.continuation.resume(throwing: ConnectionClosed()) }
    }

    public var isOpen: Bool { !isClosed.load(ordering: .relaxed) }

    /// Sends `request` at `version` and returns its response.
    public func send<Request: KafkaRequest>(_ request: Request, version: Int16) async throws -> Request.Response {
        let correlationID = correlationIDs.add(1, ordering: .relaxed).newValue
        var frame = ByteBuffer()
        frame.writeInteger(Int32(0))
        RequestHeader(
            requestApiKey: Request.apiKey.rawValue,
            requestApiVersion: version,
            correlationID: correlationID,
            clientID: clientID
        ).write(to: &frame, version: Request.apiKey.requestHeaderVersion(for: version))
        request.write(to: &frame, version: version)
        frame.setInteger(Int32(frame.readableBytes - 4), at: 0)
        guard isOpen else { throw ConnectionClosed() }
        var response = try await withCheckedThrowingContinuation { continuation in
            if case .terminated = jobs.yield(Job(frame: frame, continuation: continuation)) {
                continuation.resume(throwing: ConnectionClosed())
            }
        }
        let header = try ResponseHeader(from: &response, version: Request.apiKey.responseHeaderVersion(for: version))
        guard header.correlationID == correlationID else { throw ConnectionClosed() }
        return try Request.Response(from: &response, version: version)
    }

    public func close() {
        jobs.finish()
    }
}
