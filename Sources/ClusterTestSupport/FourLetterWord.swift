import Dispatch
import Glibc

/// ZooKeeper's four-letter-word admin commands over a plain TCP connection (`srvr`, `ruok`, `mntr`, ...).
///
/// `ruok` answers `imok` even when a node is not serving (no quorum, election running); `srvr` answers with a
/// `Mode:` line only when the node serves, so readiness is judged by `srvr`. The blocking socket runs on a
/// Dispatch thread, never on Swift's cooperative pool.
public enum FourLetterWord {
    /// The reply, or nil when the port did not answer within `timeout`.
    public static func send(
        _ word: String,
        host: String = "127.0.0.1",
        port: Int,
        timeout: Duration = .seconds(2)
    )
        async -> String?
    {
        await withCheckedContinuation { continuation in
            DispatchQueue.global().async {
                continuation.resume(returning: sendBlocking(word, host: host, port: port, timeout: timeout))
            }
        }
    }

    /// The node's `Mode:` (standalone, leader or follower) when it serves clients, else nil.
    public static func servingMode(port: Int) async -> String? {
        guard let reply = await send("srvr", port: port) else { return nil }
        for line in reply.split(separator: "\n") where line.hasPrefix("Mode: ") {
            return String(line.dropFirst("Mode: ".count))
        }
        return nil
    }

    private static func sendBlocking(_ word: String, host: String, port: Int, timeout: Duration) -> String? {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var time = timeval(tv_sec: Int(timeout.components.seconds), tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &time, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &time, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        address.sin_addr.s_addr = inet_addr(host)
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard connected == 0 else { return nil }
        let request = Array(word.utf8)
        guard write(fd, request, request.count) == request.count else { return nil }
        var reply: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = read(fd, &chunk, chunk.count)
            if count <= 0 { break }
            reply.append(contentsOf: chunk[0..<count])
        }
        return String(decoding: reply, as: UTF8.self)
    }
}
