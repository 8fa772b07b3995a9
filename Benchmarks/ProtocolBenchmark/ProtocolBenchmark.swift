import ArgumentParser
import Foundation
import KafkaProtocol
import NIOCore

/// Throughput of the protocol layer's hot paths, beside memcpy of the same bytes as the machine's ceiling:
/// CRC-32C, validation of a 1 MiB batch of 100-byte records, and decoding a Produce request that carries it.
@main
struct ProtocolBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "protocol-bench",
        abstract: "CRC-32C, batch validation and Produce decoding throughput."
    )

    @Option(help: "Seconds per measurement.")
    var seconds = 1.0

    func run() throws {
        let batch = Self.batch(bytes: 1 << 20, recordSize: 100)
        let bytes = Array(batch.buffer.readableBytesView)
        print(
            "batch: \(batch.sizeInBytes) bytes, \(batch.recordCount) records of "
                + String(format: "%.1f", Double(batch.sizeInBytes - RecordBatch.headerSize) / Double(batch.recordCount))
                + " bytes on average"
        )
        print("CRC-32C hardware instruction in use: \(CRC32C.isHardwareAccelerated)")
        print("")

        var target = [UInt8](repeating: 0, count: bytes.count)
        let memcpyRate = measure(bytesPerRound: bytes.count) {
            target.withUnsafeMutableBytes { destination in
                bytes.withUnsafeBytes { source in destination.copyMemory(from: source) }
            }
        }
        let crcRate = measure(bytesPerRound: bytes.count) {
            blackHole(bytes.withUnsafeBytes { CRC32C.checksum($0) })
        }
        let portableRate = measure(bytesPerRound: bytes.count) { blackHole(CRC32C.portableChecksum(bytes)) }
        let validateRate = measure(bytesPerRound: bytes.count) {
            try! batch.validate(maxSize: 2 << 20, decompressionLimit: 2 << 20)
        }

        // A Produce v9 request frame carrying the batch, decoded to the records slice.
        var request = ProduceRequest(
            transactionalID: nil,
            acks: -1,
            timeoutMs: 30_000,
            topicData: [
                .init(name: "bench", partitionData: [.init(index: 0, records: batch.buffer)])
            ]
        )
        var frame = ByteBuffer()
        RequestHeader(requestApiKey: 0, requestApiVersion: 9, correlationID: 1, clientID: "bench")
            .write(to: &frame, version: 2)
        request.write(to: &frame, version: 9)
        request = ProduceRequest()
        var copied = false
        let decodeRate = measure(bytesPerRound: frame.readableBytes) {
            let decoded = try! RequestFrame(frame: frame)
            let produce: ProduceRequest = try! decoded.decodeBody()
            let records = produce.topicData[0].partitionData[0].records!
            // The records must be a view of the frame's storage, not a copy.
            let framePointer = frame.withUnsafeReadableBytes { UInt(bitPattern: $0.baseAddress) }
            let recordsPointer = records.withUnsafeReadableBytes { UInt(bitPattern: $0.baseAddress) }
            copied =
                copied || recordsPointer < framePointer || recordsPointer >= framePointer + UInt(frame.readableBytes)
        }

        func row(_ name: String, _ rate: Double, _ target: String) {
            print(
                name.padding(toLength: 44, withPad: " ", startingAt: 0) + String(format: "%8.2f GB/s", rate / 1e9)
                    + "   " + target
            )
        }
        row("memcpy (ceiling)", memcpyRate, "")
        row("CRC-32C", crcRate, "target >= 5 GB/s")
        row("CRC-32C, portable table (fallback)", portableRate, "")
        row("validate 1 MiB batch (CRC + record walk)", validateRate, "target >= 2 GB/s")
        let nanosecondsPerRequest = Double(frame.readableBytes) / decodeRate * 1e9
        print(
            "decode Produce v9 request with 1 MiB batch".padding(toLength: 44, withPad: " ", startingAt: 0)
                + String(format: "%8.0f ns   ", nanosecondsPerRequest) + "records copied: \(copied)"
        )
    }

    /// Bytes per second of `body` over `seconds`.
    func measure(bytesPerRound: Int, _ body: () -> Void) -> Double {
        for _ in 0..<3 { body() }
        var rounds = 0
        let start = ContinuousClock.now
        let deadline = start + .milliseconds(Int(seconds * 1000))
        while ContinuousClock.now < deadline {
            body()
            rounds += 1
        }
        let elapsed = ContinuousClock.now - start
        let secondsElapsed = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        return Double(rounds * bytesPerRound) / secondsElapsed
    }

    /// An uncompressed batch of about `bytes` bytes of `recordSize`-byte records (each record's encoded size).
    static func batch(bytes: Int, recordSize: Int) -> RecordBatch {
        var builder = RecordBatchBuilder()
        let key = Array("key-0000".utf8)
        // A record's overhead here is 11 bytes: length 2, attributes 1, timestamp and offset deltas 2 + 2, key
        // length 1, value length 2, header count 1.
        let value = [UInt8](repeating: 0x61, count: recordSize - key.count - 11)
        let count = (bytes - RecordBatch.headerSize) / recordSize
        for index in 0..<count { builder.append(timestamp: 1_700_000_000_000 + Int64(index), key: key, value: value) }
        return builder.build()
    }
}

@inline(never)
func blackHole<T>(_ value: T) {
    withExtendedLifetime(value) {}
}
