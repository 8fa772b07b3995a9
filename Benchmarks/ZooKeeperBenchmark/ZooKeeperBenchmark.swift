import ArgumentParser
import ClusterTestSupport
import Dispatch
import Foundation
import ZooKeeper

/// ZooKeeper operations per second through the Swift client, beside the raw C client in the same run.
///
/// Without `--zookeeper` it starts its own standalone server (Debian's package, fsync on) and stops it after.
/// Each figure is the best of `--rounds` rounds; the rounds of the Swift and C variants alternate, so warm-up
/// and disk noise fall on both.
@main
struct ZooKeeperBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "zookeeper-bench",
        abstract: "ZooKeeper operations per second: the Swift client against the C client it wraps."
    )

    @Option(help: "Connect string of a running server; default: start a standalone server for the run.")
    var zookeeper: String?

    @Option(help: "Operations per round in the all-in-flight modes.")
    var operations = 20_000

    @Option(help: "Operations per round in the one-at-a-time modes.")
    var sequentialOperations = 2_000

    @Option(help: "Rounds per mode; the best round counts.")
    var rounds = 5

    @Flag(help: "Turn the server's fsync off (only for a server this command starts).")
    var noFsync = false

    func run() async throws {
        var ensemble: ZooKeeperEnsemble?
        let connectString: String
        if let zookeeper {
            connectString = zookeeper
        } else {
            let started = try await ZooKeeperEnsemble.start(size: 1, tickTime: 2000, forceSync: !noFsync)
            ensemble = started
            connectString = started.connectString
        }
        print(
            "ZooKeeper at \(connectString)\(zookeeper == nil ? " (started for this run, fsync \(noFsync ? "off" : "on"))" : "")"
        )

        let client = ZooKeeperClient(connectString: connectString, sessionTimeout: .seconds(20))
        try await client.connect()
        let baseline = try await CBaseline(connectString: connectString)
        let path = "/zookeeper-bench-\(ProcessInfo.processInfo.processIdentifier)"
        try await client.create(path, data: [])
        let value = [UInt8](repeating: 120, count: 16)

        // Warm-up: JIT on the server, connections on both clients.
        baseline.setAllInFlight(path: path, count: 2_000)
        try await setAllInFlight(client, path: path, value: value, count: 2_000)

        var results: [(String, Double, Double)] = []
        var cBest = 0.0
        var swiftBest = 0.0
        for _ in 0..<rounds {
            cBest = max(cBest, try await measure(operations) { baseline.setAllInFlight(path: path, count: operations) })
            swiftBest = max(
                swiftBest,
                try await measure(operations) {
                    try await setAllInFlight(client, path: path, value: value, count: operations)
                }
            )
        }
        results.append(("setData, \(operations) in flight", swiftBest, cBest))

        cBest = 0
        swiftBest = 0
        for _ in 0..<rounds {
            cBest = max(
                cBest,
                try await measure(sequentialOperations) {
                    baseline.setOneAtATime(path: path, count: sequentialOperations)
                }
            )
            swiftBest = max(
                swiftBest,
                try await measure(sequentialOperations) {
                    for _ in 0..<sequentialOperations { try await client.setData(path, data: value) }
                }
            )
        }
        results.append(("setData, one at a time", swiftBest, cBest))

        var createBest = 0.0
        for round in 0..<rounds {
            let parent = "\(path)-create-\(round)"
            try await client.create(parent)
            createBest = max(
                createBest,
                try await measure(operations) {
                    try await withThrowingTaskGroup(of: Void.self) { group in
                        for index in 0..<operations {
                            group.addTask { try await client.create("\(parent)/\(index)", data: value) }
                        }
                        try await group.waitForAll()
                    }
                }
            )
        }
        results.append(("create, \(operations) in flight (Swift only)", createBest, .nan))

        print("")
        print("mode                                          Swift ops/s    C ops/s   Swift/C")
        for (mode, swift, c) in results {
            let ratio = c.isNaN ? "-" : String(format: "%.2f", swift / c)
            let cText = c.isNaN ? "-" : String(format: "%.0f", c)
            print(
                mode.padding(toLength: 44, withPad: " ", startingAt: 0)
                    + String(format: "%12.0f", swift) + cText.leftPadded(11) + ratio.leftPadded(10)
            )
        }

        baseline.close()
        await client.close()
        await ensemble?.shutdown()
    }

    private func setAllInFlight(_ client: ZooKeeperClient, path: String, value: [UInt8], count: Int) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<count { group.addTask { try await client.setData(path, data: value) } }
            try await group.waitForAll()
        }
    }

    /// Operations per second of one round.
    private func measure(_ count: Int, _ body: () async throws -> Void) async throws -> Double {
        let start = ContinuousClock.now
        try await body()
        let elapsed = ContinuousClock.now - start
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        return Double(count) / seconds
    }
}

extension String {
    fileprivate func leftPadded(_ width: Int) -> String {
        count >= width ? self : String(repeating: " ", count: width - count) + self
    }
}
