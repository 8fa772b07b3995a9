import KafkaCore
import KafkaProtocol

/// One consumer group's coordinator, found with FindCoordinator, and the group requests only it may answer:
/// DescribeGroups, OffsetFetch, OffsetCommit (as Kafka's admin client alters a group's offsets: generation -1,
/// no member), DeleteGroups and OffsetDelete.
///
/// Lifecycle: made per group per command run over the command's `AdminClient`, which owns the connections.
struct GroupCoordinatorClient {
    let client: AdminClient
    let group: String
    let nodeID: Int32
    let host: String
    let port: Int

    init(group: String, client: AdminClient) async throws {
        let found = try await client.send(FindCoordinatorRequest(key: group, keyType: 0), version: 3)
        guard found.errorCode == .none else { throw Failure(errorText(found.errorCode, found.errorMessage)) }
        self.client = client
        self.group = group
        nodeID = found.nodeID
        host = found.host
        port = Int(found.port)
    }

    func send<Request: KafkaRequest>(_ request: Request, version: Int16) async throws -> Request.Response {
        try await client.send(request, version: version, host: host, port: port)
    }

    /// The group as DescribeGroups v5 answers (state `Dead` for a group the coordinator does not know).
    func describe() async throws -> DescribeGroupsResponse.DescribedGroup {
        let described = try await send(DescribeGroupsRequest(groups: [group]), version: 5)
        guard let answer = described.groups.first else { throw Failure("no answer for group \(group)") }
        guard answer.errorCode == .none else { throw Failure(errorText(answer.errorCode, nil)) }
        return answer
    }

    /// Every offset the group committed.
    func committedOffsets() async throws -> [TopicPartition: Int64] {
        var request = OffsetFetchRequest()
        request.groupID = group
        request.topics = nil  // every partition the group committed
        let response = try await send(request, version: 7)
        guard response.errorCode == .none else { throw Failure(errorText(response.errorCode, nil)) }
        var offsets: [TopicPartition: Int64] = [:]
        for topic in response.topics {
            for partition in topic.partitions where partition.errorCode == .none && partition.committedOffset >= 0 {
                offsets[TopicPartition(topic.name, partition.partitionIndex)] = partition.committedOffset
            }
        }
        return offsets
    }

    /// Commits `offsets` for the group outside any generation; the first partition error fails the whole call.
    func commit(_ offsets: [TopicPartition: Int64]) async throws {
        var request = OffsetCommitRequest()
        request.groupID = group
        request.generationIDOrMemberEpoch = -1
        request.memberID = ""
        request.topics = Dictionary(grouping: offsets.keys, by: \.topic).map { topic, partitions in
            .init(
                name: topic,
                partitions: partitions.map { .init(partitionIndex: $0.partition, committedOffset: offsets[$0]!) }
            )
        }
        let response = try await send(request, version: 8)
        for topic in response.topics {
            for partition in topic.partitions where partition.errorCode != .none {
                let failed = TopicPartition(topic.name, partition.partitionIndex)
                throw Failure("committing the offset of \(failed): \(errorText(partition.errorCode, nil))")
            }
        }
    }
}
