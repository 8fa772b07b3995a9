import CZooKeeper
import Dispatch
import Glibc
import Logging
import Synchronization

/// One C handle (`zhandle_t`) and its `SessionContext`.
///
/// Lifecycle: `init` opens the handle (`zookeeper_init2`, which connects in the background); `close()` ends it,
/// once. Every C call on the handle goes through `withLiveHandle`, which holds a lock while the call is made and
/// refuses once `close()` has begun: a `zoo_*` call during or after `zookeeper_close` is undefined behaviour in
/// the C library (seen hanging forever on a freed mutex).
///
/// `@unchecked Sendable`: the C boundary. The handle pointer is immutable and only used under the `isLive` lock;
/// the C library is thread-safe for concurrent submissions (the `_mt` build).
final class ZooKeeperSession: @unchecked Sendable {
    let context: SessionContext
    private let handle: OpaquePointer
    private let isLive = Mutex(true)

    init(configuration: ZooKeeperConfiguration, context: SessionContext) throws {
        _ = configureCLibrary
        self.context = context
        let contextPointer = Unmanaged.passRetained(context).toOpaque()
        let timeoutMilliseconds =
            Int32(clamping: configuration.sessionTimeout.components.seconds * 1000)
            + Int32(clamping: configuration.sessionTimeout.components.attoseconds / 1_000_000_000_000_000)
        guard
            let handle = zookeeper_init2(
                configuration.connectString,
                watcherTrampoline,
                timeoutMilliseconds,
                nil,
                contextPointer,
                0,
                logTrampoline
            )
        else {
            Unmanaged<SessionContext>.fromOpaque(contextPointer).release()
            throw ZooKeeperError(.badArguments, path: configuration.connectString)
        }
        self.handle = handle
        if let credentials = configuration.digestCredentials {
            // Queued before any request: the C library sends it first on every (re)connection of this session.
            let bytes = Array(credentials.utf8)
            _ = bytes.withUnsafeBufferPointer { buffer in
                buffer.withMemoryRebound(to: CChar.self) {
                    zoo_add_auth(handle, "digest", $0.baseAddress, Int32(buffer.count), nil, nil)
                }
            }
        }
    }

    /// Runs `body` with the handle while it is open; throws `closing` once `close()` has begun.
    func withLiveHandle<Result>(_ body: (OpaquePointer) -> Result) throws -> Result {
        try isLive.withLock { isLive in
            guard isLive else { throw ZooKeeperError(.closing) }
            return body(handle)
        }
    }

    /// Submits one asynchronous C call and waits for its completion. `call` receives the handle and the context
    /// pointer to pass to C, and returns the C call's own return code.
    func submit(
        path: String?,
        multiStorage: MultiStorage? = nil,
        _ call: (OpaquePointer, UnsafeRawPointer) -> Int32
    ) async throws -> Reply {
        try await withCheckedThrowingContinuation { continuation in
            let request = PendingRequest(
                path: path,
                continuation: continuation,
                registry: context.registry,
                multiStorage: multiStorage
            )
            context.registry.insert(request)
            let requestPointer = UnsafeRawPointer(Unmanaged.passRetained(request).toOpaque())
            let rc = (try? withLiveHandle { call($0, requestPointer) }) ?? ZCLOSING.rawValue
            if rc != ZOK.rawValue {
                Unmanaged<PendingRequest>.fromOpaque(requestPointer).release()
                // An expired handle refuses everything with "invalid state"; say what it means.
                let code =
                    rc == ZINVALIDSTATE.rawValue && context.current == .expired
                    ? ZooKeeperError.Code.sessionExpired : ZooKeeperError.Code(rawValue: rc)
                request.fail(code)
            }
        }
    }

    /// The session id the server assigned, once connected.
    var sessionID: Int64? {
        try? withLiveHandle { handle in
            let id = zoo_client_id(handle)?.pointee.client_id ?? 0
            return id == 0 ? nil : id
        }
    }

    /// "host:port" of the server the handle is connected to now.
    var connectedServer: String? {
        (try? withLiveHandle { handle -> String? in
            var storage = sockaddr_storage()
            var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
            let found = withUnsafeMutablePointer(to: &storage) { pointer in
                pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    zookeeper_get_connected_host(handle, $0, &length) != nil
                }
            }
            guard found else { return nil }
            return Self.describe(storage)
        }) ?? nil
    }

    private static func describe(_ storage: sockaddr_storage) -> String? {
        var storage = storage
        var text = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        switch Int32(storage.ss_family) {
        case AF_INET:
            return withUnsafePointer(to: &storage) { pointer in
                pointer.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { address in
                    var ip = address.pointee.sin_addr
                    inet_ntop(AF_INET, &ip, &text, socklen_t(text.count))
                    return "\(cString(text)):\(UInt16(bigEndian: address.pointee.sin_port))"
                }
            }
        case AF_INET6:
            return withUnsafePointer(to: &storage) { pointer in
                pointer.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { address in
                    var ip = address.pointee.sin6_addr
                    inet_ntop(AF_INET6, &ip, &text, socklen_t(text.count))
                    return "[\(cString(text))]:\(UInt16(bigEndian: address.pointee.sin6_port))"
                }
            }
        default:
            return nil
        }
    }

    private static func cString(_ characters: [CChar]) -> String {
        String(decoding: characters.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Ends the session: refuses further calls, closes the C handle on a thread of its own (`zookeeper_close`
    /// blocks while it says goodbye to the server and joins the C threads), then fails every request the C
    /// library never completed. Safe to call more than once; only the first call acts.
    func close() async {
        let wasLive = isLive.withLock { isLive in
            defer { isLive = false }
            return isLive
        }
        guard wasLive else { return }
        context.detach()
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            DispatchQueue.global().async {
                zookeeper_close(self.handle)
                continuation.resume()
            }
        }
        // No C thread runs any more: the watcher's retain and every unanswered request can be let go.
        Unmanaged.passUnretained(context).release()
        for request in context.registry.drain() { request.failAbandoned(.closing) }
    }
}
