import ArgumentParser
import KafkaClient
import KafkaCore
import KafkaProtocol

/// `consumer-groups --delete` (DeleteGroups to each group's coordinator: a group with members cannot be deleted)
/// and `--delete-offsets` (OffsetDelete: offsets of topics the group's members subscribe to stay), with Kafka
/// 2.8's lines: `Deletion of requested consumer groups ('a', 'b') was successful.`, or `Deletion of some consumer
/// groups failed:` and a `* Group 'g' could not be deleted due to: …` line each (standard error, exit 1), and
/// `Request succeed for deleting offsets with topic t group g` then `TOPIC PARTITION STATUS` rows.
extension ConsumerGroupsCommand {
    func deleteGroups(_ names: [String], _ client: AdminClient) async throws {
        guard topic.isEmpty else {
            throw ValidationError("The consumer does not support topic-specific offset deletion from a consumer group.")
        }
        var deleted: [String] = []
        var failed: [(String, KafkaErrorCode)] = []
        let results = try await client.admin.deleteGroups(names)
        for name in names {
            switch results[name] {
            case .success?: deleted.append(name)
            case .failure(let error)?: failed.append((name, error.code))
            case nil: failed.append((name, .unknownServerError))
            }
        }
        let quoted = { (names: [String]) in names.map { "'\($0)'" }.joined(separator: ", ") }
        guard !failed.isEmpty else {
            print("Deletion of requested consumer groups (\(quoted(deleted))) was successful.")
            return
        }
        if !deleted.isEmpty { print("These consumer groups were deleted successfully: \(quoted(deleted))") }
        throw Failure(
            (["Deletion of some consumer groups failed:"]
                + failed.map { "* Group '\($0.0)' could not be deleted due to: \(groupErrorText($0.1))" })
                .joined(separator: "\n")
        )
    }

    func deleteOffsets(_ name: String, _ client: AdminClient) async throws {
        let partitions = try await namedPartitions(client)
        let statuses: [TopicPartition: KafkaErrorCode]
        do {
            statuses = try await client.admin.deleteGroupOffsets(name, partitions).mapValues { result in
                switch result {
                case .success: KafkaErrorCode.none
                case .failure(let error): error.code
                }
            }
        } catch let error as AdminError {
            switch error.code {
            case .groupIDNotFound: throw Failure("'\(name)' does not exist.")
            case .nonEmptyGroup:
                throw Failure("Deleting offsets of a consumer group '\(name)' is forbidden if the group is not empty.")
            default: throw Failure("Encounter some unknown error: \(error)")
            }
        }
        if statuses.values.allSatisfy({ $0 == .none }) {
            print("Request succeed for deleting offsets with topic \(topic.joined(separator: ", ")) group \(name)")
        } else {
            print("\nError: Encounter some partition level error, see the follow-up details:")
        }
        let line = { (columns: [String]) in
            zip(columns, [30, 15, 15]).map { $0.padding(to: $1) }.joined(separator: " ")
        }
        print("\n" + line(["TOPIC", "PARTITION", "STATUS"]))
        for partition in statuses.keys.sorted() {
            let code = statuses[partition]!
            let status = code == .none ? "Successful" : "Error: \(groupErrorText(code))"
            print(line([partition.topic, "\(partition.partition)", status]))
        }
        if statuses.values.contains(where: { $0 != .none }) { throw ExitCode(1) }
    }

    /// The exception text Kafka's admin client prints for the group errors a deletion meets.
    private func groupErrorText(_ code: KafkaErrorCode) -> String {
        switch code {
        case .nonEmptyGroup: "org.apache.kafka.common.errors.GroupNotEmptyException: The group is not empty."
        case .groupIDNotFound: "org.apache.kafka.common.errors.GroupIdNotFoundException: The group id does not exist."
        case .groupSubscribedToTopic:
            "org.apache.kafka.common.errors.GroupSubscribedToTopicException: The consumer group is actively "
                + "subscribed to the topic"
        default: errorText(code, nil)
        }
    }
}
