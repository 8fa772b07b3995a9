import Foundation
import KafkaCore
import KafkaProtocol
import KafkaReplication
import KafkaStorage
import Testing

/// What wakes a fetch parked at a leader (on real disk): a caught-up follower's fetch is answered by the next
/// append (a follower reads to the log end), a consumer's by the high watermark's move (it reads up to it); a
/// fetch or an acks=all produce waiting on a partition that StopReplica takes away is answered at once. Each
/// parked fetch has a far deadline (two minutes), so an answer before it is a wake-up, not a timeout.
@Suite("Parked fetches")
struct ParkedFetchTests {
    let root = NSTemporaryDirectory() + "parked-fetch-" + UUID().uuidString
    let topicPartition = TopicPartition("t", 0)

    /// Broker 1, leader of `topicPartition` with replicas and ISR 1, 2, 3, holding two records no follower has yet
    /// (log end 2, high watermark 0).
    func leaderWithTwoRecords() throws -> ReplicaManager {
        let replicas = try ReplicaManager.onDisk(brokerID: 1, logDirectories: [root])
        let answer = replicas.becomeLeaderOrFollower(
            topicPartition,
            leader: 1,
            leaderEpoch: 0,
            isr: [1, 2, 3],
            replicas: [1, 2, 3],
            config: LogConfig()
        )
        #expect(answer.errorCode == .none)
        try append(count: 2, to: replicas)
        return replicas
    }

    @discardableResult
    func append(count: Int, to replicas: ReplicaManager) throws -> ReplicaManager.ProduceResult {
        let batch = ScriptedLeader.batch(baseOffset: 0, epoch: 0, count: count)
        let result = replicas.appendRecords(topicPartition, records: batch, requiredAcks: -1)
        try #require(result.errorCode == .none)
        return result
    }

    func fetch(
        _ replicas: ReplicaManager,
        by replicaID: BrokerID,
        at offset: Int64,
        maxWait: Duration
    ) async -> ReplicaManager.FetchResult? {
        let request = ReplicaManager.FetchRequestPartition(
            topicPartition: topicPartition,
            offset: offset,
            maxBytes: 1 << 20
        )
        let results = await replicas.fetch(
            [request],
            replicaID: replicaID,
            maxWait: maxWait,
            minBytes: 1,
            maxBytes: 1 << 20
        )
        return results.first
    }

    /// Parks a fetch by `replicaID` at `offset` (two minutes' wait), runs `wake` once it is parked, and returns the
    /// fetch's answer, which must come before its deadline.
    func parkedFetch(
        _ replicas: ReplicaManager,
        by replicaID: BrokerID,
        at offset: Int64,
        wakenBy wake: () async throws -> Void
    ) async throws -> ReplicaManager.FetchResult {
        let deadline = ContinuousClock.now + .seconds(120)
        async let parked = fetch(replicas, by: replicaID, at: offset, maxWait: .seconds(120))
        try await Task.sleep(for: .milliseconds(100))
        try await wake()
        let result = try #require(await parked)
        #expect(ContinuousClock.now < deadline)
        return result
    }

    @Test func aCaughtUpFollowersFetchIsAnsweredByTheNextAppend() async throws {
        let replicas = try leaderWithTwoRecords()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let result = try await parkedFetch(replicas, by: 2, at: 2) { try append(count: 3, to: replicas) }
        #expect(result.errorCode == .none)
        let records = try #require(result.records)
        var bytes = try records.readBytes()
        let batch = try #require(try RecordBatch.nextBatch(from: &bytes))
        #expect(batch.baseOffset == 2)
        #expect(batch.lastOffset == 4)
    }

    @Test func aConsumersFetchIsAnsweredWhenTheHighWatermarkMoves() async throws {
        let replicas = try leaderWithTwoRecords()
        defer { try? FileManager.default.removeItem(atPath: root) }
        // The two records are past the high watermark: the consumer's fetch parks until both followers catch up
        // (without waiting) and the high watermark moves to 2.
        let result = try await parkedFetch(replicas, by: -1, at: 0) {
            for follower: BrokerID in [2, 3] {
                let caughtUp = await fetch(replicas, by: follower, at: 2, maxWait: .zero)
                #expect(caughtUp?.errorCode == KafkaErrorCode.none)
            }
        }
        #expect(result.highWatermark == 2)
        let records = try #require(result.records)
        var bytes = try records.readBytes()
        let batch = try #require(try RecordBatch.nextBatch(from: &bytes))
        #expect(batch.baseOffset == 0)
        #expect(batch.lastOffset == 1)
    }

    /// A fetch waits on the partition object it looked up; StopReplica takes that object away and wakes it, and the
    /// fetch, looking the partition up again, answers at once that this broker no longer has it.
    @Test func aParkedFetchOfAPartitionTakenAwayIsAnsweredAtOnce() async throws {
        let replicas = try leaderWithTwoRecords()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let result = try await parkedFetch(replicas, by: 2, at: 2) {
            #expect(replicas.stopReplica(topicPartition, delete: false) == .none)
        }
        #expect(result.errorCode == .unknownTopicOrPartition)
    }

    /// An acks=all produce waiting for its followers is answered NOT_LEADER_OR_FOLLOWER when the partition is
    /// taken away meanwhile, not at its deadline.
    @Test func aWaitingProduceOfAPartitionTakenAwayIsAnsweredAtOnce() async throws {
        let replicas = try leaderWithTwoRecords()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let appended = try append(count: 1, to: replicas)
        let target = try #require(appended.replicationTarget)
        let deadline = ContinuousClock.now + .seconds(120)
        async let waiting = replicas.waitForReplication(topicPartition, target: target, deadline: deadline)
        try await Task.sleep(for: .milliseconds(100))
        #expect(replicas.stopReplica(topicPartition, delete: false) == .none)
        #expect(await waiting == .notLeaderOrFollower)
        #expect(ContinuousClock.now < deadline)
    }
}
