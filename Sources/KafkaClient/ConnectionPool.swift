public import KafkaProtocol
public import NIOCore
import Synchronization

/// One open connection per broker address, made on first use and made again after it closed: the "reuse the
/// open connection or connect" rule every client of the cluster needs (the controller's channel to each broker,
/// the replica fetchers, the admin client, the producer and consumer).
///
/// Lifecycle: any task may ask for a connection or send; concurrent first requests to one address share one
/// connection attempt. A send that fails drops the connection it used (closing it), so the next one reconnects.
/// `closeAll()` closes every connection; the pool may be used again afterwards. `shutdown()` closes every connection
/// for good: later requests fail with `ShutDown` instead of connecting (a connection attempt on an event loop group
/// that has since shut down would never finish).
public final class ConnectionPool: Sendable {
    private enum Slot {
        case connecting(Task<KafkaConnection, any Error>)
        case open(KafkaConnection)
    }

    /// The last failed connection attempt to an address, and how long to wait before the next.
    private struct Failure {
        var at: ContinuousClock.Instant
        var backoff: Duration
        var error: String
    }

    /// A connection is not tried again so soon after the last attempt failed (`reconnect.backoff.ms`).
    public struct BackingOff: Error, CustomStringConvertible {
        public var address: BrokerAddress
        public var lastError: String
        public var description: String { "not reconnecting to \(address) yet (backing off after: \(lastError))" }
    }

    /// The pool was shut down: nothing connects any more.
    public struct ShutDown: Error, CustomStringConvertible {
        public var address: BrokerAddress
        public var description: String { "not connecting to \(address): the client is shut down" }
    }

    public let clientID: String
    public let connectTimeout: Duration
    /// The first and the longest wait after a failed connection attempt (doubling in between, as the Java
    /// client's `reconnect.backoff.ms` and `reconnect.backoff.max.ms`); nil: try again at once.
    public let reconnectBackoff: (initial: Duration, max: Duration)?
    private let group: any EventLoopGroup
    /// TLS and SASL for every connection made.
    public let security: ConnectionSecurity
    /// The slot of each address, and whether `shutdown()` was called (then no attempt starts).
    private struct Slots {
        var byAddress: [BrokerAddress: Slot] = [:]
        var isShutDown = false

        subscript(address: BrokerAddress) -> Slot? {
            get { byAddress[address] }
            set { byAddress[address] = newValue }
        }
    }

    private let slots = Mutex(Slots())
    /// Read only while `slots` is held, when a new attempt would start (lock order: `slots`, then `failures`).
    private let failures = Mutex<[BrokerAddress: Failure]>([:])

    public init(
        clientID: String,
        group: any EventLoopGroup,
        connectTimeout: Duration = .seconds(5),
        reconnectBackoff: (initial: Duration, max: Duration)? = nil,
        security: ConnectionSecurity = .plaintext
    ) {
        self.clientID = clientID
        self.group = group
        self.connectTimeout = connectTimeout
        self.reconnectBackoff = reconnectBackoff
        self.security = security
    }

    /// The open connection to `address`, connecting when there is none.
    public func connection(to address: BrokerAddress) async throws -> KafkaConnection {
        // A connection that closes as soon as it is made is tried once more, then reported.
        for _ in 0..<2 {
            switch try slot(for: address) {
            case .open(let connection):
                return connection
            case .connecting(let attempt):
                do {
                    let connection = try await attempt.value
                    slots.withLock { slots in
                        if case .connecting(let held)? = slots[address], held == attempt {
                            slots[address] = .open(connection)
                        }
                    }
                    if connection.isOpen {
                        if reconnectBackoff != nil { failures.withLock { $0[address] = nil } }
                        return connection
                    }
                } catch {
                    slots.withLock { slots in
                        if case .connecting(let held)? = slots[address], held == attempt { slots[address] = nil }
                    }
                    recordFailure(address, error)
                    throw error
                }
            }
        }
        throw KafkaConnection.Closed(address: address)
    }

    /// Remembers a failed attempt: the wait before the next doubles, up to the maximum, with Java's ±20% jitter.
    private func recordFailure(_ address: BrokerAddress, _ error: any Error) {
        guard let (initial, maximum) = reconnectBackoff else { return }
        failures.withLock { failures in
            let previous = failures[address]?.backoff
            let doubled = previous.map { min($0 * 2, maximum) } ?? initial
            let jittered = doubled * Double.random(in: 0.8...1.2)
            failures[address] = Failure(at: .now, backoff: min(jittered, maximum), error: "\(error)")
        }
    }

    /// The pool's slot for `address`: its open connection, or an attempt to connect (a new one when there is none
    /// or the held connection has closed, unless the last attempt failed within its backoff: `BackingOff`, or the
    /// pool was shut down: `ShutDown`).
    private func slot(for address: BrokerAddress) throws -> Slot {
        try slots.withLock { slots throws in
            guard !slots.isShutDown else { throw ShutDown(address: address) }
            switch slots[address] {
            case .open(let connection) where connection.isOpen: return .open(connection)
            case .connecting(let attempt): return .connecting(attempt)
            case .open, nil: break
            }
            if reconnectBackoff != nil, let failure = failures.withLock({ $0[address] }),
                ContinuousClock.now < failure.at + failure.backoff
            {
                throw BackingOff(address: address, lastError: failure.error)
            }
            let (clientID, group, connectTimeout, security) = (
                self.clientID, self.group, self.connectTimeout, self.security
            )
            let attempt = Task {
                try await KafkaConnection.connect(
                    to: address,
                    clientID: clientID,
                    group: group,
                    connectTimeout: connectTimeout,
                    security: security
                )
            }
            slots[address] = .connecting(attempt)
            return .connecting(attempt)
        }
    }

    /// Sends `request` to `address` over the pooled connection; a failure drops that connection.
    public func send<Request: KafkaRequest>(
        _ request: Request,
        version: Int16,
        to address: BrokerAddress,
        timeout: Duration? = nil
    ) async throws -> Request.Response {
        let connection = try await connection(to: address)
        do {
            return try await connection.send(request, version: version, timeout: timeout)
        } catch {
            drop(connection)
            throw error
        }
    }

    /// Closes `connection` and forgets it, unless the pool already holds a newer one for its address.
    public func drop(_ connection: KafkaConnection) {
        connection.close()
        slots.withLock { slots in
            if case .open(let held)? = slots[connection.address], held === connection {
                slots[connection.address] = nil
            }
        }
    }

    public func closeAll() {
        close(shuttingDown: false)
    }

    /// Closes every connection and refuses to make new ones.
    public func shutdown() {
        close(shuttingDown: true)
    }

    private func close(shuttingDown: Bool) {
        let all = slots.withLock { slots in
            defer { slots.byAddress = [:] }
            if shuttingDown { slots.isShutDown = true }
            return Array(slots.byAddress.values)
        }
        for slot in all { Self.close(slot) }
    }

    private static func close(_ slot: Slot) {
        switch slot {
        case .open(let connection): connection.close()
        case .connecting(let attempt): Task { try? await attempt.value.close() }
        }
    }
}
