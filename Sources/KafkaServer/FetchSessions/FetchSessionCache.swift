import KafkaCore
import KafkaReplication
import Synchronization

/// Fetch sessions (KIP-227, Kafka's `FetchSessionCache` and `FetchManager`): a client that fetches the same
/// partitions again and again sends them once, then only what changed, and the broker answers only the partitions
/// with something new (records, an error, a moved high watermark, last stable or log start offset).
///
/// A Fetch (v7+) carries a session id and epoch. Epoch -1: no session (the id, if any, is closed); epoch 0: a full
/// fetch that opens a new session (closing the id it names), answered in full with the new id — or with id 0 when
/// no slot is free; epoch n > 0: an incremental fetch of session `id`, whose epoch must be n
/// (FETCH_SESSION_ID_NOT_FOUND, INVALID_FETCH_SESSION_EPOCH otherwise); its partitions add to or update the session's,
/// its forgotten topics leave it, and the whole session is fetched. A session left with no partition is closed and
/// that fetch answered without one.
///
/// At most `max.incremental.fetch.session.cache.slots` sessions. When full, a new session takes the slot of one
/// unused for 120 s (Kafka's `MIN_INCREMENTAL_FETCH_SESSION_EVICTION_MS`), else of the least valuable one if it is
/// worth less: followers' sessions (privileged) over consumers', then more partitions over fewer. Partitions answered
/// with something go to the end of their session, so a size-limited fetch reaches the others next time.
///
/// Shared by the broker's `FetchHandler` calls; one lock for the cache (held for bookkeeping only, never during a
/// read or a wait).
final class FetchSessionCache: Sendable {
    static let evictionMs: Int64 = 120_000

    /// What a session keeps of one partition: the client's last fetch position and what the last answer said. A
    /// reference, so the session's fetch order can move it and an answer can update it without a lookup by name;
    /// touched under the cache's lock only.
    final class CachedPartition {
        var request: ReplicaManager.FetchRequestPartition
        var highWatermark: Int64 = -1
        var lastStableOffset: Int64 = -1
        var logStartOffset: Int64 = -1
        /// Set while an answer moves it to the end of the fetch order.
        var moving = false

        init(request: ReplicaManager.FetchRequestPartition) {
            self.request = request
        }
    }

    /// One session: its partitions by name (for the changes an incremental fetch names) and in fetch order (what
    /// each fetch reads and answers, walked without hashing). A reference, updated in place under the cache's lock.
    final class Session {
        var id: Int32 = 0
        let privileged: Bool
        /// The epoch the next incremental fetch must carry.
        var epoch: Int32 = 1
        var partitions: [TopicPartition: CachedPartition] = [:]
        /// Fetch order.
        var order: [CachedPartition] = []
        var lastUsedMs: Int64

        init(privileged: Bool, lastUsedMs: Int64) {
            self.privileged = privileged
            self.lastUsedMs = lastUsedMs
        }

        /// Eviction value: a session may take the slot of one worth less.
        var value: (Int, Int) { (privileged ? 1 : 0, partitions.count) }

        /// The cached partition answered at `position` of the last fetch: found by position when the fetch order
        /// still matches (it does unless the session changed in between), else by name.
        func cached(_ topicPartition: TopicPartition, at position: Int) -> CachedPartition? {
            if position < order.count, order[position].request.topicPartition == topicPartition {
                return order[position]
            }
            return partitions[topicPartition]
        }
    }

    /// How a Fetch is answered.
    enum Context: Sendable, Equatable {
        /// In full, with session id 0: epoch -1, or a new session found no slot.
        case sessionless
        /// In full; then the session is made (`open`) from what the answer says.
        case opening
        /// Only what changed, in session `id`.
        case incremental(id: Int32)
        /// A top-level error and no partitions.
        case failed(KafkaErrorCode)
    }

    /// A session's partitions after an incremental fetch's changes, in fetch order.
    struct Begun: Sendable {
        var context: Context
        var partitions: [ReplicaManager.FetchRequestPartition]
    }

    /// The sessions by id, and how many were evicted so far; lives in the cache's lock only.
    struct State {
        var sessions: [Int32: Session] = [:]
        var evictions = 0
    }

    let maxSlots: Int
    private let state = Mutex(State())

    init(maxSlots: Int) {
        self.maxSlots = maxSlots
    }

    /// Sessions held, partitions they hold, evictions so far (the cache's metrics).
    var stats: (sessions: Int, partitions: Int, evictions: Int) {
        state.withLock { state in
            (state.sessions.count, state.sessions.values.reduce(0) { $0 + $1.partitions.count }, state.evictions)
        }
    }

