import ClusterTestSupport
import Foundation
import KafkaClient
import KafkaCore
import KafkaProtocol
import NIOCore
import NIOPosix
import Testing
import ZooKeeper

/// `authorizer.class.name=kafka.security.authorizer.AclAuthorizer` on real broker processes: every advertised API
/// refuses a principal without ACLs with Kafka's error for it (the matrix of reference/security.md §3.3; an API
/// added later without a row here fails `everyApiRefusesAPrincipalWithoutAcls`), and ACLs written through
/// CreateAcls land in ZooKeeper in Kafka's format, reach the other broker through the change notifications, and
/// decide as Kafka's `AclAuthorizer`: deny beats allow, prefixed patterns, implied Describe, deletion by filter.
///
/// The brokers talk to each other on a PLAINTEXT listener as `User:ANONYMOUS` (a super user); the test's clients
/// use a SASL_PLAINTEXT listener as `User:admin` (a super user) and `User:alice` (no rights but the ACLs given).
@Suite("ACL authorization", .serialized, .timeLimit(.minutes(5)))
struct AuthorizationTests {
    static let group = MultiThreadedEventLoopGroup.singleton

    /// One broker's properties: its PLAINTEXT port (`{port}`, the harness's) and its SASL port.
    static func properties(saslPort: Int) -> [String: String] {
        [
            "listeners": "PLAINTEXT://127.0.0.1:{port},SASL_PLAINTEXT://127.0.0.1:\(saslPort)",
            "inter.broker.listener.name": "PLAINTEXT",
            "sasl.enabled.mechanisms": "PLAIN",
            "listener.name.sasl_plaintext.plain.sasl.jaas.config":
                "org.apache.kafka.common.security.plain.PlainLoginModule required "
                + "user_admin=\"admin-secret\" user_alice=\"alice-secret\";",
            "authorizer.class.name": "kafka.security.authorizer.AclAuthorizer",
            "super.users": "User:ANONYMOUS;User:admin",
            "offsets.topic.num.partitions": "1",
        ]
    }

    /// Two brokers, each with its own SASL port.
    static func withSecuredCluster(
        _ body: (ZooKeeperEnsemble, [BrokerProcess], [Int]) async throws -> Void
    ) async throws {
        let saslPorts = try FreePort.allocate(2)
        try await withCluster(
            brokers: 2,
            propertiesFor: { id in properties(saslPort: saslPorts[Int(id) - 1]) }
        ) { ensemble, brokers in
            try await body(ensemble, brokers, saslPorts)
        }
    }

    static func connect(_ port: Int, as user: String) async throws -> KafkaConnection {
        try await KafkaConnection.connect(
            to: BrokerAddress(host: "127.0.0.1", port: port),
            clientID: "acl-test-\(user)",
            group: group,
            security: ConnectionSecurity(
                sasl: SaslCredentials(mechanism: "PLAIN", username: user, password: "\(user)-secret")
            )
        )
    }

    /// Every error code anywhere in the response.
    static func codes<Request: KafkaRequest>(
        _ connection: KafkaConnection,
        _ request: Request,
        _ version: Int16
    ) async throws -> Set<KafkaErrorCode> {
        let response = try await connection.send(request, version: version, timeout: .seconds(20))
        var codes: Set<KafkaErrorCode> = []
        response.forEachErrorCode { codes.insert($0) }
        return codes
    }

    static func records() -> ByteBuffer {
        var builder = RecordBatchBuilder()
        builder.append(timestamp: 1_700_000_000_000, key: Array("k".utf8), value: Array("v".utf8))
        return builder.build().buffer
    }

    static func produce(_ topic: String, partition: Int32 = 0) -> ProduceRequest {
        var request = ProduceRequest()
        request.acks = 1
        request.timeoutMs = 5000
        request.topicData = [.init(name: topic, partitionData: [.init(index: partition, records: records())])]
        return request
    }

    static func fetch(_ topic: String) -> FetchRequest {
        var request = FetchRequest()
        request.maxBytes = 1 << 20
        request.topics = [
            .init(topic: topic, partitions: [.init(partition: 0, fetchOffset: 0, partitionMaxBytes: 1 << 20)])
        ]
        return request
    }

    static func metadata(_ topics: [String]?) -> MetadataRequest {
        var request = MetadataRequest()
        request.topics = topics.map { $0.map { MetadataRequest.MetadataRequestTopic(name: $0) } }
        request.allowAutoTopicCreation = false
        return request
    }

