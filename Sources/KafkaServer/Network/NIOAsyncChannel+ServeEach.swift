import NIOCore

extension NIOAsyncChannel where Outbound == Never, Inbound: Sendable {
    /// A listening channel's accept loop (the Kafka listeners and the metrics endpoint): serves each accepted
    /// connection in a task of its own until the calling task is cancelled or the channel closes.
    func serveEach(_ serve: @escaping @Sendable (Inbound) async -> Void) async throws {
        try await withThrowingDiscardingTaskGroup { group in
            try await executeThenClose { connections in
                for try await connection in connections {
                    group.addTask { await serve(connection) }
                }
            }
        }
    }
}
