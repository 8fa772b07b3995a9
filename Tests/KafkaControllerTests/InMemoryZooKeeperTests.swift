import KafkaTestSupport
import Testing
import ZooKeeper

/// The stand-in keeps ZooKeeper's rules, which the controller tests rely on.
@Suite("In-memory ZooKeeper")
struct InMemoryZooKeeperTests {
    @Test func conditionalWritesCompareTheDataVersion() async throws {
        let session = InMemoryZooKeeper().session()
        try await session.create("/a", data: [1])
        let stat = try await session.setData("/a", data: [2], version: 0)
        #expect(stat.version == 1)
        await #expect(throws: ZooKeeperError(.badVersion, path: "/a")) {
            _ = try await session.setData("/a", data: [3], version: 0)
        }
        #expect(try await session.getData("/a").data == [2])
        await #expect(throws: ZooKeeperError(.noNode, path: "/b/c")) { try await session.create("/b/c") }
        await #expect(throws: ZooKeeperError(.nodeExists, path: "/a")) { try await session.create("/a") }
        try await session.create("/a/child")
        await #expect(throws: ZooKeeperError(.notEmpty, path: "/a")) { try await session.delete("/a") }
    }

    @Test func aMultiCommitsAllOrNothingAndNamesTheFailedOperation() async throws {
        let session = InMemoryZooKeeper().session()
        try await session.create("/epoch", data: [0])
        let failing: [ZooKeeperOperation] = [
            .create(path: "/x", data: [], mode: .persistent), .check(path: "/epoch", version: 5),
        ]
        await #expect(throws: ZooKeeperError(.badVersion, path: "/epoch", failedOperationIndex: 1)) {
            _ = try await session.multi(failing)
        }
        #expect(try await session.exists("/x") == nil)
        let results = try await session.multi([
            .check(path: "/epoch", version: 0), .create(path: "/x", data: [], mode: .persistentSequential),
        ])
        #expect(results == [.checked, .created(path: "/x0000000001")])
    }

    @Test func anExpiredSessionsEphemeralsGoAndOtherSessionsWatchesFireOnce() async throws {
        let ensemble = InMemoryZooKeeper()
        let owner = ensemble.session()
        let watcher = ensemble.session()
        try await owner.create("/ids", mode: .persistent)
        try await owner.create("/ids/1", mode: .ephemeral)
        var events = watcher.watchEvents().makeAsyncIterator()
        _ = try await watcher.children("/ids", watch: true)
        _ = try await watcher.exists("/ids/1", watch: true)

        owner.expire()
        await #expect(throws: ZooKeeperError(.sessionExpired, path: "/ids/2")) {
            try await owner.create("/ids/2", mode: .ephemeral)
        }
        let first = await events.next()
        let second = await events.next()
        #expect(
            Set([first, second].compactMap { $0?.description })
                == ["nodeDeleted /ids/1", "nodeChildrenChanged /ids"]
        )
        #expect(ensemble.children("/ids").isEmpty)

        // The watches were one-shot: a second change fires nothing until they are set again.
        owner.reconnect()
        try await owner.create("/ids/1", mode: .ephemeral)
        _ = try await watcher.exists("/ids/1", watch: true)
        try await owner.delete("/ids/1")
        #expect(await events.next() == WatchEvent(kind: .nodeDeleted, path: "/ids/1"))
    }
}