    /// One request per advertised API that names a resource, and the error a principal without ACLs must get.
    static func matrix(
        topic t: String
    ) -> [(ApiKey, KafkaErrorCode, @Sendable (KafkaConnection) async throws -> Set<KafkaErrorCode>)] {
        let topicAuth = KafkaErrorCode.topicAuthorizationFailed
        let groupAuth = KafkaErrorCode.groupAuthorizationFailed
        let clusterAuth = KafkaErrorCode.clusterAuthorizationFailed
        let txnAuth = KafkaErrorCode.transactionalIDAuthorizationFailed
        var listOffsets = ListOffsetsRequest()
        listOffsets.replicaID = -1
        listOffsets.topics = [.init(name: t, partitions: [.init(partitionIndex: 0, timestamp: -1)])]
        var commit = OffsetCommitRequest()
        commit.groupID = "g"
        commit.topics = [.init(name: t, partitions: [.init(partitionIndex: 0, committedOffset: 1)])]
        var offsetFetch = OffsetFetchRequest()
        offsetFetch.groupID = "g"
        offsetFetch.topics = [.init(name: t, partitionIndexes: [0])]
        var join = JoinGroupRequest()
        join.groupID = "g"
        join.sessionTimeoutMs = 10_000
        join.rebalanceTimeoutMs = 10_000
        join.protocolType = "consumer"
        join.protocols = [.init(name: "range", metadata: [])]
        var createTopics = CreateTopicsRequest()
        createTopics.topics = [.init(name: "new-topic", numPartitions: 1, replicationFactor: 1)]
        var deleteTopics = DeleteTopicsRequest()
        deleteTopics.topicNames = [t]
        var deleteRecords = DeleteRecordsRequest()
        deleteRecords.topics = [.init(name: t, partitions: [.init(partitionIndex: 0, offset: 0)])]
        deleteRecords.timeoutMs = 1000
        var addPartitions = AddPartitionsToTxnRequest()
        addPartitions.v3AndBelowTransactionalID = "txn"
        addPartitions.v3AndBelowTopics = [.init(name: t, partitions: [0])]
        var txnCommit = TxnOffsetCommitRequest()
        txnCommit.transactionalID = "txn"
        txnCommit.groupID = "g"
        txnCommit.topics = [.init(name: t, partitions: [.init(partitionIndex: 0, committedOffset: 1)])]
        var markers = WriteTxnMarkersRequest()
        markers.markers = [
            .init(
                producerID: 1,
                producerEpoch: 0,
                transactionResult: true,
                topics: [.init(name: t, partitionIndexes: [0])]
            )
        ]
        var epochs = OffsetForLeaderEpochRequest()
        epochs.replicaID = -1
        epochs.topics = [.init(topic: t, partitions: [.init(partition: 0, leaderEpoch: 0)])]
        var describeConfigsTopic = DescribeConfigsRequest()
        describeConfigsTopic.resources = [.init(resourceType: 2, resourceName: t, configurationKeys: nil)]
        var describeConfigsBroker = DescribeConfigsRequest()
        describeConfigsBroker.resources = [.init(resourceType: 4, resourceName: "1", configurationKeys: nil)]
        var alterConfigs = AlterConfigsRequest()
        alterConfigs.resources = [
            .init(resourceType: 2, resourceName: t, configs: [.init(name: "retention.ms", value: "1000")])
        ]
        var incremental = IncrementalAlterConfigsRequest()
        incremental.resources = [
            .init(
                resourceType: 2,
                resourceName: t,
                configs: [.init(name: "retention.ms", configOperation: 0, value: "1")]
            )
        ]
        var logDirs = AlterReplicaLogDirsRequest()
        logDirs.dirs = [.init(path: "/nowhere", topics: [.init(name: t, partitions: [0])])]
        var createPartitions = CreatePartitionsRequest()
        createPartitions.topics = [.init(name: t, count: 5, assignments: nil)]
        createPartitions.timeoutMs = 1000
        var elect = ElectLeadersRequest()
        elect.topicPartitions = [.init(topic: t, partitions: [0])]
        var reassign = AlterPartitionReassignmentsRequest()
        reassign.topics = [.init(name: t, partitions: [.init(partitionIndex: 0, replicas: [1])])]
        var offsetDelete = OffsetDeleteRequest()
        offsetDelete.groupID = "g"
        offsetDelete.topics = [.init(name: t, partitions: [.init(partitionIndex: 0)])]
        var producers = DescribeProducersRequest()
        producers.topics = [.init(name: t, partitionIndexes: [0])]
        var createAcls = CreateAclsRequest()
        createAcls.creations = [
            .init(
                resourceType: 2,
                resourceName: t,
                resourcePatternType: 3,
                principal: "User:alice",
                host: "*",
                operation: 3,
                permissionType: 3
            )
        ]
        var deleteAcls = DeleteAclsRequest()
        deleteAcls.filters = [
            .init(
                resourceTypeFilter: 1,
                resourceNameFilter: nil,
                patternTypeFilter: 1,
                principalFilter: nil,
                hostFilter: nil,
                operation: 1,
                permissionType: 1
            )
        ]
        var describeAcls = DescribeAclsRequest()
        describeAcls.resourceTypeFilter = 1
        describeAcls.resourceNameFilter = nil
        describeAcls.patternTypeFilter = 1
        describeAcls.principalFilter = nil
        describeAcls.hostFilter = nil
        describeAcls.operation = 1
        describeAcls.permissionType = 1
        var leaderAndIsr = LeaderAndIsrRequest()
        leaderAndIsr.controllerID = 1
        var stopReplica = StopReplicaRequest()
        stopReplica.controllerID = 1
        var updateMetadata = UpdateMetadataRequest()
        updateMetadata.controllerID = 1
        var shutdown = ControlledShutdownRequest()
        shutdown.brokerID = 1
        var scramAlter = AlterUserScramCredentialsRequest()
        scramAlter.deletions = [.init(name: "bob", mechanism: 1)]
        var alterQuotas = AlterClientQuotasRequest()
        alterQuotas.entries = [
            .init(
                entity: [.init(entityType: "user", entityName: "alice")],
                ops: [.init(key: "producer_byte_rate", value: 1024)]
            )
        ]
        var initTxn = InitProducerIDRequest()
        initTxn.transactionalID = "txn"
        initTxn.transactionTimeoutMs = 10_000
        var initIdempotent = InitProducerIDRequest()
        initIdempotent.transactionalID = nil
        return [
            (.produce, topicAuth, { try await codes($0, produce(t), 8) }),
            (.fetch, topicAuth, { try await codes($0, fetch(t), 11) }),
            (.listOffsets, topicAuth, { [listOffsets] c in try await codes(c, listOffsets, 5) }),
            (.metadata, topicAuth, { try await codes($0, metadata([t]), 9) }),
            (.leaderAndIsr, clusterAuth, { [leaderAndIsr] c in try await codes(c, leaderAndIsr, 4) }),
            (.stopReplica, clusterAuth, { [stopReplica] c in try await codes(c, stopReplica, 3) }),
            (.updateMetadata, clusterAuth, { [updateMetadata] c in try await codes(c, updateMetadata, 6) }),
            (.controlledShutdown, clusterAuth, { [shutdown] c in try await codes(c, shutdown, 3) }),
            (.offsetCommit, groupAuth, { [commit] c in try await codes(c, commit, 8) }),
            (.offsetFetch, groupAuth, { [offsetFetch] c in try await codes(c, offsetFetch, 7) }),
            (.findCoordinator, groupAuth, { try await codes($0, FindCoordinatorRequest(key: "g", keyType: 0), 3) }),
            (.joinGroup, groupAuth, { [join] c in try await codes(c, join, 5) }),
            (
                .heartbeat, groupAuth,
                { try await codes($0, HeartbeatRequest(groupID: "g", generationID: 1, memberID: "m"), 3) }
            ),
            (.leaveGroup, groupAuth, { try await codes($0, LeaveGroupRequest(groupID: "g", memberID: "m"), 2) }),
            (
                .syncGroup, groupAuth,
                { try await codes($0, SyncGroupRequest(groupID: "g", generationID: 1, memberID: "m"), 3) }
            ),
            (.describeGroups, groupAuth, { try await codes($0, DescribeGroupsRequest(groups: ["g"]), 4) }),
            (.createTopics, topicAuth, { [createTopics] c in try await codes(c, createTopics, 5) }),
            (.deleteTopics, topicAuth, { [deleteTopics] c in try await codes(c, deleteTopics, 4) }),
            (.deleteRecords, topicAuth, { [deleteRecords] c in try await codes(c, deleteRecords, 1) }),
            (.initProducerID, txnAuth, { [initTxn] c in try await codes(c, initTxn, 3) }),
            (.addPartitionsToTxn, txnAuth, { [addPartitions] c in try await codes(c, addPartitions, 1) }),
            (
                .addOffsetsToTxn, txnAuth,
                { try await codes($0, AddOffsetsToTxnRequest(transactionalID: "txn", groupID: "g"), 1) }
            ),
            (.endTxn, txnAuth, { try await codes($0, EndTxnRequest(transactionalID: "txn", committed: true), 1) }),
            (.writeTxnMarkers, clusterAuth, { [markers] c in try await codes(c, markers, 0) }),
            (.txnOffsetCommit, txnAuth, { [txnCommit] c in try await codes(c, txnCommit, 2) }),
            (.offsetForLeaderEpoch, topicAuth, { [epochs] c in try await codes(c, epochs, 3) }),
            (.describeAcls, clusterAuth, { [describeAcls] c in try await codes(c, describeAcls, 1) }),
            (.createAcls, clusterAuth, { [createAcls] c in try await codes(c, createAcls, 1) }),
            (.deleteAcls, clusterAuth, { [deleteAcls] c in try await codes(c, deleteAcls, 1) }),
            (.describeConfigs, topicAuth, { [describeConfigsTopic] c in try await codes(c, describeConfigsTopic, 2) }),
            (
                .describeConfigs, clusterAuth,
                { [describeConfigsBroker] c in try await codes(c, describeConfigsBroker, 2) }
            ),
            (.alterConfigs, topicAuth, { [alterConfigs] c in try await codes(c, alterConfigs, 1) }),
            (.alterReplicaLogDirs, clusterAuth, { [logDirs] c in try await codes(c, logDirs, 1) }),
            (.createPartitions, topicAuth, { [createPartitions] c in try await codes(c, createPartitions, 1) }),
            (.deleteGroups, groupAuth, { try await codes($0, DeleteGroupsRequest(groupsNames: ["g"]), 1) }),
            (.electLeaders, clusterAuth, { [elect] c in try await codes(c, elect, 1) }),
            (.incrementalAlterConfigs, topicAuth, { [incremental] c in try await codes(c, incremental, 0) }),
            (.alterPartitionReassignments, clusterAuth, { [reassign] c in try await codes(c, reassign, 0) }),
            (.listPartitionReassignments, clusterAuth, { try await codes($0, ListPartitionReassignmentsRequest(), 0) }),
            (.offsetDelete, groupAuth, { [offsetDelete] c in try await codes(c, offsetDelete, 0) }),
            (
                .describeUserScramCredentials, clusterAuth,
                { try await codes($0, DescribeUserScramCredentialsRequest(), 0) }
            ),
            (.alterUserScramCredentials, clusterAuth, { [scramAlter] c in try await codes(c, scramAlter, 0) }),
            (.describeProducers, topicAuth, { [producers] c in try await codes(c, producers, 0) }),
            (.describeClientQuotas, clusterAuth, { try await codes($0, DescribeClientQuotasRequest(), 1) }),
            (.alterClientQuotas, clusterAuth, { [alterQuotas] c in try await codes(c, alterQuotas, 1) }),
            // An idempotent producer without IdempotentWrite or Write on any topic.
            (.initProducerID, clusterAuth, { [initIdempotent] c in try await codes(c, initIdempotent, 3) }),
        ]
    }

