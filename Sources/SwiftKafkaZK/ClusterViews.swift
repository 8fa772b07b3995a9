import ArgumentParser
import Foundation
import KafkaCore
import KafkaZooKeeper
import ZooKeeper

/// `brokers`: the registered brokers.
struct BrokersCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "brokers", abstract: "List the registered brokers.")
    @OptionGroup var options: ConnectionOptions

    func run() async throws {
        let snapshot = try await options.withClient { try await ClusterSnapshot.read(from: $0, nowMs: nowMs) }
        let rows: [[String: Any]] = snapshot.brokers.map { broker in
            let registration = broker.registration
            return [
                "id": registration.id, "endpoints": registration.endpoints.map(\.description),
                "rack": registration.rack ?? NSNull(), "registered": iso8601(registration.timestamp),
                "timestamp": registration.timestamp, "session": String(format: "0x%llx", broker.session),
                "brokerEpoch": registration.epoch ?? -1,
                "controller": snapshot.controller?.brokerID == registration.id,
            ]
        }
        options.emit(rows) {
            table(
                ["ID", "ENDPOINTS", "RACK", "REGISTERED", "SESSION", "BROKER-EPOCH"],
                rows.map { row in
                    [
                        "\(row["id"]!)" + ((row["controller"] as? Bool) == true ? "*" : ""),
                        (row["endpoints"] as! [String]).joined(separator: ","), (row["rack"] as? String) ?? "-",
                        "\(row["registered"]!)", "\(row["session"]!)", "\(row["brokerEpoch"]!)",
                    ]
                }
            ) + "(* the controller)\n"
        }
    }
}

/// `controller`: the controller and its epoch.
struct ControllerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "controller", abstract: "Show the controller.")
    @OptionGroup var options: ConnectionOptions

    func run() async throws {
        let snapshot = try await options.withClient { try await ClusterSnapshot.read(from: $0, nowMs: nowMs) }
        let value: [String: Any] = [
            "brokerId": snapshot.controller.map { Int($0.brokerID) } ?? NSNull(),
            "session": snapshot.controller.map { String(format: "0x%llx", $0.session) } ?? NSNull(),
            "epoch": snapshot.controllerEpoch.map { Int($0) } ?? NSNull(),
        ]
        options.emit(value) {
            guard let controller = snapshot.controller else {
                return "no controller (epoch \(snapshot.controllerEpoch.map(String.init) ?? "none"))\n"
            }
            return
                "controller: broker \(controller.brokerID), epoch \(snapshot.controllerEpoch.map(String.init) ?? "?")"
                + ", session \(String(format: "0x%llx", controller.session))\n"
        }
    }
}

/// `topics`: every topic with its partition count, replication factor and health.
struct TopicsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "topics", abstract: "List the topics.")
    @OptionGroup var options: ConnectionOptions

    func run() async throws {
        let snapshot = try await options.withClient { try await ClusterSnapshot.read(from: $0, nowMs: nowMs) }
        let rows: [[String: Any]] = snapshot.topics.keys.sorted().map { topic in
            let assignment = snapshot.topics[topic]!
            let partitions = assignment.partitions.keys.map { TopicPartition(topic, $0) }
            return [
                "topic": topic, "partitions": assignment.partitions.count,
                "replicationFactor": assignment.partitions.values.map(\.count).max() ?? 0,
                "underReplicated": partitions.filter(snapshot.isUnderReplicated).count,
                "offline": partitions.filter(snapshot.isOffline).count,
                "topicId": assignment.topicID?.description ?? NSNull(),
            ]
        }
        options.emit(rows) {
            table(
                ["TOPIC", "PARTITIONS", "REPLICATION", "UNDER-REPLICATED", "OFFLINE"],
                rows.map {
                    [
                        "\($0["topic"]!)", "\($0["partitions"]!)", "\($0["replicationFactor"]!)",
                        "\($0["underReplicated"]!)", "\($0["offline"]!)",
                    ]
                }
            )
        }
    }
}

