import Foundation
import KafkaCore
import KafkaProtocol
import KafkaReplication
import KafkaStorage
import KafkaTestSupport
import Logging
import NIOCore
import NIOPosix
import Synchronization

/// A leader that is only a log of batches with epochs, answering a follower's requests as Kafka's leader does:
/// OffsetForLeaderEpoch with the largest epoch at most the one asked and where it ends (KIP-279), Fetch with the
/// batches from the fetch offset (OFFSET_OUT_OF_RANGE outside [log start, log end]). `failNext` makes the next
/// fetches answer an error instead. It records every request.
final class ScriptedLeader: LeaderEndpoint {
    struct State {
        /// Batches as the leader holds them, by base offset.
        var batches: [(baseOffset: Int64, epoch: Int32, bytes: ByteBuffer, count: Int64)] = []
        var logStartOffset: Int64 = 0
        var highWatermark: Int64 = 0
        var failNext: [KafkaErrorCode] = []
        var fetchOffsets: [Int64] = []
        var epochRequests: [Int32] = []
        var resets = 0
    }

    let state = Mutex(State())
    let topicPartition: TopicPartition

    init(_ topicPartition: TopicPartition) {
        self.topicPartition = topicPartition
    }

    var logEndOffset: Int64 { state.withLock { $0.batches.last.map { $0.baseOffset + $0.count } ?? $0.logStartOffset } }

    /// Appends a batch of `count` records written in `epoch`; the high watermark follows.
    func append(epoch: Int32, count: Int = 3) {
        state.withLock { state in
            let base = state.batches.last.map { $0.baseOffset + $0.count } ?? state.logStartOffset
            state.batches.append((base, epoch, Self.batch(baseOffset: base, epoch: epoch, count: count), Int64(count)))
            state.highWatermark = base + Int64(count)
        }
    }

    static func batch(baseOffset: Int64, epoch: Int32, count: Int) -> ByteBuffer {
        var builder = RecordBatchBuilder()
        builder.baseOffset = baseOffset
        builder.partitionLeaderEpoch = epoch
        for index in 0..<count { builder.append(timestamp: 1, key: [UInt8(index)], value: [UInt8(epoch)]) }
        return builder.build().buffer
    }

    func offsetForLeaderEpoch(_ request: OffsetForLeaderEpochRequest) async throws -> OffsetForLeaderEpochResponse {
        try await Task.sleep(for: .milliseconds(1))
        let asked = request.topics[0].partitions[0]
        let (epoch, endOffset) = state.withLock { state -> (Int32, Int64) in
            state.epochRequests.append(asked.leaderEpoch)
            guard let epoch = state.batches.map(\.epoch).filter({ $0 <= asked.leaderEpoch }).max() else {
                return (-1, -1)
            }
            // The end of `epoch`: where the next epoch's first batch starts, or the log end.
            let next = state.batches.first { $0.epoch > epoch }
            let end = next?.baseOffset ?? (state.batches.last.map { $0.baseOffset + $0.count } ?? 0)
            return (epoch, end)
        }
        return OffsetForLeaderEpochResponse(
            topics: [
                .init(
                    topic: topicPartition.topic,
                    partitions: [
                        .init(
                            errorCode: .none,
                            partition: topicPartition.partition,
                            leaderEpoch: epoch,
                            endOffset: endOffset
                        )
                    ]
                )
            ]
        )
    }

    func fetch(_ request: FetchRequest) async throws -> FetchResponse {
        // A real leader's answer comes over the network (and waits when there is nothing new): never answer
        // without suspending, or the fetcher's loop would hold a thread of the cooperative pool.
        try await Task.sleep(for: .milliseconds(1))
        let offset = request.topics[0].partitions[0].fetchOffset
        let (error, records, highWatermark, logStart) = state.withLock {
            state -> (KafkaErrorCode, ByteBuffer?, Int64, Int64) in
            state.fetchOffsets.append(offset)
            if !state.failNext.isEmpty {
                return (state.failNext.removeFirst(), nil, state.highWatermark, state.logStartOffset)
            }
            let end = state.batches.last.map { $0.baseOffset + $0.count } ?? state.logStartOffset
            guard offset >= state.logStartOffset, offset <= end else {
                return (.offsetOutOfRange, nil, state.highWatermark, state.logStartOffset)
            }
            var records = ByteBuffer()
            for batch in state.batches where batch.baseOffset >= offset {
                var bytes = batch.bytes
                records.writeBuffer(&bytes)
            }
            return (.none, records, state.highWatermark, state.logStartOffset)
        }
        return FetchResponse(
            responses: [
                .init(
                    topic: topicPartition.topic,
                    partitions: [
                        .init(
                            partitionIndex: topicPartition.partition,
                            errorCode: error,
                            highWatermark: highWatermark,
                            logStartOffset: logStart,
                            records: records
                        )
                    ]
                )
            ]
        )
    }

    func reset() {
        state.withLock { $0.resets += 1 }
    }
}

/// A follower broker (id 2) on a real log in a temporary directory, fetching from a `ScriptedLeader` (id 1).
final class FollowerHarness: Sendable {
    let directory: String
    let replicaManager: ReplicaManager
    let fetchers: ReplicaFetcherManager
    let leader: ScriptedLeader
    let topicPartition = TopicPartition("t", 0)

    init() throws {
        directory = NSTemporaryDirectory() + "fetcher-" + UUID().uuidString
        let logger = Logger.quiet("fetcher-test")
        replicaManager = try ReplicaManager.onDisk(brokerID: 2, logDirectories: [directory], logger: logger)
        let leader = ScriptedLeader(topicPartition)
        self.leader = leader
        fetchers = ReplicaFetcherManager(
            brokerID: 2,
            replicaManager: replicaManager,
            settings: .init(maxWaitMs: 0, backoff: .milliseconds(5)),
            makeEndpoint: { _ in leader },
            logger: logger
        )
    }

    var partition: Partition { replicaManager.partition(topicPartition)! }

    /// Hosts the partition as a follower of broker 1 at `leaderEpoch`, with `local` batches already in its log.
    func follow(leaderEpoch: Int32, local: [(epoch: Int32, count: Int)] = []) throws {
        _ = replicaManager.becomeLeaderOrFollower(
            topicPartition,
            leader: 1,
            leaderEpoch: leaderEpoch,
            isr: [1, 2],
            replicas: [1, 2],
            config: LogConfig()
        )
        for (epoch, count) in local {
            let base = partition.log.logEndOffset
            _ = try partition.appendAsFollower(ScriptedLeader.batch(baseOffset: base, epoch: epoch, count: count))
        }
        fetchers.add(topicPartition, leader: LeaderBroker(id: 1, host: "leader", port: 1), leaderEpoch: leaderEpoch)
    }

    /// Where each of the follower's epochs ends (its leader-epoch cache, which follows the batches appended).
    func epochEnds(_ epochs: [Int32]) -> [Int32: Int64] {
        Dictionary(uniqueKeysWithValues: epochs.map { ($0, partition.log.endOffset(forLeaderEpoch: $0).endOffset) })
    }

    func stop() {
        fetchers.shutdown()
        try? FileManager.default.removeItem(atPath: directory)
    }
}

/// Waits (without a fixed sleep) until `condition` holds, for the fetcher's own task.
func settle(_ condition: () throws -> Bool) async throws -> Bool {
    for _ in 0..<2000 {
        if try condition() { return true }
        try await Task.sleep(for: .milliseconds(1))
    }
    return try condition()
}
