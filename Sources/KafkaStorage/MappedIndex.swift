#if canImport(Glibc)
import Glibc
#endif

/// A file of fixed-size entries mapped into memory: the storage under `OffsetIndex` and `TimeIndex`, as Kafka's
/// `AbstractIndex`.
///
/// Lifecycle: the active segment's index is preallocated to `maxIndexSize` (sparse) so appends never grow it;
/// `trimToValidSize` cuts it to its entries when the segment stops being active and at close. A preallocated file
/// left by a crash ends in zero entries, which are not counted on open (no real entry is all zeros: every entry
/// points past the start of its segment). Not thread-safe: the owning `Log` serialises access under its lock.
final class MappedIndex {
    let entrySize: Int
    let maxIndexSize: Int
    private(set) var path: String
    private let descriptor: Int32
    private var mapping: UnsafeMutableRawPointer?
    private var mappedLength = 0
    private(set) var entries = 0

    init(path: String, entrySize: Int, maxIndexSize: Int, preallocate: Bool) throws(StorageError) {
        self.path = path
        self.entrySize = entrySize
        self.maxIndexSize = max(entrySize, maxIndexSize - maxIndexSize % entrySize)
        descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw .io(operation: "open", path: path, errno: errno) }
        var info = stat()
        fstat(descriptor, &info)
        let existing = Int(info.st_size)
        if existing % entrySize != 0 {
            // A length that is not a whole number of entries: cut the partial entry (the index is rebuilt anyway).
            ftruncate(descriptor, off_t(existing - existing % entrySize))
        }
        try map(length: preallocate ? self.maxIndexSize : existing - existing % entrySize)
        // Entries are written from the front; a crash leaves the preallocated rest a hole. Scanning the hole through
        // the mapping would fault in every page of it (on tmpfs, allocate it: on a full disk, SIGBUS), so the scan
        // for the last entry starts where the file's data ends.
        let dataEnd = lseek(descriptor, 0, Self.seekHole)
        let scanned = dataEnd >= 0 ? min(existing, Int(dataEnd)) : existing
        entries = countEntries(upTo: (scanned - scanned % entrySize) / entrySize)
    }

    /// Linux's `SEEK_HOLE` (4; Glibc's module leaves it out): the offset of the first hole at or after the offset.
    private static let seekHole: Int32 = 4

    deinit {
        unmap()
        close(descriptor)
    }

    var maxEntries: Int { maxIndexSize / entrySize }
    var isFull: Bool { entries >= maxEntries || entries * entrySize >= mappedLength && mappedLength < maxIndexSize }
    var sizeInBytes: Int { entries * entrySize }

    private func countEntries(upTo count: Int) -> Int {
        var count = min(count, mappedLength / entrySize)
        while count > 0 && isZero(count - 1) { count -= 1 }
        return count
    }

    private func isZero(_ index: Int) -> Bool {
        let base = mapping! + index * entrySize
        for offset in 0..<entrySize where base.load(fromByteOffset: offset, as: UInt8.self) != 0 { return false }
        return true
    }

    private func map(length: Int) throws(StorageError) {
        unmap()
        var info = stat()
        fstat(descriptor, &info)
        if Int(info.st_size) != length {
            guard ftruncate(descriptor, off_t(length)) == 0 else {
                throw .io(operation: "truncate", path: path, errno: errno)
            }
        }
        guard length > 0 else { return }
        let address = mmap(nil, length, PROT_READ | PROT_WRITE, MAP_SHARED, descriptor, 0)
        guard let address, address != MAP_FAILED else { throw .io(operation: "mmap", path: path, errno: errno) }
        mapping = address
        mappedLength = length
    }

    private func unmap() {
        if let mapping { munmap(mapping, mappedLength) }
        mapping = nil
        mappedLength = 0
    }

    /// Makes room for appends again (the segment became active), up to `maxIndexSize`.
    func expandForAppends() throws(StorageError) {
        if mappedLength < maxIndexSize { try map(length: maxIndexSize) }
    }

    /// Cuts the file to its entries (the segment is no longer active, or the log is closing).
    func trimToValidSize() throws(StorageError) {
        try map(length: entries * entrySize)
    }

    func append(_ write: (UnsafeMutableRawPointer) -> Void) {
        precondition(entries < mappedLength / entrySize, "index \(path) is full")
        write(mapping! + entries * entrySize)
        entries += 1
    }

    func entry(_ index: Int) -> UnsafeRawPointer { UnsafeRawPointer(mapping! + index * entrySize) }

    /// Keeps the first `count` entries.
    func truncate(toEntries count: Int) {
        guard count < entries else { return }
        if let mapping {
            (mapping + count * entrySize).initializeMemory(
                as: UInt8.self,
                repeating: 0,
                count: (entries - count) * entrySize
            )
        }
        entries = count
    }

    /// The largest index in 0..<entries whose key is <= `target`, by binary search over ascending keys.
    func largestLowerBound(_ target: Int64, key: (Int) -> Int64) -> Int? {
        guard entries > 0, key(0) <= target else { return nil }
        var low = 0
        var high = entries - 1
        while low < high {
            let middle = (low + high + 1) / 2
            if key(middle) <= target { low = middle } else { high = middle - 1 }
        }
        return low
    }

    func flush() {
        if let mapping { msync(mapping, mappedLength, MS_SYNC) }
    }

    func rename(to newPath: String) throws(StorageError) {
        guard Glibc.rename(path, newPath) == 0 else { throw .io(operation: "rename", path: path, errno: errno) }
        path = newPath
    }

    func delete() {
        unlink(path)
    }
}

extension UnsafeRawPointer {
    @inline(__always) func bigEndianInt32(at offset: Int) -> Int32 {
        Int32(bigEndian: loadUnaligned(fromByteOffset: offset, as: Int32.self))
    }
    @inline(__always) func bigEndianInt64(at offset: Int) -> Int64 {
        Int64(bigEndian: loadUnaligned(fromByteOffset: offset, as: Int64.self))
    }
}

extension UnsafeMutableRawPointer {
    @inline(__always) func storeBigEndian<T: FixedWidthInteger>(_ value: T, at offset: Int) {
        storeBytes(of: value.bigEndian, toByteOffset: offset, as: T.self)
    }
}
