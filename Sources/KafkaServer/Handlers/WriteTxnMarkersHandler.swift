import KafkaCore
import KafkaProtocol
import KafkaReplication

/// WriteTxnMarkers (27), versions 0-1: the transaction coordinator's COMMIT or ABORT markers, written by each
/// partition's leader as a control batch (acks=all) that closes the producer's open transaction there; the answer
/// waits, up to `request.timeout.ms`, until every marker is replicated. Per partition: NONE,
/// UNKNOWN_TOPIC_OR_PARTITION, NOT_LEADER_OR_FOLLOWER, INVALID_PRODUCER_EPOCH (an older producer epoch),
/// TRANSACTION_COORDINATOR_FENCED (an older coordinator epoch), NOT_ENOUGH_REPLICAS, REQUEST_TIMED_OUT. A marker
/// written to a `__consumer_offsets` partition makes the producer's pending offsets for its groups committed or
/// drops them. With an authorizer the coordinator needs Cluster:ClusterAction (CLUSTER_AUTHORIZATION_FAILED).
enum WriteTxnMarkersHandler {
    static func make(_ services: BrokerServices) -> any RequestHandler {
        TypedHandler(WriteTxnMarkersRequest.self) { request, context in
            guard services.authorizer.authorizeCluster(context, .clusterAction) else {
                return WriteTxnMarkersResponse(
                    markers: request.markers.map { marker in
                        .init(
                            producerID: marker.producerID,
                            topics: marker.topics.map { topic in
                                .init(
                                    name: topic.name,
                                    partitions: topic.partitionIndexes.map {
                                        .init(partitionIndex: $0, errorCode: .clusterAuthorizationFailed)
                                    }
                                )
                            }
                        )
                    }
                )
            }
            let deadline = ContinuousClock.now + .milliseconds(Int64(services.config.requestTimeoutMs))
            let replicaManager = services.replicaManager
            // Every marker appended first, then one wait for them all (as Kafka's appendRecords), not one
            // replication round trip per partition in turn.
            var appended: [[[(KafkaErrorCode, ReplicationTarget?)]]] = []
            for marker in request.markers {
                let content = EndTransactionMarker(
                    type: marker.transactionResult ? .commit : .abort,
                    coordinatorEpoch: marker.coordinatorEpoch
                )
                appended.append(
                    marker.topics.map { topic in
                        topic.partitionIndexes.map { index in
                            replicaManager.appendTransactionMarker(
                                TopicPartition(topic.name, index),
                                producerID: marker.producerID,
                                producerEpoch: marker.producerEpoch,
                                marker: content
                            )
                        }
                    }
                )
            }
            var results: [WriteTxnMarkersResponse.WritableTxnMarkerResult] = []
            for (marker, topicsAppended) in zip(request.markers, appended) {
                var topics: [WriteTxnMarkersResponse.WritableTxnMarkerTopicResult] = []
                for (topic, partitionsAppended) in zip(marker.topics, topicsAppended) {
                    var partitions: [WriteTxnMarkersResponse.WritableTxnMarkerPartitionResult] = []
                    for (index, (appendError, target)) in zip(topic.partitionIndexes, partitionsAppended) {
                        var error = appendError
                        if error == .none, let target {
                            error = await replicaManager.waitForReplication(
                                TopicPartition(topic.name, index),
                                target: target,
                                deadline: deadline
                            )
                        }
                        if error == .none, topic.name == OffsetsTopicManager.topic {
                            services.offsetsTopic.topicStore?.completeTransaction(
                                producerID: marker.producerID,
                                commit: marker.transactionResult,
                                partition: index
                            )
                        }
                        partitions.append(.init(partitionIndex: index, errorCode: error))
                    }
                    topics.append(.init(name: topic.name, partitions: partitions))
                }
                results.append(.init(producerID: marker.producerID, topics: topics))
            }
            return WriteTxnMarkersResponse(markers: results)
        }
    }
}