/// `topic NAME`: each partition's replicas, leader, ISR and leader epoch, in `kafka-topics --describe`'s layout.
struct TopicCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "topic", abstract: "Describe one topic.")
    @OptionGroup var options: ConnectionOptions
    @Argument(help: "The topic.") var name: String

    func run() async throws {
        let snapshot = try await options.withClient { try await ClusterSnapshot.read(from: $0, nowMs: nowMs) }
        guard let assignment = snapshot.topics[name] else { throw Failure("no topic \(name)") }
        let rows: [[String: Any]] = assignment.partitions.keys.sorted().map { partition in
            let topicPartition = TopicPartition(name, partition)
            let state = snapshot.states[topicPartition]
            return [
                "partition": partition, "replicas": assignment.partitions[partition]!,
                "leader": state.map { Int($0.leader) } ?? -1, "isr": state?.isr ?? [],
                "leaderEpoch": state.map { Int($0.leaderEpoch) } ?? -1,
                "underReplicated": snapshot.isUnderReplicated(topicPartition),
                "offline": snapshot.isOffline(topicPartition),
            ]
        }
        let config = snapshot.topicConfigs[name] ?? [:]
        let id = assignment.topicID.map { "\tTopicId: \($0)" } ?? ""
        let json: [String: Any] = [
            "topic": name, "topicId": assignment.topicID?.description ?? NSNull(), "config": config, "partitions": rows,
        ]
        options.emit(json) {
            "Topic: \(name)\(id)\tPartitionCount: \(rows.count)\tReplicationFactor: "
                + "\(assignment.partitions.values.map(\.count).max() ?? 0)\tConfigs: "
                + config.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ",") + "\n"
                + rows.map { row in
                    func ids(_ key: String) -> String { (row[key] as! [Int32]).map(String.init).joined(separator: ",") }
                    var line =
                        "\tTopic: \(name)\tPartition: \(row["partition"]!)\tLeader: "
                        + ((row["leader"] as! Int) < 0 ? "none" : "\(row["leader"]!)")
                        + "\tReplicas: \(ids("replicas"))\tIsr: \(ids("isr"))\tLeaderEpoch: \(row["leaderEpoch"]!)"
                    if row["offline"] as! Bool {
                        line += "\tOFFLINE"
                    } else if row["underReplicated"] as! Bool {
                        line += "\tUNDER-REPLICATED"
                    }
                    return line + "\n"
                }.joined()
        }
    }
}

/// `consumers`: offsets committed to ZooKeeper (`/consumers/<group>/offsets/<topic>/<partition>`), per group.
struct ConsumersCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "consumers",
        abstract: "Show the consumer offsets stored in ZooKeeper."
    )
    @OptionGroup var options: ConnectionOptions

    func run() async throws {
        let rows: [[String: Any]] = try await options.withClient { zk in
            var rows: [[String: Any]] = []
            let zookeeper = zk.zookeeper
            for group in ((try? await zookeeper.children(ZkPaths.consumers)) ?? []).sorted() {
                let offsets = "\(ZkPaths.consumers)/\(group)/offsets"
                for topic in ((try? await zookeeper.children(offsets)) ?? []).sorted() {
                    for partition in try await zookeeper.children("\(offsets)/\(topic)").compactMap(Int32.init).sorted()
                    {
                        let (data, stat) = try await zookeeper.getData("\(offsets)/\(topic)/\(partition)")
                        let text = data.map { String(decoding: $0, as: UTF8.self) } ?? ""
                        rows.append([
                            "group": group, "topic": topic, "partition": partition,
                            "offset": Int64(text) ?? -1, "committed": iso8601(stat.mtime),
                        ])
                    }
                }
            }
            return rows
        }
        options.emit(rows) {
            table(
                ["GROUP", "TOPIC", "PARTITION", "OFFSET", "COMMITTED"],
                rows.map {
                    [
                        "\($0["group"]!)", "\($0["topic"]!)", "\($0["partition"]!)", "\($0["offset"]!)",
                        "\($0["committed"]!)",
                    ]
                }
            )
        }
    }
}

