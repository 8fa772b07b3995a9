import KafkaClient
import KafkaCore
import KafkaProtocol

/// One consumer group's coordinator (found by the library's admin client) and the group requests the commands
/// read raw fields from (DescribeGroups), with the typed ones (offsets) on the library.
///
/// Lifecycle: made per group per command run over the command's `AdminClient`, which owns the connections.
struct GroupCoordinatorClient {
    let client: AdminClient
    let group: String
    let nodeID: Int32
    let address: BrokerAddress

    var host: String { address.host }
    var port: Int { address.port }

    init(group: String, client: AdminClient) async throws {
        let found: (id: BrokerID, address: BrokerAddress)
        do {
            found = try await client.admin.coordinator(of: group)
        } catch let error as AdminError {
            throw Failure(error.description)
        }
        self.client = client
        self.group = group
        nodeID = found.id
        address = found.address
    }

    /// The group as DescribeGroups answers (state `Dead` for a group the coordinator does not know).
    func describe() async throws -> DescribeGroupsResponse.DescribedGroup {
        let described = try await client.admin.cluster.send(DescribeGroupsRequest(groups: [group]), to: address)
        guard let answer = described.groups.first else { throw Failure("no answer for group \(group)") }
        guard answer.errorCode == .none else { throw Failure(errorText(answer.errorCode, nil)) }
        return answer
    }

    /// Every offset the group committed.
    func committedOffsets() async throws -> [TopicPartition: Int64] {
        do {
            return try await client.admin.listGroupOffsets(group).mapValues(\.offset)
        } catch let error as AdminError {
            throw Failure(error.description)
        }
    }

    /// Commits `offsets` for the group outside any generation; the first partition error fails the whole call.
    func commit(_ offsets: [TopicPartition: Int64]) async throws {
        let results = try await client.admin.alterGroupOffsets(
            group,
            offsets.mapValues { OffsetAndMetadata(offset: $0) }
        )
        for (partition, result) in results.sorted(by: { $0.key < $1.key }) {
            if case .failure(let error) = result {
                throw Failure("committing the offset of \(partition): \(error)")
            }
        }
    }
}
