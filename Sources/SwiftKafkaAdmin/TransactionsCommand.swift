import ArgumentParser
import Foundation
import KafkaClient
import KafkaCore
import KafkaProtocol

/// `swiftkafka-admin transactions`: Kafka 3.0's `kafka-transactions` (KIP-664) for a ZooKeeper-era cluster, with its
/// subcommands, flags and tables (columns padded and tab-separated, as its `prettyPrintTable` prints them).
/// `describe-producers`, `find-hanging` and `abort` use DescribeProducers and WriteTxnMarkers at the partition leaders,
/// which Kafka 2.8 serves; `list` and `describe` read the coordinators' state from `__transaction_state` itself (Kafka
/// 2.8 has no ListTransactions or DescribeTransactions), so they show what was last logged for each id.
struct TransactionsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "transactions",
        abstract: "List and describe transactions, find and abort hanging ones (kafka-transactions).",
        subcommands: [List.self, Describe.self, DescribeProducers.self, FindHanging.self, Abort.self]
    )

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List transactional ids and their state.")
        @OptionGroup var cluster: ClusterOptions
        @Option(help: "Only transactions open longer than this many milliseconds (< 0: all).")
        var durationFilter: Int64 = -1

        func run() async throws {
            try await cluster.withClient(failurePrefix: "Failed to list transactions due to ") { client in
                let now = Int64(Date().timeIntervalSince1970 * 1000)
                let rows = try await TransactionLog.read(client, bootstrap: cluster.bootstrapServer).sorted {
                    $0.key < $1.key
                }.compactMap { id, entry -> [String]? in
                    if durationFilter >= 0 {
                        // Only running transactions, open longer than the filter.
                        guard [.ongoing, .prepareCommit, .prepareAbort].contains(entry.value.state),
                            now - entry.value.startTimestampMs > durationFilter
                        else { return nil }
                    }
                    return [id, "\(entry.coordinator)", "\(entry.value.producerID)", entry.value.state.name]
                }
                printTable(["TransactionalId", "Coordinator", "ProducerId", "TransactionState"], rows)
            }
        }
    }

    struct Describe: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Describe the state of a transactional id.")
        @OptionGroup var cluster: ClusterOptions
        @Option(help: "The transactional id.") var transactionalId: String

        func run() async throws {
            let prefix = "Failed to describe transaction state of transactional-id `\(transactionalId)` due to "
            try await cluster.withClient(failurePrefix: prefix) { client in
                guard
                    let entry = try await TransactionLog.read(client, bootstrap: cluster.bootstrapServer)[
                        transactionalId
                    ]
                else { throw Failure("TransactionalIdNotFoundException: the transactional id is not known") }
                let value = entry.value
                let now = Int64(Date().timeIntervalSince1970 * 1000)
                let started = value.startTimestampMs >= 0 && value.state != .empty
                let partitions = (value.partitions ?? []).flatMap { topic in
                    topic.partitions.map { "\(topic.topic)-\($0)" }
                }
                printTable(
                    [
                        "CoordinatorId", "TransactionalId", "ProducerId", "ProducerEpoch", "TransactionState",
                        "TransactionTimeoutMs", "CurrentTransactionStartTimeMs", "TransactionDurationMs",
                        "TopicPartitions",
                    ],
                    [
                        [
                            "\(entry.coordinator)", transactionalId, "\(value.producerID)", "\(value.producerEpoch)",
                            value.state.name, "\(value.transactionTimeoutMs)",
                            started ? "\(value.startTimestampMs)" : "None",
                            started ? "\(now - value.startTimestampMs)" : "None", partitions.joined(separator: ","),
                        ]
                    ]
                )
            }
        }
    }

    struct DescribeProducers: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "describe-producers",
            abstract: "Describe the active producers of a partition."
        )
        @OptionGroup var cluster: ClusterOptions
        @Option(help: "The topic.") var topic: String
        @Option(help: "The partition.") var partition: Int32

        func run() async throws {
            let target = TopicPartition(topic, partition)
            try await cluster.withClient(
                failurePrefix: "Failed to describe producers for partition \(target) on leader due to "
            ) {
                client in
                guard let result = try await client.admin.describeProducers([target])[target] else {
                    throw Failure("the partition has no leader")
                }
                let rows = try result.orFail().map { producer in
                    [
                        "\(producer.producerID)", "\(producer.producerEpoch)", "\(producer.coordinatorEpoch)",
                        "\(producer.lastSequence)", "\(producer.lastTimestamp)",
                        producer.currentTransactionStartOffset.map { "\($0)" } ?? "None",
                    ]
                }
                printTable(
                    [
                        "ProducerId", "ProducerEpoch", "LatestCoordinatorEpoch", "LastSequence", "LastTimestamp",
                        "CurrentTransactionStartOffset",
                    ],
                    rows
                )
            }
        }
    }

    struct FindHanging: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "find-hanging",
            abstract: "Find open transactions their coordinator no longer knows, older than the longest timeout."
        )
        @OptionGroup var cluster: ClusterOptions
        @Option(help: "The topic to search.") var topic: String
        @Option(help: "Only this partition.") var partition: Int32?
        @Option(help: "The longest transaction timeout in minutes: open transactions younger than it are not hanging.")
        var maxTransactionTimeout: Int64 = 15

        func run() async throws {
            try await cluster.withClient(failurePrefix: "Failed to find hanging transactions due to ") { client in
                let partitions: [TopicPartition]
                if let partition {
                    partitions = [TopicPartition(topic, partition)]
                } else {
                    let described = try await client.admin.describeTopics([topic])
                    partitions = described.flatMap { $0.partitions.map { TopicPartition(topic, $0.partition) } }
                }
                let now = Int64(Date().timeIntervalSince1970 * 1000)
                let horizon = now - maxTransactionTimeout * 60_000
                var candidates: [(TopicPartition, KafkaAdminClient.ProducerState)] = []
                for (target, result) in try await client.admin.describeProducers(partitions) {
                    for producer in try result.orFail()
                    where producer.currentTransactionStartOffset != nil && producer.lastTimestamp < horizon {
                        candidates.append((target, producer))
                    }
                }
                // Hanging: the producer's transactional id is unknown, or its logged transaction does not include
                // the partition (so no marker will come).
                let log =
                    candidates.isEmpty ? [:] : try await TransactionLog.read(client, bootstrap: cluster.bootstrapServer)
                let hanging = candidates.filter { target, producer in
                    guard let entry = log.values.first(where: { $0.value.producerID == producer.producerID }) else {
                        return true
                    }
                    let open = (entry.value.partitions ?? []).contains {
                        $0.topic == target.topic && $0.partitions.contains(target.partition)
                    }
                    return !(open && [.ongoing, .prepareCommit, .prepareAbort].contains(entry.value.state))
                }.sorted { ($0.0, $0.1.producerID) < ($1.0, $1.1.producerID) }
                printTable(
                    [
                        "Topic", "Partition", "ProducerId", "ProducerEpoch", "CoordinatorEpoch", "StartOffset",
                        "LastTimestamp", "Duration(min)",
                    ],
                    hanging.map { target, producer in
                        [
                            target.topic, "\(target.partition)", "\(producer.producerID)", "\(producer.producerEpoch)",
                            "\(producer.coordinatorEpoch)", "\(producer.currentTransactionStartOffset ?? -1)",
                            "\(producer.lastTimestamp)", "\((now - producer.lastTimestamp) / 60_000)",
                        ]
                    }
                )
            }
        }
    }

    struct Abort: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Abort a hanging transaction at one partition (writes an ABORT marker there)."
        )
        @OptionGroup var cluster: ClusterOptions
        @Option(help: "The topic.") var topic: String
        @Option(help: "The partition.") var partition: Int32
        @Option(help: "The first offset of the transaction to abort.") var startOffset: Int64?
        @Option(help: "Without --start-offset: the producer id.") var producerId: Int64?
        @Option(help: "Without --start-offset: the producer epoch.") var producerEpoch: Int16?
        @Option(help: "Without --start-offset: the coordinator epoch.") var coordinatorEpoch: Int32?

        func run() async throws {
            let target = TopicPartition(topic, partition)
            try await cluster.withClient(failurePrefix: "Failed to abort transaction due to ") { client in
                let (producer, epoch, coordinator): (Int64, Int16, Int32)
                if let startOffset {
                    guard let result = try await client.admin.describeProducers([target])[target] else {
                        throw Failure("the partition has no leader")
                    }
                    guard
                        let found = try result.orFail().first(where: { $0.currentTransactionStartOffset == startOffset }
                        )
                    else {
                        throw Failure(
                            "Could not find any open transactions starting at offset \(startOffset) on partition \(target)"
                        )
                    }
                    (producer, epoch, coordinator) = (
                        found.producerID, Int16(found.producerEpoch), found.coordinatorEpoch
                    )
                } else {
                    guard let producerId, let producerEpoch, let coordinatorEpoch else {
                        throw ValidationError(
                            "The transaction to abort must be identified either with --start-offset or with --producer-id, --producer-epoch, and --coordinator-epoch"
                        )
                    }
                    (producer, epoch, coordinator) = (producerId, producerEpoch, coordinatorEpoch)
                }
                try await client.admin.abortTransaction(
                    target,
                    producerID: producer,
                    producerEpoch: epoch,
                    coordinatorEpoch: coordinator
                )
            }
        }
    }
}

/// Kafka's `ToolsUtils.prettyPrintTable`: each column padded to its widest cell, every cell followed by a tab.
func printTable(_ headers: [String], _ rows: [[String]]) {
    var widths = headers.map(\.count)
    for row in rows { for (index, cell) in row.enumerated() { widths[index] = max(widths[index], cell.count) } }
    for row in [headers] + rows {
        print(row.enumerated().map { $1.padding(toLength: widths[$0], withPad: " ", startingAt: 0) + "\t" }.joined())
    }
}
