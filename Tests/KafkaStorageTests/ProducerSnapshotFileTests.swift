import Foundation
import KafkaCore
import Testing

@testable import KafkaStorage

@Suite("Producer-state snapshot files")
struct ProducerSnapshotFileTests {
    static let entries = [
        ProducerSnapshotEntry(
            producerID: 1000,
            epoch: 3,
            lastSequence: 41,
            lastOffset: 5009,
            offsetDelta: 9,
            timestamp: 1_700_000_000_123
        ),
        ProducerSnapshotEntry(
            producerID: 1 << 40 + 7,
            epoch: 0,
            lastSequence: Int32.max,
            lastOffset: 77,
            offsetDelta: 0,
            timestamp: -1,
            coordinatorEpoch: 5,
            currentTransactionFirstOffset: 60
        ),
    ]

    /// Kafka's version 1 layout, assembled independently with Python's struct and kafka-python's CRC-32C.
    static let expected =
        "0001bb9b69ae0000000200000000000003e80003000000290000000000001391000000090000018bcfe5687bffffffffffffffff"
        + "ffffffff000001000000000700007fffffff000000000000004d00000000ffffffffffffffff00000005000000000000003c"

    static func hex(_ bytes: [UInt8]) -> String { bytes.map { String(format: "%02x", $0) }.joined() }

    @Test func bytesAreKafkasAndReadBack() throws {
        let bytes = ProducerSnapshotFile.encode(Self.entries)
        #expect(Self.hex(bytes) == Self.expected)
        #expect(try ProducerSnapshotFile.decode(bytes) == Self.entries)
        #expect(try ProducerSnapshotFile.decode(ProducerSnapshotFile.encode([])) == [])
    }

    @Test func damagedFilesAreRefusedWhole() {
        let bytes = ProducerSnapshotFile.encode(Self.entries)
        var flipped = bytes
        flipped[40] ^= 0x01
        var otherVersion = bytes
        otherVersion[1] = 2
        for damaged in [flipped, otherVersion, Array(bytes.dropLast()), Array(bytes.prefix(8))] {
            #expect(throws: StorageError.self) { try ProducerSnapshotFile.decode(damaged) }
        }
    }

    @Test func filesAreNamedByOffsetAndListedInOrder() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        try ProducerSnapshotFile.write(directory.path, offset: 5010, Self.entries)
        try ProducerSnapshotFile.write(directory.path, offset: 120, [])
        FileManager.default.createFile(atPath: directory.path + "/00000000000000000007.snapshot.deleted", contents: nil)
        #expect(directory.files().contains("00000000000000005010.snapshot"))
        #expect(ProducerSnapshotFile.offsets(in: directory.path) == [120, 5010])
        #expect(try ProducerSnapshotFile.read(ProducerSnapshotFile.path(directory.path, offset: 5010)) == Self.entries)
        #expect(try ProducerSnapshotFile.read(ProducerSnapshotFile.path(directory.path, offset: 1)) == nil)
    }
}