/// `configs`: the config overrides under `/config/<type>/<name>`.
struct ConfigsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "configs", abstract: "Show config overrides.")
    @OptionGroup var options: ConnectionOptions

    func run() async throws {
        let rows: [[String: Any]] = try await options.withClient { zk in
            var rows: [[String: Any]] = []
            for type in ["topics", "brokers", "clients", "users", "ips"] {
                for name in ((try? await zk.zookeeper.children("/config/\(type)")) ?? []).sorted() {
                    var names = [name]
                    if type == "users" {
                        // A user's client-id quotas: users/<user>/clients/<client-id>.
                        let clients = (try? await zk.zookeeper.children("/config/users/\(name)/clients")) ?? []
                        names += clients.sorted().map { "\(name)/clients/\($0)" }
                    }
                    for entity in names {
                        rows.append([
                            "entityType": type, "entityName": entity, "config": await Self.config(zk, type, entity),
                        ])
                    }
                }
            }
            return rows
        }
        options.emit(rows) {
            rows.map { row in
                let config = (row["config"] as! [String: String]).sorted { $0.key < $1.key }
                return "\(row["entityType"]!)/\(row["entityName"]!): "
                    + (config.isEmpty
                        ? "(no overrides)" : config.map { "\($0.key)=\($0.value)" }.joined(separator: ","))
                    + "\n"
            }.joined()
        }
    }
}

extension ConfigsCommand {
    /// An entity's config as it may be shown: SCRAM credentials (salted keys) by their iteration count only, as
    /// kafka-configs describes them; a znode the world may not read (`zookeeper.set.acl`) says so.
    static func config(_ zk: KafkaZkClient, _ type: String, _ name: String) async -> [String: String] {
        do {
            var config = try await zk.getEntityConfig(type: type, name: name)
            for (key, value) in config where key.hasPrefix("SCRAM-SHA-") {
                let iterations = value.split(separator: ",").first { $0.hasPrefix("iterations=") } ?? "iterations=?"
                config[key] = "[\(iterations)]"
            }
            return config
        } catch {
            return ["(unreadable)": "\(error)"]
        }
    }
}

/// `check`: the cluster's invariants; exits 1 naming each violation.
struct CheckCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Check the cluster's invariants (exit status 1 when one is violated)."
    )
    @OptionGroup var options: ConnectionOptions
    @Option(help: "Seconds after which a pending admin or notification node counts as stale.")
    var staleAfter: Int = 60

    func run() async throws {
        let snapshot = try await options.withClient { try await ClusterSnapshot.read(from: $0, nowMs: nowMs) }
        let violations = ClusterInvariants.check(snapshot, staleAfterMs: Int64(staleAfter) * 1000)
        let summary =
            "\(snapshot.brokers.count) brokers, controller "
            + (snapshot.controller.map { "\($0.brokerID)" } ?? "none") + " (epoch "
            + (snapshot.controllerEpoch.map(String.init) ?? "none") + "), \(snapshot.topics.count) topics, "
            + "\(snapshot.states.count) partitions"
        options.emit([
            "ok": violations.isEmpty, "summary": summary,
            "violations": violations.map { ["kind": $0.kind, "detail": $0.detail] },
        ]) {
            violations.isEmpty
                ? "ok: \(summary)\n"
                : violations.map { "VIOLATION \($0)\n" }.joined() + "\(violations.count) violation(s): \(summary)\n"
        }
        if !violations.isEmpty { throw ExitCode(1) }
    }
}

/// Left-aligned columns.
func table(_ header: [String], _ rows: [[String]]) -> String {
    let all = [header] + rows
    let widths = header.indices.map { column in all.map { $0[column].count }.max() ?? 0 }
    return all.map { row in
        row.indices.map { row[$0].padding(toLength: widths[$0], withPad: " ", startingAt: 0) }
            .joined(separator: "  ").trimmingCharacters(in: .whitespaces) + "\n"
    }.joined()
}
