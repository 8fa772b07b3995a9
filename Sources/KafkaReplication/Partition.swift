public import KafkaCore
import KafkaProtocol
public import KafkaStorage
public import NIOCore
import Synchronization

/// One partition replica on this broker: its log, and the leadership state the controller gave it.
///
/// States: not yet assigned → leader (after LeaderAndIsr names this broker) or follower (another broker);
/// leader ↔ follower on later LeaderAndIsr with a higher leader epoch. The high watermark is the smallest log end
/// offset in the ISR; with this broker alone in the ISR it is the log end offset after every append (follower
/// fetching, and with it ISR tracking for replicated partitions, comes with issue 6). A lock guards the state;
/// any thread may call.
public final class Partition: Sendable {
    public let topicPartition: TopicPartition
    public let log: Log
    let localBrokerID: BrokerID

    public struct State: Sendable, Equatable {
        public var leader: BrokerID = -1
        public var leaderEpoch: LeaderEpoch = -1
        public var isr: [BrokerID] = []
        public var replicas: [BrokerID] = []
        public var highWatermark: Int64 = 0
    }

    private let state: Mutex<State>
    /// Serialises leader appends with the idempotence checks that decide them.
    private let producerStates = Mutex(ProducerStateManager())

    public init(topicPartition: TopicPartition, log: Log, localBrokerID: BrokerID, highWatermark: Int64) {
        self.topicPartition = topicPartition
        self.log = log
        self.localBrokerID = localBrokerID
        var initial = State()
        initial.highWatermark = min(highWatermark, log.logEndOffset)
        state = Mutex(initial)
    }

    public var current: State { state.withLock { $0 } }
    public var isLeader: Bool { state.withLock { $0.leader == localBrokerID } }
    public var highWatermark: Int64 { state.withLock { $0.highWatermark } }

    /// Applies a LeaderAndIsr decision. Returns false (and changes nothing) for a stale leader epoch.
    @discardableResult
    public func apply(
        leader: BrokerID,
        leaderEpoch: LeaderEpoch,
        isr: [BrokerID],
        replicas: [BrokerID]
    )
        throws(StorageError) -> Bool
    {
        let becomesLeader = leader == localBrokerID
        let accepted = state.withLock { state in
            guard leaderEpoch >= state.leaderEpoch else { return false }
            state.leader = leader
            state.leaderEpoch = leaderEpoch
            state.isr = isr
            state.replicas = replicas
            return true
        }
        guard accepted else { return false }
        if becomesLeader {
            try log.assignEpochStartOffset(epoch: leaderEpoch)
            maybeIncrementHighWatermark()
        }
        return true
    }

    /// Appends a producer's (or the broker's own) batches as leader. `requiredAcks` -1 needs
    /// `min.insync.replicas` in-sync replicas. A batch from an idempotent producer is checked against the producer's
    /// sequence first; a duplicate is answered with its original offsets and not written again.
    public func appendAsLeader(
        _ records: ByteBuffer,
        origin: AppendOrigin,
        requiredAcks: Int16
    ) throws(AppendError)
        -> LogAppendInfo
    {
        let snapshot = current
        guard snapshot.leader == localBrokerID else { throw .notLeader }
        if requiredAcks == -1 && snapshot.isr.count < log.config.minInSyncReplicas {
            throw .notEnoughReplicas(isr: snapshot.isr.count, required: log.config.minInSyncReplicas)
        }
        var first = records
        let batch = try? RecordBatch.nextBatch(from: &first)
        let info = try producerStates.withLock {
            (producers: inout ProducerStateManager) throws(AppendError) -> LogAppendInfo in
            if let batch, batch.hasProducerID, origin == .client {
                switch producers.check(
                    producerID: batch.producerID,
                    epoch: batch.producerEpoch,
                    firstSequence: batch.baseSequence,
                    lastSequence: batch.lastSequence
                )
                {
                case .duplicate(let firstOffset):
                    return LogAppendInfo(
                        firstOffset: firstOffset,
                        lastOffset: firstOffset + Int64(batch.lastOffsetDelta),
                        maxTimestamp: -1,
                        offsetOfMaxTimestamp: -1,
                        logAppendTime: -1,
                        logStartOffset: log.logStartOffset,
                        batchCount: 0,
                        recordCount: 0,
                        validBytes: 0
                    )
                case .reject(let code, let message):
                    throw .producerState(code, message)
                case .append:
                    break
                }
            }
            let info: LogAppendInfo
            do throws(StorageError) {
                info = try log.append(records, origin: origin, leaderEpoch: snapshot.leaderEpoch)
            } catch {
                throw .storage(error)
            }
            if let batch, batch.hasProducerID {
                producers.record(
                    producerID: batch.producerID,
                    epoch: batch.producerEpoch,
                    firstSequence: batch.baseSequence,
                    lastSequence: batch.lastSequence,
                    firstOffset: info.firstOffset,
                    lastOffset: info.lastOffset
                )
            }
            return info
        }
        maybeIncrementHighWatermark()
        return info
    }

    /// The high watermark rule: the smallest log end offset in the ISR. With only this broker in the ISR that is
    /// its own log end offset.
    func maybeIncrementHighWatermark() {
        let end = log.logEndOffset
        state.withLock { state in
            if state.isr == [localBrokerID] || state.isr.isEmpty && state.replicas == [localBrokerID] {
                state.highWatermark = max(state.highWatermark, end)
            }
        }
    }

    public enum AppendError: Error, Sendable {
        case notLeader
        case notEnoughReplicas(isr: Int, required: Int)
        case storage(StorageError)
        case producerState(KafkaErrorCode, String)

        public var errorCode: KafkaErrorCode {
            switch self {
            case .notLeader: .notLeaderOrFollower
            case .notEnoughReplicas: .notEnoughReplicas
            case .storage(let error): error.errorCode
            case .producerState(let code, _): code
            }
        }
    }
}
