import ClusterTestSupport
import Foundation
import ZooKeeper

/// A fresh chroot on the shared ZooKeeper server, and clients connected under it.
struct Scope {
    let connectString: String
    let chroot: String

    static func make() async throws -> Scope {
        let servers = try await SharedZooKeeper.connectString()
        let chroot = "/test-\(UUID().uuidString.prefix(12).lowercased())"
        let root = ZooKeeperClient(connectString: servers, sessionTimeout: .seconds(10))
        try await root.connect()
        try await root.create(chroot)
        await root.close()
        return Scope(connectString: servers + chroot, chroot: chroot)
    }

    /// Runs `body` with a connected client under the chroot, and closes the client afterwards.
    func withClient<Result>(
        sessionTimeout: Duration = .seconds(10),
        _ body: (ZooKeeperClient) async throws -> Result
    ) async throws -> Result {
        let client = try await client(sessionTimeout: sessionTimeout)
        do {
            let result = try await body(client)
            await client.close()
            return result
        } catch {
            await client.close()
            throw error
        }
    }

    /// A connected client under the chroot; the caller closes it.
    func client(sessionTimeout: Duration = .seconds(10)) async throws -> ZooKeeperClient {
        let client = ZooKeeperClient(connectString: connectString, sessionTimeout: sessionTimeout)
        try await client.connect()
        return client
    }
}

extension Array where Element == UInt8 {
    init(_ text: String) { self = Array(text.utf8) }
}

/// The ZooKeeper error code `body` throws, or nil when it does not throw.
func zooKeeperErrorCode(_ body: () async throws -> Void) async -> ZooKeeperError.Code? {
    do {
        try await body()
        return nil
    } catch let error as ZooKeeperError {
        return error.code
    } catch {
        return nil
    }
}
