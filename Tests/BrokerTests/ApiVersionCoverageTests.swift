import ClusterTestSupport
import Foundation
import KafkaCore
import KafkaProtocol
import NIOCore
import Testing

/// Every API a broker advertises, at every advertised version, from its lowest: a request at that version (a
/// generated request with its fields at their defaults, a few set so the broker answers at all) gets exactly one
/// response frame that the generated codec decodes at that version to its last byte. The advertised table itself is
/// compared with Kafka 2.8's by `Tests/Interop/test_api_versions.py`.
@Suite("Every advertised API version", .serialized, .timeLimit(.minutes(5)))
struct ApiVersionCoverageTests {
    /// A request of each advertised API (the broker under test must answer every one).
    static func probes() -> [Int16: (Int16) -> Probe] {
        var produce = ProduceRequest()
        produce.acks = 1  // acks=0 has no response
        produce.timeoutMs = 1000
        var fetch = FetchRequest()
        fetch.replicaID = -1
        fetch.maxBytes = 1 << 20
        var metadata = MetadataRequest()
        metadata.topics = []
        var findCoordinator = FindCoordinatorRequest()
        findCoordinator.key = "coverage"
        var joinGroup = JoinGroupRequest()
        joinGroup.groupID = "coverage"
        joinGroup.protocolType = "consumer"
        joinGroup.sessionTimeoutMs = 10_000
        joinGroup.rebalanceTimeoutMs = 10_000
        var describeConfigs = DescribeConfigsRequest()
        describeConfigs.resources = [.init(resourceType: 4, resourceName: "1", configurationKeys: ["broker.id"])]
        return [
            ProduceRequest.apiKey.rawValue: { Probe(produce, $0) },
            FetchRequest.apiKey.rawValue: { Probe(fetch, $0) },
            ListOffsetsRequest.apiKey.rawValue: { Probe(ListOffsetsRequest(), $0) },
            MetadataRequest.apiKey.rawValue: { Probe(metadata, $0) },
            OffsetCommitRequest.apiKey.rawValue: { Probe(OffsetCommitRequest(), $0) },
            OffsetFetchRequest.apiKey.rawValue: { Probe(OffsetFetchRequest(), $0) },
            FindCoordinatorRequest.apiKey.rawValue: { Probe(findCoordinator, $0) },
            JoinGroupRequest.apiKey.rawValue: { Probe(joinGroup, $0) },
            HeartbeatRequest.apiKey.rawValue: { Probe(HeartbeatRequest(), $0) },
            LeaveGroupRequest.apiKey.rawValue: { Probe(LeaveGroupRequest(), $0) },
            SyncGroupRequest.apiKey.rawValue: { Probe(SyncGroupRequest(), $0) },
            DescribeGroupsRequest.apiKey.rawValue: { Probe(DescribeGroupsRequest(), $0) },
            ListGroupsRequest.apiKey.rawValue: { Probe(ListGroupsRequest(), $0) },
            ApiVersionsRequest.apiKey.rawValue: { Probe(ApiVersionsRequest(), $0) },
            CreateTopicsRequest.apiKey.rawValue: { Probe(CreateTopicsRequest(), $0) },
            DeleteTopicsRequest.apiKey.rawValue: { Probe(DeleteTopicsRequest(), $0) },
            DeleteRecordsRequest.apiKey.rawValue: { Probe(DeleteRecordsRequest(), $0) },
            InitProducerIDRequest.apiKey.rawValue: { Probe(InitProducerIDRequest(), $0) },
            WriteTxnMarkersRequest.apiKey.rawValue: { Probe(WriteTxnMarkersRequest(), $0) },
            AddPartitionsToTxnRequest.apiKey.rawValue: { Probe(AddPartitionsToTxnRequest(), $0) },
            AddOffsetsToTxnRequest.apiKey.rawValue: { Probe(AddOffsetsToTxnRequest(), $0) },
            EndTxnRequest.apiKey.rawValue: { Probe(EndTxnRequest(), $0) },
            TxnOffsetCommitRequest.apiKey.rawValue: { Probe(TxnOffsetCommitRequest(), $0) },
            DescribeProducersRequest.apiKey.rawValue: { Probe(DescribeProducersRequest(), $0) },
            // On a PLAINTEXT listener both are answered with ILLEGAL_SASL_STATE, as Kafka's KafkaApis answers them.
            SaslHandshakeRequest.apiKey.rawValue: { Probe(SaslHandshakeRequest(mechanism: "PLAIN"), $0) },
            SaslAuthenticateRequest.apiKey.rawValue: { Probe(SaslAuthenticateRequest(), $0) },
            DescribeUserScramCredentialsRequest.apiKey.rawValue: {
                Probe(DescribeUserScramCredentialsRequest(users: [.init(name: "nobody")]), $0)
            },
            AlterUserScramCredentialsRequest.apiKey.rawValue: { Probe(AlterUserScramCredentialsRequest(), $0) },
            // Without an authorizer all three answer SECURITY_DISABLED.
            DescribeAclsRequest.apiKey.rawValue: { Probe(DescribeAclsRequest(), $0) },
            CreateAclsRequest.apiKey.rawValue: { Probe(CreateAclsRequest(), $0) },
            DeleteAclsRequest.apiKey.rawValue: { Probe(DeleteAclsRequest(), $0) },
            DescribeClientQuotasRequest.apiKey.rawValue: { Probe(DescribeClientQuotasRequest(), $0) },
            AlterClientQuotasRequest.apiKey.rawValue: { Probe(AlterClientQuotasRequest(), $0) },
            OffsetForLeaderEpochRequest.apiKey.rawValue: { Probe(OffsetForLeaderEpochRequest(), $0) },
            DescribeConfigsRequest.apiKey.rawValue: { Probe(describeConfigs, $0) },
            AlterConfigsRequest.apiKey.rawValue: { Probe(AlterConfigsRequest(), $0) },
            CreatePartitionsRequest.apiKey.rawValue: { Probe(CreatePartitionsRequest(), $0) },
            DeleteGroupsRequest.apiKey.rawValue: { Probe(DeleteGroupsRequest(), $0) },
            ElectLeadersRequest.apiKey.rawValue: { Probe(ElectLeadersRequest(), $0) },
            IncrementalAlterConfigsRequest.apiKey.rawValue: { Probe(IncrementalAlterConfigsRequest(), $0) },
            OffsetDeleteRequest.apiKey.rawValue: { Probe(OffsetDeleteRequest(), $0) },
            DescribeClusterRequest.apiKey.rawValue: { Probe(DescribeClusterRequest(), $0) },
            AlterReplicaLogDirsRequest.apiKey.rawValue: { Probe(AlterReplicaLogDirsRequest(), $0) },
            DescribeLogDirsRequest.apiKey.rawValue: { Probe(DescribeLogDirsRequest(), $0) },
            AlterPartitionReassignmentsRequest.apiKey.rawValue: { Probe(AlterPartitionReassignmentsRequest(), $0) },
            ListPartitionReassignmentsRequest.apiKey.rawValue: { Probe(ListPartitionReassignmentsRequest(), $0) },
        ]
    }

