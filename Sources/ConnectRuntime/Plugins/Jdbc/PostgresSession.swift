import Logging
import PostgresNIO

/// One PostgresNIO connection of a JDBC task and its server session (`pg_backend_pid()`, read when it opens), so
/// `watched` can run statements under `ConnectionWatchdog`: the socket's state is looked at every half second, and a
/// statement still running after 10 s makes a short second connection ask `pg_stat_activity` whether the session
/// still exists (a refused connection means the server is down and the session with it). Owned by one task.
struct PostgresSession: Sendable {
    let connection: PostgresConnection
    let backendPID: Int32
    let configuration: PostgresConnection.Configuration
    let logger: Logger

    static func open(_ configuration: PostgresConnection.Configuration, logger: Logger) async throws -> PostgresSession
    {
        let connection = try await PostgresConnection.connect(configuration: configuration, id: 1, logger: logger)
        do {
            var pid: Int32 = 0
            for try await value in try await connection.query("SELECT pg_backend_pid()", logger: logger)
                .decode(Int32.self)
            {
                pid = value
            }
            return PostgresSession(
                connection: connection,
                backendPID: pid,
                configuration: configuration,
                logger: logger
            )
        } catch {
            try? await connection.close()
            throw error
        }
    }

    /// Runs `work` on the connection; `ConnectionWatchdog.ConnectionLost` when the session went away under it.
    func watched<Result: Sendable>(
        _ work: @escaping @Sendable (PostgresConnection) async throws -> Result
    ) async throws -> Result {
        let (connection, backendPID, configuration, logger) = (connection, backendPID, configuration, logger)
        return try await ConnectionWatchdog.run(
            until: { connection.isClosed },
            probe: { await Self.sessionExists(backendPID, configuration, logger) }
        ) {
            try await work(connection)
        }
    }

    func close() async {
        try? await connection.close()
    }

    /// Whether the server still has the session `pid`: false when the server refuses a connection or does not list
    /// it; true when the question cannot be put (the session may be alive).
    static func sessionExists(
        _ pid: Int32,
        _ configuration: PostgresConnection.Configuration,
        _ logger: Logger
    ) async -> Bool {
        let probe: PostgresConnection
        do {
            probe = try await PostgresConnection.connect(configuration: configuration, id: 2, logger: logger)
        } catch let error as PSQLError where error.code == .connectionError {
            return false
        } catch {
            return true
        }
        defer { Task { try? await probe.close() } }
        do {
            var found = false
            for try await _ in try await probe.query(
                "SELECT 1 FROM pg_stat_activity WHERE pid = \(pid)",
                logger: logger
            ) {
                found = true
            }
            return found
        } catch {
            return true
        }
    }
}
