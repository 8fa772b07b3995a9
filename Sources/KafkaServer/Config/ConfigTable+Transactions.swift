/// The transaction coordinator's settings, Kafka 2.8's names and defaults: `__transaction_state` (created on the
/// first FindCoordinator for a transactional id) and the coordinator's limits and periodic tasks.
extension ConfigTable {
    static let transactionCoordinator: [ConfigKey] = [
        .broker(
            "transaction.state.log.num.partitions",
            \.transactionStateLogNumPartitions,
            .atLeast(1),
            "Partitions of __transaction_state (never change it once the topic exists)."
        ),
        .broker(
            "transaction.state.log.replication.factor",
            \.transactionStateLogReplicationFactor,
            .atLeast(1),
            "Replication factor of __transaction_state; the topic is not created while fewer brokers are alive."
        ),
        .broker(
            "transaction.state.log.min.isr",
            \.transactionStateLogMinIsr,
            .atLeast(1),
            "min.insync.replicas of __transaction_state."
        ),
        .broker(
            "transaction.state.log.segment.bytes",
            \.transactionStateLogSegmentBytes,
            .atLeast(1),
            "segment.bytes of __transaction_state."
        ),
        .broker(
            "transaction.max.timeout.ms",
            \.transactionMaxTimeoutMs,
            .atLeast(1),
            "The longest transaction.timeout.ms a producer may ask for (INVALID_TRANSACTION_TIMEOUT above it)."
        ),
        .broker(
            "transactional.id.expiration.ms",
            \.transactionalIDExpirationMs,
            .atLeast(1),
            "A transactional id without a transaction for this long is removed; so is, at each partition, a producer"
                + " without an open transaction whose last write is this old."
        ),
        .broker(
            "producer.id.expiration.check.interval.ms",
            \.producerIDExpirationCheckIntervalMs,
            .atLeast(1),
            "How often partitions forget producers idle past transactional.id.expiration.ms (Kafka 2.8's fixed"
                + " 10 minutes; the key is Kafka 3.5's)."
        ),
        .broker(
            "transaction.abort.timed.out.transaction.cleanup.interval.ms",
            \.transactionAbortTimedOutCleanupIntervalMs,
            .atLeast(1),
            "How often transactions open longer than their timeout are aborted."
        ),
        .broker(
            "transaction.remove.expired.transaction.cleanup.interval.ms",
            \.transactionRemoveExpiredCleanupIntervalMs,
            .atLeast(1),
            "How often expired transactional ids are removed."
        ),
    ]
}