    /// One request at one version, and how to check its answer.
    struct Probe: Sendable {
        let frame: [UInt8]
        let check: @Sendable ([UInt8]) -> String?

        init<Request: KafkaRequest>(_ request: Request, _ version: Int16) {
            let key = Request.apiKey
            var buffer = ByteBuffer()
            buffer.writeInteger(Int32(0))
            RequestHeader(requestApiKey: key.rawValue, requestApiVersion: version, correlationID: 99, clientID: "cov")
                .write(to: &buffer, version: key.requestHeaderVersion(for: version))
            request.write(to: &buffer, version: version)
            buffer.setInteger(Int32(buffer.readableBytes - 4), at: 0)
            frame = Array(buffer.readableBytesView)
            check = { bytes in
                var reply = ByteBuffer(bytes: bytes)
                guard let size = reply.readInteger(as: Int32.self), Int(size) == reply.readableBytes else {
                    return "no single response frame (\(bytes.count) bytes)"
                }
                do {
                    let header = try ResponseHeader(from: &reply, version: key.responseHeaderVersion(for: version))
                    guard header.correlationID == 99 else { return "correlation id \(header.correlationID)" }
                    _ = try Request.Response(from: &reply, version: version)
                } catch {
                    return "does not decode: \(error)"
                }
                return reply.readableBytes == 0 ? nil : "\(reply.readableBytes) bytes left after decoding"
            }
        }
    }

    @Test func everyAdvertisedVersionIsAnsweredAtThatVersion() async throws {
        try await withCluster { _, brokers in
            let port = brokers[0].port
            let reply = await RawClient.exchange(
                port: port,
                send: Probe(ApiVersionsRequest(), 0).frame,
                untilOneFrame: true
            )
            var buffer = ByteBuffer(bytes: reply.bytes.dropFirst(8))
            let advertised = try ApiVersionsResponse(from: &buffer, version: 0).apiKeys
            let probes = Self.probes()
            #expect(
                Set(advertised.map(\.apiKey)) == Set(probes.keys),
                "an advertised API has no probe here, or the reverse"
            )
            var answered = 0
            for api in advertised {
                guard let probe = probes[api.apiKey] else { continue }
                #expect(api.minVersion == 0, "API \(api.apiKey) is advertised from \(api.minVersion), Kafka 2.8 from 0")
                for version in api.minVersion...api.maxVersion {
                    let request = probe(version)
                    let answer = await RawClient.exchange(
                        port: port,
                        send: request.frame,
                        timeout: .seconds(10),
                        untilOneFrame: true
                    )
                    if let problem = request.check(answer.bytes) {
                        Issue.record("API \(api.apiKey) v\(version): \(problem)")
                    }
                    answered += 1
                }
            }
            #expect(answered > 150)
        }
    }
}
