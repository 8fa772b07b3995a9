import KafkaCore

/// The fetching side of a fetch session (KIP-227, Kafka's `FetchSessionHandler`): which partitions a fetch must
/// name, and which it forgets, given what the leader's session already holds.
///
/// The first fetch is full with epoch 0 (or names the old session to close it after an error); when the answer
/// carries a session id, later fetches carry that id and the next epoch, name only the partitions that are new or
/// whose position (offset, log start, leader epoch, max bytes) changed, and forget those no longer fetched. An
/// answer without a session id keeps fetching in full. FETCH_SESSION_ID_NOT_FOUND starts over with a new session;
/// INVALID_FETCH_SESSION_EPOCH and a failed request close the old one and open a new one.
///
/// A value owned by one fetcher's loop.
struct FetchSessionHandler: Sendable {
    struct Position: Sendable, Equatable {
        var offset: Int64
        var logStartOffset: Int64
        var leaderEpoch: Int32
        var maxBytes: Int32
    }

    /// A partition and its position, as the fetcher lists them.
    typealias Named = (topicPartition: TopicPartition, position: Position)

    /// What one fetch sends.
    struct Next: Sendable {
        var sessionID: Int32
        var epoch: Int32
        var partitions: [TopicPartition: Position]
        var forgotten: [TopicPartition]
        var isFull: Bool { epoch <= 0 }
    }

    private(set) var sessionID: Int32 = 0
    /// 0: the next fetch is full and opens a session.
    private(set) var nextEpoch: Int32 = 0
    /// What the leader's session holds once the fetch being built is answered, in the order the fetcher gave it.
    private var sessionPartitions: [Named] = []

    /// The fetch for `wanted` (the partitions to fetch now with their positions), in the fetcher's order. When the
    /// partitions are those of the last fetch in the same order (a follower's steady state) they are compared position
    /// by position, without hashing a name.
    mutating func build(_ wanted: [Named]) -> Next {
        defer { sessionPartitions = wanted }
        guard nextEpoch > 0 else {
            return Next(sessionID: sessionID, epoch: 0, partitions: Self.byName(wanted), forgotten: [])
        }
        var changed: [TopicPartition: Position] = [:]
        var forgotten: [TopicPartition] = []
        if wanted.count == sessionPartitions.count,
            zip(wanted, sessionPartitions).allSatisfy({ $0.topicPartition == $1.topicPartition })
        {
            for (now, before) in zip(wanted, sessionPartitions) where now.position != before.position {
                changed[now.topicPartition] = now.position
            }
        } else {
            let (before, now) = (Self.byName(sessionPartitions), Self.byName(wanted))
            changed = now.filter { before[$0.key] != $0.value }
            forgotten = before.keys.filter { now[$0] == nil }
        }
        return Next(sessionID: sessionID, epoch: nextEpoch, partitions: changed, forgotten: forgotten)
    }

    private static func byName(_ positions: [Named]) -> [TopicPartition: Position] {
        Dictionary(positions.lazy.map { ($0.topicPartition, $0.position) }) { _, last in last }
    }

    /// Takes the answer's top-level error and session id; false when the answer is refused and its partitions
    /// mean nothing (the session starts over).
    mutating func handle(_ sent: Next, errorCode: KafkaErrorCode, responseSessionID: Int32) -> Bool {
        switch errorCode {
        case .none:
            if sent.isFull {
                sessionID = responseSessionID
                nextEpoch = responseSessionID == 0 ? 0 : 1
            } else {
                nextEpoch = nextEpoch == Int32.max ? 1 : nextEpoch + 1
            }
            return true
        case .fetchSessionIDNotFound:
            sessionID = 0
            nextEpoch = 0
            return false
        default:
            failed()
            return false
        }
    }

    /// The request failed (a broken connection, a refused session): the next fetch is full and replaces the
    /// session.
    mutating func failed() {
        nextEpoch = 0
    }
}
