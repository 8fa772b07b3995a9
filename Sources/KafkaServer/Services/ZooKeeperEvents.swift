import KafkaController
import KafkaZooKeeper
import ServiceLifecycle
import ZooKeeper

/// The broker's one reader of ZooKeeper watch events: config change notifications go to the `ConfigChangeListener`,
/// ACL change notifications to the `AclChangeListener`,
/// the controller's paths become `ControllerEvent`s on its queue, anything else is dropped. Subscribed when made, so
/// no event between startup and `run()` is missed.
struct ZooKeeperWatchRouter: Service {
    let events: AsyncStream<WatchEvent>
    let configChanges: ConfigChangeListener
    let aclChanges: AclChangeListener
    let controller: Controller

    init(
        zookeeper: ZooKeeperClient,
        configChanges: ConfigChangeListener,
        aclChanges: AclChangeListener,
        controller: Controller
    ) {
        self.events = zookeeper.watchEvents()
        self.configChanges = configChanges
        self.aclChanges = aclChanges
        self.controller = controller
    }

    func run() async throws {
        let (events, configChanges, aclChanges, controller) = (
            self.events, self.configChanges, self.aclChanges, self.controller
        )
        await configChanges.start()
        await aclChanges.start()
        try? await cancelWhenGracefulShutdown {
            for await event in events {
                if event.path == ZkPaths.configChanges {
                    await configChanges.process()
                } else if AclChangeListener.paths.contains(event.path) {
                    await aclChanges.process(event.path)
                } else if let controllerEvent = ControllerEvent(watch: event) {
                    controller.enqueue(controllerEvent)
                }
            }
        }
    }
}

/// Follows the broker's ZooKeeper session: every transition is counted (SessionExpireListener's metrics; the
/// stream opens with the current state, so the first connection counts as a SyncConnected), and after an expiry
/// the controller resigns and the broker opens a new session, registers again and contends for `/controller`.
struct ZooKeeperSessionListener: Service {
    let states: AsyncStream<SessionState>
    let metrics: BrokerMetrics
    let controller: Controller
    let reestablish: @Sendable () async -> Void

    func run() async throws {
        let (states, metrics, controller, reestablish) = (self.states, self.metrics, self.controller, self.reestablish)
        try? await cancelWhenGracefulShutdown {
            var previous = SessionState.connecting
            for await state in states {
                metrics.recordZooKeeperSession(from: previous, to: state)
                previous = state
                guard state == .expired else { continue }
                controller.enqueue(.sessionExpired)
                await reestablish()
            }
        }
    }
}

/// The controller's event loop as a service: it runs for as long as the broker does and, at shutdown (last, after
/// every other service), handles `.shutdown`: it resigns and its loop ends.
struct ControllerService: Service {
    let controller: Controller

    func run() async throws {
        let controller = self.controller
        await withGracefulShutdownHandler {
            await controller.run()
        } onGracefulShutdown: {
            controller.enqueue(.shutdown)
        }
    }
}
