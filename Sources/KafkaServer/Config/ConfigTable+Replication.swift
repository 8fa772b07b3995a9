/// Replication's keys, Kafka 2.8's names and defaults: the ISR (`min.insync.replicas`, unclean election,
/// `replica.lag.time.max.ms`), the followers' fetches (`replica.fetch.*`), fetch sessions, controlled shutdown, and
/// leader rebalancing.
extension ConfigTable {
    static let replication: [ConfigKey] = [
        .log(
            nil,
            topic: "mirror.link",
            \.mirrorLink,
            "Not Kafka's: the cluster link (cluster.link.<name>.* broker settings) this topic mirrors; its leader fetches the source cluster's same topic and partition and appends the batches unchanged, so offsets equal the source's. Produce is refused (read-only). Empty: an ordinary topic."
        ),
        .log(
            "min.insync.replicas",
            topic: "min.insync.replicas",
            \.minInSyncReplicas,
            .atLeast(1),
            "acks=all writes need this many in-sync replicas (NOT_ENOUGH_REPLICAS otherwise); 2 with replication factor 3 is the usual safe setting."
        ),
        .log(
            "unclean.leader.election.enable",
            topic: "unclean.leader.election.enable",
            \.uncleanLeaderElectionEnable,
            "Whether a replica outside the ISR may become leader when no ISR member is alive (it can lose acknowledged messages)."
        ),
        .broker(
            "replica.lag.time.max.ms",
            \.replicaLagTimeMaxMs,
            .atLeast(1),
            "A follower that has not caught up for this long leaves the ISR."
        ),
        .broker(
            "replica.fetch.wait.max.ms",
            \.replicaFetchWaitMaxMs,
            .atLeast(0),
            "How long the leader holds a follower's fetch for new data."
        ),
        .broker(
            "replica.fetch.min.bytes",
            \.replicaFetchMinBytes,
            .atLeast(1),
            "How much data a follower's fetch waits for."
        ),
        .broker(
            "replica.fetch.max.bytes",
            \.replicaFetchMaxBytes,
            .atLeast(0),
            "How much one follower fetch brings per partition."
        ),
        .broker(
            "replica.fetch.response.max.bytes",
            \.replicaFetchResponseMaxBytes,
            .atLeast(0),
            "How much one follower fetch brings in all."
        ),
        .broker(
            "max.incremental.fetch.session.cache.slots",
            \.maxIncrementalFetchSessionCacheSlots,
            .atLeast(0),
            "How many fetch sessions (KIP-227) the broker keeps; 0 answers every fetch in full."
        ),
        .broker(
            "replica.fetch.backoff.ms",
            \.replicaFetchBackoffMs,
            .atLeast(0),
            "How long a follower waits after a failed fetch."
        ),
        .broker(
            "controlled.shutdown.enable",
            \.controlledShutdownEnable,
            "On SIGTERM, move this broker's leaderships away before stopping."
        ),
        .broker(
            "controlled.shutdown.max.retries",
            \.controlledShutdownMaxRetries,
            .atLeast(1),
            "How many times a controlled shutdown is tried."
        ),
        .broker(
            "controlled.shutdown.retry.backoff.ms",
            \.controlledShutdownRetryBackoffMs,
            .atLeast(0),
            "The wait between controlled shutdown attempts."
        ),
        .broker(
            "auto.leader.rebalance.enable",
            \.autoLeaderRebalanceEnable,
            "Move leadership back to the preferred (first) replicas when a broker's share elsewhere passes leader.imbalance.per.broker.percentage."
        ),
        .broker(
            "leader.imbalance.check.interval.seconds",
            \.leaderImbalanceCheckIntervalSeconds,
            .atLeast(1),
            "How often the controller checks the leader imbalance."
        ),
        .broker(
            "leader.imbalance.per.broker.percentage",
            \.leaderImbalancePerBrokerPercentage,
            .atLeast(0),
            "The share of a broker's preferred leaderships held elsewhere that triggers a rebalance."
        ),
    ]
}
