import Foundation
import KafkaClient
import KafkaCore
import Logging

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Every `console.sample.interval.ms` the sampler reads the cluster and writes `ConsoleHistory`: events for what
/// changed since the last sample (brokers joining and leaving, the controller or its epoch moving, a partition's
/// leader changing, its ISR shrinking or expanding — found by comparing metadata, so a change undone between two
/// samples is not seen), every group's lag in records and in seconds, and each broker's traffic and request
/// latency from its Prometheus endpoint. Its loop is the only caller of `sample`.
actor ConsoleSampler {
    struct PartitionState: Equatable {
        var leader: Int32
        var epoch: Int32
        var isr: [Int32]
    }

    struct Counters {
        var at: Int64
        var bytesIn: Double
        var bytesOut: Double
        var messagesIn: Double
    }

    let cluster: ConsoleCluster
    let history: ConsoleHistory
    let config: ConsoleConfig
    let logger: Logger
    var brokers: [Int32: String]?
    var controller: (id: Int32, epoch: Int32?)?
    var partitions: [TopicPartition: PartitionState] = [:]
    var counters: [Int32: Counters] = [:]

    init(cluster: ConsoleCluster, history: ConsoleHistory, config: ConsoleConfig, logger: Logger) {
        self.cluster = cluster
        self.history = history
        self.config = config
        self.logger = logger
    }

    func run() async {
        while !Task.isCancelled {
            do {
                try await sample()
            } catch {
                logger.warning("Console sample failed: \(error)")
            }
            try? await Task.sleep(for: .milliseconds(config.sampleIntervalMs))
        }
    }

    func sample() async throws {
        let now = ConsoleHistory.nowMs
        try history.record(events: try await clusterEvents(now))
        try history.record(lag: try await cluster.groupLags(secondsBudget: 100), at: now)
        try history.record(brokers: await brokerSamples(now))
        try history.prune(now: now)
    }

    // MARK: The timeline

    private func clusterEvents(_ now: Int64) async throws -> [ConsoleHistory.Event] {
        let description = try await cluster.admin.describeCluster()
        let topics = try await cluster.describeAll()
        await cluster.refreshMinInsyncReplicas(topics.map(\.name))
        let epoch = try? await cluster.withZooKeeper { try await $0.getControllerEpoch()?.epoch } ?? nil
        var events: [ConsoleHistory.Event] = []
        func event(_ kind: String, _ broker: Int32?, _ detail: String) {
            events.append(.init(at: now, kind: kind, broker: broker, detail: detail))
        }
        let current = description.brokers.mapValues { "\($0.host):\($0.port)" }
        if let previous = brokers {
            for (id, address) in current.sorted(by: { $0.key < $1.key }) where previous[id] == nil {
                event("broker registered", id, "broker \(id) at \(address)")
            }
            for id in previous.keys.sorted() where current[id] == nil {
                event("broker gone", id, "broker \(id) left the cluster")
            }
        }
        if let previous = controller, previous.id != description.controllerID || previous.epoch != epoch {
            event(
                "controller change",
                description.controllerID,
                "controller \(previous.id) → \(description.controllerID)"
                    + (epoch.map { ", epoch \(previous.epoch.map(String.init) ?? "?") → \($0)" } ?? "")
            )
        }
        var states: [TopicPartition: PartitionState] = [:]
        for topic in topics {
            for partition in topic.partitions {
                let key = TopicPartition(topic.name, partition.partition)
                let state = PartitionState(leader: partition.leader, epoch: partition.leaderEpoch, isr: partition.isr)
                states[key] = state
                guard brokers != nil, let old = partitions[key], old != state else { continue }
                let name = "\(topic.name)-\(partition.partition)"
                if old.leader != state.leader {
                    event(
                        "leader change",
                        state.leader,
                        "\(name): leader \(old.leader) → \(state.leader), epoch \(state.epoch)"
                    )
                }
                let shrunk = Set(old.isr).subtracting(state.isr).sorted()
                let grown = Set(state.isr).subtracting(old.isr).sorted()
                if !shrunk.isEmpty {
                    event("isr shrink", shrunk.first, "\(name): ISR \(Self.list(old.isr)) → \(Self.list(state.isr))")
                }
                if !grown.isEmpty {
                    event("isr expand", grown.first, "\(name): ISR \(Self.list(old.isr)) → \(Self.list(state.isr))")
                }
            }
        }
        brokers = current
        controller = (description.controllerID, epoch)
        partitions = states
        return events
    }

    static func list(_ ids: [Int32]) -> String { "[" + ids.map(String.init).joined(separator: ",") + "]" }

    // MARK: Broker metrics

    private func brokerSamples(_ now: Int64) async -> [ConsoleHistory.BrokerSample] {
        var samples: [ConsoleHistory.BrokerSample] = []
        for (broker, url) in await cluster.metricsEndpoints().sorted(by: { $0.key < $1.key }) {
            guard let text = await Self.scrape(url) else { continue }
            let series = PrometheusText.parse(text)
            let now = Counters(
                at: now,
                bytesIn: series.total("kafka_server_brokertopicmetrics_bytesin_total", where: ["topic": ""]),
                bytesOut: series.total("kafka_server_brokertopicmetrics_bytesout_total", where: ["topic": ""]),
                messagesIn: series.total("kafka_server_brokertopicmetrics_messagesin_total", where: ["topic": ""])
            )
            defer { counters[broker] = now }
            guard let before = counters[broker], now.at > before.at else { continue }
            let seconds = Double(now.at - before.at) / 1000
            samples.append(
                .init(
                    at: now.at,
                    broker: broker,
                    bytesIn: max(0, now.bytesIn - before.bytesIn) / seconds,
                    bytesOut: max(0, now.bytesOut - before.bytesOut) / seconds,
                    messagesIn: max(0, now.messagesIn - before.messagesIn) / seconds,
                    produceP99Ms: series.value(
                        "kafka_network_requestmetrics_totaltimems",
                        where: ["request": "Produce", "quantile": "0.99"]
                    ),
                    fetchP99Ms: series.value(
                        "kafka_network_requestmetrics_totaltimems",
                        where: ["request": "FetchConsumer", "quantile": "0.99"]
                    )
                )
            )
        }
        return samples
    }

    static func scrape(_ url: String) async -> String? {
        guard let url = URL(string: url) else { return nil }
        var request = URLRequest(url: url)
        request.timeoutInterval = 5
        guard let (data, response) = try? await URLSession.shared.data(for: request),
            (response as? HTTPURLResponse)?.statusCode == 200
        else { return nil }
        return String(decoding: data, as: UTF8.self)
    }
}
