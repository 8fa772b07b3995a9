import ArgumentParser
import Foundation
import KafkaClient
import KafkaCore
import KafkaProtocol

/// `swiftkafka-admin delete-records`: `kafka-delete-records --bootstrap-server B --offset-json-file F`, with F as
/// Kafka's `{"partitions":[{"topic":"t","partition":0,"offset":5}],"version":1}` (offset -1: the high
/// watermark). Each partition's leader gets a DeleteRecords request; output as Kafka 2.8 prints it:
/// `Executing records delete operation`, `Records delete operation completed:`, then per partition
/// `partition: t-0<TAB>low_watermark: 5` or `partition: t-0<TAB>error: …` (then exit 1).
struct DeleteRecordsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "delete-records",
        abstract: "Delete the records of partitions before given offsets (kafka-delete-records)."
    )

    @OptionGroup var cluster: ClusterOptions
    @Option(
        help: "The JSON file of partitions and offsets: {\"partitions\":[{\"topic\":…,\"partition\":…,\"offset\":…}]}."
    )
    var offsetJsonFile: String

    func run() async throws {
        let offsets = try Self.offsets(fromFile: offsetJsonFile)
        try await cluster.withClient(failurePrefix: "Error: ") { client in
            print("Executing records delete operation")
            let results = try await deleteRecords(offsets, client)
            print("Records delete operation completed:")
            var failed = false
            for (partition, _) in offsets {
                switch results[partition] {
                case .some((let code, let lowWatermark)) where code == .none:
                    print("partition: \(partition)\tlow_watermark: \(lowWatermark)")
                case .some((let code, _)):
                    failed = true
                    print("partition: \(partition)\terror: \(errorText(code, nil))")
                case .none:
                    failed = true
                    print("partition: \(partition)\terror: no leader for the partition")
                }
            }
            if failed { throw ExitCode(1) }
        }
    }

    /// The leaders' answers by partition: (error code, low watermark).
    private func deleteRecords(
        _ offsets: [(TopicPartition, Int64)],
        _ client: AdminClient
    ) async throws -> [TopicPartition: (KafkaErrorCode, Int64)] {
        let results = try await client.admin.deleteRecords(Dictionary(offsets) { first, _ in first })
        return results.mapValues { result in
            switch result {
            case .success(let lowWatermark): (KafkaErrorCode.none, lowWatermark)
            case .failure(let error): (error.code, -1)
            }
        }
    }

    /// The partitions and offsets of Kafka's offset JSON file, in file order; duplicates are refused as Kafka does.
    static func offsets(fromFile path: String) throws -> [(TopicPartition, Int64)] {
        let offsets = try partitionEntries(fromFile: path, option: "--offset-json-file").map { partition, entry in
            guard let offset = (entry["offset"] as? NSNumber)?.int64Value else {
                throw ValidationError("--offset-json-file \(path): \(partition) has no offset")
            }
            return (partition, offset)
        }
        let counted = Dictionary(grouping: offsets.map(\.0), by: { $0 }).filter { $0.value.count > 1 }.keys
        guard counted.isEmpty else {
            throw ValidationError(
                "Offset json file contains duplicate topic partitions: \(counted.sorted().map(\.description).joined(separator: ","))"
            )
        }
        return offsets
    }
}
