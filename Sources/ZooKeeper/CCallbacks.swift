import CZooKeeper
import Logging

// The C function pointers handed to libzookeeper-mt. They capture nothing: the state they need arrives as the
// context pointer (a retained `PendingRequest` for completions, a retained `SessionContext` for the watcher).
// They run on the handle's completion thread, one at a time, in the order of the replies, and do no more than
// copy the reply out and resume a continuation or yield to a stream.

private func request(_ data: UnsafeRawPointer?) -> PendingRequest {
    Unmanaged<PendingRequest>.fromOpaque(data!).takeRetainedValue()
}

let voidCompletion: void_completion_t = { rc, data in
    request(data).complete(rc: rc) { .none }
}

let stringCompletion: string_completion_t = { rc, value, data in
    request(data).complete(rc: rc) { .path(value.map { String(cString: $0) } ?? "") }
}

let statCompletion: stat_completion_t = { rc, stat, data in
    request(data).complete(rc: rc) { .stat(ZooKeeperStat(stat!.pointee)) }
}

let dataCompletion: data_completion_t = { rc, value, length, stat, data in
    request(data).complete(rc: rc) {
        let bytes: [UInt8]? =
            if let value, length >= 0 {
                Array(UnsafeRawBufferPointer(start: value, count: Int(length)))
            } else {
                nil
            }
        return .data(bytes, ZooKeeperStat(stat!.pointee))
    }
}

let childrenCompletion: strings_stat_completion_t = { rc, strings, _, data in
    request(data).complete(rc: rc) {
        guard let vector = strings?.pointee, vector.count > 0, let names = vector.data else { return .children([]) }
        return .children((0..<Int(vector.count)).map { String(cString: names[$0]!) })
    }
}

let multiCompletion: void_completion_t = { rc, data in
    let pending = request(data)
    let storage = pending.multiStorage!
    if rc == 0 {
        pending.succeed(.multi(storage.committedResults()))
    } else {
        pending.fail(ZooKeeperError.Code(rawValue: rc), failedOperationIndex: storage.failedOperationIndex())
    }
}

let watcherTrampoline: watcher_fn = { handle, type, state, path, context in
    guard let context else { return }
    let session = Unmanaged<SessionContext>.fromOpaque(context).takeUnretainedValue()
    if type == ZOO_SESSION_EVENT {
        session.sessionEvent(state: state, handle: handle)
    } else if let kind = WatchEvent.Kind(cType: type) {
        session.watchEvent(WatchEvent(kind: kind, path: path.map { String(cString: $0) } ?? ""))
    }
}

/// The C library's own log lines, which would otherwise go to stderr. Its ERROR lines about sockets are routine
/// disconnects and reconnect attempts (about 15 a second per handle while a server is down), which
/// `SessionContext` already reports once per transition in its own words, so they go to debug; other ERROR lines
/// are warnings, WARN lines debug, the rest trace.
let cLibraryLogger = Logger(label: "zookeeper.c")

let logTrampoline: log_callback_fn = { message in
    guard let message else { return }
    let text = String(cString: message)
    let level: Logger.Level =
        if text.contains(":ZOO_ERROR@") {
            text.contains("Socket ") || text.contains("errno=") ? .debug : .warning
        } else if text.contains(":ZOO_WARN@") {
            .debug
        } else {
            .trace
        }
    cLibraryLogger.log(level: level, "\(text)")
}

/// Set the C library's global level once: INFO lines are never wanted at the default levels, so they are not
/// even formatted.
let configureCLibrary: Void = {
    zoo_set_debug_level(ZOO_LOG_LEVEL_WARN)
}()
