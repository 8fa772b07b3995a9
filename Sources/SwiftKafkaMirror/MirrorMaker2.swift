import ConnectRuntime
import KafkaConnect
import KafkaMirror
import Logging

/// MirrorMaker 2's dedicated mode (`connect-mirror-maker.sh mm2.properties`): one distributed Connect herder per
/// flow, in this process, each a member of its flow's worker group on the target cluster, and the flow's
/// connectors written to that group's config topic (by whichever process leads it; several processes with the
/// same file share the work). Lifecycle: `run` starts every herder and submits the connectors, then waits until
/// `stop`, which stops every herder (their tasks commit their offsets first).
actor MirrorMaker2 {
    let config: MirrorMakerConfig
    let logger: Logger
    private var herders: [(flow: MirrorMakerConfig.Flow, herder: DistributedHerder)] = []
    private var stopped = false
    private var waiter: CheckedContinuation<Void, Never>?

    init(config: MirrorMakerConfig, logger: Logger) {
        self.config = config
        self.logger = logger
    }

    func run() async throws {
        for flow in config.flows {
            var logger = self.logger
            logger[metadataKey: "flow"] = "\(flow.name)"
            let (worker, warnings) = try WorkerConfig.parse(
                properties: "",
                overrides: flow.worker.sorted { $0.key < $1.key }.map { ($0.key, $0.value) },
                distributed: true
            )
            for warning in warnings { logger.warning("\(warning)") }
            let herder = try DistributedHerder(worker: worker, logger: logger)
            try await herder.start()
            herders.append((flow, herder))
            logger.info(
                "Flow \(flow.name) \(flow.enabled ? "enabled" : "emitting heartbeats only") with \(flow.connectors.count) connector(s)"
            )
        }
        await withTaskGroup(of: Void.self) { group in
            for (flow, herder) in herders {
                group.addTask { await Self.submit(flow, to: herder, logger: self.logger) }
            }
            await waitForStop()
            group.cancelAll()
        }
        for (_, herder) in herders { await herder.stop() }
        logger.info("MirrorMaker stopped")
    }

    func stop() {
        stopped = true
        waiter?.resume()
        waiter = nil
    }

    private func waitForStop() async {
        guard !stopped else { return }
        await withCheckedContinuation { waiter = $0 }
    }

    /// Writes the flow's connectors through its herder, retrying while the group has no leader; a follower
    /// leaves the writing to the leader, which runs with the same file.
    static func submit(_ flow: MirrorMakerConfig.Flow, to herder: DistributedHerder, logger: Logger) async {
        for connector in flow.connectors {
            let name = connector["name"] ?? "?"
            while !Task.isCancelled {
                do {
                    if try await herder.config(of: name) == connector { break }
                } catch {}
                do {
                    try await herder.put(connector, allowUpdate: true)
                    logger.info("Connector \(name) of flow \(flow.name) configured")
                    break
                } catch .forward(let leader) where leader != nil {
                    logger.info("Connector \(name) of flow \(flow.name) is configured by the group's leader")
                    break
                } catch .badRequest(let message) {
                    logger.error("Connector \(name) of flow \(flow.name) refused: \(message)")
                    break
                } catch {
                    try? await Task.sleep(for: .milliseconds(500))
                }
            }
        }
    }
}
