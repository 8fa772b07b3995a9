import ClusterTestSupport
import Testing
import ZooKeeper

@Suite("ZooKeeper operations against a real server")
struct ZooKeeperOperationsTests {
    @Test func createGetSetDeleteRoundTrip() async throws {
        let scope = try await Scope.make()
        try await scope.withClient { client in

            let created = try await client.create("/node", data: [UInt8]("first"))
            #expect(created == "/node")
            let (data, stat) = try await client.getData("/node")
            #expect(data == [UInt8]("first"))
            #expect(stat.version == 0)
            #expect(stat.dataLength == 5)
            #expect(!stat.isEphemeral)

            let updated = try await client.setData("/node", data: [UInt8]("second"), version: 0)
            #expect(updated.version == 1)
            #expect(try await client.getData("/node").data == [UInt8]("second"))

            try await client.delete("/node", version: 1)
            #expect(try await client.exists("/node") == nil)
        }
    }

    @Test func emptyDataStaysEmptyNotNull() async throws {
        let scope = try await Scope.make()
        try await scope.withClient { client in
            try await client.create("/empty")
            #expect(try await client.getData("/empty").data == [])
        }
    }

    @Test func largeValuesAreNotCut() async throws {
        let scope = try await Scope.make()
        try await scope.withClient { client in
            let value = (0..<900_000).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
            try await client.create("/large", data: value)
            let (data, stat) = try await client.getData("/large")
            #expect(stat.dataLength == 900_000)
            #expect(data == value)
        }
    }

