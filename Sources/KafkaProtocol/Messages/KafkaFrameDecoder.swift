public import NIOCore

/// Cuts a TCP stream into Kafka frames: a 4-byte big-endian size, then that many bytes. A frame larger than
/// `maxFrameSize` (the broker's `socket.request.max.bytes`, a client's response limit) or with a negative size is
/// an error, and the connection is closed: Kafka's behaviour. Both the broker's listeners and the client's
/// connections put it first in their pipelines.
public struct KafkaFrameDecoder: ByteToMessageDecoder {
    public typealias InboundOut = ByteBuffer

    public struct FrameTooLarge: Error, CustomStringConvertible {
        public var size: Int32
        public var limit: Int
        public var description: String { "request of \(size) bytes exceeds socket.request.max.bytes (\(limit))" }
    }

    public let maxFrameSize: Int

    public init(maxFrameSize: Int) {
        self.maxFrameSize = maxFrameSize
    }

    public mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard let size = buffer.getInteger(at: buffer.readerIndex, as: Int32.self) else { return .needMoreData }
        guard size >= 0, Int(size) <= maxFrameSize else { throw FrameTooLarge(size: size, limit: maxFrameSize) }
        guard buffer.readableBytes >= 4 + Int(size) else {
            // Room for the rest of the frame at once (up to 16 MiB), so a large frame is not copied at each doubling.
            buffer.reserveCapacity(minimumWritableBytes: min(4 + Int(size) - buffer.readableBytes, 16 << 20))
            return .needMoreData
        }
        buffer.moveReaderIndex(forwardBy: 4)
        context.fireChannelRead(wrapInboundOut(buffer.readSlice(length: Int(size))!))
        return .continue
    }
}
