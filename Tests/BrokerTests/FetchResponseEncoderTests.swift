import Foundation
import KafkaProtocol
import KafkaStorage
import NIOCore
import Testing

@testable import KafkaServer

/// The zero-copy Fetch encoder writes exactly what the generated encoder writes, at every version it serves.
@Suite("Fetch responses as file regions")
struct FetchResponseEncoderTests {
    @Test(arguments: Array(FetchResponseEncoder.versions))
    func partsEqualTheGeneratedEncoding(version: Int16) throws {
        let path = NSTemporaryDirectory() + "fetch-encoder-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: path) }
        let file = try SegmentFile.open(path, create: true)
        var builder = RecordBatchBuilder()
        for index in 0..<20 {
            builder.append(timestamp: Int64(index), key: [UInt8(index)], value: Array("value-\(index)".utf8))
        }
        let batch = builder.build().buffer
        var padding = ByteBuffer(repeating: 0x55, count: 37)  // the records start mid-file
        try file.write([padding, batch], at: 0)
        padding.clear()
        let slice = FileSlice(file: file, position: 37, length: batch.readableBytes)

        // A read_committed answer: the last stable offset below the high watermark, two aborted transactions.
        var committed = FetchResponseEncoder.Partition(
            index: 2,
            errorCode: .none,
            highWatermark: 20,
            lastStableOffset: 12,
            logStartOffset: 0,
            records: slice
        )
        committed.abortedTransactions = [
            AbortedTransaction(producerID: 9, firstOffset: 3, lastOffset: 6, lastStableOffset: 7),
            AbortedTransaction(producerID: 4000, firstOffset: 8, lastOffset: 10, lastStableOffset: 12),
        ]
        var nothingAborted = FetchResponseEncoder.Partition(
            index: 3,
            errorCode: .none,
            highWatermark: 20,
            lastStableOffset: 20,
            logStartOffset: 0,
            records: nil
        )
        nothingAborted.abortedTransactions = []
        let topics: [(name: String, partitions: [FetchResponseEncoder.Partition])] = [
            (
                "orders",
                [
                    .init(
                        index: 0,
                        errorCode: .none,
                        highWatermark: 20,
                        lastStableOffset: 20,
                        logStartOffset: 0,
                        records: slice
                    ),
                    .init(
                        index: 1,
                        errorCode: .unknownTopicOrPartition,
                        highWatermark: -1,
                        lastStableOffset: -1,
                        logStartOffset: -1,
                        records: nil
                    ),
                    committed,
                    nothingAborted,
                ]
            ),
            (
                "empty",
                [
                    .init(
                        index: 5,
                        errorCode: .none,
                        highWatermark: 7,
                        lastStableOffset: 7,
                        logStartOffset: 2,
                        records: nil
                    )
                ]
            ),
        ]
        var fromParts = ByteBuffer()
        for part in FetchResponseEncoder.encode(topics: topics, version: version, correlationID: 42) {
            switch part {
            case .bytes(let bytes): fromParts.writeImmutableBuffer(bytes)
            case .file(let region): fromParts.writeImmutableBuffer(try region.readBytes())
            }
        }

        let response = FetchResponse(
            errorCode: .none,
            sessionID: 0,
            responses: topics.map { topic in
                .init(
                    topic: topic.name,
                    partitions: topic.partitions.map { partition in
                        .init(
                            partitionIndex: partition.index,
                            errorCode: partition.errorCode,
                            highWatermark: partition.highWatermark,
                            lastStableOffset: partition.lastStableOffset,
                            logStartOffset: partition.logStartOffset,
                            abortedTransactions: partition.abortedTransactions?.map {
                                .init(producerID: $0.producerID, firstOffset: $0.firstOffset)
                            },
                            preferredReadReplica: -1,
                            records: partition.records == nil ? ByteBuffer() : batch
                        )
                    }
                )
            }
        )
        var generated = ByteBuffer()
        ResponseFrame.write(response, version: version, correlationID: 42, to: &generated)
        #expect(fromParts == generated)
    }
}
