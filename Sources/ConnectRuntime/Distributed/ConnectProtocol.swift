import KafkaProtocol
import NIOCore

/// Connect's group protocol bytes (protocol type `connect`). Version 0 is Java's `ConnectProtocol`, the EAGER
/// protocol Kafka names `default`: a member's metadata is `version INT16, url STRING, config-offset INT64`; an
/// assignment is `version INT16, error INT16, leader STRING, leader-url STRING, config-offset INT64,
/// [connector STRING, tasks [INT32]]`, where task -1 stands for the connector itself. Version 1 is
/// `IncrementalCooperativeConnectProtocol` (KIP-415, named `compatible`): the metadata adds `allocation
/// NULLABLE_BYTES` (the member's current assignment, encoded as a version 1 assignment), the assignment adds
/// `revoked [connector, tasks]` and `delay INT32`, and its lists hold only what is newly assigned. Version 2
/// (`sessioned`, KIP-507) has version 1's layout. Classic
/// (non-compact) encodings, big-endian, as Java's `Struct` writes them. Pure values: anyone may use them.
enum ConnectProtocol {
    static let protocolType = "connect"
    /// The EAGER protocol's name (`connect.protocol=eager`).
    static let eager = "default"
    /// The incremental cooperative protocol's name (`connect.protocol=compatible`).
    static let cooperative = "compatible"
    /// The incremental cooperative protocol with internal requests signed by the session key (KIP-507,
    /// `connect.protocol=sessioned`): version 2, laid out as version 1.
    static let sessioned = "sessioned"
    /// The task number that stands for the connector instance.
    static let connectorTask: Int32 = -1

    /// A member's metadata: its REST URL and how far it has read the config topic.
    struct WorkerState: Sendable, Equatable {
        var url: String
        var configOffset: Int64
        /// Version 1: what the member runs now (its assignment's `connectors` and `tasks`).
        var allocation: Assignment?
    }

    /// What the leader tells a member: its connectors and tasks, the leader, and the config offset the assignment
    /// was computed at.
    struct Assignment: Sendable, Equatable {
        /// 0 (EAGER: the whole assignment), 1 or 2 (incremental: additions and revocations; 2 when sessioned).
        var version: Int16 = 0
        /// 0, or 1 (CONFIG_MISMATCH): the leader could not read the config topic as far as a member had.
        var error: Int16
        var leader: String
        var leaderURL: String
        var configOffset: Int64
        var connectors: [String]
        var tasks: [ConnectorTaskID]
        /// Version 1: what the member must stop, and how long until the leader means to rebalance again (ms).
        var revokedConnectors: [String] = []
        var revokedTasks: [ConnectorTaskID] = []
        var delay: Int32 = 0

        static let noError: Int16 = 0
        static let configMismatch: Int16 = 1
    }

    static func encode(_ state: WorkerState, version: Int16) -> [UInt8] {
        var buffer = ByteBuffer()
        buffer.writeInteger(version)
        buffer.writeKafkaString(state.url, compact: false)
        buffer.writeInteger(state.configOffset)
        if version >= 1 {
            if let allocation = state.allocation {
                var current = allocation
                current.version = version
                buffer.writeKafkaBytes(encode(current), compact: false)
            } else {
                buffer.writeInteger(Int32(-1))
            }
        }
        return Array(buffer.readableBytesView)
    }

    static func decodeWorkerState(_ bytes: [UInt8]) throws(ProtocolError) -> WorkerState {
        var buffer = ByteBuffer(bytes: bytes)
        guard let version = buffer.readInteger(as: Int16.self), version >= 0 else {
            throw .truncated(field: "connect protocol version")
        }
        let url = try buffer.readKafkaString(compact: false, field: "url")
        guard let offset = buffer.readInteger(as: Int64.self) else { throw .truncated(field: "config-offset") }
        var state = WorkerState(url: url, configOffset: offset)
        if version >= 1, let length = buffer.readInteger(as: Int32.self), length >= 0 {
            guard let bytes = buffer.readBytes(length: Int(length)) else { throw .truncated(field: "allocation") }
            state.allocation = try decodeAssignment(bytes)
        }
        return state
    }

