public import NIOCore

/// A request as it arrives, after the 4-byte size prefix: the header, decoded, and the body, not yet decoded.
///
/// The header's version depends on the API and its version (`ApiKey.requestHeaderVersion`), which is why the
/// first two int16 fields are read before the rest. The body stays a slice of the frame until the handler for
/// the API decodes it at the request's version.
public struct RequestFrame: Sendable {
    public var apiKey: ApiKey
    public var header: RequestHeader
    public var body: ByteBuffer

    public var apiVersion: Int16 { header.requestApiVersion }
    public var correlationID: Int32 { header.correlationID }

    /// Splits a frame into header and body. Throws `unknownApiKey` for an API this broker does not know (the
    /// connection is then closed, as Kafka does); the version is not checked here.
    public init(frame: ByteBuffer) throws(ProtocolError) {
        var frame = frame
        guard let key = frame.getInteger(at: frame.readerIndex, as: Int16.self),
            let version = frame.getInteger(at: frame.readerIndex + 2, as: Int16.self)
        else { throw .truncated(field: "request header") }
        guard let apiKey = ApiKey(rawValue: key) else { throw .unknownApiKey(key) }
        self.apiKey = apiKey
        self.header = try RequestHeader(from: &frame, version: apiKey.requestHeaderVersion(for: version))
        self.body = frame
    }

    /// Decodes the body as `Request` at the frame's version, requiring the whole body to be consumed.
    public func decodeBody<Request: KafkaRequest>(as _: Request.Type = Request.self) throws(ProtocolError) -> Request {
        var body = body
        return try Request(from: &body, version: apiVersion)
    }
}

/// Writes responses as they go on the wire: size prefix, the response header of the right version, the body.
public enum ResponseFrame {
    public static func write<Response: KafkaResponse>(
        _ response: Response,
        version: Int16,
        correlationID: Int32,
        to buffer: inout ByteBuffer
    ) {
        let start = buffer.writerIndex
        buffer.writeKafkaInteger(Int32(0))  // size, set below
        ResponseHeader(correlationID: correlationID)
            .write(to: &buffer, version: Response.apiKey.responseHeaderVersion(for: version))
        response.write(to: &buffer, version: version)
        buffer.setInteger(Int32(buffer.writerIndex - start - 4), at: start)
    }

    /// The answer to an ApiVersions request of a version this broker does not serve (KIP-511, as Kafka answers
    /// it): UNSUPPORTED_VERSION in a v0-format body, listing at least ApiVersions' own range, so that every
    /// client can read it and retry with a version it finds there.
    public static func writeUnsupportedApiVersions(
        correlationID: Int32,
        supported: ClosedRange<Int16>,
        to buffer: inout ByteBuffer
    ) {
        let response = ApiVersionsResponse(
            errorCode: .unsupportedVersion,
            apiKeys: [
                ApiVersionsResponse.ApiVersion(
                    apiKey: ApiKey.apiVersions.rawValue,
                    minVersion: supported.lowerBound,
                    maxVersion: supported.upperBound
                )
            ]
        )
        write(response, version: 0, correlationID: correlationID, to: &buffer)
    }
}
