import NIOCore

/// Cuts a TCP stream into Kafka frames: a 4-byte big-endian size, then that many bytes. A frame larger than
/// `socket.request.max.bytes` (or a negative size) is an error, and the connection is closed: Kafka's behaviour.
struct KafkaFrameDecoder: ByteToMessageDecoder {
    typealias InboundOut = ByteBuffer

    struct FrameTooLarge: Error, CustomStringConvertible {
        var size: Int32
        var limit: Int
        var description: String { "request of \(size) bytes exceeds socket.request.max.bytes (\(limit))" }
    }

    let maxFrameSize: Int

    mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard let size = buffer.getInteger(at: buffer.readerIndex, as: Int32.self) else { return .needMoreData }
        guard size >= 0, Int(size) <= maxFrameSize else { throw FrameTooLarge(size: size, limit: maxFrameSize) }
        guard buffer.readableBytes >= 4 + Int(size) else { return .needMoreData }
        buffer.moveReaderIndex(forwardBy: 4)
        context.fireChannelRead(wrapInboundOut(buffer.readSlice(length: Int(size))!))
        return .continue
    }
}
