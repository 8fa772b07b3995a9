import KafkaProtocol
import NIOCore
import NIOEmbedded
import Testing

/// `KafkaFrameReader` in a channel, fed the way a socket delivers: frames cut anywhere across reads, several in one
/// read, large ones gathered over many reads, and sizes it must refuse.
@Suite("Frame reader")
struct FrameReaderTests {
    /// Frames of these sizes, in one stream: empty, small, one larger than any read below, and small again.
    static let bodies: [[UInt8]] = [0, 1, 7, 300, 70_000, 3, 4].enumerated().map { index, size in
        (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ index) }
    }

    static var stream: [UInt8] {
        bodies.flatMap { body in
            withUnsafeBytes(of: Int32(body.count).bigEndian, Array.init) + body
        }
    }

    /// Every frame comes out whole and in order, whatever the read sizes (1 byte at a time, header-splitting
    /// sizes, sizes around the large frame) and wherever the first cut falls.
    @Test(arguments: [1, 3, 5, 64, 1000, 65_536, 1 << 20])
    func framesSurviveAnyCut(readSize: Int) throws {
        let stream = Self.stream
        for firstCut in [0, 2, 4, 6, 13] where firstCut < stream.count {
            let channel = EmbeddedChannel(handler: KafkaFrameReader(maxFrameSize: 1 << 20))
            // Where each read ends: the first cut, then every `readSize` bytes.
            var ends = firstCut == 0 ? [] : [firstCut]
            var position = firstCut
            while position < stream.count {
                position = min(position + readSize, stream.count)
                ends.append(position)
            }
            var offset = 0
            for end in ends {
                try channel.writeInbound(ByteBuffer(bytes: stream[offset..<end]))
                offset = end
            }
            #expect(offset == stream.count)
            var frames: [[UInt8]] = []
            while var frame = try channel.readInbound(as: ByteBuffer.self) {
                frames.append(frame.readBytes(length: frame.readableBytes) ?? [])
            }
            #expect(frames == Self.bodies, "read size \(readSize), first cut \(firstCut)")
            _ = try channel.finish()
        }
    }

    /// A size above the limit, or a negative one, is an error the owner closes the connection on; frames before it
    /// still come out, and nothing after it is read.
    @Test(arguments: [Int32(1025), Int32(-1), Int32.max])
    func badSizesAreRefused(size: Int32) throws {
        let channel = EmbeddedChannel(handler: KafkaFrameReader(maxFrameSize: 1024))
        var buffer = ByteBuffer()
        buffer.writeInteger(Int32(2))
        buffer.writeBytes([9, 9])
        buffer.writeInteger(size)
        buffer.writeBytes([1, 2, 3])
        #expect(throws: KafkaFrameReader.FrameTooLarge.self) { try channel.writeInbound(buffer) }
        var first = try #require(try channel.readInbound(as: ByteBuffer.self))
        #expect(first.readBytes(length: first.readableBytes) == [9, 9])
        var more = ByteBuffer()
        more.writeInteger(Int32(1))
        more.writeInteger(UInt8(5))
        try channel.writeInbound(more)
        #expect(try channel.readInbound(as: ByteBuffer.self) == nil)
        _ = try? channel.finish()
    }
}
