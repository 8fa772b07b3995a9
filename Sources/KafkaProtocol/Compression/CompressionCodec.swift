/// The codec of a record batch: bits 0-2 of its attributes.
public enum CompressionCodec: Int16, Sendable, CaseIterable, CustomStringConvertible {
    case none = 0
    case gzip = 1
    case snappy = 2
    case lz4 = 3
    case zstd = 4

    /// Kafka's `compression.type` name.
    public var description: String {
        switch self {
        case .none: "none"
        case .gzip: "gzip"
        case .snappy: "snappy"
        case .lz4: "lz4"
        case .zstd: "zstd"
        }
    }
}

/// Why a compressed record section could not be decompressed or compressed.
public enum CompressionError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The codec bits name no codec (5, 6, 7).
    case unknownCodec(Int16)
    /// The data does not decode with its codec.
    case corrupt(CompressionCodec, String)
    /// The output would be larger than the limit: a decompression bomb, or a batch too large to accept.
    case exceedsLimit(CompressionCodec, limit: Int)

    public var description: String {
        switch self {
        case .unknownCodec(let bits): "unknown compression codec \(bits)"
        case .corrupt(let codec, let reason): "corrupt \(codec) data: \(reason)"
        case .exceedsLimit(let codec, let limit): "\(codec) data decompresses to more than \(limit) bytes"
        }
    }
}
