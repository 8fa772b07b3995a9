public import KafkaCore
import KafkaProtocol

/// Groups, records, leaders and offsets: requests to a group's coordinator, to partitions' leaders, and to the
/// controller.
extension KafkaAdminClient {
    // MARK: Groups

    /// Every group of the cluster (ListGroups to every broker; each lists the groups it coordinates), sorted by
    /// id; `states` filters by state (ListGroups v4).
    public func listGroups(states: [String] = []) async throws -> [GroupListing] {
        var listings: [GroupListing] = []
        for broker in try await describeCluster().brokers.keys.sorted() {
            let response = try await cluster.send(ListGroupsRequest(statesFilter: states), toBroker: broker)
            guard response.errorCode == .none else {
                throw AdminError(response.errorCode, "ListGroups at broker \(broker)")
            }
            listings += response.groups.map {
                GroupListing(groupID: $0.groupID, protocolType: $0.protocolType, state: $0.groupState)
            }
        }
        return listings.sorted { $0.groupID < $1.groupID }
    }

    /// The coordinator of `group` (FindCoordinator, retried while it is being chosen or loaded).
    public func coordinator(of group: String) async throws -> (id: BrokerID, address: BrokerAddress) {
        var attempt = 0
        while true {
            let response = try await cluster.send(FindCoordinatorRequest(key: group, keyType: 0))
            if response.errorCode == .none {
                return (response.nodeID, BrokerAddress(host: response.host, port: Int(response.port)))
            }
            attempt += 1
            guard response.errorCode.isRetriable, attempt < 10 else {
                throw AdminError(response.errorCode, response.errorMessage)
            }
            try await Task.sleep(for: .milliseconds(configuration.retryBackoffMs * Int64(attempt)))
        }
    }

    /// `group` as its coordinator describes it (state `Dead` for a group it does not know); a consumer group's
    /// member assignments decoded.
    public func describeGroup(_ group: String) async throws -> GroupDescription {
        let coordinator = try await coordinator(of: group)
        let response = try await cluster.send(DescribeGroupsRequest(groups: [group]), to: coordinator.address)
        guard let answer = response.groups.first else {
            throw AdminError(.unknownServerError, "no answer for \(group)")
        }
        guard answer.errorCode == .none else { throw AdminError(answer.errorCode, nil) }
        return GroupDescription(
            groupID: answer.groupID,
            state: answer.groupState,
            protocolType: answer.protocolType,
            protocolName: answer.protocolData,
            members: answer.members.map { member in
                GroupDescription.Member(
                    memberID: member.memberID,
                    groupInstanceID: member.groupInstanceID,
                    clientID: member.clientID,
                    host: member.clientHost,
                    assignment: answer.protocolType == ConsumerProtocol.protocolType
                        ? (try? ConsumerProtocol.decodeAssignment(member.memberAssignment)) ?? [] : []
                )
            },
            coordinator: coordinator.id
        )
    }

    /// Deletes `groups` (each must be empty); each group's outcome.
    public func deleteGroups(_ groups: [String]) async throws -> [String: Result<Void, AdminError>] {
        var results: [String: Result<Void, AdminError>] = [:]
        for group in groups {
            let coordinator = try await coordinator(of: group)
            let response = try await cluster.send(DeleteGroupsRequest(groupsNames: [group]), to: coordinator.address)
            for answer in response.results {
                results[answer.groupID] =
                    answer.errorCode == .none ? .success(()) : .failure(AdminError(answer.errorCode))
            }
        }
        return results
    }

    /// The offsets `group` committed (every partition it has one for).
    public func listGroupOffsets(_ group: String) async throws -> [TopicPartition: OffsetAndMetadata] {
        try await fetchOffsets(group, topics: nil)
    }

    /// OffsetFetch of `topics` (nil: every partition with an offset) at the coordinator, at most `maxVersion`: the
    /// partitions with an offset.
    private func fetchOffsets(
        _ group: String,
        topics: [OffsetFetchRequest.OffsetFetchRequestTopic]?,
        maxVersion: Int16? = nil
    ) async throws -> [TopicPartition: OffsetAndMetadata] {
        let coordinator = try await coordinator(of: group)
        var request = OffsetFetchRequest()
        request.groupID = group
        request.topics = topics
        let response = try await cluster.send(request, to: coordinator.address, maxVersion: maxVersion)
        guard response.errorCode == .none else { throw AdminError(response.errorCode) }
        var offsets: [TopicPartition: OffsetAndMetadata] = [:]
        for topic in response.topics {
            for partition in topic.partitions where partition.errorCode == .none && partition.committedOffset >= 0 {
                offsets[TopicPartition(topic.name, partition.partitionIndex)] = OffsetAndMetadata(
                    offset: partition.committedOffset,
                    leaderEpoch: partition.committedLeaderEpoch >= 0 ? partition.committedLeaderEpoch : nil,
                    metadata: partition.metadata ?? ""
                )
            }
        }
        return offsets
    }

