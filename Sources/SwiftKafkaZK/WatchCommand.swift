import ArgumentParser
import Foundation
import KafkaCore
import KafkaZooKeeper
import ZooKeeper

/// `watch`: prints each change to the brokers, the controller and the partition states as it happens. ZooKeeper
/// watches on `/brokers/ids`, `/controller`, `/brokers/topics` and every partition state wake it; it then reads
/// the tree again and prints what differs. Runs until interrupted, or for `--seconds`.
struct WatchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "watch",
        abstract: "Print changes to brokers, controller and partition states as they happen."
    )
    @OptionGroup var options: ConnectionOptions
    @Option(help: "Stop after this many seconds (default: run until interrupted).") var seconds: Int?

    func run() async throws {
        try await options.withClient { zk in
            let events = zk.zookeeper.watchEvents()
            let deadline = seconds.map { ContinuousClock.now + .seconds($0) }
            var previous = try await arm(zk)
            writeLine(options.json ? #"{"event":"watching"}"# : "watching \(options.zookeeper)")
            let wakeups = AsyncStream<Void> { continuation in
                let forward = Task {
                    for await _ in events { continuation.yield() }
                    continuation.finish()
                }
                let timer = Task {
                    if let deadline {
                        try? await Task.sleep(until: deadline)
                    } else {
                        while !Task.isCancelled { try? await Task.sleep(for: .seconds(3600)) }
                    }
                    continuation.finish()
                }
                continuation.onTermination = { _ in
                    forward.cancel()
                    timer.cancel()
                }
            }
            for await _ in wakeups {
                let current = try await arm(zk)
                for line in changes(from: previous, to: current) { writeLine(line) }
                previous = current
            }
        }
    }

    /// Reads the tree and sets the watches for the next change.
    private func arm(_ zk: KafkaZkClient) async throws -> ClusterSnapshot {
        _ = try await zk.zookeeper.children(ZkPaths.brokerIDs, watch: true)
        _ = try await zk.zookeeper.exists(ZkPaths.controller, watch: true)
        for topic in try await zk.getAllTopics(watch: true) {
            for partition in ((try? await zk.zookeeper.children(ZkPaths.partitions(topic))) ?? []) {
                guard let index = Int32(partition) else { continue }
                _ = try? await zk.zookeeper.getData(ZkPaths.partitionState(topic, index), watch: true)
            }
        }
        return try await ClusterSnapshot.read(from: zk, nowMs: nowMs)
    }

    private func changes(from old: ClusterSnapshot, to new: ClusterSnapshot) -> [String] {
        var lines: [String] = []
        func say(_ kind: String, _ fields: [String: Any], _ text: String) {
            if options.json {
                var object = fields
                object["event"] = kind
                object["time"] = iso8601(nowMs)
                let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
                lines.append(data.map { String(decoding: $0, as: UTF8.self) } ?? "{}")
            } else {
                lines.append("\(iso8601(nowMs)) \(text)")
            }
        }
        for id in new.brokerIDs.subtracting(old.brokerIDs).sorted() {
            say("broker-registered", ["broker": id], "broker \(id) registered")
        }
        for id in old.brokerIDs.subtracting(new.brokerIDs).sorted() {
            say("broker-gone", ["broker": id], "broker \(id) gone")
        }
        if old.controller?.brokerID != new.controller?.brokerID || old.controllerEpoch != new.controllerEpoch {
            let id = new.controller.map { Int($0.brokerID) } ?? -1
            say(
                "controller",
                ["broker": id, "epoch": new.controllerEpoch.map { Int($0) } ?? -1],
                id < 0 ? "no controller" : "controller is broker \(id), epoch \(new.controllerEpoch ?? -1)"
            )
        }
        for (partition, state) in new.states.sorted(by: { $0.key < $1.key }) {
            let before = old.states[partition]
            guard before?.leader != state.leader || before?.isr != state.isr || before?.leaderEpoch != state.leaderEpoch
            else { continue }
            say(
                "partition",
                [
                    "topic": partition.topic, "partition": partition.partition, "leader": state.leader,
                    "isr": state.isr, "leaderEpoch": state.leaderEpoch,
                ],
                "\(partition): leader \(state.leader), ISR \(state.isr), leader epoch \(state.leaderEpoch)"
            )
        }
        return lines
    }
}
