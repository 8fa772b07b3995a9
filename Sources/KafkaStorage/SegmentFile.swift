public import NIOCore
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// An open file of a segment (its `.log`), shared by the segment and every `FileSlice` handed out for it.
///
/// Lifecycle: opened by `open`; the descriptor closes when the last reference goes, so a fetch that holds a slice
/// can finish sending it even after retention deleted the segment (the unlinked file lives until then). Reads and
/// writes use positional system calls and are safe from any thread; the owning `Log` serialises writes.
public final class SegmentFile: Sendable {
    public let descriptor: Int32
    private let currentPath: Mutex<String>

    public var path: String { currentPath.withLock { $0 } }

    /// Opens (and with `create`, creates) the file for reading and writing.
    public static func open(_ path: String, create: Bool) throws(StorageError) -> SegmentFile {
        let flags = O_RDWR | O_CLOEXEC | (create ? O_CREAT : 0)
        let descriptor = Glibc.open(path, flags, 0o644)
        guard descriptor >= 0 else { throw .io(operation: "open", path: path, errno: errno) }
        return SegmentFile(descriptor: descriptor, path: path)
    }

    private init(descriptor: Int32, path: String) {
        self.descriptor = descriptor
        self.currentPath = Mutex(path)
    }

    deinit { Glibc.close(descriptor) }

    public func size() throws(StorageError) -> Int64 {
        var info = stat()
        guard fstat(descriptor, &info) == 0 else { throw .io(operation: "fstat", path: path, errno: errno) }
        return Int64(info.st_size)
    }

    /// Writes all of `buffers` at `position`, as one `pwritev` where it can. On failure the caller truncates back.
    public func write(_ buffers: [ByteBuffer], at position: Int64) throws(StorageError) {
        var position = position
        var index = 0
        while index < buffers.count {
            let chunk = Array(buffers[index..<min(index + 256, buffers.count)])
            let written = try writeChunk(chunk, at: position)
            position += Int64(written)
            index += chunk.count
        }
    }

    private func writeChunk(_ buffers: [ByteBuffer], at position: Int64) throws(StorageError) -> Int {
        let total = buffers.reduce(0) { $0 + $1.readableBytes }
        var done = 0
        while done < total {
            // Build iovecs for what is left (pwritev may write part of it).
            let result: Int = Self.withIOVecs(buffers, skipping: done) { vectors in
                pwritev(descriptor, vectors.baseAddress, Int32(vectors.count), off_t(position) + off_t(done))
            }
            if result < 0 {
                if errno == EINTR { continue }
                throw .io(operation: "write", path: path, errno: errno)
            }
            if result == 0 { throw .io(operation: "write", path: path, errno: EIO) }
            done += result
        }
        return total
    }

    private static func withIOVecs<Result>(
        _ buffers: [ByteBuffer],
        skipping: Int,
        _ body: (UnsafeBufferPointer<iovec>) -> Result
    ) -> Result {
        var vectors: [iovec] = []
        vectors.reserveCapacity(buffers.count)
        var pointers: [ByteBuffer] = []
        var skip = skipping
        for buffer in buffers {
            if skip >= buffer.readableBytes {
                skip -= buffer.readableBytes
                continue
            }
            pointers.append(buffer.getSlice(at: buffer.readerIndex + skip, length: buffer.readableBytes - skip)!)
            skip = 0
        }
        return withIOVecsRecursive(pointers[...], &vectors, body)
    }

    /// Keeps every buffer's bytes pinned while the iovecs point at them.
    private static func withIOVecsRecursive<Result>(
        _ buffers: ArraySlice<ByteBuffer>,
        _ vectors: inout [iovec],
        _ body: (UnsafeBufferPointer<iovec>) -> Result
    ) -> Result {
        guard let first = buffers.first else { return vectors.withUnsafeBufferPointer(body) }
        return first.withUnsafeReadableBytes { bytes in
            vectors.append(iovec(iov_base: UnsafeMutableRawPointer(mutating: bytes.baseAddress), iov_len: bytes.count))
            return withIOVecsRecursive(buffers.dropFirst(), &vectors, body)
        }
    }

    /// Reads up to `length` bytes at `position` (fewer at the end of the file).
    public func read(at position: Int64, length: Int) throws(StorageError) -> ByteBuffer {
        var buffer = ByteBufferAllocator().buffer(capacity: length)
        var failure: Int32 = 0
        buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: length) { space in
            var done = 0
            while done < length {
                let result = pread(descriptor, space.baseAddress! + done, length - done, off_t(position) + off_t(done))
                if result < 0 {
                    if errno == EINTR { continue }
                    failure = errno
                    return done
                }
                if result == 0 { break }
                done += result
            }
            return done
        }
        if failure != 0 { throw .io(operation: "read", path: path, errno: failure) }
        return buffer
    }

    /// Reads into `space` at `position`; returns the number of bytes read (short at the end of the file).
    public func read(into space: UnsafeMutableRawBufferPointer, at position: Int64) throws(StorageError) -> Int {
        var done = 0
        while done < space.count {
            let result = pread(descriptor, space.baseAddress! + done, space.count - done, off_t(position) + off_t(done))
            if result < 0 {
                if errno == EINTR { continue }
                throw .io(operation: "read", path: path, errno: errno)
            }
            if result == 0 { break }
            done += result
        }
        return done
    }

    public func truncate(to size: Int64) throws(StorageError) {
        guard ftruncate(descriptor, off_t(size)) == 0 else {
            throw .io(operation: "truncate", path: path, errno: errno)
        }
    }

    /// fsync: data and metadata to the disk.
    public func flush() throws(StorageError) {
        guard fsync(descriptor) == 0 else { throw .io(operation: "fsync", path: path, errno: errno) }
    }

    /// Renames the file (the descriptor stays valid).
    public func rename(to newPath: String) throws(StorageError) {
        try currentPath.withLock { (path: inout String) throws(StorageError) in
            guard Glibc.rename(path, newPath) == 0 else { throw .io(operation: "rename", path: path, errno: errno) }
            path = newPath
        }
    }

    /// Unlinks the file; readers holding the descriptor may go on reading.
    public func delete() throws(StorageError) {
        let path = self.path
        guard unlink(path) == 0 || errno == ENOENT else { throw .io(operation: "unlink", path: path, errno: errno) }
    }
}

/// A region of a segment file, as a fetch sends it: no bytes are copied until the network layer sends the region
/// (with sendfile) or a caller reads it.
public struct FileSlice: Sendable {
    public let file: SegmentFile
    public let position: Int64
    public let length: Int

    public init(file: SegmentFile, position: Int64, length: Int) {
        self.file = file
        self.position = position
        self.length = length
    }

    /// The bytes of the region (for replication checks and tests; fetches send the region itself).
    public func readBytes() throws(StorageError) -> ByteBuffer {
        try file.read(at: position, length: length)
    }
}
