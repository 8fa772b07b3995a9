public import KafkaCore
import KafkaProtocol

/// Transactions as an operator sees them at the partitions (KIP-664): the producers a partition's leader keeps
/// state for (DescribeProducers), and an ABORT marker written for one of them (WriteTxnMarkers, as Kafka's admin
/// client `abortTransaction` sends it to the leader), for a hanging transaction the coordinator no longer knows.
extension KafkaAdminClient {
    /// One producer's state at a partition's leader.
    public struct ProducerState: Sendable, Equatable {
        public var producerID: ProducerID
        public var producerEpoch: Int32
        public var lastSequence: Int32
        public var lastTimestamp: Int64
        /// The coordinator epoch of the producer's last marker (-1: none yet).
        public var coordinatorEpoch: Int32
        /// The first offset of its open transaction, nil when none is open.
        public var currentTransactionStartOffset: Int64?
    }

    /// The active producers of each partition, asked of the partitions' leaders. A partition without a leader is
    /// missing from the result.
    public func describeProducers(
        _ partitions: [TopicPartition]
    ) async throws -> [TopicPartition: Result<[ProducerState], AdminError>] {
        var results: [TopicPartition: Result<[ProducerState], AdminError>] = [:]
        for (leader, owned) in try await leaders(of: partitions) {
            let request = DescribeProducersRequest(
                topics: Dictionary(grouping: owned, by: \.topic).map { topic, members in
                    .init(name: topic, partitionIndexes: members.map(\.partition))
                }
            )
            let response = try await cluster.send(request, toBroker: leader)
            for topic in response.topics {
                for partition in topic.partitions {
                    let key = TopicPartition(topic.name, partition.partitionIndex)
                    guard partition.errorCode == .none else {
                        results[key] = .failure(AdminError(partition.errorCode, partition.errorMessage))
                        continue
                    }
                    results[key] = .success(
                        partition.activeProducers.map {
                            ProducerState(
                                producerID: $0.producerID,
                                producerEpoch: $0.producerEpoch,
                                lastSequence: $0.lastSequence,
                                lastTimestamp: $0.lastTimestamp,
                                coordinatorEpoch: $0.coordinatorEpoch,
                                currentTransactionStartOffset: $0.currentTxnStartOffset >= 0
                                    ? $0.currentTxnStartOffset : nil
                            )
                        }
                    )
                }
            }
        }
        return results
    }

    /// Writes an ABORT marker for `producerID` at `partition`'s leader, closing its open transaction there.
    public func abortTransaction(
        _ partition: TopicPartition,
        producerID: ProducerID,
        producerEpoch: ProducerEpoch,
        coordinatorEpoch: Int32
    ) async throws {
        guard let leader = try await leaders(of: [partition]).first?.key else {
            throw AdminError(.leaderNotAvailable)
        }
        let request = WriteTxnMarkersRequest(markers: [
            .init(
                producerID: producerID,
                producerEpoch: producerEpoch,
                transactionResult: false,
                topics: [.init(name: partition.topic, partitionIndexes: [partition.partition])],
                coordinatorEpoch: max(coordinatorEpoch, 0)
            )
        ])
        let response = try await cluster.send(request, toBroker: leader)
        let code = response.markers.first?.topics.first?.partitions.first?.errorCode ?? .unknownServerError
        guard code == .none else { throw AdminError(code) }
    }
}
