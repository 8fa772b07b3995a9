import FuzzSupport
import KafkaProtocol
import NIOCore

/// libFuzzer target: Kafka's four decompressors (gzip, snappy raw and xerial-framed, LZ4 frame, zstd) over Debian's
/// C libraries, and the round trip through the compressors.
///
/// Input: one byte choosing the codec (its value modulo 5, 0 being none), then the compressed bytes. A decompression
/// must end in bytes or a `CompressionError` within the limit; what decompresses must compress and decompress back
/// to itself, and so must the raw input.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzCodecs(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size > 0 else { return 0 }
    let codec = CompressionCodec(rawValue: Int16(data[0] % 5))!
    let input = FuzzInput.buffer(data + 1, size - 1)
    let limit = 1 << 20
    if let output = try? Compression.decompress(input, codec: codec, limit: limit) {
        precondition(output.readableBytes <= limit, "\(codec) decompressed past its limit")
        roundTrip(output, codec: codec, limit: limit)
    }
    roundTrip(input, codec: codec, limit: max(limit, input.readableBytes))
    return 0
}

private func roundTrip(_ bytes: ByteBuffer, codec: CompressionCodec, limit: Int) {
    let compressed = Compression.compress(bytes, codec: codec)
    let back = try? Compression.decompress(compressed, codec: codec, limit: limit)
    precondition(back == bytes, "\(codec) does not give back what it compressed")
}
