import CCodecs
public import NIOCore

/// Kafka's four codecs over Debian's C libraries, for the records section of a batch (everything after
/// RecordCount).
///
/// Formats: gzip is a gzip stream (zlib's gzip wrapper; any gzip or zlib header is accepted on input); snappy is
/// a raw snappy block as librdkafka writes it, or the xerial framing Java and the Python clients write (magic
/// `\x82SNAPPY\0`, two int32 versions, then int32-length-prefixed raw blocks), recognised by its magic; lz4 is
/// the LZ4 frame format; zstd is a zstd frame. Decompression stops with `exceedsLimit` as soon as the output would
/// pass `limit`, so a decompression bomb costs at most `limit` bytes of memory.
public enum Compression {
    public static func decompress(
        _ input: ByteBuffer,
        codec: CompressionCodec,
        limit: Int
    ) throws(CompressionError)
        -> ByteBuffer
    {
        let result: Result<ByteBuffer, CompressionError> = input.withUnsafeReadableBytes { bytes in
            switch codec {
            case .none:
                return bytes.count <= limit ? .success(input) : .failure(.exceedsLimit(.none, limit: limit))
            case .gzip: return Result { () throws(CompressionError) in try gunzip(bytes, limit: limit) }
            case .snappy: return Result { () throws(CompressionError) in try unsnappy(bytes, limit: limit) }
            case .lz4: return Result { () throws(CompressionError) in try unlz4(bytes, limit: limit) }
            case .zstd: return Result { () throws(CompressionError) in try unzstd(bytes, limit: limit) }
            }
        }
        return try result.get()
    }

    public static func compress(_ input: ByteBuffer, codec: CompressionCodec) -> ByteBuffer {
        input.withUnsafeReadableBytes { bytes in
            switch codec {
            case .none: input
            case .gzip: gzip(bytes)
            case .snappy: snappy(bytes)
            case .lz4: lz4(bytes)
            case .zstd: zstd(bytes)
            }
        }
    }

    // MARK: gzip

    private static func gunzip(_ input: UnsafeRawBufferPointer, limit: Int) throws(CompressionError) -> ByteBuffer {
        var stream = z_stream()
        guard czlib_inflate_init(&stream, 15 + 32) == Z_OK else { throw .corrupt(.gzip, "inflateInit2 failed") }
        defer { inflateEnd(&stream) }
        var output = ByteBuffer()
        output.reserveCapacity(min(limit, max(input.count * 4, 1024)))
        stream.next_in = UnsafeMutablePointer(mutating: input.baseAddress?.assumingMemoryBound(to: Bytef.self))
        stream.avail_in = uInt(input.count)
        while true {
            if output.writableBytes == 0 {
                guard output.writerIndex < limit else { throw .exceedsLimit(.gzip, limit: limit) }
                output.reserveCapacity(
                    minimumWritableBytes: min(max(output.capacity, 4096), limit - output.writerIndex)
                )
            }
            let available = min(output.writableBytes, limit - output.writerIndex + 1)
            var status: Int32 = Z_OK
            output.writeWithUnsafeMutableBytes(minimumWritableBytes: 0) { space in
                stream.next_out = space.baseAddress?.assumingMemoryBound(to: Bytef.self)
                stream.avail_out = uInt(available)
                status = inflate(&stream, Z_NO_FLUSH)
                return available - Int(stream.avail_out)
            }
            if output.writerIndex > limit { throw .exceedsLimit(.gzip, limit: limit) }
            switch status {
            case Z_STREAM_END:
                return output
            case Z_OK:
                continue
            case Z_BUF_ERROR where stream.avail_in == 0:
                throw .corrupt(.gzip, "truncated stream")
            case Z_BUF_ERROR:
                continue
            default:
                throw .corrupt(.gzip, stream.msg.map { String(cString: $0) } ?? "inflate error \(status)")
            }
        }
    }

