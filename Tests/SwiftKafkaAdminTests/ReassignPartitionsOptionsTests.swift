import ArgumentParser
import Foundation
import KafkaClient
import KafkaCore
import Testing

@testable import SwiftKafkaAdmin

/// `reassign-partitions`' actions and Kafka's reassignment JSON, both ways.
@Suite struct ReassignPartitionsOptionsTests {
    @Test func exactlyOneActionWithItsFiles() throws {
        let base = ["--bootstrap-server", "127.0.0.1:9092"]
        #expect(throws: (any Error).self) { try ReassignPartitionsCommand.parse(base) }
        #expect(throws: (any Error).self) { try ReassignPartitionsCommand.parse(base + ["--execute"]) }
        #expect(throws: (any Error).self) { try ReassignPartitionsCommand.parse(base + ["--list", "--verify"]) }
        #expect(throws: (any Error).self) {
            try ReassignPartitionsCommand.parse(base + ["--generate", "--topics-to-move-json-file", "t.json"])
        }
        _ = try ReassignPartitionsCommand.parse(base + ["--list"])
        _ = try ReassignPartitionsCommand.parse(base + ["--verify", "--reassignment-json-file", "plan.json"])
        #expect(try ReassignPartitionsCommand.brokerIDs("1, 2,3") == [1, 2, 3])
        #expect(throws: ValidationError.self) { try ReassignPartitionsCommand.brokerIDs("1,x") }
    }

    @Test func reassignmentJsonRoundTrips() throws {
        let plan: [TopicPartition: [BrokerID]] = [TopicPartition("b", 1): [3], TopicPartition("a\"x", 0): [2, 1]]
        let text = ReassignPartitionsCommand.json(plan)
        #expect(
            text
                == #"{"version":1,"partitions":[{"topic":"a\"x","partition":0,"replicas":[2,1],"log_dirs":["any","any"]},"#
                + #"{"topic":"b","partition":1,"replicas":[3],"log_dirs":["any"]}]}"#
        )
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("plan-\(UUID().uuidString).json").path
        defer { try? FileManager.default.removeItem(atPath: file) }
        try text.write(toFile: file, atomically: true, encoding: .utf8)
        let read = try ReassignPartitionsCommand.reassignment(fromFile: file)
        #expect(read.targets == plan && read.moves.isEmpty)
        try #"{"partitions":[{"topic":"a","partition":0}]}"#.write(toFile: file, atomically: true, encoding: .utf8)
        #expect(throws: ValidationError.self) { try ReassignPartitionsCommand.reassignment(fromFile: file) }
    }

    @Test func logDirsNameTheReplicasToMove() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("plan-\(UUID().uuidString).json").path
        defer { try? FileManager.default.removeItem(atPath: file) }
        try #"{"version":1,"partitions":[{"topic":"t","partition":0,"replicas":[1,2],"log_dirs":["any","/d/b"]}]}"#
            .write(toFile: file, atomically: true, encoding: .utf8)
        let read = try ReassignPartitionsCommand.reassignment(fromFile: file)
        #expect(read.targets == [TopicPartition("t", 0): [1, 2]])
        #expect(read.moves == [TopicPartitionReplica(broker: 2, partition: TopicPartition("t", 0)): "/d/b"])
        for bad in [#"["any"]"#, #"["any","relative"]"#, #""any""#] {
            try #"{"partitions":[{"topic":"t","partition":0,"replicas":[1,2],"log_dirs":\#(bad)}]}"#
                .write(toFile: file, atomically: true, encoding: .utf8)
            #expect(throws: ValidationError.self, "\(bad)") {
                try ReassignPartitionsCommand.reassignment(fromFile: file)
            }
        }
    }
}