    /// Commits `offsets` for `group` outside any generation (the group must have no active members); each
    /// partition's outcome.
    public func alterGroupOffsets(
        _ group: String,
        _ offsets: [TopicPartition: OffsetAndMetadata]
    ) async throws -> [TopicPartition: Result<Void, AdminError>] {
        try await commitOffsets(group, offsets)
    }

    /// OffsetCommit of `offsets` outside any generation at the coordinator, at most `maxVersion` (v0 has neither
    /// generation nor leader epochs; they are left out of it); each partition's outcome.
    private func commitOffsets(
        _ group: String,
        _ offsets: [TopicPartition: OffsetAndMetadata],
        maxVersion: Int16? = nil
    ) async throws -> [TopicPartition: Result<Void, AdminError>] {
        let coordinator = try await coordinator(of: group)
        var request = OffsetCommitRequest()
        request.groupID = group
        request.generationIDOrMemberEpoch = -1
        request.memberID = ""
        request.topics = Dictionary(grouping: offsets, by: \.key.topic).map { topic, entries in
            .init(
                name: topic,
                partitions: entries.map {
                    .init(
                        partitionIndex: $0.key.partition,
                        committedOffset: $0.value.offset,
                        committedLeaderEpoch: $0.value.leaderEpoch ?? -1,
                        committedMetadata: $0.value.metadata
                    )
                }
            )
        }
        let response = try await cluster.send(request, to: coordinator.address, maxVersion: maxVersion)
        var results: [TopicPartition: Result<Void, AdminError>] = [:]
        for topic in response.topics {
            for partition in topic.partitions {
                results[TopicPartition(topic.name, partition.partitionIndex)] =
                    partition.errorCode == .none ? .success(()) : .failure(AdminError(partition.errorCode))
            }
        }
        return results
    }

    /// Deletes `group`'s committed offsets of `partitions` (OffsetDelete); each partition's outcome. A group-level
    /// error (the group is not empty and consumes the topic, ...) is thrown.
    public func deleteGroupOffsets(
        _ group: String,
        _ partitions: [TopicPartition]
    ) async throws -> [TopicPartition: Result<Void, AdminError>] {
        let coordinator = try await coordinator(of: group)
        let request = OffsetDeleteRequest(
            groupID: group,
            topics: ConsumerProtocol.grouped(partitions).map { topic in
                .init(name: topic.topic, partitions: topic.partitions.map { .init(partitionIndex: $0) })
            }
        )
        let response = try await cluster.send(request, to: coordinator.address)
        guard response.errorCode == .none else { throw AdminError(response.errorCode) }
        var results: [TopicPartition: Result<Void, AdminError>] = [:]
        for topic in response.topics {
            for partition in topic.partitions {
                results[TopicPartition(topic.name, partition.partitionIndex)] =
                    partition.errorCode == .none ? .success(()) : .failure(AdminError(partition.errorCode))
            }
        }
        return results
    }

    // MARK: Partitions

    /// `partitions` grouped by their leaders; partitions without a leader are left out.
    public func leaders(of partitions: [TopicPartition]) async throws -> [BrokerID: [TopicPartition]] {
        guard !partitions.isEmpty else { return [:] }
        let wanted = Set(partitions)
        var byLeader: [BrokerID: [TopicPartition]] = [:]
        for topic in try await describeTopics(Array(Set(partitions.map(\.topic))).sorted()) {
            for partition in topic.partitions where partition.leader >= 0 {
                let key = TopicPartition(topic.name, partition.partition)
                if wanted.contains(key) { byLeader[partition.leader, default: []].append(key) }
            }
        }
        return byLeader
    }

