/// Why bytes could not be read as a Kafka message. Decoding never trusts a length: every length and count is
/// checked against the bytes actually left before anything is allocated, so a lying length is this error, not a
/// crash or a gigabyte allocation.
public enum ProtocolError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The input ended before the field did.
    case truncated(field: String)
    /// A length or count below -1 (or -1 where null is not allowed).
    case invalidLength(Int64, field: String)
    /// A length or count larger than the bytes left.
    case lengthExceedsRemaining(Int64, remaining: Int, field: String)
    /// A varint longer than its type allows.
    case malformedVarint
    /// A string that is not UTF-8.
    case invalidUTF8(field: String)
    /// Null where the version does not allow it.
    case unexpectedNull(field: String)
    /// An API key this broker does not know.
    case unknownApiKey(Int16)
    /// A version this broker does not serve for the API.
    case unsupportedVersion(apiKey: Int16, version: Int16)

    public var description: String {
        switch self {
        case .truncated(let field): "input ended inside \(field)"
        case .invalidLength(let length, let field): "invalid length \(length) for \(field)"
        case .lengthExceedsRemaining(let length, let remaining, let field):
            "length \(length) of \(field) exceeds the \(remaining) bytes left"
        case .malformedVarint: "malformed varint"
        case .invalidUTF8(let field): "\(field) is not valid UTF-8"
        case .unexpectedNull(let field): "\(field) is null where the version does not allow it"
        case .unknownApiKey(let key): "unknown API key \(key)"
        case .unsupportedVersion(let key, let version): "unsupported version \(version) of API \(key)"
        }
    }
}
