import KafkaCore
import KafkaZooKeeper

/// Hands out producer ids for InitProducerId from blocks of 1000 claimed in `/latest_producer_id_block`
/// (Kafka's `ProducerIdManager`), so ids are unique across the cluster. An actor: ids are handed out one at a time.
actor ProducerIDManager {
    let brokerID: BrokerID
    let zk: KafkaZkClient
    private var block: ProducerIDBlock?
    private var next: Int64 = 0

    init(brokerID: BrokerID, zk: KafkaZkClient) {
        self.brokerID = brokerID
        self.zk = zk
    }

    func nextProducerID() async throws -> ProducerID {
        if block == nil || next > block!.end {
            let claimed = try await zk.allocateProducerIDBlock(brokerID: brokerID)
            block = claimed
            next = claimed.start
        }
        defer { next += 1 }
        return next
    }
}
