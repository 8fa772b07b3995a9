import KafkaProtocol
import NIOCore
import Testing

@Suite("Compression codecs")
struct CompressionTests {
    static let text = ByteBuffer(
        string: String(repeating: "SwiftKafka stores batches exactly as received. ", count: 400)
    )

    @Test(arguments: CompressionCodec.allCases)
    func roundTrip(codec: CompressionCodec) throws {
        let compressed = Compression.compress(Self.text, codec: codec)
        if codec != .none { #expect(compressed.readableBytes < Self.text.readableBytes / 4) }
        #expect(try Compression.decompress(compressed, codec: codec, limit: 1 << 20) == Self.text)
    }

    @Test(arguments: [CompressionCodec.gzip, .snappy, .lz4, .zstd])
    func decompressionBombStopsAtTheLimit(codec: CompressionCodec) throws {
        // 64 MiB of zeros compress to a few kilobytes; a 1 MiB limit must stop it.
        let bomb = Compression.compress(ByteBuffer(repeating: 0, count: 64 << 20), codec: codec)
        #expect(bomb.readableBytes < 4 << 20)
        #expect(throws: CompressionError.exceedsLimit(codec, limit: 1 << 20)) {
            _ = try Compression.decompress(bomb, codec: codec, limit: 1 << 20)
        }
    }

    @Test(arguments: [CompressionCodec.gzip, .snappy, .lz4, .zstd])
    func corruptDataIsAnError(codec: CompressionCodec) throws {
        var compressed = Compression.compress(Self.text, codec: codec)
        // Cut it in half: every codec must notice.
        compressed = compressed.getSlice(at: 0, length: compressed.readableBytes / 2)!
        #expect(throws: CompressionError.self) {
            _ = try Compression.decompress(compressed, codec: codec, limit: 1 << 20)
        }
        #expect(throws: CompressionError.self) {
            _ = try Compression.decompress(
                ByteBuffer(string: "definitely not compressed"),
                codec: codec,
                limit: 1 << 20
            )
        }
    }

    /// Java, kafka-python and aiokafka frame snappy the xerial way; the broker must read that too.
    @Test func xerialSnappyFramingIsRead() throws {
        let first = ByteBuffer(string: "first block, ")
        let second = ByteBuffer(string: "second block")
        var framed = ByteBuffer(bytes: [0x82, 0x53, 0x4E, 0x41, 0x50, 0x50, 0x59, 0x00])
        framed.writeKafkaInteger(Int32(1))
        framed.writeKafkaInteger(Int32(1))
        for block in [first, second] {
            let compressed = Compression.compress(block, codec: .snappy)
            framed.writeKafkaInteger(Int32(compressed.readableBytes))
            framed.writeImmutableBuffer(compressed)
        }
        let plain = try Compression.decompress(framed, codec: .snappy, limit: 1024)
        #expect(String(buffer: plain) == "first block, second block")
    }
}
