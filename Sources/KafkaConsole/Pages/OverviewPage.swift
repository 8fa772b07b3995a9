import Foundation
import KafkaClient
import KafkaCore
import KafkaZooKeeper

/// `/`: the cluster on one screen — brokers, the controller and its epoch, partition health counts, and the verdict
/// of the invariants (`swiftkafka-zk check`'s, refreshed in the background when ZooKeeper is configured).
struct OverviewPage: Encodable, Sendable {
    struct Broker: Encodable, Sendable {
        var id: Int32
        var host: String
        var port: Int
        var rack: String?
        var isController: Bool
        var leaders: Int
        var replicas: Int
    }

    var clusterID: String?
    var controllerID: Int32
    /// `/controller_epoch`, when ZooKeeper is configured.
    var controllerEpoch: Int32?
    var brokers: [Broker]
    var topics: Int
    var partitions: Int
    var onlinePartitions: Int
    var offlinePartitions: Int
    var underReplicatedPartitions: Int
    var underMinIsrPartitions: Int
    /// The last invariant check: nil without ZooKeeper or before the first one.
    var invariants: InvariantsPage?
    /// The newest events of the timeline (50 at most, newest first).
    var events: [TimelineEvent] = []
    /// The last hour's traffic, summed over the brokers, per sample.
    var traffic: [TrafficPoint] = []
}

/// One event of the timeline as pages show it.
struct TimelineEvent: Encodable, Sendable {
    var at: Int64
    var time: String
    var kind: String
    var broker: Int32?
    var detail: String

    init(_ event: ConsoleHistory.Event) {
        at = event.at
        time = SvgChart.clock(event.at)
        kind = event.kind
        broker = event.broker
        detail = event.detail
    }
}

/// One sample of broker traffic: bytes and messages per second, the produce and consumer-fetch p99 (the worst
/// broker's).
struct TrafficPoint: Encodable, Sendable {
    var at: Int64
    var bytesIn: Double
    var bytesOut: Double
    var messagesIn: Double
    var produceP99Ms: Double?
    var fetchP99Ms: Double?

    /// Samples of several brokers taken at once, summed (latencies: the maximum).
    static func merged(_ samples: [ConsoleHistory.BrokerSample]) -> [TrafficPoint] {
        Dictionary(grouping: samples, by: \.at).sorted { $0.key < $1.key }.map { at, group in
            TrafficPoint(
                at: at,
                bytesIn: group.reduce(0) { $0 + $1.bytesIn },
                bytesOut: group.reduce(0) { $0 + $1.bytesOut },
                messagesIn: group.reduce(0) { $0 + $1.messagesIn },
                produceP99Ms: group.compactMap(\.produceP99Ms).max(),
                fetchP99Ms: group.compactMap(\.fetchP99Ms).max()
            )
        }
    }

    /// The throughput and latency charts of `points`.
    static func charts(_ points: [TrafficPoint]) -> [String: String] {
        [
            "throughput": SvgChart.lines(
                [
                    .init(name: "bytes in/s", color: SvgChart.palette[0], points: points.map { ($0.at, $0.bytesIn) }),
                    .init(name: "bytes out/s", color: SvgChart.palette[1], points: points.map { ($0.at, $0.bytesOut) }),
                ],
                unit: "B/s"
            ),
            "latency": SvgChart.lines(
                [
                    .init(
                        name: "produce p99",
                        color: SvgChart.palette[2],
                        points: points.compactMap { p in p.produceP99Ms.map { (p.at, $0) } }
                    ),
                    .init(
                        name: "fetch p99",
                        color: SvgChart.palette[3],
                        points: points.compactMap { p in p.fetchP99Ms.map { (p.at, $0) } }
                    ),
                ],
                unit: " ms"
            ),
        ]
    }
}

/// The invariants of `swiftkafka-zk check` (`ClusterInvariants`) over a ZooKeeper snapshot, at `/invariants`.
struct InvariantsPage: Encodable, Sendable {
    struct Violation: Encodable, Sendable {
        var kind: String
        var detail: String
    }

    var ok: Bool
    var checkedAt: String
    var summary: String
    var violations: [Violation]
}

extension ConsoleCluster {
    func overview() async throws -> OverviewPage {
        async let clusterAnswer = admin.describeCluster()
        async let topicsAnswer = describeAll()
        let (cluster, topics) = try await (clusterAnswer, topicsAnswer)
        let minIsr = await minInsyncReplicas(topics.map(\.name))
        var page = OverviewPage(
            clusterID: cluster.clusterID,
            controllerID: cluster.controllerID,
            brokers: [],
            topics: topics.count,
            partitions: 0,
            onlinePartitions: 0,
            offlinePartitions: 0,
            underReplicatedPartitions: 0,
            underMinIsrPartitions: 0
        )
        var leaders: [BrokerID: Int] = [:]
        var replicas: [BrokerID: Int] = [:]
        for topic in topics {
            for partition in topic.partitions {
                page.partitions += 1
                if partition.leader >= 0 && cluster.brokers[partition.leader] != nil {
                    page.onlinePartitions += 1
                    leaders[partition.leader, default: 0] += 1
                } else {
                    page.offlinePartitions += 1
                }
                if partition.isr.count < partition.replicas.count { page.underReplicatedPartitions += 1 }
                if partition.isr.count < minIsr[topic.name] ?? 1 { page.underMinIsrPartitions += 1 }
                for replica in partition.replicas { replicas[replica, default: 0] += 1 }
            }
        }
        page.brokers = cluster.brokers.keys.sorted().map { id in
            OverviewPage.Broker(
                id: id,
                host: cluster.brokers[id]!.host,
                port: cluster.brokers[id]!.port,
                rack: cluster.racks[id],
                isController: id == cluster.controllerID,
                leaders: leaders[id] ?? 0,
                replicas: replicas[id] ?? 0
            )
        }
        page.controllerEpoch = try? await withZooKeeper { try await $0.getControllerEpoch()?.epoch } ?? nil
        page.invariants = lastInvariants
        if let history {
            page.events = ((try? history.events(limit: 50)) ?? []).map(TimelineEvent.init)
            page.traffic = TrafficPoint.merged(
                (try? history.brokerSamples(broker: nil, since: ConsoleHistory.nowMs - 3_600_000)) ?? []
            )
        }
        return page
    }

    /// Reads the ZooKeeper snapshot and checks it (nil without ZooKeeper); kept for the overview.
    @discardableResult
    func checkInvariants() async throws -> InvariantsPage? {
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        guard let snapshot = try await withZooKeeper({ try await ClusterSnapshot.read(from: $0, nowMs: now) }) else {
            return nil
        }
        let violations = ClusterInvariants.check(snapshot)
        let page = InvariantsPage(
            ok: violations.isEmpty,
            checkedAt: ISO8601DateFormatter().string(from: Date()),
            summary: "\(snapshot.brokers.count) brokers, controller "
                + (snapshot.controller.map { "\($0.brokerID)" } ?? "none") + " (epoch "
                + (snapshot.controllerEpoch.map(String.init) ?? "none") + "), \(snapshot.topics.count) topics, "
                + "\(snapshot.states.count) partitions",
            violations: violations.map { .init(kind: $0.kind, detail: $0.detail) }
        )
        lastInvariants = page
        return page
    }
}
