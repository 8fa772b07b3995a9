import KafkaCore
public import KafkaProtocol
public import KafkaSecurity
public import NIOCore
import Synchronization

/// What the broker does with a request: answer it, answer nothing (Produce with acks=0), or close the connection.
public enum RequestOutcome: Sendable {
    case response(ByteBuffer)
    /// A response written as parts (bytes and file regions), already framed.
    case parts([ResponsePart])
    case noResponse
    case closeConnection(reason: String)
}

/// Who sent a request and on which listener.
public struct RequestContext: Sendable {
    public var listenerName: String
    public var clientAddress: String
    /// The client's IP address as Kafka reports it in group descriptions (`InetAddress.toString()`: "/127.0.0.1").
    public var clientHost: String
    public var header: RequestHeader
    /// Who sent it: `User:ANONYMOUS` on a PLAINTEXT listener, else as its listener authenticated the connection.
    public var principal: KafkaPrincipal
    /// Where handlers count the error codes of their responses (Kafka's ErrorsPerSec).
    public var metrics: BrokerMetrics
    /// The connection's KIP-219 mute: a quota-violating handler sets the throttle time it answered with.
    public var throttle: ResponseThrottle = ResponseThrottle()
    /// The request's `request_percentage` charge, when a quota applies: the handler that builds the response
    /// reads it once (`requestThrottleMs()`).
    var requestQuota: RequestQuotaMeter? = nil
    /// Set by the listener for a request that may overlap the connection's next ones (`RequestRelease`).
    var release: RequestRelease? = nil
    public var apiVersion: Int16 { header.requestApiVersion }

    /// Lets the connection read its next request while this one waits (its response still goes out first). Only
    /// for work that no longer depends on order; a request charged to a request quota keeps the connection (KIP-219's
    /// mute follows its response).
    func releaseConnection() {
        guard requestQuota == nil else { return }
        release?.open()
    }

    /// Charges the request's work to its request quota; the throttle time it earns (0 without a quota), which
    /// also mutes the connection after the response.
    func requestThrottleMs() -> Int64 {
        guard let requestQuota else { return 0 }
        let milliseconds = requestQuota.recordAndGetThrottleMs()
        throttle.set(milliseconds)
        return milliseconds
    }
}

/// One API's handler: the work. Handlers decode their body at the request's version (which `ApiTable`'s range for
/// the API has admitted) and answer with the response type that belongs to it.
public protocol RequestHandler: Sendable {
    var apiKey: ApiKey { get }
    func handle(_ request: RequestFrame, context: RequestContext) async -> RequestOutcome
}

/// A handler for one request type, written as a function from request to response.
public struct TypedHandler<Request: KafkaRequest>: RequestHandler {
    let body: @Sendable (Request, RequestContext) async -> Request.Response?

    public init(
        _: Request.Type = Request.self,
        _ body: @escaping @Sendable (Request, RequestContext) async -> Request.Response?
    ) {
        self.body = body
    }

    public var apiKey: ApiKey { Request.apiKey }

    public func handle(_ request: RequestFrame, context: RequestContext) async -> RequestOutcome {
        let decoded: Request
        do {
            decoded = try request.decodeBody(as: Request.self)
        } catch {
            return .closeConnection(reason: "cannot decode \(Request.apiKey.name) v\(request.apiVersion): \(error)")
        }
        guard var response = await body(decoded, context) else { return .noResponse }
        let requestThrottle = context.requestThrottleMs()
        if requestThrottle > 0, var throttled = response as? any ThrottledResponse {
            throttled.throttleTimeMs = max(throttled.throttleTimeMs, Int32(clamping: requestThrottle))
            response = throttled as! Request.Response  // the same value, its throttle time raised
        }
        var errors = BrokerMetrics.ErrorCounts()
        response.forEachErrorCode { errors.add($0) }
        context.metrics.recordErrors(Request.apiKey.name, errors)
        var buffer = ByteBuffer()
        ResponseFrame.write(response, version: request.apiVersion, correlationID: request.correlationID, to: &buffer)
        return .response(buffer)
    }
}

/// KIP-219's mute for one connection: the throttle time a handler gave its response (a quota violation), which the
/// listener waits out after writing that response and before reading the connection's next request — the client
/// is answered at once and told to back off, and a client that does not is held back anyway. Made by the listener
/// per connection; only that connection's requests, one at a time, touch it.
public final class ResponseThrottle: Sendable {
    private let milliseconds = Atomic<Int64>(0)

    public init() {}

    /// Mutes for `value` ms after the response, or longer if a mute is already pending (a request that exceeds
    /// two quotas is held back by the larger throttle).
    func set(_ value: Int64) {
        if value > 0 { milliseconds.max(value, ordering: .relaxed) }
    }

    /// The pending mute, cleared.
    public func take() -> Int64 { milliseconds.exchange(0, ordering: .relaxed) }
}