    static func encode(_ assignment: Assignment) -> [UInt8] {
        var buffer = ByteBuffer()
        buffer.writeInteger(assignment.version)
        buffer.writeInteger(assignment.error)
        buffer.writeKafkaString(assignment.leader, compact: false)
        buffer.writeKafkaString(assignment.leaderURL, compact: false)
        buffer.writeInteger(assignment.configOffset)
        writeWork(connectors: assignment.connectors, tasks: assignment.tasks, to: &buffer)
        if assignment.version >= 1 {
            writeWork(connectors: assignment.revokedConnectors, tasks: assignment.revokedTasks, to: &buffer)
            buffer.writeInteger(assignment.delay)
        }
        return Array(buffer.readableBytesView)
    }

    /// `[connector STRING, tasks [INT32]]`, grouped by connector: the connector itself (-1) first, then its tasks,
    /// as Java's serializer lists them.
    private static func writeWork(connectors: [String], tasks: [ConnectorTaskID], to buffer: inout ByteBuffer) {
        var names = connectors
        for task in tasks where !names.contains(task.connector) { names.append(task.connector) }
        buffer.writeKafkaArray(names, compact: false) { buffer, name in
            buffer.writeKafkaString(name, compact: false)
            let numbers =
                (connectors.contains(name) ? [connectorTask] : [])
                + tasks.filter { $0.connector == name }.map {
                    Int32($0.task)
                }
            buffer.writeKafkaArray(numbers, compact: false) { $0.writeInteger($1) }
        }
    }

    private static func readWork(
        _ buffer: inout ByteBuffer
    ) throws(ProtocolError) -> (connectors: [String], tasks: [ConnectorTaskID]) {
        let entries = try buffer.readKafkaArray(compact: false, field: "assignment") {
            (buffer: inout ByteBuffer) throws(ProtocolError) -> (String, [Int32]) in
            let name = try buffer.readKafkaString(compact: false, field: "connector")
            let tasks = try buffer.readKafkaArray(compact: false, field: "tasks") {
                (buffer: inout ByteBuffer) throws(ProtocolError) -> Int32 in
                guard let task = buffer.readInteger(as: Int32.self) else { throw .truncated(field: "task") }
                return task
            }
            return (name, tasks)
        }
        var work: (connectors: [String], tasks: [ConnectorTaskID]) = ([], [])
        for (name, tasks) in entries {
            for task in tasks {
                if task == connectorTask {
                    work.connectors.append(name)
                } else {
                    work.tasks.append(ConnectorTaskID(name, Int(task)))
                }
            }
        }
        return work
    }

    static func decodeAssignment(_ bytes: [UInt8]) throws(ProtocolError) -> Assignment {
        var buffer = ByteBuffer(bytes: bytes)
        guard let version = buffer.readInteger(as: Int16.self), version >= 0 else {
            throw .truncated(field: "connect protocol version")
        }
        guard let error = buffer.readInteger(as: Int16.self) else { throw .truncated(field: "error") }
        let leader = try buffer.readKafkaString(compact: false, field: "leader")
        let leaderURL = try buffer.readKafkaString(compact: false, field: "leader-url")
        guard let offset = buffer.readInteger(as: Int64.self) else { throw .truncated(field: "config-offset") }
        let work = try readWork(&buffer)
        var assignment = Assignment(
            version: min(version, 2),
            error: error,
            leader: leader,
            leaderURL: leaderURL,
            configOffset: offset,
            connectors: work.connectors,
            tasks: work.tasks
        )
        if version >= 1 {
            let revoked = try readWork(&buffer)
            assignment.revokedConnectors = revoked.connectors
            assignment.revokedTasks = revoked.tasks
            guard let delay = buffer.readInteger(as: Int32.self) else { throw .truncated(field: "delay") }
            assignment.delay = delay
        }
        return assignment
    }
}
