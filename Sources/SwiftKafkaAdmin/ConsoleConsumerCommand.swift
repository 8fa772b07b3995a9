import ArgumentParser
import Foundation
import KafkaClient
import KafkaCore
import Logging
import NIOCore
import Synchronization

/// `swiftkafka-admin console-consumer`: `kafka-console-consumer --bootstrap-server B --topic T`, on the Swift
/// consumer. Without `--group` it joins a group named `console-consumer-<random>` as Kafka's tool does (with
/// `--partition` it reads that partition alone, outside a group). Output as Kafka 2.8's `DefaultMessageFormatter`:
/// per record `CreateTime:<ts>`, `Partition:<p>`, `Offset:<o>`, key, value — each only when its `print.*` property
/// is true (value always), separated by tabs, `null` for a missing key or value. It stops after `--max-messages`
/// or when `--timeout-ms` passes without a record, then prints `Processed a total of N messages` to standard error.
struct ConsoleConsumerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "console-consumer",
        abstract: "Print the records of a topic (kafka-console-consumer)."
    )

    @Option(help: "The brokers to bootstrap from, host:port[,host:port...].")
    var bootstrapServer: String
    @Option(help: "The topic to read.")
    var topic: String
    @Option(help: "The consumer group (default: console-consumer-<random>).")
    var group: String?
    @Flag(help: "Start at the earliest offset when the group has none committed.")
    var fromBeginning = false
    @Option(help: "Read only this partition (no group).")
    var partition: Int32?
    @Option(help: "With --partition: the offset to start at, or earliest / latest.")
    var offset = "latest"
    @Option(help: "Stop after this many records.")
    var maxMessages: Int?
    @Option(help: "Stop when no record came for this long.")
    var timeoutMs: Int?
    @Option(parsing: .upToNextOption, help: "Formatter properties: print.key, print.timestamp, print.partition, ...")
    var property: [String] = []
    @Option(parsing: .upToNextOption, help: "Consumer properties as key=value.")
    var consumerProperty: [String] = []
    @Option(name: .customLong("consumer.config"), help: "A consumer properties file (security settings, ...).")
    var consumerConfig: String?

    func run() async throws {
        let format = try RecordFormat(Dictionary(try parseAssignments(property, option: "--property")) { $1 })
        var properties = [
            "bootstrap.servers": bootstrapServer,
            "auto.offset.reset": fromBeginning ? "earliest" : "latest",
        ]
        if partition == nil { properties["group.id"] = group ?? "console-consumer-\(Int.random(in: 1..<100_000))" }
        properties.merge(try readClientProperties(consumerConfig, option: "--consumer.config")) { $1 }
        for (key, value) in try parseAssignments(consumerProperty, option: "--consumer-property") {
            properties[key] = value
        }
        let consumer: KafkaConsumer
        do {
            consumer = try KafkaConsumer(properties: properties, logger: stderrLogger("swiftkafka.console-consumer"))
        } catch {
            throw ValidationError("\(error)")
        }
        if let partition {
            let target = TopicPartition(topic, partition)
            try await consumer.assign([target])
            switch offset {
            case "earliest": try await consumer.seekToBeginning([target])
            case "latest": if !fromBeginning { try await consumer.seekToEnd([target]) }
            default:
                guard let start = Int64(offset) else { throw ValidationError("--offset \(offset) is not a number") }
                try await consumer.seek(target, to: start)
            }
        } else {
            try await consumer.subscribe(topics: [topic])
        }
        var processed = 0
        var lastRecord = ContinuousClock.now
        var failure: (any Error)?
        reading: while true {
            let records: [ConsumerRecord]
            do {
                records = try await consumer.poll(timeout: .milliseconds(200))
            } catch {
                failure = error
                break
            }
            if records.isEmpty, let timeoutMs, ContinuousClock.now - lastRecord > .milliseconds(timeoutMs) { break }
            if !records.isEmpty { lastRecord = .now }
            var output = ""
            for record in records {
                output += format.line(record)
                processed += 1
                if let maxMessages, processed >= maxMessages {
                    FileHandle.standardOutput.write(Data(output.utf8))
                    break reading
                }
            }
            FileHandle.standardOutput.write(Data(output.utf8))
        }
        await consumer.close()
        FileHandle.standardError.write(Data("Processed a total of \(processed) messages\n".utf8))
        if let failure {
            FileHandle.standardError.write(
                Data("ERROR Error processing message, terminating consumer process: \(failure)\n".utf8)
            )
            throw ExitCode(1)
        }
    }
}

/// Kafka's `DefaultMessageFormatter` settings.
struct RecordFormat {
    var printTimestamp = false
    var printPartition = false
    var printOffset = false
    var printKey = false
    var printValue = true
    var keySeparator = "\t"
    var lineSeparator = "\n"

    init(_ properties: [String: String]) throws {
        for (key, value) in properties {
            switch key {
            case "print.timestamp": printTimestamp = value == "true"
            case "print.partition": printPartition = value == "true"
            case "print.offset": printOffset = value == "true"
            case "print.key": printKey = value == "true"
            case "print.value": printValue = value == "true"
            case "key.separator": keySeparator = value
            case "line.separator": lineSeparator = value
            default: throw ValidationError("--property \(key) is not a formatter property")
            }
        }
    }

    func line(_ record: ConsumerRecord) -> String {
        var line = ""
        if printTimestamp {
            line += (record.timestampType == .logAppendTime ? "LogAppendTime:" : "CreateTime:") + "\(record.timestamp)"
            line += keySeparator
        }
        if printPartition { line += "Partition:\(record.partition)" + keySeparator }
        if printOffset { line += "Offset:\(record.offset)" + keySeparator }
        if printKey { line += (record.key.map { String(buffer: $0) } ?? "null") + (printValue ? keySeparator : "") }
        if printValue { line += record.value.map { String(buffer: $0) } ?? "null" }
        return line + lineSeparator
    }
}

/// A count shared with delivery callbacks.
final class FailureCount: Sendable {
    private let count = Mutex(0)
    func add() { count.withLock { $0 += 1 } }
    var value: Int { count.withLock { $0 } }
}

/// A logger that writes to standard error, so standard output carries only records.
func stderrLogger(_ label: String) -> Logger {
    Logger(label: label) { StreamLogHandler.standardError(label: $0) }
}
