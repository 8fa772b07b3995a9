import ClusterTestSupport
import Synchronization
import Testing
import ZooKeeper

/// Sessions across failures: each test runs its own servers, which it breaks on purpose.
@Suite("ZooKeeper sessions under faults", .serialized, .timeLimit(.minutes(3)))
struct ZooKeeperSessionTests {
    @Test func sessionStatesAreObservable() async throws {
        try await withZooKeeper { ensemble in
            let client = ZooKeeperClient(connectString: ensemble.connectString, sessionTimeout: .seconds(4))
            let states = client.sessionStates()
            try await client.connect()
            let sessionID = try #require(client.sessionID)
            #expect(client.state == .connected(sessionID: sessionID))
            await client.close()
            var seen: [SessionState] = []
            for await state in states { seen.append(state) }
            #expect(seen == [.connecting, .connected(sessionID: sessionID), .closed])
        }
    }

    @Test func sessionSurvivesLossOfItsEnsembleMember() async throws {
        try await withZooKeeper(size: 3) { ensemble in
            let client = ZooKeeperClient(connectString: ensemble.connectString, sessionTimeout: .seconds(8))
            try await client.connect()
            let sessionID = try #require(client.sessionID)
            try await client.create("/alive", mode: .ephemeral)
            try await client.create("/watched", data: [0])
            _ = try await client.getData("/watched", watch: true)

            let connected = try #require(client.connectedServer)
            let port = try #require(Int(connected.split(separator: ":").last!))
            let member = try #require(ensemble.server(clientPort: port))
            let states = client.sessionStates()
            let events = client.watchEvents()
            await member.kill()

            _ = try await waitFor(states, "connection loss") { $0 == .connecting }
            let back = try await waitFor(states, "reconnection") { $0.isConnected }
            #expect(back == .connected(sessionID: sessionID))
            #expect(client.connectedServer != connected)
            #expect(try await client.exists("/alive")?.ephemeralOwner == sessionID)

            // The watch set before the loss still fires after the reconnect.
            let survivors = ensemble.servers.filter { $0 !== member }.map { "127.0.0.1:\($0.clientPort)" }
            let writer = ZooKeeperClient(connectString: survivors.joined(separator: ","), sessionTimeout: .seconds(8))
            try await writer.connect()
            try await writer.setData("/watched", data: [1])
            #expect(try await waitFor(events, "data change") == WatchEvent(kind: .nodeDataChanged, path: "/watched"))
            await writer.close()
            await client.close()
        }
    }

    @Test func expiredSessionIsReportedAndANewOneCanBeOpened() async throws {
        try await withZooKeeper { ensemble in
            let proxy = try await FaultProxy.start(targetPort: ensemble.servers[0].clientPort)
            let victim = ZooKeeperClient(connectString: "127.0.0.1:\(proxy.port)", sessionTimeout: .seconds(2))
            let observer = ZooKeeperClient(connectString: ensemble.connectString, sessionTimeout: .seconds(10))
            try await victim.connect()
            try await observer.connect()
            let firstSession = try #require(victim.sessionID)
            try await victim.create("/owner", mode: .ephemeral)

            let states = victim.sessionStates()
            let observed = observer.watchEvents()
            #expect(try await observer.exists("/owner", watch: true) != nil)

            // Silence the path: the server hears nothing from the victim and expires its session, which removes
            // its ephemeral node. The observer's watch tells when that has happened.
            proxy.blackhole()
            _ = try await waitFor(observed, "the victim's ephemeral node to go") {
                $0 == WatchEvent(kind: .nodeDeleted, path: "/owner")
            }
            proxy.heal()
            _ = try await waitFor(states, "expiry") { $0 == .expired }
            #expect(victim.state == .expired)
            #expect(await zooKeeperErrorCode { _ = try await victim.exists("/owner") } == .sessionExpired)

            try await victim.connect()
            let secondSession = try #require(victim.sessionID)
            #expect(secondSession != firstSession)
            try await victim.create("/owner", mode: .ephemeral)
            #expect(try await observer.exists("/owner")?.ephemeralOwner == secondSession)

            await victim.close()
            await observer.close()
            await proxy.stop()
        }
    }

    @Test func closeNeverHangsAndFailsEveryPendingCall() async throws {
        try await withZooKeeper { ensemble in
            let client = ZooKeeperClient(connectString: ensemble.connectString, sessionTimeout: .seconds(4))
            try await client.connect()
            try await client.create("/hot")
            let outcomes = Outcomes()
            try await withThrowingTaskGroup(of: Void.self) { group in
                for index in 0..<3000 {
                    group.addTask {
                        do {
                            try await client.setData("/hot", data: [UInt8(truncatingIfNeeded: index)])
                            outcomes.state.withLock { $0.succeeded += 1 }
                        } catch let error as ZooKeeperError where error.code == .closing {
                            outcomes.state.withLock { $0.closing += 1 }
                        } catch {
                            outcomes.state.withLock { $0.other.append("\(error)") }
                        }
                    }
                }
                group.addTask {
                    try await Task.sleep(for: .milliseconds(20))
                    await client.close()
                }
                try await group.waitForAll()
            }
            let result = outcomes.state.withLock { $0 }
            #expect(result.succeeded + result.closing + result.other.count == 3000)
            #expect(result.other.allSatisfy { $0.contains("ZooKeeper error") }, "\(result.other.prefix(3))")
            #expect(client.state == .closed)
        }
    }
}

/// Tallies of concurrent calls' outcomes (a Mutex cannot be captured by task-group closures directly).
private final class Outcomes: Sendable {
    let state = Mutex((succeeded: 0, closing: 0, other: [String]()))
}
