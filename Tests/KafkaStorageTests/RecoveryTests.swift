import Foundation
import KafkaCore
import KafkaProtocol
import Logging
import NIOCore
import Testing

@testable import KafkaStorage

/// Crash recovery: what survives an unclean shutdown is exactly the whole, valid batches.
@Suite("Log recovery after a crash")
struct RecoveryTests {
    /// Writes 8 batches and "crashes" (no clean close: indexes stay preallocated, nothing is trimmed).
    private func crashedLog(_ directory: TemporaryDirectory, codec: CompressionCodec = .none) throws -> [Int64] {
        let log = try openLog(directory.path, config: .small(segmentBytes: 1 << 20, indexIntervalBytes: 100))
        var ends: [Int64] = []
        for index in 0..<8 {
            try log.append(
                makeBatch(count: 3, first: index * 3, codec: codec),
                origin: .client,
                leaderEpoch: Int32(index / 3)
            )
            ends.append(log.sizeInBytes)
        }
        return ends  // the file size after each batch: batch boundaries
    }

    private func copyDirectory(_ source: String, to destination: String) throws {
        try? FileManager.default.removeItem(atPath: destination)
        try FileManager.default.copyItem(atPath: source, toPath: destination)
    }

    @Test(arguments: [CompressionCodec.none, .zstd])
    func cuttingTheLogAnywhereKeepsExactlyTheWholeBatches(codec: CompressionCodec) throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let original = directory.path + "/original"
        let ends = try crashedLog(TemporaryDirectory(existing: original), codec: codec)
        let segment = "/00000000000000000000.log"
        let full = try Data(contentsOf: URL(fileURLWithPath: original + segment))
        #expect(Int64(full.count) == ends.last)
        // Every cut position inside the last three batches.
        let firstCut = Int(ends[4])
        var checked = 0
        for cut in firstCut...full.count {
            let copy = directory.path + "/cut"
            try copyDirectory(original, to: copy)
            try full.prefix(cut).write(to: URL(fileURLWithPath: copy + segment))
            let wholeBatches = ends.filter { $0 <= Int64(cut) }.count
            let log = try openLog(copy, config: .small(segmentBytes: 1 << 20, indexIntervalBytes: 100), clean: false)
            #expect(log.logEndOffset == Int64(wholeBatches * 3), "cut at \(cut)")
            let records = try readAll(log)
            #expect(records.map(\.offset) == Array(0..<Int64(wholeBatches * 3)), "cut at \(cut)")
            #expect(records.last?.keyString == "key-\(wholeBatches * 3 - 1)")
            // The log goes on from there.
            #expect(
                try log.append(makeBatch(count: 1), origin: .client, leaderEpoch: 9).firstOffset
                    == Int64(wholeBatches * 3)
            )
            log.close()
            checked += 1
        }
        #expect(checked == full.count - firstCut + 1)
    }

    @Test func aFlippedBitCutsTheLogAtItsBatchWithOneLogLine() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let ends = try crashedLog(directory)
        let path = directory.path + "/00000000000000000000.log"
        var bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        let victim = Int(ends[4]) + 40  // inside the sixth batch (offsets 15 ... 17), in the CRC-covered part
        bytes[victim] ^= 0x04
        try bytes.write(to: URL(fileURLWithPath: path))

        let handler = CapturingLogHandler()
        let logger = Logger(label: "recovery") { _ in handler }
        let log = try openLog(
            directory.path,
            config: .small(segmentBytes: 1 << 20, indexIntervalBytes: 100),
            clean: false,
            logger: logger
        )
        #expect(log.logEndOffset == 15)
        #expect(try readAll(log).count == 15)
        let errors = handler.messages(at: .error)
        #expect(errors.count == 1)
        #expect(errors.first?.contains("Recovery cut the log") == true)
        #expect(errors.first?.contains("CRC mismatch") == true)
    }

    @Test func recoveryStartsAtTheRecoveryPointAndDropsLaterSegments() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let log = try openLog(directory.path, config: .small(segmentBytes: 2048))
        for index in 0..<40 { try log.append(makeBatch(count: 3, first: index * 3), origin: .client, leaderEpoch: 0) }
        let bases = log.segmentBaseOffsets
        #expect(bases.count >= 4)
        // Corrupt the second segment; recovery from 0 must cut there and drop every later segment.
        let second = directory.path + "/" + LogFileNames.offsetPrefix(bases[1]) + ".log"
        var bytes = try Data(contentsOf: URL(fileURLWithPath: second))
        bytes[100] ^= 0xFF
        try bytes.write(to: URL(fileURLWithPath: second))
        let recovered = try openLog(directory.path, config: .small(segmentBytes: 2048), recoveryPoint: 0, clean: false)
        #expect(recovered.segmentCount == 2)
        #expect(recovered.logEndOffset < bases[2])
        #expect(recovered.logEndOffset >= bases[1])
        #expect(try readAll(recovered).count == Int(recovered.logEndOffset))
    }

    @Test func aMissingOrCorruptIndexIsRebuilt() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let log = try openLog(directory.path, config: .small(segmentBytes: 4096, indexIntervalBytes: 200))
        for index in 0..<60 { try log.append(makeBatch(count: 2, first: index * 2), origin: .client, leaderEpoch: 0) }
        log.close()
        let indexes = directory.files().filter { $0.hasSuffix(".index") }
        try FileManager.default.removeItem(atPath: directory.path + "/" + indexes[0])
        // Garbage in another: entries that do not rise.
        let garbage = Data([0, 0, 0, 9, 0, 0, 1, 0, 0, 0, 0, 3, 0, 0, 0, 8])
        try garbage.write(to: URL(fileURLWithPath: directory.path + "/" + indexes[1]))
        let reopened = try openLog(directory.path, config: .small(segmentBytes: 4096, indexIntervalBytes: 200))
        #expect(try readAll(reopened).map(\.offset) == Array(0..<120))
        #expect(try reopened.offset(forTimestamp: 1_700_000_000_001)?.offset == 1)
        let rebuilt = try Data(contentsOf: URL(fileURLWithPath: directory.path + "/" + indexes[0]))
        #expect(rebuilt.count > 0)
    }

    /// Reliability.md test 22: a garbled leader-epoch-checkpoint, after a clean shutdown, is rebuilt from the
    /// batches' leader epochs; OffsetForLeaderEpoch answers as before and the log opens (it failed to before).
    @Test func aGarbledLeaderEpochCheckpointIsRebuiltFromTheBatches() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let log = try openLog(directory.path)
        for (index, epoch) in [0, 0, 2, 2, 5].enumerated() {
            try log.append(makeBatch(count: 2, first: index * 2), origin: .client, leaderEpoch: Int32(epoch))
        }
        let answers = (0...6).map { "\(log.endOffset(forLeaderEpoch: Int32($0)))" }
        log.close()
        try Data("0\n3\nnot a checkpoint \u{00}\n".utf8)
            .write(to: URL(fileURLWithPath: directory.path + "/leader-epoch-checkpoint"))
        let reopened = try openLog(directory.path, clean: true)
        #expect((0...6).map { "\(reopened.endOffset(forLeaderEpoch: Int32($0)))" } == answers)
        #expect(try readAll(reopened).map(\.offset) == Array(0..<10))
    }

    @Test func leftoversOfDeletionAndCompactionAreRemoved() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let log = try openLog(directory.path)
        try log.append(makeBatch(count: 2), origin: .client, leaderEpoch: 0)
        log.close()
        for leftover in [
            "00000000000000000099.log.deleted", "00000000000000000000.log.cleaned", "00000000000000000007.index",
        ] {
            FileManager.default.createFile(atPath: directory.path + "/" + leftover, contents: Data([1, 2, 3]))
        }
        let reopened = try openLog(directory.path)
        #expect(reopened.logEndOffset == 2)
        #expect(directory.files().filter { $0.hasSuffix(".deleted") || $0.hasSuffix(".cleaned") }.isEmpty)
        #expect(!directory.files().contains("00000000000000000007.index"))
    }
}

extension TemporaryDirectory {
    init(existing path: String) {
        self.path = path
        try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }
}