    private static func gzip(_ input: UnsafeRawBufferPointer) -> ByteBuffer {
        var stream = z_stream()
        precondition(czlib_deflate_init(&stream, Z_DEFAULT_COMPRESSION, 15 + 16) == Z_OK)
        defer { deflateEnd(&stream) }
        let bound = Int(deflateBound(&stream, uLong(input.count))) + 32
        var output = ByteBuffer()
        output.writeWithUnsafeMutableBytes(minimumWritableBytes: bound) { space in
            stream.next_in = UnsafeMutablePointer(mutating: input.baseAddress?.assumingMemoryBound(to: Bytef.self))
            stream.avail_in = uInt(input.count)
            stream.next_out = space.baseAddress?.assumingMemoryBound(to: Bytef.self)
            stream.avail_out = uInt(space.count)
            precondition(deflate(&stream, Z_FINISH) == Z_STREAM_END)
            return space.count - Int(stream.avail_out)
        }
        return output
    }

    // MARK: snappy

    private static let xerialMagic: [UInt8] = [0x82, 0x53, 0x4E, 0x41, 0x50, 0x50, 0x59, 0x00]

    private static func unsnappy(_ input: UnsafeRawBufferPointer, limit: Int) throws(CompressionError) -> ByteBuffer {
        var output = ByteBuffer()
        if input.count >= 16 && input.prefix(8).elementsEqual(xerialMagic) {
            var offset = 16  // magic, version, compatible version
            while offset < input.count {
                guard offset + 4 <= input.count else { throw .corrupt(.snappy, "truncated xerial block header") }
                let length = Int(input.loadUnaligned(fromByteOffset: offset, as: UInt32.self).bigEndian)
                offset += 4
                guard length <= input.count - offset else { throw .corrupt(.snappy, "truncated xerial block") }
                try appendRawSnappy(
                    UnsafeRawBufferPointer(rebasing: input[offset..<(offset + length)]),
                    to: &output,
                    limit: limit
                )
                offset += length
            }
        } else {
            try appendRawSnappy(input, to: &output, limit: limit)
        }
        return output
    }

    private static func appendRawSnappy(
        _ block: UnsafeRawBufferPointer,
        to output: inout ByteBuffer,
        limit: Int
    )
        throws(CompressionError)
    {
        let compressed = block.baseAddress?.assumingMemoryBound(to: CChar.self)
        var length = 0
        guard snappy_uncompressed_length(compressed, block.count, &length) == SNAPPY_OK else {
            throw .corrupt(.snappy, "bad block header")
        }
        guard length <= limit - output.readableBytes else { throw .exceedsLimit(.snappy, limit: limit) }
        var status = SNAPPY_OK
        output.writeWithUnsafeMutableBytes(minimumWritableBytes: length) { space in
            var produced = length
            status = snappy_uncompress(
                compressed,
                block.count,
                space.baseAddress?.assumingMemoryBound(to: CChar.self),
                &produced
            )
            return status == SNAPPY_OK ? produced : 0
        }
        guard status == SNAPPY_OK else { throw .corrupt(.snappy, "bad block") }
    }

    /// Raw snappy (librdkafka's form); every client reads it.
    private static func snappy(_ input: UnsafeRawBufferPointer) -> ByteBuffer {
        var output = ByteBuffer()
        let bound = snappy_max_compressed_length(input.count)
        output.writeWithUnsafeMutableBytes(minimumWritableBytes: bound) { space in
            var length = bound
            precondition(
                snappy_compress(
                    input.baseAddress?.assumingMemoryBound(to: CChar.self),
                    input.count,
                    space.baseAddress?.assumingMemoryBound(to: CChar.self),
                    &length
                ) == SNAPPY_OK
            )
            return length
        }
        return output
    }

    // MARK: lz4