    /// Decides how a Fetch with `sessionID`/`epoch` is answered; `partitions` are the request's own, `forgotten` its
    /// forgotten topics' partitions. For an incremental fetch the session is updated and its epoch moves on.
    func begin(
        sessionID: Int32,
        epoch: Int32,
        partitions: [ReplicaManager.FetchRequestPartition],
        forgotten: [TopicPartition],
        now: Int64
    ) -> Begun {
        if epoch <= 0 {
            if sessionID != 0 { state.withLock { _ = $0.sessions.removeValue(forKey: sessionID) } }
            return Begun(context: epoch == 0 && maxSlots > 0 ? .opening : .sessionless, partitions: partitions)
        }
        return state.withLock { state in
            guard let session = state.sessions[sessionID] else {
                return Begun(context: .failed(.fetchSessionIDNotFound), partitions: [])
            }
            guard session.epoch == epoch else {
                return Begun(context: .failed(.invalidFetchSessionEpoch), partitions: [])
            }
            if !forgotten.isEmpty {
                let gone = Set(
                    forgotten.compactMap { session.partitions.removeValue(forKey: $0) }.map(ObjectIdentifier.init)
                )
                if !gone.isEmpty { session.order.removeAll { gone.contains(ObjectIdentifier($0)) } }
            }
            for request in partitions {
                if let cached = session.partitions[request.topicPartition] {
                    cached.request = request
                } else {
                    let cached = CachedPartition(request: request)
                    session.partitions[request.topicPartition] = cached
                    session.order.append(cached)
                }
            }
            guard !session.partitions.isEmpty else {
                state.sessions.removeValue(forKey: sessionID)
                return Begun(context: .sessionless, partitions: [])
            }
            session.epoch = epoch == Int32.max ? 1 : epoch + 1
            session.lastUsedMs = now
            return Begun(context: .incremental(id: sessionID), partitions: session.order.map(\.request))
        }
    }

    /// After a full fetch that may open a session: makes it from `answered` (each partition's answer, in fetch
    /// order) when a slot is free or can be freed; returns its id, or 0.
    func open(
        _ answered: [(request: ReplicaManager.FetchRequestPartition, answer: Answer)],
        privileged: Bool,
        now: Int64
    ) -> Int32 {
        // Made inside the lock: a session lives in the lock's region (opening is rare: once per client or error).
        state.withLock { state in
            let session = Session(privileged: privileged, lastUsedMs: now)
            for (request, answer) in answered where session.partitions[request.topicPartition] == nil {
                let cached = CachedPartition(request: request)
                _ = cached.mustAnswer(answer)
                session.partitions[request.topicPartition] = cached
                session.order.append(cached)
            }
            guard !session.partitions.isEmpty else { return 0 }
            guard state.sessions.count < maxSlots || Self.evict(for: session, from: &state, now: now) else { return 0 }
            repeat { session.id = Int32.random(in: 1...Int32.max) } while state.sessions[session.id] != nil
            state.sessions[session.id] = session
            return session.id
        }
    }

    /// After an incremental fetch: whether the answer carries each partition of `answered` (those with something
    /// new), in the same order; the session remembers what they were told and moves them to its end.
    func answer(_ id: Int32, _ answered: [(topicPartition: TopicPartition, answer: Answer)]) -> [Bool] {
        state.withLock { state in
            guard let session = state.sessions[id] else {
                // Closed meanwhile (a new full fetch with its id): answer everything.
                return Array(repeating: true, count: answered.count)
            }
            var carried: [Bool] = []
            carried.reserveCapacity(answered.count)
            var moved: [CachedPartition] = []
            for (position, (topicPartition, answer)) in answered.enumerated() {
                guard let cached = session.cached(topicPartition, at: position) else {
                    carried.append(false)
                    continue
                }
                let must = cached.mustAnswer(answer)
                carried.append(must)
                // Marked once, so a partition named twice still moves once.
                if must && !cached.moving {
                    cached.moving = true
                    moved.append(cached)
                }
            }
            if !moved.isEmpty {
                session.order.removeAll(where: \.moving)
                for cached in moved { cached.moving = false }
                session.order += moved
            }
            return carried
        }
    }

    /// Frees one slot for `candidate` (Kafka's `tryEvict`): the least recently used session if unused for
    /// `evictionMs`, else the least valuable one a session like `candidate` may take, when it is worth less.
    private static func evict(for candidate: Session, from state: inout State, now: Int64) -> Bool {
        let sessions = state.sessions.values
        let victim: Session?
        if let stale = sessions.min(by: { $0.lastUsedMs < $1.lastUsedMs }), now - stale.lastUsedMs > evictionMs {
            victim = stale
        } else {
            victim = sessions.filter { candidate.privileged || !$0.privileged }.min { $0.value < $1.value }
                .flatMap { $0.value < candidate.value ? $0 : nil }
        }
        guard let victim else { return false }
        state.sessions.removeValue(forKey: victim.id)
        state.evictions += 1
        return true
    }
}

extension FetchSessionCache {
    /// What one partition's answer says, as far as a session compares it.
    struct Answer: Sendable {
        var errorCode: KafkaErrorCode
        var highWatermark: Int64
        var lastStableOffset: Int64
        var logStartOffset: Int64
        var hasRecords: Bool
        var preferredReadReplica: Int32 = -1
    }
}

extension FetchSessionCache.CachedPartition {
    /// Whether an incremental answer must carry this partition (Kafka's `maybeUpdateResponseData`): records, an
    /// error, a redirection, or a watermark the client has not been told. Remembers what it is told; after an error
    /// the high watermark is forgotten so the next answer carries the partition again.
    func mustAnswer(_ answer: FetchSessionCache.Answer) -> Bool {
        var must = answer.hasRecords || answer.preferredReadReplica >= 0
        if highWatermark != answer.highWatermark {
            must = true
            highWatermark = answer.highWatermark
        }
        if lastStableOffset != answer.lastStableOffset {
            must = true
            lastStableOffset = answer.lastStableOffset
        }
        if logStartOffset != answer.logStartOffset {
            must = true
            logStartOffset = answer.logStartOffset
        }
        if answer.errorCode != .none {
            must = true
            highWatermark = -1
        }
        return must
    }
}