    @Test func errorsCarryZooKeeperCodes() async throws {
        let scope = try await Scope.make()
        try await scope.withClient { client in
            try await client.create("/parent")
            try await client.create("/parent/child")

            #expect(await zooKeeperErrorCode { _ = try await client.getData("/missing") } == .noNode)
            #expect(await zooKeeperErrorCode { try await client.create("/parent") } == .nodeExists)
            #expect(await zooKeeperErrorCode { try await client.create("/missing/child") } == .noNode)
            #expect(
                await zooKeeperErrorCode { try await client.setData("/parent", data: [1], version: 7) } == .badVersion
            )
            #expect(await zooKeeperErrorCode { try await client.delete("/parent/child", version: 3) } == .badVersion)
            #expect(await zooKeeperErrorCode { try await client.delete("/parent") } == .notEmpty)
            #expect(await zooKeeperErrorCode { try await client.delete("/missing") } == .noNode)

            do {
                _ = try await client.getData("/missing")
                Issue.record("getData of a missing node succeeded")
            } catch let error as ZooKeeperError {
                #expect(error.path == "/missing")
                #expect(error.code.description == "no node")
            }
        }
    }

    @Test func existsAndChildren() async throws {
        let scope = try await Scope.make()
        try await scope.withClient { client in
            #expect(try await client.exists("/dir") == nil)
            try await client.create("/dir")
            for name in ["b", "a", "c"] { try await client.create("/dir/\(name)") }
            let stat = try #require(try await client.exists("/dir"))
            #expect(stat.numChildren == 3)
            #expect(try await client.children("/dir").sorted() == ["a", "b", "c"])
            #expect(try await client.children("/dir/a") == [])
            #expect(await zooKeeperErrorCode { _ = try await client.children("/nothing") } == .noNode)
        }
    }

    @Test func sequentialNodesGetTenDigitCounters() async throws {
        let scope = try await Scope.make()
        try await scope.withClient { client in
            try await client.create("/seq")
            let first = try await client.create("/seq/item-", mode: .persistentSequential)
            let second = try await client.create("/seq/item-", mode: .ephemeralSequential)
            #expect(first == "/seq/item-0000000000")
            #expect(second == "/seq/item-0000000001")
            #expect(try await client.exists(second)?.isEphemeral == true)
        }
    }

    @Test func chrootIsInvisibleToTheClient() async throws {
        let scope = try await Scope.make()
        try await scope.withClient { client in
            try await client.create("/inside", data: [42])

            let root = Scope(connectString: try await SharedZooKeeper.connectString(), chroot: "")
            try await root.withClient { (unrooted: ZooKeeperClient) async throws in
                #expect(try await unrooted.getData("\(scope.chroot)/inside").data == [42])
                #expect(try await unrooted.exists("/inside") == nil)
            }
            #expect(client.configuration.chroot == scope.chroot)
        }
    }

    @Test func createRecursivelyToleratesExistingNodes() async throws {
        let scope = try await Scope.make()
        try await scope.withClient { client in
            try await client.create("/a")
            try await client.createRecursively("/a/b/c", data: [7])
            try await client.createRecursively("/a/b/c", data: [8])
            #expect(try await client.getData("/a/b/c").data == [7])
            #expect(try await client.getData("/a/b").data == [])
        }
    }

    @Test func multiCommitsAllOperationsTogether() async throws {
        let scope = try await Scope.make()
        try await scope.withClient { client in
            try await client.create("/epoch", data: [UInt8]("1"))
            try await client.create("/old")

            let results = try await client.multi([
                .check(path: "/epoch", version: 0),
                .create(path: "/new", data: [UInt8]("n"), mode: .persistent),
                .create(path: "/new/seq-", data: [], mode: .persistentSequential),
                .setData(path: "/epoch", data: [UInt8]("2"), version: 0),
                .delete(path: "/old", version: nil),
            ])
            #expect(results.count == 5)
            #expect(results[0] == .checked)
            #expect(results[1] == .created(path: "/new"))
            #expect(results[2] == .created(path: "/new/seq-0000000000"))
            guard case .dataSet(let stat) = results[3] else {
                Issue.record("expected dataSet, got \(results[3])")
                return
            }
            #expect(stat.version == 1)
            #expect(results[4] == .deleted)
            #expect(try await client.getData("/epoch").data == [UInt8]("2"))
            #expect(try await client.exists("/old") == nil)
        }
    }

    @Test func multiWithFailingCheckChangesNothing() async throws {
        let scope = try await Scope.make()
        try await scope.withClient { client in
            try await client.create("/epoch", data: [UInt8]("1"))
            try await client.create("/keep", data: [UInt8]("k"))

            do {
                try await client.multi([
                    .create(path: "/should-not-exist", data: [], mode: .persistent),
                    .setData(path: "/keep", data: [UInt8]("changed"), version: nil),
                    .check(path: "/epoch", version: 5),
                    .delete(path: "/keep", version: nil),
                ])
                Issue.record("multi with a failing check committed")
            } catch let error as ZooKeeperError {
                #expect(error.code == .badVersion)
                #expect(error.failedOperationIndex == 2)
            }
            #expect(try await client.exists("/should-not-exist") == nil)
            #expect(try await client.getData("/keep").data == [UInt8]("k"))
            #expect(try await client.getData("/epoch").stat.version == 0)
        }
    }

    @Test func callsBeforeConnectOrAfterCloseFailWithClosing() async throws {
        let scope = try await Scope.make()
        let idle = ZooKeeperClient(connectString: scope.connectString)
        #expect(await zooKeeperErrorCode { _ = try await idle.exists("/x") } == .closing)

        let client = try await scope.client()
        await client.close()
        #expect(client.state == .closed)
        #expect(await zooKeeperErrorCode { _ = try await client.exists("/x") } == .closing)
        #expect(await zooKeeperErrorCode { try await client.connect() } == .closing)
    }

    @Test func connectFailsWithTimeoutWhenNoServerAnswers() async throws {
        let port = try FreePort.allocate()[0]
        let client = ZooKeeperClient(
            configuration: ZooKeeperConfiguration(
                connectString: "127.0.0.1:\(port)",
                sessionTimeout: .seconds(4),
                connectionTimeout: .seconds(1)
            )
        )
        #expect(await zooKeeperErrorCode { try await client.connect() } == .operationTimeout)
        #expect(client.state == .connecting)
        await client.close()
        #expect(client.state == .closed)
    }
}
