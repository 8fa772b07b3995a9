import Synchronization
import Testing

@testable import KafkaStorage

/// Which errors take a log directory offline, and that the broker's handler runs once, when the last one goes.
@Suite("Log directory failures")
struct LogDirectoryFailuresTests {
    @Test func onlyIOErrorsCountAndTheHandlerRunsOnceWhenEveryDirectoryFailed() {
        let failures = LogDirectoryFailures(directories: ["/data/a", "/data/b"])
        let calls = Mutex<[String]>([])
        failures.onAllFailed { reason in calls.withLock { $0.append(reason) } }

        #expect(!failures.report("/data/a", .offsetOutOfRange(requested: 5, logStartOffset: 0, logEndOffset: 1)))
        #expect(!failures.report("/data/a", .corruptRecords("a bad batch from a client")))
        #expect(failures.offlineDirectories.isEmpty)

        #expect(failures.report("/data/a", .io(operation: "write", path: "/data/a/t-0/0.log", errno: 28)))
        #expect(!failures.report("/data/a", .io(operation: "write", path: "/data/a/t-1/0.log", errno: 28)))
        #expect(calls.withLock { $0.isEmpty }, "one directory of two is still online")

        #expect(failures.report("/data/b", .io(operation: "fsync", path: "/data/b/t-2/0.log", errno: 5)))
        #expect(failures.offlineDirectories == ["/data/a", "/data/b"])
        _ = failures.report("/data/b", .io(operation: "write", path: "/data/b/t-2/0.log", errno: 5))
        #expect(calls.withLock { $0.count } == 1)
        #expect(calls.withLock { $0.first?.contains("/data/a,/data/b") } == true)
    }
}
