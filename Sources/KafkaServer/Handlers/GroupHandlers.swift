import KafkaCoordinator
import KafkaCore
import KafkaProtocol

/// The consumer-group APIs, served by the group's coordinator (the leader of its `__consumer_offsets` partition):
/// JoinGroup (11) 0-7, SyncGroup (14) 0-5, Heartbeat (12) 0-4, LeaveGroup (13) 0-5, OffsetCommit (8) 0-9,
/// OffsetFetch (9) 0-7 (v0 of both use ZooKeeper in either offsets.storage mode, as in Kafka), ListGroups (16) 0-5, DescribeGroups (15) 0-5, DeleteGroups (42) 0-2, OffsetDelete (47) 0. Any other broker answers NOT_COORDINATOR,
/// which sends the client back to FindCoordinator.
enum GroupHandlers {
    static func make(_ services: BrokerServices) -> [any RequestHandler] {
        [
            joinGroup(services), syncGroup(services), heartbeat(services), leaveGroup(services),
            offsetCommit(services), offsetFetch(services), listGroups(services), describeGroups(services),
            deleteGroups(services), offsetDelete(services),
        ]
    }

    /// Nil when this broker coordinates `group`, else the error to answer with.
    static func check(_ group: String, _ services: BrokerServices) -> KafkaErrorCode? {
        guard !group.isEmpty else { return .invalidGroupID }
        return services.offsetsTopic.coordinatorError(for: group, replicaManager: services.replicaManager)
    }

    static func joinGroup(_ services: BrokerServices) -> any RequestHandler {
        TypedHandler(JoinGroupRequest.self, versions: 0...7) { request, context in
            let noProtocol: String? = context.apiVersion >= 7 ? nil : ""
            if let error = check(request.groupID, services) {
                return JoinGroupResponse(
                    errorCode: error.rawValue,
                    protocolName: noProtocol,
                    memberID: request.memberID
                )
            }
            let result = await services.groupCoordinator.join(
                groupID: request.groupID,
                memberID: request.memberID,
                groupInstanceID: request.groupInstanceID,
                clientID: context.header.clientID ?? "",
                clientHost: context.clientHost,
                sessionTimeoutMs: request.sessionTimeoutMs,
                rebalanceTimeoutMs: context.apiVersion >= 1 ? request.rebalanceTimeoutMs : request.sessionTimeoutMs,
                protocolType: request.protocolType,
                protocols: request.protocols.map { (name: $0.name, metadata: $0.metadata) },
                requireKnownMemberID: context.apiVersion >= 4
            )
            return JoinGroupResponse(
                errorCode: result.errorCode.rawValue,
                generationID: result.generationID,
                protocolType: result.protocolType,
                protocolName: result.protocolName ?? noProtocol,
                leader: result.leaderID,
                memberID: result.memberID,
                members: result.members.map {
                    .init(memberID: $0.memberID, groupInstanceID: $0.groupInstanceID, metadata: $0.metadata)
                }
            )
        }
    }

    static func syncGroup(_ services: BrokerServices) -> any RequestHandler {
        TypedHandler(SyncGroupRequest.self, versions: 0...5) { request, _ in
            if let error = check(request.groupID, services) { return SyncGroupResponse(errorCode: error.rawValue) }
            let result = await services.groupCoordinator.sync(
                groupID: request.groupID,
                generationID: request.generationID,
                memberID: request.memberID,
                groupInstanceID: request.groupInstanceID,
                assignments: Dictionary(
                    request.assignments.map { ($0.memberID, $0.assignment) },
                    uniquingKeysWith: { $1 }
                )
            )
            return SyncGroupResponse(
                errorCode: result.errorCode.rawValue,
                protocolType: result.protocolType,
                protocolName: result.protocolName,
                assignment: result.assignment
            )
        }
    }

    static func heartbeat(_ services: BrokerServices) -> any RequestHandler {
        TypedHandler(HeartbeatRequest.self, versions: 0...4) { request, _ in
            if let error = check(request.groupID, services) { return HeartbeatResponse(errorCode: error.rawValue) }
            let error = await services.groupCoordinator.heartbeat(
                groupID: request.groupID,
                generationID: request.generationID,
                memberID: request.memberID,
                groupInstanceID: request.groupInstanceID
            )
            return HeartbeatResponse(errorCode: error.rawValue)
        }
    }

    static func leaveGroup(_ services: BrokerServices) -> any RequestHandler {
        TypedHandler(LeaveGroupRequest.self, versions: 0...5) { request, context in
            if let error = check(request.groupID, services) { return LeaveGroupResponse(errorCode: error.rawValue) }
            // v0-2 name one member; v3+ a batch (KIP-345).
            let batched = context.apiVersion >= 3
            let members =
                batched ? request.members.map { ($0.memberID, $0.groupInstanceID) } : [(request.memberID, nil)]
            let results = await services.groupCoordinator.leave(groupID: request.groupID, members: members)
            if !batched { return LeaveGroupResponse(errorCode: results[0].rawValue) }
            return LeaveGroupResponse(
                errorCode: 0,
                members: zip(request.members, results).map { member, error in
                    .init(memberID: member.memberID, groupInstanceID: member.groupInstanceID, errorCode: error.rawValue)
                }
            )
        }
    }

