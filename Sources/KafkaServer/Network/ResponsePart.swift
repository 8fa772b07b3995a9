import Glibc
public import KafkaStorage
public import NIOCore

/// A piece of a response on the wire: bytes, or a region of a segment file sent as it is (sendfile), so fetched
/// records never pass through the broker's memory.
public enum ResponsePart: Sendable {
    case bytes(ByteBuffer)
    case file(FileSlice)

    public var length: Int {
        switch self {
        case .bytes(let buffer): buffer.readableBytes
        case .file(let slice): slice.length
        }
    }
}

/// Writes a response's parts to the socket in order: bytes as they are, file regions through NIO's `FileRegion`
/// on a duplicate of the segment's descriptor, which is closed once the region has been written (or the write
/// failed). Lives on the connection's event loop.
final class ResponsePartsWriter: ChannelOutboundHandler {
    typealias OutboundIn = [ResponsePart]
    typealias OutboundOut = IOData
    /// Whether file regions are read into buffers (under TLS, which cannot encrypt what sendfile sends).
    let readsFileRegions: Bool

    init(readsFileRegions: Bool = false) {
        self.readsFileRegions = readsFileRegions
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let parts = unwrapOutboundIn(data)
        for (index, part) in parts.enumerated() {
            let isLast = index == parts.count - 1
            switch part {
            case .bytes(let buffer):
                context.write(wrapOutboundOut(.byteBuffer(buffer)), promise: isLast ? promise : nil)
            case .file(let slice) where readsFileRegions:
                var buffer = context.channel.allocator.buffer(capacity: slice.length)
                var read = 0
                buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: slice.length) { pointer in
                    read = pread(slice.file.descriptor, pointer.baseAddress, slice.length, off_t(slice.position))
                    return max(read, 0)
                }
                guard read == slice.length else {
                    let error = IOError(errnoCode: read < 0 ? errno : EIO, reason: "pread of a fetched segment region")
                    context.fireErrorCaught(error)
                    promise?.fail(error)
                    return
                }
                context.write(wrapOutboundOut(.byteBuffer(buffer)), promise: isLast ? promise : nil)
            case .file(let slice):
                let descriptor = dup(slice.file.descriptor)
                guard descriptor >= 0 else {
                    context.fireErrorCaught(IOError(errnoCode: errno, reason: "dup"))
                    promise?.fail(IOError(errnoCode: errno, reason: "dup"))
                    return
                }
                let handle = NIOFileHandle(_deprecatedTakingOwnershipOfDescriptor: descriptor)
                let region = FileRegion(
                    fileHandle: handle,
                    readerIndex: Int(slice.position),
                    endIndex: Int(slice.position) + slice.length
                )
                let written = context.eventLoop.makePromise(of: Void.self)
                written.futureResult.whenComplete { _ in try? handle.close() }
                if isLast, let promise { written.futureResult.cascade(to: promise) }
                context.write(wrapOutboundOut(.fileRegion(region)), promise: written)
            }
        }
    }
}
