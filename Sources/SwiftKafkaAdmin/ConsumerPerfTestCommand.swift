import ArgumentParser
import Foundation
import KafkaClient
import KafkaCore

/// `swiftkafka-admin consumer-perf-test`: `kafka-consumer-perf-test` on the Swift consumer. It joins
/// `--group` (default `perf-consumer-<random>`) from the earliest offset, reads `--messages` records (or stops
/// after `--timeout` ms without one), and prints Kafka 2.8's header and summary line:
/// `start.time, end.time, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, nMsg.sec, rebalance.time.ms,
/// fetch.time.ms, fetch.MB.sec, fetch.nMsg.sec`.
struct ConsumerPerfTestCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "consumer-perf-test",
        abstract: "Measure the consumer's throughput (kafka-consumer-perf-test)."
    )

    @Option(help: "The brokers to bootstrap from, host:port[,host:port...].")
    var bootstrapServer: String
    @Option(help: "The topic to read.")
    var topic: String
    @Option(help: "How many records to read.")
    var messages: Int
    @Option(help: "The consumer group.")
    var group = "perf-consumer-\(Int.random(in: 1..<100_000))"
    @Option(help: "Stop after this many milliseconds without a record.")
    var timeout = 10_000
    @Flag(help: "Leave out the header line.")
    var hideHeader = false
    @Option(parsing: .upToNextOption, help: "Consumer properties as key=value.")
    var consumerProperty: [String] = []

    func run() async throws {
        var properties = [
            "bootstrap.servers": bootstrapServer, "group.id": group, "auto.offset.reset": "earliest",
            "enable.auto.commit": "false",
        ]
        for (key, value) in try parseAssignments(consumerProperty, option: "--consumer-property") {
            properties[key] = value
        }
        let consumer: KafkaConsumer
        do {
            consumer = try KafkaConsumer(properties: properties, logger: stderrLogger("swiftkafka.consumer-perf-test"))
        } catch {
            throw ValidationError("\(error)")
        }
        let startWall = Date()
        let start = ContinuousClock.now
        try await consumer.subscribe(topics: [topic])
        var count = 0
        var bytes = 0
        var firstRecordAt: ContinuousClock.Instant?
        var lastRecordAt = ContinuousClock.now
        while count < messages {
            let records = try await consumer.poll(timeout: .milliseconds(100))
            if records.isEmpty {
                if ContinuousClock.now - lastRecordAt > .milliseconds(timeout) { break }
                continue
            }
            if firstRecordAt == nil { firstRecordAt = .now }
            lastRecordAt = .now
            count += records.count
            for record in records { bytes += (record.key?.readableBytes ?? 0) + (record.value?.readableBytes ?? 0) }
        }
        let end = ContinuousClock.now
        let endWall = Date()
        await consumer.close()
        let elapsed = (end - start).seconds
        let rebalance = ((firstRecordAt ?? end) - start).seconds
        let fetch = max(elapsed - rebalance, 1e-9)
        let megabytes = Double(bytes) / 1024 / 1024
        if !hideHeader {
            print(
                "start.time, end.time, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, nMsg.sec, "
                    + "rebalance.time.ms, fetch.time.ms, fetch.MB.sec, fetch.nMsg.sec"
            )
        }
        let formatter = DateFormatter()
        formatter.dateFormat = "yyyy-MM-dd HH:mm:ss:SSS"
        print(
            formatter.string(from: startWall) + ", " + formatter.string(from: endWall) + ", "
                + String(
                    format: "%.4f, %.4f, %d, %.4f, %d, %d, %.4f, %.4f",
                    megabytes,
                    megabytes / max(elapsed, 1e-9),
                    count,
                    Double(count) / max(elapsed, 1e-9),
                    Int(rebalance * 1000),
                    Int(fetch * 1000),
                    megabytes / fetch,
                    Double(count) / fetch
                )
        )
        if count < messages {
            FileHandle.standardError.write(
                Data(
                    "WARNING: Exiting before consuming the expected number of messages: timeout (\(timeout) ms) exceeded.\n"
                        .utf8
                )
            )
        }
    }
}
