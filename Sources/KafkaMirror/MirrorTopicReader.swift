public import KafkaClient
public import KafkaCore

/// Reads one partition of a MirrorMaker 2 internal topic (offset syncs, checkpoints: one compacted partition each)
/// up to the end it had when the read began, handing over each record's key and value bytes; records without
/// both are skipped. Used by the checkpoint task and by `swiftkafka-admin mirror translate-offsets`. Stateless:
/// the caller owns the consumer, assigned and positioned.
public enum MirrorTopicReader {
    /// Polls `partition` until the consumer's position reaches its current end offset or `timeout` passes;
    /// whether the end was reached.
    public static func readToEnd(
        _ consumer: KafkaConsumer,
        _ partition: TopicPartition,
        timeout: Duration,
        _ each: (_ key: [UInt8], _ value: [UInt8]) -> Void
    ) async throws -> Bool {
        let end = try await consumer.endOffsets([partition])[partition] ?? 0
        let deadline = ContinuousClock.now + timeout
        while try await consumer.position(partition) < end {
            guard ContinuousClock.now < deadline else { return false }
            for record in try await consumer.poll(timeout: .milliseconds(200)) {
                guard let key = record.key, let value = record.value else { continue }
                each(Array(key.readableBytesView), Array(value.readableBytesView))
            }
        }
        return true
    }
}
