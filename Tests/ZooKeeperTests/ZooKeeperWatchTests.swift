import ClusterTestSupport
import Testing
import ZooKeeper

/// Watches set by one session fire when another session changes the tree.
@Suite("ZooKeeper watches")
struct ZooKeeperWatchTests {
    @Test func dataWatchFiresOnAnotherSessionsWrite() async throws {
        let scope = try await Scope.make()
        try await scope.withClient { watcher in
            try await scope.withClient { writer in
                try await writer.create("/config", data: [1])
                let events = watcher.watchEvents()
                _ = try await watcher.getData("/config", watch: true)
                try await writer.setData("/config", data: [2])
                let event = try await waitFor(events, "data change")
                #expect(event == WatchEvent(kind: .nodeDataChanged, path: "/config"))
            }
        }
    }

    @Test func existsWatchFiresOnCreationAndDeletion() async throws {
        let scope = try await Scope.make()
        try await scope.withClient { watcher in
            try await scope.withClient { writer in
                let events = watcher.watchEvents()
                #expect(try await watcher.exists("/later", watch: true) == nil)
                try await writer.create("/later")
                #expect(try await waitFor(events, "creation") == WatchEvent(kind: .nodeCreated, path: "/later"))

                #expect(try await watcher.exists("/later", watch: true) != nil)
                try await writer.delete("/later")
                #expect(try await waitFor(events, "deletion") == WatchEvent(kind: .nodeDeleted, path: "/later"))
            }
        }
    }

    @Test func childrenWatchFiresOnNewChild() async throws {
        let scope = try await Scope.make()
        try await scope.withClient { watcher in
            try await scope.withClient { writer in
                try await writer.create("/ids")
                let events = watcher.watchEvents()
                #expect(try await watcher.children("/ids", watch: true) == [])
                try await writer.create("/ids/1", mode: .ephemeral)
                let event = try await waitFor(events, "child change")
                #expect(event == WatchEvent(kind: .nodeChildrenChanged, path: "/ids"))
                #expect(try await watcher.children("/ids") == ["1"])
            }
        }
    }

    @Test func watchesFireOnlyOnce() async throws {
        let scope = try await Scope.make()
        try await scope.withClient { watcher in
            try await scope.withClient { writer in
                try await writer.create("/once", data: [0])
                try await writer.create("/marker", data: [0])
                let events = watcher.watchEvents()
                _ = try await watcher.getData("/once", watch: true)
                try await writer.setData("/once", data: [1])
                try await writer.setData("/once", data: [2])
                // A watch set after both writes; a session's events arrive in order, so if the first watch
                // fired twice, its second firing would come before this one.
                _ = try await watcher.getData("/marker", watch: true)
                try await writer.setData("/marker", data: [1])
                var iterator = events.makeAsyncIterator()
                #expect(await iterator.next() == WatchEvent(kind: .nodeDataChanged, path: "/once"))
                #expect(await iterator.next() == WatchEvent(kind: .nodeDataChanged, path: "/marker"))
            }
        }
    }

    @Test func ephemeralNodeDisappearsForOthersWhenOwnerCloses() async throws {
        let scope = try await Scope.make()
        try await scope.withClient { observer in
            let owner = try await scope.client()
            let ownerSession = try #require(owner.sessionID)
            try await owner.create("/brokers-1", data: [UInt8]("me"), mode: .ephemeral)
            let stat = try #require(try await observer.exists("/brokers-1"))
            #expect(stat.ephemeralOwner == ownerSession)

            let events = observer.watchEvents()
            _ = try await observer.exists("/brokers-1", watch: true)
            await owner.close()
            #expect(try await waitFor(events, "deletion") == WatchEvent(kind: .nodeDeleted, path: "/brokers-1"))
            #expect(try await observer.exists("/brokers-1") == nil)
        }
    }
}
