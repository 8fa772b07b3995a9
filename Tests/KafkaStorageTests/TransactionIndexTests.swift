import Foundation
import KafkaCore
import Testing

@testable import KafkaStorage

@Suite("Transaction index files")
struct TransactionIndexTests {
    static let first = AbortedTransaction(producerID: 7, firstOffset: 100, lastOffset: 150, lastStableOffset: 101)
    static let second = AbortedTransaction(producerID: 9, firstOffset: 120, lastOffset: 200, lastStableOffset: 160)
    /// Two 34-byte entries of Kafka's layout, assembled independently with Python's struct.
    static let expected =
        "0000000000000000000700000000000000640000000000000096000000000000006500000000000000000009000000000000007800"
        + "000000000000c800000000000000a0"

    @Test func entriesAreKafkasBytesAndIncrease() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let index = TransactionIndex(directory: directory.path, baseOffset: 100)
        #expect(try index.entries() == [])
        #expect(!directory.files().contains("00000000000000000100.txnindex"), "created with the first entry")
        try index.append(Self.first)
        try index.append(Self.second)
        let bytes = try Data(contentsOf: URL(fileURLWithPath: index.path))
        #expect(bytes.map { String(format: "%02x", $0) }.joined() == Self.expected)
        #expect(try index.entries() == [Self.first, Self.second])
        #expect(throws: StorageError.self) {
            try index.append(
                AbortedTransaction(producerID: 3, firstOffset: 190, lastOffset: 200, lastStableOffset: 201)
            )
        }
        try index.truncate(to: 200)
        #expect(try index.entries() == [Self.first])
        try index.truncate(to: 0)
        #expect(try index.entries() == [])
    }

    @Test func abortedTransactionsOverlappingAFetchAndWhenTheSearchEnds() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let index = TransactionIndex(directory: directory.path, baseOffset: 0)
        try index.append(Self.first)
        try index.append(Self.second)
        // A fetch of [0, 110): the first transaction began before 110 and its marker is after 0; its last stable
        // offset (101) is below the bound, the second's (160) is not: complete, without the second (first offset
        // 120 ≥ 110).
        #expect(try index.abortedTransactions(fetchOffset: 0, upperBoundOffset: 110) == ([Self.first], true))
        // [151, 170): only the second; its last stable offset 160 < 170, so later segments may hold more.
        #expect(try index.abortedTransactions(fetchOffset: 151, upperBoundOffset: 170) == ([Self.second], false))
        #expect(try index.abortedTransactions(fetchOffset: 201, upperBoundOffset: 300) == ([], false))
    }

    @Test func damagedFilesAreRefused() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let index = TransactionIndex(directory: directory.path, baseOffset: 0)
        try index.append(Self.first)
        var bytes = try Data(contentsOf: URL(fileURLWithPath: index.path))
        try bytes.dropLast().write(to: URL(fileURLWithPath: index.path))
        #expect(throws: StorageError.self) { try index.entries() }
        bytes[1] = 1  // version 1
        try bytes.write(to: URL(fileURLWithPath: index.path))
        #expect(throws: StorageError.self) { try index.entries() }
    }
}