    private static func unlz4(_ input: UnsafeRawBufferPointer, limit: Int) throws(CompressionError) -> ByteBuffer {
        var context: OpaquePointer?
        guard LZ4F_isError(LZ4F_createDecompressionContext(&context, UInt32(LZ4F_VERSION))) == 0 else {
            throw .corrupt(.lz4, "cannot create a decompression context")
        }
        defer { LZ4F_freeDecompressionContext(context) }
        var output = ByteBuffer()
        var offset = 0
        while true {
            if output.writableBytes == 0 {
                guard output.writerIndex < limit else { throw .exceedsLimit(.lz4, limit: limit) }
                output.reserveCapacity(
                    minimumWritableBytes: min(max(output.capacity, 64 * 1024), limit - output.writerIndex + 1)
                )
            }
            var hint = 0
            output.writeWithUnsafeMutableBytes(minimumWritableBytes: 0) { space in
                var produced = space.count
                var consumed = input.count - offset
                hint = LZ4F_decompress(
                    context,
                    space.baseAddress,
                    &produced,
                    input.baseAddress.map { $0 + offset },
                    &consumed,
                    nil
                )
                offset += consumed
                return LZ4F_isError(hint) == 0 ? produced : 0
            }
            if LZ4F_isError(hint) != 0 { throw .corrupt(.lz4, String(cString: LZ4F_getErrorName(hint))) }
            if output.writerIndex > limit { throw .exceedsLimit(.lz4, limit: limit) }
            if hint == 0 { return output }  // the frame is complete
            if offset >= input.count && output.writableBytes > 0 { throw .corrupt(.lz4, "truncated frame") }
        }
    }

    private static func lz4(_ input: UnsafeRawBufferPointer) -> ByteBuffer {
        var output = ByteBuffer()
        let bound = LZ4F_compressFrameBound(input.count, nil)
        output.writeWithUnsafeMutableBytes(minimumWritableBytes: bound) { space in
            let length = LZ4F_compressFrame(space.baseAddress, space.count, input.baseAddress, input.count, nil)
            precondition(LZ4F_isError(length) == 0)
            return length
        }
        return output
    }

    // MARK: zstd

    private static func unzstd(_ input: UnsafeRawBufferPointer, limit: Int) throws(CompressionError) -> ByteBuffer {
        guard let stream = ZSTD_createDStream() else { throw .corrupt(.zstd, "cannot create a stream") }
        defer { ZSTD_freeDStream(stream) }
        var output = ByteBuffer()
        var source = ZSTD_inBuffer(src: input.baseAddress, size: input.count, pos: 0)
        while true {
            if output.writableBytes == 0 {
                guard output.writerIndex < limit else { throw .exceedsLimit(.zstd, limit: limit) }
                output.reserveCapacity(
                    minimumWritableBytes: min(max(output.capacity, 64 * 1024), limit - output.writerIndex + 1)
                )
            }
            var status = 0
            output.writeWithUnsafeMutableBytes(minimumWritableBytes: 0) { space in
                var target = ZSTD_outBuffer(dst: space.baseAddress, size: space.count, pos: 0)
                status = ZSTD_decompressStream(stream, &target, &source)
                return ZSTD_isError(status) == 0 ? target.pos : 0
            }
            if ZSTD_isError(status) != 0 { throw .corrupt(.zstd, String(cString: ZSTD_getErrorName(status))) }
            if output.writerIndex > limit { throw .exceedsLimit(.zstd, limit: limit) }
            if status == 0 && source.pos == source.size { return output }
            if source.pos == source.size && output.writableBytes > 0 && status != 0 {
                throw .corrupt(.zstd, "truncated frame")
            }
        }
    }

    private static func zstd(_ input: UnsafeRawBufferPointer) -> ByteBuffer {
        var output = ByteBuffer()
        let bound = ZSTD_compressBound(input.count)
        output.writeWithUnsafeMutableBytes(minimumWritableBytes: bound) { space in
            let length = ZSTD_compress(space.baseAddress, space.count, input.baseAddress, input.count, 3)
            precondition(ZSTD_isError(length) == 0)
            return length
        }
        return output
    }
}