    static func offsetCommit(_ services: BrokerServices) -> any RequestHandler {
        TypedHandler(OffsetCommitRequest.self, versions: 0...9) { request, context in
            func answer(_ code: (TopicPartition) -> KafkaErrorCode) -> OffsetCommitResponse {
                OffsetCommitResponse(
                    topics: request.topics.map { topic in
                        .init(
                            name: topic.name,
                            partitions: topic.partitions.map {
                                .init(
                                    partitionIndex: $0.partitionIndex,
                                    errorCode: code(TopicPartition(topic.name, $0.partitionIndex)).rawValue
                                )
                            }
                        )
                    }
                )
            }
            // v0 writes to ZooKeeper in both modes, without the coordinator, as Kafka does.
            if context.apiVersion == 0 {
                guard !request.groupID.isEmpty else { return answer { _ in .invalidGroupID } }
                let store = ZooKeeperOffsetStore(zk: services.zk)
                let offsets = request.topics.flatMap { topic in
                    topic.partitions.map {
                        (
                            TopicPartition(topic.name, $0.partitionIndex),
                            CommittedOffset(offset: $0.committedOffset, commitTimestamp: -1)
                        )
                    }
                }
                do {
                    try await store.commit(group: request.groupID, offsets: Dictionary(offsets) { $1 })
                    return answer { _ in .none }
                } catch {
                    services.logger.error("OffsetCommit v0 to ZooKeeper failed: \(error)")
                    return answer { _ in .unknownServerError }
                }
            }
            if let error = check(request.groupID, services) { return answer { _ in error } }
            var offsets: [TopicPartition: CommittedOffset] = [:]
            var tooLarge: Set<TopicPartition> = []
            let now = services.clock.milliseconds
            for topic in request.topics {
                for partition in topic.partitions {
                    let topicPartition = TopicPartition(topic.name, partition.partitionIndex)
                    if (partition.committedMetadata?.utf8.count ?? 0) > services.config.offsetMetadataMaxBytes {
                        tooLarge.insert(topicPartition)
                        continue
                    }
                    offsets[topicPartition] = CommittedOffset(
                        offset: partition.committedOffset,
                        leaderEpoch: partition.committedLeaderEpoch,
                        metadata: partition.committedMetadata ?? "",
                        commitTimestamp: now
                    )
                }
            }
            let error = await services.groupCoordinator.commitOffsets(
                groupID: request.groupID,
                generationID: request.generationIDOrMemberEpoch,
                memberID: request.memberID,
                groupInstanceID: request.groupInstanceID,
                offsets: offsets
            )
            return answer { tooLarge.contains($0) ? .offsetMetadataTooLarge : error }
        }
    }

    static func offsetFetch(_ services: BrokerServices) -> any RequestHandler {
        TypedHandler(OffsetFetchRequest.self, versions: 0...7) { request, context in
            // v0 reads ZooKeeper in both modes, without the coordinator, as Kafka does.
            if context.apiVersion == 0 {
                let store = ZooKeeperOffsetStore(zk: services.zk)
                let wanted = (request.topics ?? []).flatMap { topic in
                    topic.partitionIndexes.map { TopicPartition(topic.name, $0) }
                }
                let found = (try? await store.fetch(group: request.groupID, partitions: wanted))
                return OffsetFetchResponse(
                    topics: (request.topics ?? []).map { topic in
                        .init(
                            name: topic.name,
                            partitions: topic.partitionIndexes.map {
                                .init(
                                    partitionIndex: $0,
                                    committedOffset: found?[TopicPartition(topic.name, $0)]?.offset ?? -1,
                                    errorCode: found == nil
                                        ? KafkaErrorCode.unknownServerError.rawValue : 0
                                )
                            }
                        )
                    }
                )
            }
            if let error = check(request.groupID, services) {
                // v1 has no top-level error: every partition carries it.
                return OffsetFetchResponse(
                    topics: (request.topics ?? []).map { topic in
                        .init(
                            name: topic.name,
                            partitions: topic.partitionIndexes.map {
                                .init(partitionIndex: $0, committedOffset: -1, errorCode: error.rawValue)
                            }
                        )
                    },
                    errorCode: error.rawValue
                )
            }
            let wanted = request.topics.map { topics in
                topics.flatMap { topic in topic.partitionIndexes.map { TopicPartition(topic.name, $0) } }
            }
            guard
                let committed = await services.groupCoordinator.fetchOffsets(
                    groupID: request.groupID,
                    partitions: wanted
                )
            else {
                return OffsetFetchResponse(errorCode: KafkaErrorCode.coordinatorNotAvailable.rawValue)
            }
            let partitions = wanted ?? committed.keys.sorted()
            let byTopic = Dictionary(grouping: partitions, by: \.topic)
            return OffsetFetchResponse(
                topics: byTopic.keys.sorted().map { topic in
                    .init(
                        name: topic,
                        partitions: byTopic[topic]!.map { partition in
                            let offset = committed[partition]
                            return .init(
                                partitionIndex: partition.partition,
                                committedOffset: offset?.offset ?? -1,
                                committedLeaderEpoch: offset?.leaderEpoch ?? -1,
                                metadata: offset?.metadata ?? "",
                                errorCode: 0
                            )
                        }
                    )
                },
                errorCode: 0
            )
        }
    }

