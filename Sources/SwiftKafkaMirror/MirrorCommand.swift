import ArgumentParser
import Foundation
import KafkaCore
import KafkaMirror
import Logging
import ServiceLifecycle

/// `swiftkafka-mirror mm2.properties [--clusters B ...]`: MirrorMaker 2 in dedicated mode
/// (`connect-mirror-maker.sh`): every flow of the file runs here on the Connect runtime. Or
/// `swiftkafka-mirror --consumer.config source.properties --producer.config target.properties --include REGEX`:
/// Kafka's MirrorMaker 1 command line (`kafka-mirror-maker.sh`, with 2.8's `--whitelist` accepted for
/// `--include`). SIGTERM or SIGINT stops either after a last flush and commit.
@main
struct MirrorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "swiftkafka-mirror",
        abstract: "Mirrors topics between Kafka clusters (MirrorMaker 2, or MirrorMaker 1's command line)."
    )

    @Argument(help: "MirrorMaker 2's mm2.properties (clusters, A.bootstrap.servers, A->B.enabled, ...).")
    var mm2Config: String?

    @Option(
        name: .customLong("clusters"),
        parsing: .upToNextOption,
        help: "MirrorMaker 2: only flows to these clusters."
    )
    var clusters: [String] = []

    @Option(
        name: .customLong("consumer.config"),
        help: "MirrorMaker 1: the source consumer's properties (group.id required)."
    )
    var consumerConfig: String?

    @Option(name: .customLong("producer.config"), help: "MirrorMaker 1: the target producer's properties.")
    var producerConfig: String?

    @Option(name: .customLong("include"), help: "A regular expression of the topics to mirror.")
    var include: String?

    @Option(name: .customLong("whitelist"), help: "Kafka 2.8's name for --include.")
    var whitelist: String?

    @Option(name: .customLong("num.streams"), help: "Consumers in the mirror's group.")
    var numStreams = 1

    @Option(name: .customLong("offset.commit.interval.ms"), help: "How often consumed offsets are committed.")
    var offsetCommitIntervalMs: Int64 = 60_000

    @Option(name: .customLong("abort.on.send.failure"), help: "true: a failed send stops the mirror.")
    var abortOnSendFailure = "true"

    @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error or critical.")
    var logLevel = "info"

    func validate() throws {
        if mm2Config != nil {
            if consumerConfig != nil || producerConfig != nil || include != nil || whitelist != nil {
                throw ValidationError("mm2.properties (MirrorMaker 2) and MirrorMaker 1's options do not mix")
            }
            return
        }
        if consumerConfig == nil || producerConfig == nil {
            throw ValidationError("give mm2.properties, or --consumer.config and --producer.config")
        }
        if include != nil && whitelist != nil { throw ValidationError("give --include or --whitelist, not both") }
        if include == nil && whitelist == nil { throw ValidationError("--include is required") }
        if numStreams < 1 { throw ValidationError("--num.streams must be at least 1") }
        if offsetCommitIntervalMs < 1 { throw ValidationError("--offset.commit.interval.ms must be positive") }
        if !["true", "false"].contains(abortOnSendFailure) {
            throw ValidationError("--abort.on.send.failure must be true or false")
        }
    }

    func run() async throws {
        guard let level = Logger.Level(rawValue: logLevel) else {
            throw ValidationError("unknown log level \(logLevel)")
        }
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let logger = Logger(label: "swiftkafka.mirror")
        if let mm2Config { return try await runMirrorMaker2(mm2Config, logger) }
        var options = MirrorMaker1.Options(
            consumerProperties: try Self.properties(consumerConfig ?? ""),
            producerProperties: try Self.properties(producerConfig ?? ""),
            include: include ?? whitelist ?? ""
        )
        options.numStreams = numStreams
        options.offsetCommitIntervalMs = offsetCommitIntervalMs
        options.abortOnSendFailure = abortOnSendFailure == "true"
        let mirror: MirrorMaker1
        do {
            mirror = try MirrorMaker1(options: options, logger: logger)
        } catch {
            logger.critical("MirrorMaker cannot start: \(error)")
            throw ExitCode(1)
        }
        try await serve([.init(service: MirrorService(mirror: mirror))], logger)
    }

    /// MirrorMaker 2 on `path`'s flows, with the metrics endpoint when `metrics.port` is set.
    func runMirrorMaker2(_ path: String, _ logger: Logger) async throws {
        let properties = try Self.properties(path)
        guard let metricsPort = Int(properties["metrics.port"] ?? "-1"), metricsPort >= -1, metricsPort < 65536
        else {
            logger.critical("MirrorMaker cannot start: metrics.port must be a port, 0 (any) or -1 (none)")
            throw ExitCode(1)
        }
        let config: MirrorMakerConfig
        do {
            config = try MirrorMakerConfig(properties, only: clusters)
        } catch {
            logger.critical("MirrorMaker cannot start: \(error)")
            throw ExitCode(1)
        }
        for flow in config.flows {
            logger.info("Flow \(flow.name): \(flow.enabled ? "enabled" : "heartbeats only")")
        }
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = [
            .init(service: MirrorService2(mirror: MirrorMaker2(config: config, logger: logger)))
        ]
        if metricsPort >= 0 {
            let endpoint = MirrorMetricsEndpoint.application(
                host: properties["metrics.host"] ?? "",
                port: metricsPort,
                logger: logger
            )
            services.append(.init(service: endpoint))
        }
        try await serve(services, logger)
    }

    func serve(_ services: [ServiceGroupConfiguration.ServiceConfiguration], _ logger: Logger) async throws {
        let group = ServiceGroup(
            configuration: .init(
                services: services,
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger
            )
        )
        do {
            try await group.run()
        } catch {
            logger.critical("MirrorMaker stopped: \(error)")
            throw ExitCode(1)
        }
    }

    static func properties(_ path: String) throws -> [String: String] {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw ValidationError("cannot read \(path): \(error.localizedDescription)")
        }
        var properties: [String: String] = [:]
        for (key, value) in JavaProperties.parse(text) { properties[key] = value }
        return properties
    }
}

/// Runs the mirror until the service group's graceful shutdown, which asks it to flush, commit and stop.
struct MirrorService: Service {
    let mirror: MirrorMaker1

    func run() async throws {
        try await withGracefulShutdownHandler {
            try await mirror.run()
        } onGracefulShutdown: {
            mirror.stop()
        }
    }
}

/// Runs MirrorMaker 2 until the service group's graceful shutdown.
struct MirrorService2: Service {
    let mirror: MirrorMaker2

    func run() async throws {
        try await withGracefulShutdownHandler {
            try await mirror.run()
        } onGracefulShutdown: {
            Task { await mirror.stop() }
        }
    }
}
