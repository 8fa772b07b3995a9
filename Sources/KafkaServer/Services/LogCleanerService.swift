import KafkaStorage
import ServiceLifecycle

/// Kafka's log cleaner thread (`log.cleaner.enable`, one thread): cleans the filthiest compacted log
/// (`LogCleanerManager`), then the next, while any is above its `min.cleanable.dirty.ratio` or past
/// `max.compaction.lag.ms`, and sleeps `log.cleaner.backoff.ms` when none is. Stops with the broker's graceful
/// shutdown; a pass in progress finishes first (its files are swapped in whole or not at all).
struct LogCleanerService: Service {
    let manager: LogCleanerManager
    let backoff: Duration

    func run() async throws {
        try? await cancelWhenGracefulShutdown {
            while true {
                // At most one pass per log before sleeping, so a log whose pass cannot finish (it changed under
                // the cleaner) is tried again only after the backoff.
                var passes = manager.logManager.allLogs.count
                while passes > 0, !Task.isCancelled, manager.cleanFilthiestLog() != nil {
                    passes -= 1
                    await Task.yield()
                }
                try await Task.sleep(for: backoff)
            }
        }
    }
}
