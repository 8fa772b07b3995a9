public import NIOCore

/// Cuts a TCP stream into Kafka frames: a 4-byte big-endian size, then that many bytes; each frame goes on as a
/// `ByteBuffer` of its bytes (a slice of what was read when the frame came whole in one read). A frame larger than
/// `maxFrameSize` (the broker's `socket.request.max.bytes`, a client's response limit) or with a negative size is
/// an error (`FrameTooLarge`, fired down the pipeline) after which nothing more is read from the stream, and the
/// connection is closed by its owner: Kafka's behaviour. Both the broker's listeners and the client's connections
/// put it first in their pipelines (after TLS).
///
/// A handler of its own rather than a `ByteToMessageDecoder`: NIO's `ByteToMessageHandler` is generic over its
/// decoder, and its unspecialized code looked up type metadata on every read in the request path's profile. A frame
/// cut across reads is gathered in one buffer with room for the whole frame (up to 16 MiB) once its size is known,
/// so each byte of a large frame is copied once, not at each doubling. Lives in one channel's pipeline, on its
/// event loop.
public final class KafkaFrameReader: ChannelInboundHandler {
    public typealias InboundIn = ByteBuffer
    public typealias InboundOut = ByteBuffer

    public struct FrameTooLarge: Error, CustomStringConvertible {
        public var size: Int32
        public var limit: Int
        public var description: String { "request of \(size) bytes exceeds socket.request.max.bytes (\(limit))" }
    }

    public let maxFrameSize: Int
    /// The start of a frame not yet complete, kept from earlier reads; nil at a frame boundary.
    private var partial: ByteBuffer?
    /// Set after a bad size: the rest of the stream is ignored.
    private var failed = false

    public init(maxFrameSize: Int) {
        self.maxFrameSize = maxFrameSize
    }

    public func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !failed else { return }
        var buffer = unwrapInboundIn(data)
        if var partial {
            self.partial = nil
            partial.writeBuffer(&buffer)
            buffer = partial
        }
        while let size = buffer.getInteger(at: buffer.readerIndex, as: Int32.self) {
            guard size >= 0, Int(size) <= maxFrameSize else {
                failed = true
                context.fireErrorCaught(FrameTooLarge(size: size, limit: maxFrameSize))
                return
            }
            guard buffer.readableBytes >= 4 + Int(size) else { break }
            buffer.moveReaderIndex(forwardBy: 4)
            context.fireChannelRead(wrapInboundOut(buffer.readSlice(length: Int(size))!))
        }
        guard buffer.readableBytes > 0 else { return }
        let frameBytes = buffer.getInteger(at: buffer.readerIndex, as: Int32.self).map { 4 + Int($0) } ?? 4
        let room = min(frameBytes, 16 << 20)
        if buffer.readerIndex == 0 {
            // The buffer starts with the frame (a gathering one, or a read that began with it): it grows in place,
            // once, to the whole frame.
            if buffer.capacity < room { buffer.reserveCapacity(room) }
            partial = buffer
        } else {
            // Whole frames went on from the front: the rest is gathered in a buffer of its own, with room for the
            // whole frame, rather than keeping (and growing) the read buffer the others are slices of.
            var gathered = context.channel.allocator.buffer(capacity: max(buffer.readableBytes, room))
            gathered.writeBuffer(&buffer)
            partial = gathered
        }
    }
}
