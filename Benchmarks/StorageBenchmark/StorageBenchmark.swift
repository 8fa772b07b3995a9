import ArgumentParser
import Foundation
import KafkaCore
import KafkaProtocol
import KafkaStorage
import Logging
import NIOCore

/// Log append throughput for 1 MiB batches beside a plain sequential write of the same size to the same disk (in
/// the same run, alternating), recovery speed after a simulated crash, and the process's memory as the log grows.
@main
struct StorageBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "storage-bench",
        abstract: "Log append, recovery and memory against plain sequential writes."
    )

    @Option(help: "Directory to write in (on the disk to measure).")
    var directory = "/var/tmp"

    @Option(help: "Megabytes per measurement.")
    var megabytes = 1024

    @Option(help: "Rounds of each write measurement (alternating); the median counts.")
    var rounds = 3

    func run() throws {
        let root = "\(directory)/swiftkafka-storage-bench-\(ProcessInfo.processInfo.processIdentifier)"
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: root) }
        let batch = Self.batch()
        let count = megabytes * (1 << 20) / batch.readableBytes
        let total = Double(count * batch.readableBytes)
        print("writing \(count) batches of \(batch.readableBytes) bytes (\(megabytes) MiB) per measurement in \(root)")

        var plainRates: [Double] = []
        var appendRates: [Double] = []
        var rssAfterQuarter = 0
        var rssAfterAll = 0
        for round in 0..<rounds {
            plainRates.append(try plainWrite(root: root, buffer: batch, count: count, total: total))
            let logDirectory = "\(root)/bench-\(round)"
            let log = try Log.load(
                directory: logDirectory,
                topicPartition: TopicPartition("bench", Int32(round)),
                config: LogConfig(),
                recoveryPoint: 0,
                logStartOffset: 0,
                hadCleanShutdown: true,
                clock: SystemClock(),
                logger: Logger(label: "bench")
            )
            let start = ContinuousClock.now
            for index in 0..<count {
                try log.append(batch, origin: .client, leaderEpoch: 0)
                if index == count / 4 && round == rounds - 1 { rssAfterQuarter = Self.residentBytes() }
            }
            appendRates.append(total / Self.seconds(ContinuousClock.now - start))
            if round == rounds - 1 { rssAfterAll = Self.residentBytes() }
            log.close()
            if round < rounds - 1 { try FileManager.default.removeItem(atPath: logDirectory) }
        }

        // Recovery of the last log as after a crash: every batch validated from offset 0.
        let start = ContinuousClock.now
        let recovered = try Log.load(
            directory: "\(root)/bench-\(rounds - 1)",
            topicPartition: TopicPartition("bench", Int32(rounds - 1)),
            config: LogConfig(),
            recoveryPoint: 0,
            logStartOffset: 0,
            hadCleanShutdown: false,
            clock: SystemClock(),
            logger: Logger(label: "bench")
        )
        let recoveryRate = total / Self.seconds(ContinuousClock.now - start)
        precondition(recovered.logEndOffset == Int64(count) * Int64(RecordBatch(unchecked: batch).recordCount))
        recovered.close()

        let plain = plainRates.sorted()[rounds / 2]
        let append = appendRates.sorted()[rounds / 2]
        func gb(_ rate: Double) -> String { String(format: "%.2f GB/s", rate / 1e9) }
        print("")
        print("plain sequential write (pwrite 1 MiB)   \(gb(plain))   rounds: \(plainRates.map(gb))")
        print("log append (1 MiB batches)              \(gb(append))   rounds: \(appendRates.map(gb))")
        print(String(format: "append / plain write                    %.0f%%   target >= 70%%", append / plain * 100))
        print("recovery (validate every batch)         \(gb(recoveryRate))   target >= 1 GB/s (page cache warm)")
        print("resident memory after 1/4 of the log    \(rssAfterQuarter / (1 << 20)) MiB")
        print("resident memory after all of it         \(rssAfterAll / (1 << 20)) MiB")
    }

    /// A plain sequential write of `count` × `buffer` with pwrite to a new file, bytes per second.
    func plainWrite(root: String, buffer: ByteBuffer, count: Int, total: Double) throws -> Double {
        let path = "\(root)/plain"
        let descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        precondition(descriptor >= 0)
        defer {
            close(descriptor)
            unlink(path)
        }
        let start = ContinuousClock.now
        try buffer.withUnsafeReadableBytes { bytes in
            var position: off_t = 0
            for _ in 0..<count {
                let written = pwrite(descriptor, bytes.baseAddress, bytes.count, position)
                guard written == bytes.count else { throw CocoaError(.fileWriteUnknown) }
                position += off_t(written)
            }
        }
        return total / Self.seconds(ContinuousClock.now - start)
    }

    /// A 1 MiB batch of 1 KiB records.
    static func batch() -> ByteBuffer {
        var builder = RecordBatchBuilder()
        let value = [UInt8](repeating: 0x42, count: 1000)
        while true {
            builder.append(timestamp: 1_700_000_000_000, key: nil, value: value)
            if builder.build().sizeInBytes > (1 << 20) - 1100 { break }
        }
        return builder.build().buffer
    }

    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }

    static func residentBytes() -> Int {
        guard let statm = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return 0 }
        let fields = statm.split(separator: " ")
        return (Int(fields[1]) ?? 0) * Int(sysconf(Int32(_SC_PAGESIZE)))
    }
}
