import Foundation
import NIOCore
import Testing

@testable import KafkaProtocol

@Suite("__transaction_state records and transaction states")
struct TransactionLogFormatTests {
    static func hex(_ bytes: [UInt8]) -> String { bytes.map { String(format: "%02x", $0) }.joined() }

    static func bytes(_ hex: String) -> ByteBuffer {
        var buffer = ByteBuffer()
        var index = hex.startIndex
        while index < hex.endIndex {
            let next = hex.index(index, offsetBy: 2)
            buffer.writeInteger(UInt8(hex[index..<next], radix: 16)!)
            index = next
        }
        return buffer
    }

    // Expected bytes assembled independently with Python's struct from the layout of Kafka 2.8's TransactionLog.
    static let key = "0000000b7061796d656e74732d7478"
    static let ongoing =
        "00000000000000000fa000020000ea60010000000200066f726465727300000002000000000000000500125f5f636f6e73756d65"
        + "725f6f66667365747300000001000000110000018bcfe56be80000018bcfe56800"
    static let empty = "00000000000000000fa000020000ea6000ffffffff0000018bcfe56fd0ffffffffffffffff"
    static let complete = "00000000000000000fa000020000ea6004000000000000018bcfe573b80000018bcfe56800"

    static func value(
        _ state: TransactionState,
        _ partitions: [TransactionTopicPartitions]?,
        _ update: Int64,
        _ start: Int64
    )
        -> TransactionLogValue
    {
        TransactionLogValue(
            producerID: 4000,
            producerEpoch: 2,
            transactionTimeoutMs: 60000,
            state: state,
            partitions: partitions,
            lastUpdateTimestampMs: update,
            startTimestampMs: start
        )
    }

    @Test func keysAndValuesAreKafkasBytes() {
        #expect(Self.hex(TransactionLogRecords.key("payments-tx")) == Self.key)
        #expect(TransactionLogRecords.decodeKey(Self.bytes(Self.key)) == "payments-tx")
        let cases: [(String, TransactionLogValue)] = [
            (
                Self.ongoing,
                Self.value(
                    .ongoing,
                    [.init("orders", [0, 5]), .init("__consumer_offsets", [17])],
                    1_700_000_001_000,
                    1_700_000_000_000
                )
            ),
            (Self.empty, Self.value(.empty, nil, 1_700_000_002_000, -1)),
            (Self.complete, Self.value(.completeCommit, [], 1_700_000_003_000, 1_700_000_000_000)),
        ]
        for (hex, value) in cases {
            #expect(Self.hex(TransactionLogRecords.value(value)) == hex)
            #expect(TransactionLogRecords.decodeValue(Self.bytes(hex)) == value)
        }
    }

    @Test func otherVersionsAndDamagedBytesAreNotRead() {
        #expect(TransactionLogRecords.decodeKey(Self.bytes("0001" + Self.key.dropFirst(4))) == nil)
        #expect(TransactionLogRecords.decodeValue(Self.bytes("0001" + Self.empty.dropFirst(4))) == nil)
        #expect(TransactionLogRecords.decodeValue(Self.bytes(String(Self.ongoing.dropLast(2)))) == nil)
        #expect(TransactionLogRecords.decodeValue(Self.bytes(Self.complete + "00")) == nil)
        // State byte 9 is not a state.
        var unknownState = Array(Self.empty)
        unknownState[33] = "9"
        #expect(TransactionLogRecords.decodeValue(Self.bytes(String(unknownState))) == nil)
    }

    @Test func statesFollowKafkasTable() {
        #expect(TransactionState.allCases.map(\.rawValue) == Array(0...7))
        #expect(TransactionState.prepareAbort.validPreviousStates == [.ongoing, .prepareEpochFence])
        #expect(!TransactionState.completeCommit.validPreviousStates.contains(.ongoing))
        #expect(TransactionState.allCases.filter { !$0.isWrittenToLog } == [.dead, .prepareEpochFence])
        #expect(TransactionState.prepareEpochFence.name == "PrepareEpochFence")
    }
}
