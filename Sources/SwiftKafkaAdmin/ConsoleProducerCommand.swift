import ArgumentParser
import Foundation
import KafkaClient
import KafkaCore

/// `swiftkafka-admin console-producer`: `kafka-console-producer --bootstrap-server B --topic T`, on the Swift
/// producer. Each line of standard input is one record's value; with `--property parse.key=true` the text before
/// `key.separator` (default a tab) is its key. `--request-required-acks` defaults to 1 as in Kafka 2.8's tool (the
/// producer is then not idempotent); `--producer-property k=v` sets any producer key. A record that
/// fails is reported on standard error as Kafka's tool does (`ERROR Error when sending message to topic T ...`);
/// the exit status is 1 when any failed.
struct ConsoleProducerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "console-producer",
        abstract: "Write lines of standard input to a topic (kafka-console-producer)."
    )

    @Option(help: "The brokers to bootstrap from, host:port[,host:port...].")
    var bootstrapServer: String
    @Option(help: "The topic to write to.")
    var topic: String
    @Option(help: "acks: 0, 1 or all.")
    var requestRequiredAcks = "1"
    @Option(help: "none, gzip, snappy, lz4 or zstd.")
    var compressionCodec = "none"
    @Option(parsing: .upToNextOption, help: "Reader properties: parse.key=true, key.separator=<text>.")
    var property: [String] = []
    @Option(parsing: .upToNextOption, help: "Producer properties as key=value.")
    var producerProperty: [String] = []
    @Option(name: .customLong("producer.config"), help: "A producer properties file (security settings, ...).")
    var producerConfig: String?

    func run() async throws {
        let reader = Dictionary(try parseAssignments(property, option: "--property")) { $1 }
        let parseKey = reader["parse.key"] == "true"
        let separator = reader["key.separator"] ?? "\t"
        var properties = [
            "bootstrap.servers": bootstrapServer,
            "acks": requestRequiredAcks,
            "compression.type": compressionCodec,
            "linger.ms": "5",
        ]
        properties.merge(try readClientProperties(producerConfig, option: "--producer.config")) { $1 }
        for (key, value) in try parseAssignments(producerProperty, option: "--producer-property") {
            properties[key] = value
        }
        let producer: KafkaProducer
        do {
            producer = try KafkaProducer(properties: properties, logger: stderrLogger("swiftkafka.console-producer"))
        } catch {
            throw ValidationError("\(error)")
        }
        let failures = FailureCount()
        let topic = topic
        while let line = readLine(strippingNewline: true) {
            var key: [UInt8]?
            var value = Substring(line)
            if parseKey {
                guard let range = line.range(of: separator) else {
                    FileHandle.standardError.write(
                        Data("No key separator found on line: \(line)\n".utf8)
                    )
                    failures.add()
                    continue
                }
                key = Array(line[..<range.lowerBound].utf8)
                value = line[range.upperBound...]
            }
            do {
                try await producer.send(topic: topic, key: key, value: Array(value.utf8)) { result in
                    if case .failure(let error) = result {
                        FileHandle.standardError.write(
                            Data("ERROR Error when sending message to topic \(topic): \(error)\n".utf8)
                        )
                        failures.add()
                    }
                }
            } catch {
                FileHandle.standardError.write(
                    Data("ERROR Error when sending message to topic \(topic): \(error)\n".utf8)
                )
                failures.add()
            }
        }
        await producer.close()
        if failures.value > 0 { throw ExitCode(1) }
    }
}
