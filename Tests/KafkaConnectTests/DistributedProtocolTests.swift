import KafkaConnect
import Testing

@testable import ConnectRuntime

/// Distributed mode's pure pieces: Connect's group protocol bytes (laid out by hand from Kafka 2.8's
/// `ConnectProtocol` schemas), the EAGER assignor's deal, and the distributed worker's required keys.
@Suite struct DistributedProtocolTests {
    @Test func workerMetadataIsVersionURLAndConfigOffset() throws {
        let bytes = ConnectProtocol.encode(
            ConnectProtocol.WorkerState(url: "http://w:8083/", configOffset: 5),
            version: 0
        )
        let expected: [UInt8] =
            [0, 0] + [0, 14] + Array("http://w:8083/".utf8) + [0, 0, 0, 0, 0, 0, 0, 5]
        #expect(bytes == expected)
        #expect(try ConnectProtocol.decodeWorkerState(bytes) == .init(url: "http://w:8083/", configOffset: 5))
    }

    @Test func assignmentListsEachConnectorWithMinusOneThenItsTasks() throws {
        let assignment = ConnectProtocol.Assignment(
            error: 0,
            leader: "L",
            leaderURL: "u",
            configOffset: 7,
            connectors: ["a"],
            tasks: [ConnectorTaskID("a", 0), ConnectorTaskID("b", 2)]
        )
        let bytes = ConnectProtocol.encode(assignment)
        var expected: [UInt8] = [0, 0, 0, 0] + [0, 1, 0x4C] + [0, 1, 0x75] + [0, 0, 0, 0, 0, 0, 0, 7]
        expected += [0, 0, 0, 2]  // two connectors
        expected += [0, 1, 0x61] + [0, 0, 0, 2] + [0xFF, 0xFF, 0xFF, 0xFF] + [0, 0, 0, 0]  // a: -1, 0
        expected += [0, 1, 0x62] + [0, 0, 0, 1] + [0, 0, 0, 2]  // b: 2
        #expect(bytes == expected)
        #expect(try ConnectProtocol.decodeAssignment(bytes) == assignment)
    }

    @Test func aTruncatedAssignmentIsRefused() {
        let bytes = ConnectProtocol.encode(
            .init(error: 0, leader: "L", leaderURL: "u", configOffset: 7, connectors: ["a"], tasks: [])
        )
        #expect(throws: (any Error).self) { try ConnectProtocol.decodeAssignment(Array(bytes.dropLast(3))) }
    }

    @Test func eagerAssignorDealsConnectorsAndTasksRoundRobinOverSortedMembers() {
        let work = EagerAssignor.assign(members: ["m2", "m1", "m3"], taskCounts: ["b": 1, "a": 3])
        // Dealt in order: a→m1, a-0→m2, a-1→m3, a-2→m1, b→m2, b-0→m3.
        #expect(work["m1"] == .init(connectors: ["a"], tasks: [ConnectorTaskID("a", 2)]))
        #expect(work["m2"] == .init(connectors: ["b"], tasks: [ConnectorTaskID("a", 0)]))
        #expect(work["m3"] == .init(connectors: [], tasks: [ConnectorTaskID("a", 1), ConnectorTaskID("b", 0)]))
        #expect(EagerAssignor.assign(members: [], taskCounts: ["a": 1]).isEmpty)
    }

