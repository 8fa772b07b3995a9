import KafkaCore
public import KafkaProtocol
public import NIOCore

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
    /// Where handlers count the error codes of their responses (Kafka's ErrorsPerSec).
    public var metrics: BrokerMetrics
    public var apiVersion: Int16 { header.requestApiVersion }
}

/// One API's handler: its advertised version range and the work. Handlers decode their body at the request's
/// version and answer with the response type that belongs to it.
public protocol RequestHandler: Sendable {
    var apiKey: ApiKey { get }
    /// The versions advertised in ApiVersions (reference/protocol.md §4).
    var versions: ClosedRange<Int16> { get }
    /// The lowest version actually served; lower advertised versions are refused with UNSUPPORTED_VERSION.
    var minimumServedVersion: Int16 { get }
    func handle(_ request: RequestFrame, context: RequestContext) async -> RequestOutcome
}

extension RequestHandler {
    public var minimumServedVersion: Int16 { versions.lowerBound }
}

/// A handler for one request type, written as a function from request to response.
public struct TypedHandler<Request: KafkaRequest>: RequestHandler {
    public let versions: ClosedRange<Int16>
    public let minimumServedVersion: Int16
    let body: @Sendable (Request, RequestContext) async -> Request.Response?

    public init(
        _: Request.Type = Request.self,
        versions: ClosedRange<Int16>,
        minimumServedVersion: Int16? = nil,
        _ body: @escaping @Sendable (Request, RequestContext) async -> Request.Response?
    ) {
        self.versions = versions
        self.minimumServedVersion = minimumServedVersion ?? versions.lowerBound
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
        guard let response = await body(decoded, context) else { return .noResponse }
        var errors = BrokerMetrics.ErrorCounts()
        response.forEachErrorCode { errors.add($0) }
        context.metrics.recordErrors(Request.apiKey.name, errors)
        var buffer = ByteBuffer()
        ResponseFrame.write(response, version: request.apiVersion, correlationID: request.correlationID, to: &buffer)
        return .response(buffer)
    }
}
