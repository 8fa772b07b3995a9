import Foundation
import Glibc

/// A plain TCP client for bad-input tests: writes bytes as given and reads whatever comes back until the broker
/// closes the connection or `timeout` passes.
enum RawClient {
    struct Reply {
        var bytes: [UInt8]
        /// True when the broker closed the connection (read returned 0 or an error).
        var closedByBroker: Bool
    }

    /// `untilOneFrame`: stop as soon as one whole size-prefixed response has arrived.
    static func exchange(
        port: Int,
        send: [UInt8],
        timeout: Duration = .seconds(3),
        untilOneFrame: Bool = false
    ) async -> Reply {
        await withCheckedContinuation { continuation in
            DispatchQueue.global().async {
                continuation.resume(
                    returning: blockingExchange(port: port, send: send, timeout: timeout, untilOneFrame: untilOneFrame)
                )
            }
        }
    }

    private static func blockingExchange(port: Int, send: [UInt8], timeout: Duration, untilOneFrame: Bool) -> Reply {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var time = timeval(tv_sec: Int(timeout.components.seconds), tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &time, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard connected == 0 else { return Reply(bytes: [], closedByBroker: true) }
        _ = send.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        var received: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = read(fd, &chunk, chunk.count)
            if count > 0 {
                received += chunk[0..<count]
                if untilOneFrame, received.count >= 4,
                    received.count >= 4 + Int(received[0..<4].reduce(0) { $0 << 8 | UInt32($1) })
                {
                    return Reply(bytes: received, closedByBroker: false)
                }
                continue
            }
            // 0: orderly close; -1 with EAGAIN: timed out with the connection still open.
            return Reply(bytes: received, closedByBroker: count == 0 || (errno != EAGAIN && errno != EWOULDBLOCK))
        }
    }
}
