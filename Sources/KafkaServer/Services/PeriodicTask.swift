import ServiceLifecycle

/// One of the broker's scheduled jobs (Kafka's `KafkaScheduler` tasks: ISR expiration, group and offset expiry,
/// the leader rebalance check): `body` every `interval`, the first one interval after start, until the broker
/// shuts down. A slow run delays the next, never overlaps it.
struct PeriodicTask: Service {
    let name: String
    let interval: Duration
    let body: @Sendable () async -> Void

    func run() async throws {
        let (interval, body) = (self.interval, self.body)
        // Graceful shutdown cancels the sleep; that ends the task, as it should.
        try? await cancelWhenGracefulShutdown {
            while true {
                try await Task.sleep(for: interval)
                await body()
            }
        }
    }
}

/// Something that serves until the broker shuts down (a listener, the metrics endpoint, a stream of events),
/// then is closed.
struct ServedUntilShutdown: Service {
    let name: String
    let serve: @Sendable () async throws -> Void
    var close: @Sendable () async -> Void = {}

    func run() async throws {
        try? await cancelWhenGracefulShutdown(serve)
        await close()
    }
}
