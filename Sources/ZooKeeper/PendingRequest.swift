import Synchronization

/// What a completed ZooKeeper request produced, before the public API gives it its type.
enum Reply: Sendable {
    case none
    case path(String)
    case stat(ZooKeeperStat)
    case data([UInt8]?, ZooKeeperStat)
    case children([String])
    case multi([ZooKeeperOperationResult])
}

/// One asynchronous C call in flight: the continuation of the Swift caller waiting for it.
///
/// Lifecycle: created and inserted into its session's `RequestRegistry` before the C call is submitted; passed
/// to C retained (`Unmanaged.passRetained`) as the completion's context; completed exactly once, by whichever
/// comes first of the C completion, a synchronous submit failure, or the registry's drain after
/// `zookeeper_close` (the 3.8.0 C client sometimes never calls completions outstanding at close). Removal from
/// the registry, under its lock, decides which side resumes the continuation.
final class PendingRequest: Sendable {
    let path: String?
    private let continuation: CheckedContinuation<Reply, any Error>
    private let registry: RequestRegistry
    /// Memory the C library writes into at completion (multi results); freed with the request.
    let multiStorage: MultiStorage?

    init(
        path: String?,
        continuation: CheckedContinuation<Reply, any Error>,
        registry: RequestRegistry,
        multiStorage: MultiStorage? = nil
    ) {
        self.path = path
        self.continuation = continuation
        self.registry = registry
        self.multiStorage = multiStorage
    }

    func succeed(_ reply: Reply) {
        guard registry.remove(self) else { return }
        continuation.resume(returning: reply)
    }

    func fail(_ code: ZooKeeperError.Code, failedOperationIndex: Int? = nil) {
        guard registry.remove(self) else { return }
        continuation.resume(throwing: ZooKeeperError(code, path: path, failedOperationIndex: failedOperationIndex))
    }

    /// Fails a request that `RequestRegistry.drain()` took: its C completion never ran and never will, so the
    /// retain handed to C as the completion's context is given back here.
    func failAbandoned(_ code: ZooKeeperError.Code) {
        continuation.resume(throwing: ZooKeeperError(code, path: path))
        Unmanaged.passUnretained(self).release()
    }

    /// Completes the request from a C return code, with `reply` evaluated only on success.
    func complete(rc: Int32, _ reply: () -> Reply) {
        if rc == 0 { succeed(reply()) } else { fail(ZooKeeperError.Code(rawValue: rc)) }
    }
}

/// The requests of one session that have been submitted to C and not yet completed. Any thread may use it.
final class RequestRegistry: Sendable {
    private let requests = Mutex<[ObjectIdentifier: PendingRequest]>([:])

    func insert(_ request: PendingRequest) {
        requests.withLock { $0[ObjectIdentifier(request)] = request }
    }

    /// Removes the request and says whether it was still there (whether the caller may complete it).
    func remove(_ request: PendingRequest) -> Bool {
        requests.withLock { $0.removeValue(forKey: ObjectIdentifier(request)) != nil }
    }

    /// Takes every request still waiting. Called after `zookeeper_close` has joined the C threads.
    func drain() -> [PendingRequest] {
        requests.withLock { requests in
            defer { requests = [:] }
            return Array(requests.values)
        }
    }

    var count: Int { requests.withLock { $0.count } }
}
