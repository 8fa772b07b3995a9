import Foundation
import KafkaCore
import KafkaSecurity
import Testing

@testable import KafkaZooKeeper

/// The znode values, checked against what Kafka 2.8 writes (examples from Kafka's own code and docs).
@Suite("Kafka znode formats")
struct ZNodeFormatTests {
    private func json(_ bytes: [UInt8]) -> [String: Any] {
        try! JSONSerialization.jsonObject(with: Data(bytes)) as! [String: Any]
    }

    @Test func brokerRegistrationIsVersionFive() {
        let registration = BrokerRegistration(
            id: 1,
            endpoints: [
                EndPoint("PLAINTEXT://kafka1:9092")!,
                EndPoint("REPL://kafka1:9093", securityProtocolMap: ["REPL": "SSL"])!,
            ],
            rack: "dc1",
            timestamp: 1_700_000_000_000
        )
        let object = json(registration.encode())
        #expect(object["version"] as? Int == 5)
        #expect(object["endpoints"] as? [String] == ["PLAINTEXT://kafka1:9092", "REPL://kafka1:9093"])
        #expect(
            object["listener_security_protocol_map"] as? [String: String] == ["PLAINTEXT": "PLAINTEXT", "REPL": "SSL"]
        )
        #expect(object["host"] as? String == "kafka1")
        #expect(object["port"] as? Int == 9092)
        #expect(object["jmx_port"] as? Int == -1)
        #expect(object["timestamp"] as? String == "1700000000000")  // a string, as Kafka writes it
        #expect(object["rack"] as? String == "dc1")
        #expect((object["features"] as? [String: Any])?.isEmpty == true)
        #expect(String(decoding: registration.encode(), as: UTF8.self).contains(" ") == false)  // compact
    }

    @Test func brokerRegistrationsOfEveryVersionAreRead() throws {
        // Kafka 2.8's example value, and a 0.9-era v2 and a 0.8-era v1.
        let v5 =
            #"{"features":{},"listener_security_protocol_map":{"PLAINTEXT":"PLAINTEXT","REPL":"SSL"},"endpoints":["PLAINTEXT://kafka1:9092","REPL://kafka1:9093"],"rack":"dc1","jmx_port":-1,"host":"kafka1","timestamp":"1700000000000","port":9092,"version":5}"#
        let parsed = try BrokerRegistration.decode(id: 1, Array(v5.utf8), epoch: 42)
        #expect(parsed.endpoints.map(\.description) == ["PLAINTEXT://kafka1:9092", "REPL://kafka1:9093"])
        #expect(parsed.endpoints[1].securityProtocol == "SSL")
        #expect(parsed.rack == "dc1" && parsed.timestamp == 1_700_000_000_000 && parsed.epoch == 42)
        let v2 =
            #"{"jmx_port":-1,"timestamp":"1","endpoints":["PLAINTEXT://[::1]:9092"],"host":"::1","version":2,"port":9092}"#
        #expect(
            try BrokerRegistration.decode(id: 2, Array(v2.utf8)).endpoints == [
                EndPoint(listenerName: "PLAINTEXT", host: "::1", port: 9092)
            ]
        )
        let v1 = #"{"jmx_port":-1,"timestamp":"1","host":"old","version":1,"port":9092}"#
        #expect(try BrokerRegistration.decode(id: 3, Array(v1.utf8)).endpoints.first?.host == "old")
        #expect(throws: ZNodeError.self) { _ = try BrokerRegistration.decode(id: 4, Array(#"{"version":0}"#.utf8)) }
    }

    @Test func topicAssignmentIsVersionThree() throws {
        let id = try #require(KafkaUUID("pPB2CXmaQ3eblxBKVmt8qQ"))
        let assignment = TopicAssignment(topic: "orders", partitions: [0: [1, 2, 3], 1: [2, 3, 1]], topicID: id)
        let object = json(assignment.encode())
        #expect(object["version"] as? Int == 3)
        #expect(object["partitions"] as? [String: [Int]] == ["0": [1, 2, 3], "1": [2, 3, 1]])
        #expect(object["topic_id"] as? String == "pPB2CXmaQ3eblxBKVmt8qQ")
        #expect((object["adding_replicas"] as? [String: Any])?.isEmpty == true)
        let v1 = #"{"version":1,"partitions":{"0":[1,2,3],"1":[2,3,1]}}"#
        #expect(
            try TopicAssignment.decode(topic: "orders", Array(v1.utf8)).partitions == [0: [1, 2, 3], 1: [2, 3, 1]]
        )
        #expect(try TopicAssignment.decode(topic: "orders", assignment.encode()) == assignment)
    }

    @Test func partitionStateAndController() throws {
        let state = LeaderAndIsr(leader: 1, leaderEpoch: 5, isr: [1, 2, 3], controllerEpoch: 3)
        #expect(
            json(state.encode()) as NSDictionary == [
                "controller_epoch": 3, "leader": 1, "version": 1, "leader_epoch": 5, "isr": [1, 2, 3],
            ]
        )
        let kafka = #"{"controller_epoch":3,"leader":-1,"version":1,"leader_epoch":5,"isr":[2]}"#
        #expect(
            try LeaderAndIsr.decode(Array(kafka.utf8), path: "/x", zkVersion: 7)
                == LeaderAndIsr(leader: -1, leaderEpoch: 5, isr: [2], controllerEpoch: 3, zkVersion: 7)
        )
        #expect(
            json(ControllerZNode.encode(brokerID: 1, timestamp: 1_700_000_000_000)) as NSDictionary == [
                "version": 1, "brokerid": 1, "timestamp": "1700000000000",
            ]
        )
        #expect(try ControllerZNode.decode(Array(#"{"version":1,"brokerid":7,"timestamp":"1"}"#.utf8)) == 7)
        #expect(ControllerZNode.encodeEpoch(12) == Array("12".utf8))
    }

    @Test func smallZNodesKeepKafkasTypes() throws {
        #expect(
            json(ClusterIDZNode.encode("QV0_Ob7VSaW3bdpyIk2fGQ")) as NSDictionary == [
                "version": "1", "id": "QV0_Ob7VSaW3bdpyIk2fGQ",
            ]
        )
        #expect(
            json(ConfigZNode.encode(["retention.ms": "86400000"])) as NSDictionary == [
                "version": 1, "config": ["retention.ms": "86400000"],
            ]
        )
        #expect(
            json(ConfigZNode.encodeChangeNotification(entityType: "topics", name: "foo")) as NSDictionary == [
                "version": 2, "entity_path": "topics/foo",
            ]
        )
        #expect(
            json(IsrChangeNotification.encode([TopicPartition("foo", 0)])) as NSDictionary == [
                "version": 1, "partitions": [["topic": "foo", "partition": 0]],
            ]
        )
        let block = ProducerIDBlock(brokerID: 2, start: 1000, end: 1999)
        #expect(
            json(block.encode()) as NSDictionary == [
                "version": 1, "broker": 2, "block_start": "1000", "block_end": "1999",
            ]
        )
        #expect(try ProducerIDBlock.decode(block.encode()) == block)
    }

    /// The ACL store (ZkData.scala's ZkAclStore and ZkAclChangeStore): paths, values, change notifications in both
    /// spellings Kafka has written.
    @Test func aclZNodes() throws {
        #expect(AclZNodes.path(ResourcePattern(.topic, "t1")) == "/kafka-acl/Topic/t1")
        #expect(
            AclZNodes.path(ResourcePattern(.transactionalID, "tx", .prefixed))
                == "/kafka-acl-extended/prefixed/TransactionalId/tx"
        )
        #expect(AclZNodes.path(ResourcePattern(.cluster, "kafka-cluster")) == "/kafka-acl/Cluster/kafka-cluster")
        // Kafka 2.8's own value for one ACL (from its AclAuthorizer tests).
        let kafka =
            #"{"version":1,"acls":[{"principal":"User:alice","permissionType":"Allow","operation":"Read","host":"*"}]}"#
        let entries = try AclZNodes.decode(Array(kafka.utf8), path: "/kafka-acl/Topic/t1")
        #expect(entries == [AccessControlEntry(principal: "User:alice", operation: .read, permission: .allow)])
        let written = json(AclZNodes.encode(entries))
        #expect(written["version"] as? Int == 1)
        #expect(
            written["acls"] as? [[String: String]] == [
                ["principal": "User:alice", "permissionType": "Allow", "operation": "Read", "host": "*"]
            ]
        )
        #expect(String(decoding: AclZNodes.encodeChange(ResourcePattern(.topic, "t1")), as: UTF8.self) == "TOPIC:t1")
        let extended = json(AclZNodes.encodeChange(ResourcePattern(.group, "g-", .prefixed)))
        #expect(extended["resourceType"] as? String == "GROUP" && extended["patternType"] as? String == "PREFIXED")
        #expect(extended["name"] as? String == "g-" && extended["version"] as? Int == 1)
        #expect(try AclZNodes.decodeChange(Array("Topic:t1".utf8), path: "c") == ResourcePattern(.topic, "t1"))
        #expect(
            try AclZNodes.decodeChange(Array("TRANSACTIONAL_ID:a:b".utf8), path: "c")
                == ResourcePattern(.transactionalID, "a:b")
        )
        #expect(
            try AclZNodes.decodeChange(
                Array(#"{"version":1,"resourceType":"TOPIC","name":"x","patternType":"PREFIXED"}"#.utf8),
                path: "c"
            )
                == ResourcePattern(.topic, "x", .prefixed)
        )
        #expect(throws: ZNodeError.self) { try AclZNodes.decodeChange(Array("nonsense".utf8), path: "c") }
        #expect(AclZNodes.sequence("acl_changes_0000000012") == 12)
    }
}
