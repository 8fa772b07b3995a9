import KafkaCoordinator
import ServiceLifecycle

/// The first step of the broker's shutdown, while the listeners and the controller still serve (it is the last
/// service started, so the first told to stop): Kafka's controlled shutdown (`controlled.shutdown.enable`) moves
/// this broker's leaderships away, then the group coordinator lets go of its groups (members waiting in a join or
/// sync get NOT_COORDINATOR and find the next coordinator).
struct ControlledShutdownService: Service {
    let enabled: Bool
    let controlledShutdown: @Sendable () async -> Void
    let groupCoordinator: GroupCoordinator

    func run() async throws {
        // Returns when the broker is told to stop (or throws when the group is cancelled: no steps then).
        try await gracefulShutdown()
        if enabled { await controlledShutdown() }
        await groupCoordinator.unload { _ in true }
    }
}
