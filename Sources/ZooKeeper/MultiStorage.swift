import CZooKeeper
import Glibc

/// The C memory of one `zoo_amulti` call: the `zoo_op_t` array, the `zoo_op_result_t` array the library fills
/// in at completion, and the paths, data, path buffers and stats those point into.
///
/// Lifecycle: built by the submitting task, then touched only by the library (the submit call and its
/// completion thread) until the completion has run; freed when the owning `PendingRequest` goes.
/// `@unchecked Sendable`: it holds raw C pointers; the submit call happens-before the completion (the C
/// library's request queue orders them), and nothing else reads or writes the memory.
final class MultiStorage: @unchecked Sendable {
    static let pathBufferLength = 1024

    let operations: [ZooKeeperOperation]
    let ops: UnsafeMutablePointer<zoo_op_t>
    let results: UnsafeMutablePointer<zoo_op_result_t>
    private let stats: UnsafeMutablePointer<Stat>
    private let pathBuffers: UnsafeMutablePointer<CChar>
    private var allocations: [UnsafeMutableRawPointer] = []

    init(_ operations: [ZooKeeperOperation], acl: ZooKeeperACL = .open) {
        self.operations = operations
        let count = max(operations.count, 1)
        ops = .allocate(capacity: count)
        results = .allocate(capacity: count)
        results.initialize(repeating: zoo_op_result_t(), count: count)
        stats = .allocate(capacity: count)
        stats.initialize(repeating: Stat(), count: count)
        pathBuffers = .allocate(capacity: count * Self.pathBufferLength)
        pathBuffers.initialize(repeating: 0, count: count * Self.pathBufferLength)
        for (index, operation) in operations.enumerated() {
            let op = ops + index
            switch operation {
            case .create(let path, let data, let mode):
                let (value, length) = copy(data)
                zoo_create_op_init(
                    op,
                    copy(path),
                    value,
                    length,
                    acl.vector(for: path),
                    mode.flags,
                    pathBuffers + index * Self.pathBufferLength,
                    Int32(Self.pathBufferLength)
                )
            case .delete(let path, let version):
                zoo_delete_op_init(op, copy(path), version ?? -1)
            case .setData(let path, let data, let version):
                let (value, length) = copy(data)
                zoo_set_op_init(op, copy(path), value, length, version ?? -1, stats + index)
            case .check(let path, let version):
                zoo_check_op_init(op, copy(path), version)
            }
        }
    }

    deinit {
        ops.deallocate()
        results.deallocate()
        stats.deallocate()
        pathBuffers.deallocate()
        for allocation in allocations { free(allocation) }
    }

    /// Reads the per-operation results after a successful completion.
    func committedResults() -> [ZooKeeperOperationResult] {
        operations.enumerated().map { index, operation in
            switch operation {
            case .create: .created(path: String(cString: pathBuffers + index * Self.pathBufferLength))
            case .delete: .deleted
            case .setData: .dataSet(ZooKeeperStat(stats[index]))
            case .check: .checked
            }
        }
    }

    /// The index of the operation that made the transaction fail: the first whose own code is an error other
    /// than the "rolled back because another failed" marker.
    func failedOperationIndex() -> Int? {
        (0..<operations.count).first { results[$0].err != 0 && results[$0].err != ZRUNTIMEINCONSISTENCY.rawValue }
    }

    private func copy(_ string: String) -> UnsafeMutablePointer<CChar> {
        let pointer = strdup(string)!
        allocations.append(pointer)
        return pointer
    }

    private func copy(_ data: [UInt8]) -> (UnsafeMutablePointer<CChar>, Int32) {
        let pointer = malloc(max(data.count, 1))!
        allocations.append(pointer)
        data.withUnsafeBytes { bytes in
            if let base = bytes.baseAddress { pointer.copyMemory(from: base, byteCount: data.count) }
        }
        return (pointer.assumingMemoryBound(to: CChar.self), Int32(data.count))
    }
}
