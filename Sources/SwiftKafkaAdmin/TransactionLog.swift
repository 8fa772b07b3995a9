import KafkaClient
import KafkaCore
import KafkaProtocol
import NIOCore

/// The transaction coordinators' state as `__transaction_state` records it, read from the beginning to the end of
/// every partition with the library's consumer: for each transactional id its last logged value (tombstoned ids
/// left out) and the broker leading its partition (its coordinator). Used by `transactions list` and `describe`.
enum TransactionLog {
    static let topic = "__transaction_state"

    static func read(
        _ client: AdminClient,
        bootstrap: String
    ) async throws -> [String: (coordinator: BrokerID, value: TransactionLogValue)] {
        guard let described = try await client.admin.describeTopics([topic]).first, described.error == .none else {
            return [:]  // no transaction has been started on this cluster
        }
        let leaders = Dictionary(uniqueKeysWithValues: described.partitions.map { ($0.partition, $0.leader) })
        let partitions = described.partitions.map { TopicPartition(topic, $0.partition) }
        let consumer = try KafkaConsumer(
            properties: client.connectionProperties.merging(["client.id": "swiftkafka-admin-transactions"]) { $1 },
            logger: stderrLogger("swiftkafka.transactions")
        )
        var found: [String: (coordinator: BrokerID, value: TransactionLogValue)] = [:]
        do {
            try await consumer.assign(partitions)
            try await consumer.seekToBeginning(partitions)
            let ends = try await consumer.endOffsets(partitions)
            var remaining = Set(partitions.filter { (ends[$0] ?? 0) > 0 })
            while !remaining.isEmpty {
                for record in try await consumer.poll(timeout: .milliseconds(500)) {
                    guard let key = record.key, let id = TransactionLogRecords.decodeKey(key) else { continue }
                    if let value = record.value.flatMap(TransactionLogRecords.decodeValue) {
                        found[id] = (leaders[record.partition] ?? -1, value)
                    } else {
                        found.removeValue(forKey: id)
                    }
                }
                for partition in remaining {
                    if try await consumer.position(partition) >= ends[partition] ?? 0 { remaining.remove(partition) }
                }
            }
        } catch {
            await consumer.close()
            throw error
        }
        await consumer.close()
        return found
    }
}
