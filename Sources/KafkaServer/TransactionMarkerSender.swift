import KafkaClient
import KafkaCoordinator
import KafkaCore
import KafkaProtocol
import Logging
import NIOPosix
import Synchronization

/// Sends a finished transaction's markers (Kafka's `TransactionMarkerChannelManager`): WriteTxnMarkers v1 to each
/// partition's leader as the metadata cache knows it, over the inter-broker listener (this broker included), on a
/// connection pool of its own. Per partition: NONE is done; UNKNOWN_TOPIC_OR_PARTITION, NOT_LEADER_OR_FOLLOWER,
/// NOT_ENOUGH_REPLICAS(_AFTER_APPEND), REQUEST_TIMED_OUT, KAFKA_STORAGE_ERROR and a failed request are retried
/// (leaders looked up again) every 100 ms; INVALID_PRODUCER_EPOCH or TRANSACTION_COORDINATOR_FENCED stop the sending
/// (a newer producer or coordinator owns the transaction); a partition whose topic is gone, or another error, is
/// dropped with one log line. Stops as soon as this broker no longer coordinates the transactional id.
/// `unknownDestinations` is Kafka's UnknownDestinationQueueSize: the markers waiting for their partition's leader to
/// be known (or alive).
final class TransactionMarkerSender: Sendable {
    let listenerName: String
    let metadataCache: MetadataCache
    let logger: Logger
    private let pool: ConnectionPool
    private let waitingForALeader = Atomic<Int>(0)

    var unknownDestinations: Int { waitingForALeader.load(ordering: .relaxed) }

    init(
        listenerName: String,
        metadataCache: MetadataCache,
        group: MultiThreadedEventLoopGroup,
        security: ConnectionSecurity,
        logger: Logger
    ) {
        self.listenerName = listenerName
        self.metadataCache = metadataCache
        self.logger = logger
        self.pool = ConnectionPool(clientID: "transaction-marker-sender", group: group, security: security)
    }

    /// At the broker's shutdown: closes the connections; a marker still queued fails instead of connecting.
    func shutdown() { pool.shutdown() }

    /// Sends until every partition has its marker; false when the sending stopped first.
    func send(
        _ markers: TransactionCoordinator.Markers,
        stillCoordinator: @escaping @Sendable () async -> Bool
    ) async -> Bool {
        var pending = markers.partitions
        var counted = 0  // this sending's share of `waitingForALeader`
        defer { waitingForALeader.subtract(counted, ordering: .relaxed) }
        while !pending.isEmpty {
            guard await stillCoordinator() else { return false }
            var byLeader: [BrokerID: [TopicPartition]] = [:]
            var leaderless = 0
            let brokers = Dictionary(uniqueKeysWithValues: metadataCache.liveBrokers.map { ($0.id, $0) })
            for partition in pending {
                guard let info = metadataCache.partition(partition) else {
                    // The topic was deleted: nothing to mark (Kafka skips such partitions too).
                    pending.remove(partition)
                    continue
                }
                if info.leader >= 0, brokers[info.leader] != nil {
                    byLeader[info.leader, default: []].append(partition)
                } else {
                    leaderless += 1
                }
            }
            waitingForALeader.add(leaderless - counted, ordering: .relaxed)
            counted = leaderless
            let outcomes = await withTaskGroup(of: [(TopicPartition, KafkaErrorCode)].self) { group in
                for (leader, partitions) in byLeader {
                    guard let broker = brokers[leader],
                        let endpoint = broker.endpoints[listenerName] ?? broker.endpoints.values.first
                    else { continue }
                    let address = BrokerAddress(
                        host: endpoint.host.isEmpty ? "127.0.0.1" : endpoint.host,
                        port: Int(endpoint.port)
                    )
                    group.addTask { await self.write(markers, partitions, to: address) }
                }
                var all: [(TopicPartition, KafkaErrorCode)] = []
                for await results in group { all += results }
                return all
            }
            for (partition, code) in outcomes {
                switch code {
                case .none:
                    pending.remove(partition)
                case .unknownTopicOrPartition, .notLeaderOrFollower, .notEnoughReplicas, .notEnoughReplicasAfterAppend,
                    .requestTimedOut, .kafkaStorageError, .networkException:
                    continue
                case .invalidProducerEpoch, .transactionCoordinatorFenced:
                    logger.warning(
                        "Stopped sending transaction markers: \(code)",
                        metadata: ["transactionalId": "\(markers.transactionalID)", "partition": "\(partition)"]
                    )
                    return false
                default:
                    logger.error(
                        "Dropping a transaction marker the leader refused: \(code)",
                        metadata: ["transactionalId": "\(markers.transactionalID)", "partition": "\(partition)"]
                    )
                    pending.remove(partition)
                }
            }
            if !pending.isEmpty { try? await Task.sleep(for: .milliseconds(100)) }
        }
        return true
    }

    /// One WriteTxnMarkers request; a failed request counts as NETWORK_EXCEPTION for each partition (retried).
    private func write(
        _ markers: TransactionCoordinator.Markers,
        _ partitions: [TopicPartition],
        to address: BrokerAddress
    ) async -> [(TopicPartition, KafkaErrorCode)] {
        let topics = Dictionary(grouping: partitions, by: \.topic).map { topic, members in
            WriteTxnMarkersRequest.WritableTxnMarkerTopic(name: topic, partitionIndexes: members.map(\.partition))
        }
        let request = WriteTxnMarkersRequest(markers: [
            .init(
                producerID: markers.producerID,
                producerEpoch: markers.producerEpoch,
                transactionResult: markers.commit,
                topics: topics,
                coordinatorEpoch: markers.coordinatorEpoch
            )
        ])
        do {
            let response = try await pool.send(request, version: 1, to: address)
            return response.markers.flatMap(\.topics).flatMap { topic in
                topic.partitions.map { (TopicPartition(topic.name, $0.partitionIndex), $0.errorCode) }
            }
        } catch {
            return partitions.map { ($0, .networkException) }
        }
    }
}