    static func listGroups(_ services: BrokerServices) -> any RequestHandler {
        TypedHandler(ListGroupsRequest.self, versions: 0...5) { request, _ in
            let states = Set(request.statesFilter.map { $0.lowercased() })
            let groups = await services.groupCoordinator.listGroups().filter { group in
                services.offsetsTopic.coordinatorError(for: group.groupID, replicaManager: services.replicaManager)
                    == nil && (states.isEmpty || states.contains(group.state.rawValue.lowercased()))
                    && (request.typesFilter.isEmpty || request.typesFilter.contains { $0.lowercased() == "classic" })
            }
            return ListGroupsResponse(
                errorCode: 0,
                groups: groups.sorted { $0.groupID < $1.groupID }.map {
                    .init(
                        groupID: $0.groupID,
                        protocolType: $0.protocolType,
                        groupState: $0.state.rawValue,
                        groupType: "classic"
                    )
                }
            )
        }
    }

    static func describeGroups(_ services: BrokerServices) -> any RequestHandler {
        TypedHandler(DescribeGroupsRequest.self, versions: 0...5) { request, _ in
            var described: [DescribeGroupsResponse.DescribedGroup] = []
            for groupID in request.groups {
                if let error = check(groupID, services) {
                    described.append(.init(errorCode: error.rawValue, groupID: groupID))
                    continue
                }
                guard let summary = await services.groupCoordinator.describe(groupID) else {
                    described.append(.init(errorCode: 0, groupID: groupID, groupState: GroupState.dead.rawValue))
                    continue
                }
                described.append(
                    .init(
                        errorCode: 0,
                        groupID: groupID,
                        groupState: summary.state.rawValue,
                        protocolType: summary.protocolType,
                        protocolData: summary.protocolName,
                        members: summary.members.map {
                            .init(
                                memberID: $0.memberID,
                                groupInstanceID: $0.groupInstanceID,
                                clientID: $0.clientID,
                                clientHost: $0.clientHost,
                                memberMetadata: $0.metadata,
                                memberAssignment: $0.assignment
                            )
                        }
                    )
                )
            }
            return DescribeGroupsResponse(groups: described)
        }
    }

    static func deleteGroups(_ services: BrokerServices) -> any RequestHandler {
        TypedHandler(DeleteGroupsRequest.self, versions: 0...2) { request, _ in
            var results: [DeleteGroupsResponse.DeletableGroupResult] = []
            for groupID in request.groupsNames {
                if let error = check(groupID, services) {
                    results.append(.init(groupID: groupID, errorCode: error.rawValue))
                    continue
                }
                let code = await services.groupCoordinator.deleteGroups([groupID])[groupID] ?? .unknownServerError
                results.append(.init(groupID: groupID, errorCode: code.rawValue))
            }
            return DeleteGroupsResponse(results: results)
        }
    }

    static func offsetDelete(_ services: BrokerServices) -> any RequestHandler {
        TypedHandler(OffsetDeleteRequest.self, versions: 0...0) { request, _ in
            if let error = check(request.groupID, services) { return OffsetDeleteResponse(errorCode: error.rawValue) }
            let partitions = request.topics.flatMap { topic in
                topic.partitions.map { TopicPartition(topic.name, $0.partitionIndex) }
            }
            let (error, results) = await services.groupCoordinator.deleteOffsets(
                groupID: request.groupID,
                partitions: partitions
            )
            return OffsetDeleteResponse(
                errorCode: error.rawValue,
                topics: error != .none
                    ? []
                    : request.topics.map { topic in
                        .init(
                            name: topic.name,
                            partitions: topic.partitions.map {
                                .init(
                                    partitionIndex: $0.partitionIndex,
                                    errorCode: (results[TopicPartition(topic.name, $0.partitionIndex)] ?? .none)
                                        .rawValue
                                )
                            }
                        )
                    }
            )
        }
    }
}
