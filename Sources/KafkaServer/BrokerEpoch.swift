import Synchronization

/// This broker's epoch (KIP-380): the creation zxid of its `/brokers/ids/<id>` registration, new after every
/// re-registration. Controller requests carrying an older epoch were meant for an earlier registration and are
/// refused with STALE_BROKER_EPOCH. Set by `KafkaBroker` when it registers; read by the inter-broker handlers.
final class BrokerEpoch: Sendable {
    private let value = Atomic<Int64>(-1)

    var current: Int64 { value.load(ordering: .acquiring) }

    func set(_ epoch: Int64) { value.store(epoch, ordering: .releasing) }

    /// Whether a request stamped with `epoch` (-1: none) predates the current registration.
    func isStale(_ epoch: Int64) -> Bool { epoch >= 0 && epoch < current }
}