    @Test func distributedWorkerNeedsItsGroupAndTopics() throws {
        let base = """
            key.converter=org.apache.kafka.connect.json.JsonConverter
            value.converter=org.apache.kafka.connect.json.JsonConverter
            group.id=connect-cluster
            config.storage.topic=connect-configs
            offset.storage.topic=connect-offsets
            status.storage.topic=connect-status
            """
        let (config, warnings) = try WorkerConfig.parse(
            properties: base + "\nconnect.protocol=eager\noffset.storage.partitions=3\nmade.up=1",
            distributed: true
        )
        let settings = try #require(config.distributed)
        #expect(settings.groupID == "connect-cluster")
        #expect(settings.offsetPartitions == 3 && settings.statusPartitions == 5)
        #expect(settings.configReplicationFactor == 3 && settings.sessionTimeoutMs == 10_000)
        #expect(warnings == ["The configuration 'made.up' was supplied but isn't a known config."])
        #expect(config.offsetStorageFile == nil)
        for missing in ["group.id", "config.storage.topic", "offset.storage.topic", "status.storage.topic"] {
            let text = base.split(separator: "\n").filter { !$0.hasPrefix(missing + "=") }.joined(separator: "\n")
            #expect(throws: ConnectConfigError.self) { try WorkerConfig.parse(properties: text, distributed: true) }
        }
        #expect(throws: ConnectConfigError.self) {
            try WorkerConfig.parse(properties: base + "\nconnect.protocol=fast", distributed: true)
        }
        // The same group keys are unknown to a standalone worker.
        let (_, standaloneWarnings) = try WorkerConfig.parse(
            properties: base + "\noffset.storage.file.filename=/tmp/x"
        )
        #expect(standaloneWarnings.count == 4)
    }

    // MARK: The cooperative protocol (KIP-415)

    @Test func cooperativeMetadataCarriesTheAllocationAndAssignmentsTheRevocationsAndDelay() throws {
        let allocation = ConnectProtocol.Assignment(
            version: 1,
            error: 0,
            leader: "",
            leaderURL: "",
            configOffset: 3,
            connectors: ["a"],
            tasks: []
        )
        let state = ConnectProtocol.WorkerState(url: "u", configOffset: 3, allocation: allocation)
        let bytes = ConnectProtocol.encode(state, version: 1)
        var allocationBytes: [UInt8] = [0, 1, 0, 0] + [0, 0] + [0, 0] + [0, 0, 0, 0, 0, 0, 0, 3]
        allocationBytes += [0, 0, 0, 1] + [0, 1, 0x61] + [0, 0, 0, 1] + [0xFF, 0xFF, 0xFF, 0xFF]
        allocationBytes += [0, 0, 0, 0] + [0, 0, 0, 0]  // nothing revoked, no delay
        let expected: [UInt8] =
            [0, 1] + [0, 1, 0x75] + [0, 0, 0, 0, 0, 0, 0, 3] + [0, 0, 0, UInt8(allocationBytes.count)] + allocationBytes
        #expect(bytes == expected)
        #expect(try ConnectProtocol.decodeWorkerState(bytes) == state)
        // Version 0 metadata has no allocation.
        #expect(try ConnectProtocol.decodeWorkerState(ConnectProtocol.encode(state, version: 0)).allocation == nil)

        var assignment = allocation
        assignment.revokedTasks = [ConnectorTaskID("b", 1)]
        assignment.delay = 2500
        #expect(try ConnectProtocol.decodeAssignment(ConnectProtocol.encode(assignment)) == assignment)
    }

    typealias Work = EagerAssignor.Work

    @Test func newWorkGoesToTheLeastLoadedMember() {
        var assignor = IncrementalAssignor(maxDelayMs: 1000)
        let result = assignor.assign(
            members: ["m2": Work(), "m1": Work()],
            connectors: ["a", "b"],
            tasks: [ConnectorTaskID("a", 0), ConnectorTaskID("a", 1), ConnectorTaskID("b", 0)],
            generation: 1
        )
        #expect(
            result.assigned["m1"] == Work(connectors: ["a"], tasks: [ConnectorTaskID("a", 0), ConnectorTaskID("b", 0)])
        )
        #expect(result.assigned["m2"] == Work(connectors: ["b"], tasks: [ConnectorTaskID("a", 1)]))
        #expect(result.revoked.isEmpty && result.delay == 0)
        #expect(result.complete == result.assigned)
    }

    @Test func lostWorkWaitsForTheDelayThenMoves() {
        var assignor = IncrementalAssignor(maxDelayMs: 1000)
        let tasks: Set = [ConnectorTaskID("a", 0), ConnectorTaskID("a", 1)]
        let start = ContinuousClock.now
        let first = assignor.assign(
            members: ["m1": Work(), "m2": Work()],
            connectors: ["a"],
            tasks: tasks,
            generation: 1,
            now: start
        )
        // m2 is gone: its work is held back, m1 keeps its own and is told how long to wait.
        let second = assignor.assign(
            members: ["m1": first.complete["m1"]!],
            connectors: ["a"],
            tasks: tasks,
            generation: 2,
            now: start + .milliseconds(100)
        )
        #expect(second.assigned.isEmpty && second.revoked.isEmpty)
        #expect(second.delay == 1000)
        let third = assignor.assign(
            members: ["m1": second.complete["m1"]!],
            connectors: ["a"],
            tasks: tasks,
            generation: 3,
            now: start + .milliseconds(600)
        )
        #expect(third.assigned.isEmpty && third.delay == 500)
        let fourth = assignor.assign(
            members: ["m1": third.complete["m1"]!],
            connectors: ["a"],
            tasks: tasks,
            generation: 4,
            now: start + .milliseconds(1200)
        )
        #expect(fourth.delay == 0)
        #expect(fourth.assigned["m1"] == Work(connectors: [], tasks: [ConnectorTaskID("a", 1)]))
        #expect(Set(fourth.complete["m1"]!.tasks) == tasks && fourth.complete["m1"]!.connectors == ["a"])
    }

    @Test func deletedAndDuplicatedWorkIsRevoked() {
        var assignor = IncrementalAssignor(maxDelayMs: 0)
        let result = assignor.assign(
            members: [
                "m1": Work(connectors: ["a", "gone"], tasks: [ConnectorTaskID("a", 0)]),
                "m2": Work(connectors: [], tasks: [ConnectorTaskID("a", 0), ConnectorTaskID("gone", 0)]),
            ],
            connectors: ["a"],
            tasks: [ConnectorTaskID("a", 0)],
            generation: 1
        )
        #expect(result.revoked["m1"] == Work(connectors: ["gone"], tasks: []))
        #expect(
            result.revoked["m2"] == Work(connectors: [], tasks: [ConnectorTaskID("a", 0), ConnectorTaskID("gone", 0)])
        )
        #expect(result.complete["m1"] == Work(connectors: ["a"], tasks: [ConnectorTaskID("a", 0)]))
    }

    @Test func aJoiningMemberGetsItsShareThroughOneRevocationRound() {
        var assignor = IncrementalAssignor(maxDelayMs: 0)
        let tasks = (0..<4).map { ConnectorTaskID("a", $0) }
        let loaded = Work(connectors: ["a"], tasks: tasks)
        let first = assignor.assign(
            members: ["m1": loaded, "m2": Work()],
            connectors: ["a"],
            tasks: Set(tasks),
            generation: 1
        )
        #expect(first.revoked["m1"] == Work(connectors: [], tasks: [ConnectorTaskID("a", 2), ConnectorTaskID("a", 3)]))
        #expect(first.assigned.isEmpty)
        let second = assignor.assign(
            members: ["m1": first.complete["m1"]!, "m2": Work()],
            connectors: ["a"],
            tasks: Set(tasks),
            generation: 2
        )
        #expect(second.revoked.isEmpty)
        #expect(
            second.assigned["m2"] == Work(connectors: [], tasks: [ConnectorTaskID("a", 2), ConnectorTaskID("a", 3)])
        )
    }
}
