import KafkaReplication
import KafkaStorage
import ServiceLifecycle

/// Retention, flushes and checkpoints at Kafka's intervals (`log.retention.check.interval.ms`,
/// `log.flush.offset.checkpoint.interval.ms`; dirty logs flushed every second when `log.flush.*` ask for it; deleted
/// partitions' directories removed once `file.delete.delay.ms` has passed), one
/// after the other on one task, as the log manager's scheduled jobs.
struct LogMaintenance: Service {
    let logManager: LogManager
    let replicaManager: ReplicaManager
    let retentionCheckInterval: Duration
    let checkpointInterval: Duration

    func run() async throws {
        try? await cancelWhenGracefulShutdown {
            var lastRetention = ContinuousClock.now
            var lastCheckpoint = ContinuousClock.now
            while true {
                try await Task.sleep(for: .seconds(1))
                let now = ContinuousClock.now
                logManager.flushDirtyLogs()
                // Kafka's kafka-delete-logs job: deleted partitions' directories once file.delete.delay.ms passed.
                logManager.purgeDeletedDirectories()
                if now - lastRetention >= retentionCheckInterval {
                    let highWatermarks = replicaManager.highWatermarks
                    logManager.runRetention { highWatermarks[$0] }
                    lastRetention = now
                }
                if now - lastCheckpoint >= checkpointInterval {
                    logManager.checkpointRecoveryPointsAndLogStartOffsets()
                    try? logManager.checkpointHighWatermarks(replicaManager.highWatermarks)
                    lastCheckpoint = now
                }
            }
        }
    }
}
