import KafkaProtocol
import NIOCore

/// Connect's group protocol bytes (Java's `ConnectProtocol`, protocol type `connect`), version 0, the EAGER
/// protocol Kafka names `default`: a member's metadata is `version INT16, url STRING, config-offset INT64`; an
/// assignment is `version INT16, error INT16, leader STRING, leader-url STRING, config-offset INT64,
/// [connector STRING, tasks [INT32]]`, where task -1 stands for the connector itself. Classic (non-compact)
/// encodings, big-endian, as Java's `Struct` writes them. Pure values: anyone may use them.
enum ConnectProtocol {
    static let protocolType = "connect"
    /// The EAGER protocol's name (`connect.protocol=eager`).
    static let eager = "default"
    static let version: Int16 = 0
    /// The task number that stands for the connector instance.
    static let connectorTask: Int32 = -1

    /// A member's metadata: its REST URL and how far it has read the config topic.
    struct WorkerState: Sendable, Equatable {
        var url: String
        var configOffset: Int64
    }

    /// What the leader tells a member: its connectors and tasks, the leader, and the config offset the assignment
    /// was computed at.
    struct Assignment: Sendable, Equatable {
        /// 0, or 1 (CONFIG_MISMATCH): the leader could not read the config topic as far as a member had.
        var error: Int16
        var leader: String
        var leaderURL: String
        var configOffset: Int64
        var connectors: [String]
        var tasks: [ConnectorTaskID]

        static let noError: Int16 = 0
        static let configMismatch: Int16 = 1
    }

    static func encode(_ state: WorkerState) -> [UInt8] {
        var buffer = ByteBuffer()
        buffer.writeInteger(version)
        buffer.writeKafkaString(state.url, compact: false)
        buffer.writeInteger(state.configOffset)
        return Array(buffer.readableBytesView)
    }

    static func decodeWorkerState(_ bytes: [UInt8]) throws(ProtocolError) -> WorkerState {
        var buffer = ByteBuffer(bytes: bytes)
        guard let version = buffer.readInteger(as: Int16.self), version >= 0 else {
            throw .truncated(field: "connect protocol version")
        }
        let url = try buffer.readKafkaString(compact: false, field: "url")
        guard let offset = buffer.readInteger(as: Int64.self) else { throw .truncated(field: "config-offset") }
        return WorkerState(url: url, configOffset: offset)
    }

    static func encode(_ assignment: Assignment) -> [UInt8] {
        var buffer = ByteBuffer()
        buffer.writeInteger(version)
        buffer.writeInteger(assignment.error)
        buffer.writeKafkaString(assignment.leader, compact: false)
        buffer.writeKafkaString(assignment.leaderURL, compact: false)
        buffer.writeInteger(assignment.configOffset)
        // Grouped by connector: the connector itself (-1) first, then its tasks, as Java's serializer lists them.
        var names = assignment.connectors
        for task in assignment.tasks where !names.contains(task.connector) { names.append(task.connector) }
        buffer.writeKafkaArray(names, compact: false) { buffer, name in
            buffer.writeKafkaString(name, compact: false)
            let tasks =
                (assignment.connectors.contains(name) ? [connectorTask] : [])
                + assignment.tasks.filter { $0.connector == name }.map { Int32($0.task) }
            buffer.writeKafkaArray(tasks, compact: false) { $0.writeInteger($1) }
        }
        return Array(buffer.readableBytesView)
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
        var assignment = Assignment(
            error: error,
            leader: leader,
            leaderURL: leaderURL,
            configOffset: offset,
            connectors: [],
            tasks: []
        )
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
        for (name, tasks) in entries {
            for task in tasks {
                if task == connectorTask {
                    assignment.connectors.append(name)
                } else {
                    assignment.tasks.append(ConnectorTaskID(name, Int(task)))
                }
            }
        }
        return assignment
    }
}
