import Foundation
import Glibc
import Synchronization

/// Free TCP ports on 127.0.0.1 for test servers, chosen below the kernel's ephemeral range.
///
/// A port the kernel picks for a bind to port 0 comes from the ephemeral range, which outgoing connections draw
/// their local ports from too: between the choice and the server's own bind, any client in the test process (a
/// broker's replica fetcher, a ZooKeeper session) could take it, and the server fails with EADDRINUSE. So ports
/// are drawn at random from the 12,000 below `ip_local_port_range`, each checked by binding it, and never handed
/// out twice by one process. All sockets of one call are held open until every port is chosen.
public enum FreePort {
    private static let handedOut = Mutex<Set<Int>>([])

    /// The ports below the ephemeral range (Linux's default range starts at 32768).
    static let candidates: Range<Int> = {
        let text = (try? String(contentsOfFile: "/proc/sys/net/ipv4/ip_local_port_range", encoding: .utf8)) ?? ""
        let low = text.split(whereSeparator: \.isWhitespace).first.flatMap { Int($0) } ?? 32768
        return max(1024, low - 12_000)..<max(2048, low)
    }()

    public static func allocate(_ count: Int = 1) throws -> [Int] {
        var sockets: [Int32] = []
        defer { for socket in sockets { close(socket) } }
        var ports: [Int] = []
        var attempts = 0
        while ports.count < count {
            attempts += 1
            guard attempts < 10_000 else { throw HarnessError("no free port in \(candidates)") }
            let port = Int.random(in: candidates)
            guard handedOut.withLock({ $0.insert(port).inserted }) else { continue }
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            guard fd >= 0 else { throw HarnessError("socket() failed: errno \(errno)") }
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = in_port_t(UInt16(port).bigEndian)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            let bound = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
            guard bound == 0 else {
                close(fd)
                continue  // in use (or lingering): another one
            }
            sockets.append(fd)
            ports.append(port)
        }
        return ports
    }
}

/// A failure of the test harness itself (a server that did not start, a port that could not be found).
public struct HarnessError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
