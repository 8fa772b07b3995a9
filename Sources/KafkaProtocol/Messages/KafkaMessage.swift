public import KafkaCore
public import NIOCore

/// A message of the Kafka protocol with a version-aware codec: a request or response body, a header, or a
/// record of the `__consumer_offsets` topic. The generated types conform; decoding never trusts a length.
public protocol KafkaMessage: Sendable, Equatable {
    /// The versions the schema defines.
    static var validVersions: ClosedRange<Int16> { get }
    /// The first version that uses compact encodings and tagged fields (KIP-482), or nil.
    static var firstFlexibleVersion: Int16? { get }

    /// A message with every field at its default.
    init()
    /// Reads the message at `version`; the caller has checked that the version is valid.
    init(from buffer: inout ByteBuffer, version: Int16) throws(ProtocolError)
    /// Writes the message at `version`. Fields the version does not have are left out.
    func write(to buffer: inout ByteBuffer, version: Int16)
}

/// A request body, tied to its API and its response type.
public protocol KafkaRequest: KafkaMessage {
    associatedtype Response: KafkaResponse
    static var apiKey: ApiKey { get }
}

/// A response body.
public protocol KafkaResponse: KafkaMessage {
    static var apiKey: ApiKey { get }
    /// Calls `body` with every error code in the response (generated for responses that have any).
    func forEachErrorCode(_ body: (KafkaErrorCode) -> Void)
}

extension KafkaResponse {
    public func forEachErrorCode(_ body: (KafkaErrorCode) -> Void) {}
}

/// A response with a `throttle_time_ms` field (generated for every response whose schema has one): where a broker
/// tells the client how long a quota holds it back. Versions without the field simply do not write it.
public protocol ThrottledResponse: KafkaResponse {
    var throttleTimeMs: Int32 { get set }
}

extension KafkaMessage {
    /// Whether `version` uses the flexible encoding.
    public static func isFlexible(_ version: Int16) -> Bool {
        guard let first = firstFlexibleVersion else { return false }
        return version >= first
    }
}