    /// Deletes the records of each partition before the given offset (-1: the high watermark), at the leaders;
    /// each partition's new low watermark or error. A partition without a leader is missing from the result.
    public func deleteRecords(
        _ offsets: [TopicPartition: Offset]
    ) async throws -> [TopicPartition: Result<Offset, AdminError>] {
        var results: [TopicPartition: Result<Offset, AdminError>] = [:]
        for (leader, owned) in try await leaders(of: Array(offsets.keys)) {
            let request = DeleteRecordsRequest(
                topics: Dictionary(grouping: owned, by: \.topic).map { topic, partitions in
                    .init(
                        name: topic,
                        partitions: partitions.map { .init(partitionIndex: $0.partition, offset: offsets[$0]!) }
                    )
                },
                timeoutMs: operationTimeoutMs
            )
            let response = try await cluster.send(request, toBroker: leader)
            for topic in response.topics {
                for partition in topic.partitions {
                    results[TopicPartition(topic.name, partition.partitionIndex)] =
                        partition.errorCode == .none
                        ? .success(partition.lowWatermark) : .failure(AdminError(partition.errorCode))
                }
            }
        }
        return results
    }

    /// Elects leaders (nil partitions: every partition, for a preferred election) at the controller; each
    /// partition's outcome. A request-level error is thrown.
    public func electLeaders(
        _ type: ElectionType,
        partitions: [TopicPartition]?
    ) async throws -> [TopicPartition: Result<Void, AdminError>] {
        let request = ElectLeadersRequest(
            electionType: type.rawValue,
            topicPartitions: partitions.map {
                ConsumerProtocol.grouped($0).map { .init(topic: $0.topic, partitions: $0.partitions) }
            },
            timeoutMs: operationTimeoutMs
        )
        let response = try await sendToController(request) { $0.errorCode == .notController }
        guard response.errorCode == .none else { throw AdminError(response.errorCode) }
        var results: [TopicPartition: Result<Void, AdminError>] = [:]
        for topic in response.replicaElectionResults {
            for partition in topic.partitionResult {
                results[TopicPartition(topic.topic, partition.partitionID)] =
                    partition.errorCode == .none
                    ? .success(()) : .failure(AdminError(partition.errorCode, partition.errorMessage))
            }
        }
        return results
    }

    /// Each partition's offset for `timestamp` (-1 latest, -2 earliest, else the first offset whose timestamp is
    /// at least that; -1 when none is), from its leader; partitions without a leader are missing. With
    /// `readCommitted`, latest is the last stable offset (Kafka's `IsolationLevel.READ_COMMITTED`).
    public func listOffsets(
        _ partitions: [TopicPartition],
        at timestamp: Int64,
        readCommitted: Bool = false
    ) async throws -> [TopicPartition: Result<Offset, AdminError>] {
        var results: [TopicPartition: Result<Offset, AdminError>] = [:]
        for (leader, owned) in try await leaders(of: partitions) {
            var request = ListOffsetsRequest()
            request.replicaID = -1
            request.isolationLevel = readCommitted ? 1 : 0
            request.topics = Dictionary(grouping: owned, by: \.topic).map { topic, partitions in
                .init(
                    name: topic,
                    partitions: partitions.map { .init(partitionIndex: $0.partition, timestamp: timestamp) }
                )
            }
            let response = try await cluster.send(request, toBroker: leader)
            for topic in response.topics {
                for partition in topic.partitions {
                    results[TopicPartition(topic.name, partition.partitionIndex)] =
                        partition.errorCode == .none
                        ? .success(partition.offset) : .failure(AdminError(partition.errorCode))
                }
            }
        }
        return results
    }

    // MARK: Offsets kept in ZooKeeper

    /// The offsets `group` keeps in ZooKeeper for `partitions` (OffsetFetch v0, which a ZooKeeper-era broker
    /// answers from `/consumers/<group>/offsets`): the partitions with one.
    public func listZooKeeperGroupOffsets(
        _ group: String,
        _ partitions: [TopicPartition]
    ) async throws -> [TopicPartition: OffsetAndMetadata] {
        guard !partitions.isEmpty else { return [:] }
        let topics = ConsumerProtocol.grouped(partitions).map {
            OffsetFetchRequest.OffsetFetchRequestTopic(name: $0.topic, partitionIndexes: $0.partitions)
        }
        return try await fetchOffsets(group, topics: topics, maxVersion: 0)
    }

    /// Commits `offsets` for `group` with OffsetCommit v0, which a ZooKeeper-era broker writes to
    /// `/consumers/<group>/offsets` (where old consumers read them); each partition's outcome.
    public func alterZooKeeperGroupOffsets(
        _ group: String,
        _ offsets: [TopicPartition: OffsetAndMetadata]
    ) async throws -> [TopicPartition: Result<Void, AdminError>] {
        try await commitOffsets(group, offsets, maxVersion: 0)
    }
}
