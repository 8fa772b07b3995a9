import KafkaController
import KafkaCore
import KafkaProtocol
import KafkaTestSupport
import KafkaZooKeeper
import Logging
import Synchronization
import Testing
import ZooKeeper

/// The controller's requests to brokers, recorded instead of sent; every request is answered with no error.
final class RecordingBrokerChannel: BrokerChannel {
    enum Sent: Sendable {
        case leaderAndIsr(BrokerID, LeaderAndIsrRequest)
        case updateMetadata(BrokerID, UpdateMetadataRequest)
        case stopReplica(BrokerID, StopReplicaRequest)
    }

    private let sent = Mutex<[Sent]>([])
    private let refusing = Mutex<Set<BrokerID>>([])

    var all: [Sent] { sent.withLock { $0 } }

    /// Brokers that answer StopReplica with KAFKA_STORAGE_ERROR for every partition (a failed log directory).
    func refuseStopReplica(on brokers: Set<BrokerID>) { refusing.withLock { $0 = brokers } }

    func send(_ request: LeaderAndIsrRequest, to broker: BrokerRegistration) async throws -> LeaderAndIsrResponse {
        sent.withLock { $0.append(.leaderAndIsr(broker.id, request)) }
        return LeaderAndIsrResponse()
    }

    func send(_ request: UpdateMetadataRequest, to broker: BrokerRegistration) async throws -> UpdateMetadataResponse {
        sent.withLock { $0.append(.updateMetadata(broker.id, request)) }
        return UpdateMetadataResponse()
    }

    func send(_ request: StopReplicaRequest, to broker: BrokerRegistration) async throws -> StopReplicaResponse {
        sent.withLock { $0.append(.stopReplica(broker.id, request)) }
        let code: KafkaErrorCode = refusing.withLock { $0.contains(broker.id) } ? .kafkaStorageError : .none
        return StopReplicaResponse(
            errorCode: .none,
            partitionErrors: request.topicStates.flatMap { topic in
                topic.partitionStates.map {
                    .init(topicName: topic.topicName, partitionIndex: $0.partitionIndex, errorCode: code)
                }
            }
        )
    }

    /// The partitions named in LeaderAndIsr requests to `broker`, with the leader each request gave them.
    func leaders(sentTo broker: BrokerID) -> [TopicPartition: [BrokerID]] {
        var leaders: [TopicPartition: [BrokerID]] = [:]
        for case .leaderAndIsr(let id, let request) in all where id == broker {
            for topic in request.topicStates {
                for state in topic.partitionStates {
                    leaders[TopicPartition(topic.topicName, state.partitionIndex), default: []].append(state.leader)
                }
            }
        }
        return leaders
    }

    /// How many StopReplica requests with deletion of `partition` went to `broker`.
    func stopReplicaCount(_ partition: TopicPartition, to broker: BrokerID) -> Int {
        all.filter {
            guard case .stopReplica(let id, let request) = $0, id == broker else { return false }
            return request.topicStates.contains { topic in
                topic.topicName == partition.topic
                    && topic.partitionStates.contains { $0.partitionIndex == partition.partition && $0.deletePartition }
            }
        }.count
    }

    /// The brokers that received StopReplica with deletion for `partition`.
    func stopReplicaTargets(_ partition: TopicPartition) -> Set<BrokerID> {
        var targets: Set<BrokerID> = []
        for case .stopReplica(let id, let request) in all {
            let named = request.topicStates.contains { topic in
                topic.topicName == partition.topic
                    && topic.partitionStates.contains { $0.partitionIndex == partition.partition && $0.deletePartition }
            }
            if named { targets.insert(id) }
        }
        return targets
    }
}

/// A cluster of registrations in an in-memory ZooKeeper, and controllers on it. Each broker has its own session,
/// so expiring it removes its registration (and, if it is the controller, `/controller`). Events are handed to the
/// controllers explicitly (`process`), so a test decides exactly what the controller has seen.
final class ControllerHarness: Sendable {
    let zookeeper = InMemoryZooKeeper()
    let clock = ManualClock()
    let admin: KafkaZkClient
    private let sessions = Mutex<[BrokerID: InMemoryZooKeeper.Session]>([:])
    private let runs = Mutex<[Task<Void, Never>]>([])

    init() async throws {
        admin = KafkaZkClient(zookeeper: zookeeper.session(), clock: clock, logger: Self.logger)
        try await admin.createPersistentPaths()
    }

    static let logger: Logger = {
        var logger = Logger(label: "controller-test")
        logger.logLevel = .critical
        return logger
    }()

    /// The session of broker `id` (made on first use).
    func session(_ id: BrokerID) -> InMemoryZooKeeper.Session {
        sessions.withLock { sessions in
            if let session = sessions[id] { return session }
            let session = zookeeper.session()
            sessions[id] = session
            return session
        }
    }

    func zk(_ id: BrokerID) -> KafkaZkClient {
        KafkaZkClient(zookeeper: session(id), clock: clock, logger: Self.logger)
    }

    /// Registers broker `id` on its session; returns its broker epoch.
    @discardableResult
    func register(_ id: BrokerID) async throws -> Int64 {
        let registration = BrokerRegistration(
            id: id,
            endpoints: [EndPoint(listenerName: "PLAINTEXT", host: "127.0.0.1", port: 9090 + id)],
            timestamp: clock.milliseconds
        )
        return try await zk(id).registerBroker(registration)
    }

    /// Broker `id`'s session expires (its registration goes); `reconnect` opens a new session for it.
    func expire(_ id: BrokerID) {
        session(id).expire()
    }

    /// Broker `id` starts again: a new session replaces its expired one.
    func reconnect(_ id: BrokerID) {
        _ = sessions.withLock { $0.removeValue(forKey: id) }
    }

    /// A controller for broker `id`, its loop running.
    func controller(
        _ id: BrokerID,
        channel: RecordingBrokerChannel = RecordingBrokerChannel(),
        zookeeper: (any ZooKeeperOperations)? = nil,
        uncleanLeaderElection: Bool = false
    ) -> Controller {
        let controller = Controller(
            brokerID: id,
            zk: KafkaZkClient(zookeeper: zookeeper ?? session(id), clock: clock, logger: Self.logger),
            channel: channel,
            uncleanLeaderElectionDefault: uncleanLeaderElection,
            logger: Self.logger
        )
        let run = Task { await controller.run() }
        runs.withLock { $0.append(run) }
        return controller
    }

    func createTopic(
        _ name: String,
        _ partitions: [PartitionID: [BrokerID]],
        config: [String: String] = [:]
    )
        async throws
    {
        try await admin.createTopic(TopicAssignment(topic: name, partitions: partitions), config: config)
    }

    func state(_ topic: String, _ partition: PartitionID) async throws -> LeaderAndIsr? {
        try await admin.getPartitionState(TopicPartition(topic, partition))
    }

    /// Stops every controller loop.
    func stop() async {
        for run in runs.withLock({ $0 }) {
            run.cancel()
            await run.value
        }
    }
}

/// Waits (briefly, without sleeping a fixed time) until `condition` holds: for requests the controller hands to
/// its per-broker queues, which send them on their own tasks (and for the events their answers queue).
func settle(_ what: String, _ condition: () async throws -> Bool) async throws {
    for _ in 0..<2000 {
        if try await condition() { return }
        try await Task.sleep(for: .milliseconds(1))
    }
    Issue.record("never happened: \(what)")
}