    /// APIs Kafka answers without an authorization check (the authorized-operations fields aside), and those whose
    /// answers are filtered quietly instead (checked on their own below).
    static let unchecked: Set<ApiKey> = [.apiVersions, .saslHandshake, .saslAuthenticate, .describeCluster]
    static let quiet: Set<ApiKey> = [.listGroups, .describeLogDirs]

    /// The SASL port of the active controller (where CreateTopics and the other controller APIs must go).
    static func controllerPort(_ saslPorts: [Int]) async throws -> Int {
        let admin = try await connect(saslPorts[0], as: "admin")
        defer { admin.close() }
        var controller: Int32 = -1
        try await eventually(timeout: .seconds(20), "a controller") {
            controller = try await admin.send(metadata([]), version: 9).controllerID
            return controller > 0
        }
        return saslPorts[Int(controller) - 1]
    }

    @Test func everyApiRefusesAPrincipalWithoutAcls() async throws {
        try await Self.withSecuredCluster { _, _, saslPorts in
            let port = try await Self.controllerPort(saslPorts)
            let admin = try await Self.connect(port, as: "admin")
            let alice = try await Self.connect(port, as: "alice")
            defer {
                admin.close()
                alice.close()
            }
            var create = CreateTopicsRequest()
            create.topics = [.init(name: "t", numPartitions: 1, replicationFactor: 2)]
            let created = try await admin.send(create, version: 5)
            #expect(created.topics.first?.errorCode == KafkaErrorCode.none)

            let versions = try await alice.send(ApiVersionsRequest(), version: 3)
            let advertised = Set(versions.apiKeys.compactMap { ApiKey(rawValue: $0.apiKey) })
            let matrix = Self.matrix(topic: "t")
            let missing = advertised.subtracting(Self.unchecked).subtracting(Self.quiet).subtracting(matrix.map(\.0))
            #expect(missing.isEmpty, "advertised APIs without a row in the matrix: \(missing.map(\.name))")
            for (api, expected, send) in matrix {
                let codes = try await send(alice)
                #expect(
                    codes.contains(expected),
                    "\(api.name) answered \(codes.map(\.name)) instead of \(expected.name)"
                )
            }
            // Quiet filters: an all-topics Metadata omits the topic, ListGroups and DescribeLogDirs list nothing.
            let all = try await alice.send(Self.metadata(nil), version: 9)
            #expect(all.topics.isEmpty)
            let logDirs = try await alice.send(DescribeLogDirsRequest(topics: nil), version: 1)
            #expect(logDirs.results.isEmpty)
            #expect(try await admin.send(DescribeLogDirsRequest(topics: nil), version: 1).results.count == 1)
            // A group that exists (the admin commits an offset for it at its coordinator) is not listed to alice.
            var coordinator: Int32 = -1
            try await eventually(timeout: .seconds(30), "a coordinator for g") {
                let found = try await admin.send(FindCoordinatorRequest(key: "g", keyType: 0), version: 3)
                coordinator = found.nodeID
                return found.errorCode == .none
            }
            let adminAtCoordinator = try await Self.connect(saslPorts[Int(coordinator) - 1], as: "admin")
            let aliceAtCoordinator = try await Self.connect(saslPorts[Int(coordinator) - 1], as: "alice")
            defer {
                adminAtCoordinator.close()
                aliceAtCoordinator.close()
            }
            var commit = OffsetCommitRequest()
            commit.groupID = "g"
            commit.topics = [.init(name: "t", partitions: [.init(partitionIndex: 0, committedOffset: 0)])]
            #expect(try await Self.codes(adminAtCoordinator, commit, 8) == [KafkaErrorCode.none])
            let adminGroups = try await adminAtCoordinator.send(ListGroupsRequest(), version: 3)
            #expect(adminGroups.groups.map(\.groupID) == ["g"])
            let aliceGroups = try await aliceAtCoordinator.send(ListGroupsRequest(), version: 3)
            #expect(aliceGroups.errorCode == .none && aliceGroups.groups.isEmpty)
            // The super user is not refused.
            let adminMetadata = try await admin.send(Self.metadata(nil), version: 9)
            #expect(adminMetadata.topics.map(\.name).contains("t"))
            #expect(try await Self.codes(admin, Self.describeAllAcls(), 1) == [KafkaErrorCode.none])
        }
    }

    static func describeAllAcls() -> DescribeAclsRequest {
        DescribeAclsRequest(
            resourceTypeFilter: 1,
            resourceNameFilter: nil,
            patternTypeFilter: 1,
            principalFilter: nil,
            hostFilter: nil,
            operation: 1,
            permissionType: 1
        )
    }

    static func acl(
        _ type: Int8,
        _ name: String,
        _ pattern: Int8 = 3,
        principal: String = "User:alice",
        operation: Int8,
        allow: Bool = true
    ) -> CreateAclsRequest.AclCreation {
        .init(
            resourceType: type,
            resourceName: name,
            resourcePatternType: pattern,
            principal: principal,
            host: "*",
            operation: operation,
            permissionType: allow ? 3 : 2
        )
    }

    @Test func aclsDecideStoreInZooKeeperAndReachEveryBroker() async throws {
        try await Self.withSecuredCluster { ensemble, _, saslPorts in
            // The client's broker is the controller (topics are created there and led there); the other one only
            // learns the ACLs from ZooKeeper.
            let port = try await Self.controllerPort(saslPorts)
            let here = Int32(saslPorts.firstIndex(of: port)! + 1)
            let admin = try await Self.connect(port, as: "admin")
            let alice = try await Self.connect(port, as: "alice")
            let aliceOnTwo = try await Self.connect(saslPorts.first { $0 != port }!, as: "alice")
            defer {
                admin.close()
                alice.close()
                aliceOnTwo.close()
            }
            var create = CreateTopicsRequest()
            create.topics = [
                .init(
                    name: "t",
                    numPartitions: -1,
                    replicationFactor: -1,
                    assignments: [.init(partitionIndex: 0, brokerIDs: [here])]
                ),
                .init(
                    name: "tenant-a.orders",
                    numPartitions: -1,
                    replicationFactor: -1,
                    assignments: [.init(partitionIndex: 0, brokerIDs: [here])]
                ),
                .init(
                    name: "hidden",
                    numPartitions: -1,
                    replicationFactor: -1,
                    assignments: [.init(partitionIndex: 0, brokerIDs: [here])]
                ),
            ]
            #expect(try await Self.codes(admin, create, 5) == [KafkaErrorCode.none])

            // Read and Write on t (Read implies Describe), Read on every topic prefixed "tenant-a.".
            var grants = CreateAclsRequest()
            grants.creations = [
                Self.acl(2, "t", operation: 3), Self.acl(2, "t", operation: 4),
                Self.acl(2, "tenant-a.", 4, operation: 3),
                Self.acl(4, "kafka-cluster", 3, operation: 0),  // UNKNOWN: refused
                Self.acl(4, "other-cluster", 3, operation: 8),  // only kafka-cluster: refused
            ]
            let created = try await admin.send(grants, version: 1)
            #expect(created.results.map(\.errorCode) == [.none, .none, .none, .invalidRequest, .invalidRequest])

            #expect(try await Self.codes(alice, Self.produce("t"), 8) == [KafkaErrorCode.none])
            #expect(try await Self.codes(alice, Self.fetch("t"), 11) == [KafkaErrorCode.none])
            #expect(try await Self.codes(alice, Self.fetch("tenant-a.orders"), 11) == [KafkaErrorCode.none])
            #expect(try await Self.codes(alice, Self.produce("tenant-a.orders"), 8) == [.topicAuthorizationFailed])
            let listed = try await alice.send(Self.metadata(nil), version: 9)
            #expect(Set(listed.topics.map(\.name)) == ["t", "tenant-a.orders"])

            // Kafka's znodes: a literal and a prefixed pattern, each announced once.
            let observer = ZooKeeperClient(
                connectString: ensemble.connectString(chroot: "/kafka"),
                sessionTimeout: .seconds(10)
            )
            try await observer.connect()
            defer { Task { await observer.close() } }
            let literal =
                try JSONSerialization.jsonObject(
                    with: Data(try #require(try await observer.getData("/kafka-acl/Topic/t").data))
                ) as? [String: Any]
            #expect(literal?["version"] as? Int == 1)
            let entries = try #require(literal?["acls"] as? [[String: String]])
            #expect(Set(entries.map { $0["operation"] ?? "" }) == ["Read", "Write"])
            #expect(
                entries.allSatisfy {
                    $0["principal"] == "User:alice" && $0["permissionType"] == "Allow" && $0["host"] == "*"
                }
            )
            #expect(try await observer.exists("/kafka-acl-extended/prefixed/Topic/tenant-a.") != nil)
            let changes = try await observer.children("/kafka-acl-changes")
            let changeValues = try await changes.asyncMap {
                String(decoding: try await observer.getData("/kafka-acl-changes/\($0)").data ?? [], as: UTF8.self)
            }
            #expect(changeValues == ["TOPIC:t"])
            let extended = try await observer.children("/kafka-acl-extended-changes")
            #expect(extended.count == 1)

            // The other broker learned them from the notification.
            try await eventually(timeout: .seconds(15), "broker 2 to apply the ACLs") {
                try await Self.codes(aliceOnTwo, Self.metadata(["t"]), 9) == [KafkaErrorCode.none]
            }

            // TxnOffsetCommit, as Kafka 2.8: with the transactional id and the group allowed, a topic alice may not
            // read and one she may read that does not exist are refused partition by partition, and t goes on to the coordinator.
            var transactional = CreateAclsRequest()
            transactional.creations = [Self.acl(5, "tx", operation: 4), Self.acl(3, "g", operation: 3)]
            #expect(try await Self.codes(admin, transactional, 1) == [KafkaErrorCode.none])
            var commit = TxnOffsetCommitRequest()
            commit.transactionalID = "tx"
            commit.groupID = "g"
            commit.producerID = 1
            commit.topics = ["t", "hidden", "tenant-a.missing"].map {
                .init(name: $0, partitions: [.init(partitionIndex: 0, committedOffset: 1)])
            }
            let committed = try await alice.send(commit, version: 3)
            let byTopic = Dictionary(
                uniqueKeysWithValues: committed.topics.map { ($0.name, $0.partitions.first?.errorCode) }
            )
            #expect(byTopic["hidden"] == .topicAuthorizationFailed)
            #expect(byTopic["tenant-a.missing"] == .unknownTopicOrPartition)
            let attempted = try #require(byTopic["t"] ?? nil)
            #expect(![.topicAuthorizationFailed, .operationNotAttempted, .unknownTopicOrPartition].contains(attempted))

            // Deny beats allow: a DENY Read for alice from her host.
            var deny = CreateAclsRequest()
            var denial = Self.acl(2, "t", operation: 3, allow: false)
            denial.host = "127.0.0.1"
            deny.creations = [denial]
            #expect(try await Self.codes(admin, deny, 1) == [KafkaErrorCode.none])
            let denied = try await Self.codes(alice, Self.fetch("t"), 11)
            #expect(denied.subtracting([.none]) == [.topicAuthorizationFailed], "\(denied.map(\.name))")
            #expect(try await Self.codes(alice, Self.produce("t"), 8) == [KafkaErrorCode.none])

            // DescribeAcls with a MATCH filter for t: the literal ACLs of t and the prefixed pattern do not apply.
            var match = Self.describeAllAcls()
            match.resourceTypeFilter = 2
            match.resourceNameFilter = "tenant-a.orders"
            match.patternTypeFilter = 2
            let matched = try await admin.send(match, version: 1)
            #expect(matched.resources.map(\.resourceName) == ["tenant-a."])
            #expect(matched.resources.first?.patternType == 4)

            // DeleteAcls removes exactly the deny; alice reads again, on both brokers.
            var delete = DeleteAclsRequest()
            delete.filters = [
                .init(
                    resourceTypeFilter: 2,
                    resourceNameFilter: "t",
                    patternTypeFilter: 3,
                    principalFilter: "User:alice",
                    hostFilter: nil,
                    operation: 1,
                    permissionType: 2
                )
            ]
            let deleted = try await admin.send(delete, version: 1)
            #expect(deleted.filterResults.first?.matchingAcls.map(\.host) == ["127.0.0.1"])
            #expect(try await Self.codes(alice, Self.fetch("t"), 11) == [KafkaErrorCode.none])
            let remaining = try await admin.send(Self.describeAllAcls(), version: 1)
            #expect(remaining.resources.flatMap(\.acls).count == 5)

            // Removing every ACL of t deletes its znode, and broker 2 refuses alice again.
            delete.filters = [
                .init(
                    resourceTypeFilter: 2,
                    resourceNameFilter: "t",
                    patternTypeFilter: 3,
                    principalFilter: nil,
                    hostFilter: nil,
                    operation: 1,
                    permissionType: 1
                )
            ]
            #expect(try await admin.send(delete, version: 1).filterResults.first?.matchingAcls.count == 2)
            #expect(try await observer.exists("/kafka-acl/Topic/t") == nil)
            try await eventually(timeout: .seconds(15), "broker 2 to drop the ACLs") {
                try await Self.codes(aliceOnTwo, Self.metadata(["t"]), 9) == [.topicAuthorizationFailed]
            }
        }
    }
}

extension Array {
    fileprivate func asyncMap<T>(_ transform: (Element) async throws -> T) async rethrows -> [T] {
        var result: [T] = []
        for element in self { result.append(try await transform(element)) }
        return result
    }
}
