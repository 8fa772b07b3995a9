import ArgumentParser
import Foundation
import KafkaClient
import KafkaCore
import KafkaProtocol

/// `swiftkafka-admin reassign-partitions`: Kafka 2.8's `kafka-reassign-partitions --bootstrap-server B` with one of
/// - `--generate --topics-to-move-json-file F --broker-list 1,2,3`: F is `{"topics":[{"topic":"t"}],"version":1}`;
///   prints the current assignment and a proposed one (Kafka's assignment over the broker list, rack-aware unless
///   `--disable-rack-aware`) as reassignment JSON;
/// - `--execute --reassignment-json-file F`: F is `{"version":1,"partitions":[{"topic":"t","partition":0,
///   "replicas":[1,2],"log_dirs":["any","any"]}]}`; prints the current assignment (to save for a rollback) and
///   starts the reassignments with AlterPartitionReassignments, then the moves of replicas to the log directories
///   named in `log_dirs` (an absolute path instead of "any") with AlterReplicaLogDirs to each broker, retrying
///   a replica its broker does not host yet for `--timeout` seconds;
/// - `--verify --reassignment-json-file F`: whether each partition's reassignment and each replica's move is
///   complete;
/// - `--cancel --reassignment-json-file F`: cancels those in progress; `--list`: those in progress.
/// Output lines as Kafka 2.8's `ReassignPartitionsCommand` prints them; a partition that fails exits 1.
struct ReassignPartitionsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reassign-partitions",
        abstract: "Move partitions between brokers (kafka-reassign-partitions)."
    )

    @OptionGroup var cluster: ClusterOptions
    @Flag(help: "Propose an assignment of the topics in --topics-to-move-json-file over --broker-list.")
    var generate = false
    @Flag(help: "Start the reassignments of --reassignment-json-file.") var execute = false
    @Flag(help: "Tell whether the reassignments of --reassignment-json-file are complete.") var verify = false
    @Flag(help: "Cancel the reassignments of --reassignment-json-file.") var cancel = false
    @Flag(help: "List the reassignments in progress.") var list = false
    @Option(help: "{\"topics\":[{\"topic\":…}],\"version\":1}") var topicsToMoveJsonFile: String?
    @Option(help: "The brokers for --generate, e.g. 1,2,3.") var brokerList: String?
    @Flag(help: "--generate without the brokers' racks.") var disableRackAware = false
    @Option(help: "{\"version\":1,\"partitions\":[{\"topic\":…,\"partition\":…,\"replicas\":[…]}]}")
    var reassignmentJsonFile: String?

    func validate() throws {
        guard [generate, execute, verify, cancel, list].filter({ $0 }).count == 1 else {
            throw ValidationError("exactly one of --generate, --execute, --verify, --cancel, --list")
        }
        if generate && (topicsToMoveJsonFile == nil || brokerList == nil) {
            throw ValidationError("--generate needs --topics-to-move-json-file and --broker-list")
        }
        if (execute || verify || cancel) && reassignmentJsonFile == nil {
            throw ValidationError("--reassignment-json-file is required")
        }
    }

    func run() async throws {
        try await cluster.withClient(failurePrefix: "Error: ") { client in
            let admin = client.admin
            if generate {
                try await runGenerate(admin)
            } else if list {
                let ongoing = try await admin.listPartitionReassignments()
                print(ongoing.isEmpty ? "No partition reassignments found." : "Current partition reassignments:")
                for (partition, state) in ongoing.sorted(by: { $0.key < $1.key }) {
                    print(
                        "\(partition): replicas: \(Self.ids(state.replicas)). adding: \(Self.ids(state.adding)). "
                            + "removing: \(Self.ids(state.removing))."
                    )
                }
            } else {
                let (targets, moves) = try Self.reassignment(fromFile: reassignmentJsonFile!)
                if execute { try await runExecute(admin, targets, moves) }
                if verify { try await runVerify(admin, targets, moves) }
                if cancel { try await runCancel(admin, targets) }
            }
        }
    }

    private func runGenerate(_ admin: KafkaAdminClient) async throws {
        let topics = try Self.topicsToMove(fromFile: topicsToMoveJsonFile!)
        let ids = try Self.brokerIDs(brokerList!)
        // Rack-aware as Kafka's tool, unless asked not to: the brokers' racks from Metadata.
        let racks = disableRackAware ? [:] : try await admin.describeCluster().racks
        let brokers = ids.map { (id: $0, rack: racks[$0]) }
        let current = try await currentAssignment(admin, topics: topics)
        var proposed: [TopicPartition: [BrokerID]] = [:]
        for topic in topics {
            let partitions = current.keys.filter { $0.topic == topic }
            guard let factor = partitions.first.flatMap({ current[$0]?.count }) else {
                throw Failure("Topic \(topic) not found")
            }
            do {
                for (index, replicas) in try ReplicaAssignment.assign(
                    partitions: partitions.count,
                    replicationFactor: factor,
                    brokers: brokers
                ) {
                    proposed[TopicPartition(topic, index)] = replicas
                }
            } catch .partialRackInformation {
                throw Failure(
                    "Not all brokers have rack information. Add --disable-rack-aware in command line to make "
                        + "replica assignment without rack information."
                )
            } catch {
                throw Failure("Cannot assign \(topic) over brokers \(Self.ids(ids)): \(error)")
            }
        }
        print("Current partition replica assignment")
        print(Self.json(current))
        print("")
        print("Proposed partition reassignment configuration")
        print(Self.json(proposed))
    }

    private func runExecute(
        _ admin: KafkaAdminClient,
        _ targets: [TopicPartition: [BrokerID]],
        _ moves: [TopicPartitionReplica: String]
    ) async throws {
        let current = try await currentAssignment(admin, topics: Set(targets.keys.map(\.topic)).sorted())
        print("Current partition replica assignment\n")
        print(Self.json(current.filter { targets[$0.key] != nil }))
        print("\nSave this to use as the --reassignment-json-file option during rollback")
        let results = try await admin.alterPartitionReassignments(targets.mapValues { Optional($0) })
        try report(results, done: { "Successfully started partition reassignment\($0) for " }, failed: "start")
        if !moves.isEmpty { try await executeMoves(admin, moves) }
    }

    /// Kafka's `executeMoves`: AlterReplicaLogDirs until every replica's move has started; a replica not yet on its
    /// broker (REPLICA_NOT_AVAILABLE, the reassignment has not created it) is asked again every 100 ms.
    private func executeMoves(_ admin: KafkaAdminClient, _ moves: [TopicPartitionReplica: String]) async throws {
        let deadline = ContinuousClock.now + .seconds(cluster.timeout)
        var pending = moves
        while true {
            let results = try await admin.alterReplicaLogDirs(pending)
            let started = results.filter { $0.value == .none }.keys.sorted()
            if !started.isEmpty {
                print(
                    "Successfully started log directory move\(started.count == 1 ? "" : "s") for: "
                        + started.map(\.description).joined(separator: ",")
                )
            }
            if let (replica, error) = results.first(where: { $0.value != .none && $0.value != .replicaNotAvailable }) {
                throw Failure("Failed to alter dir for \(replica): \(AdminError(error))")
            }
            for replica in started { pending[replica] = nil }
            if pending.isEmpty { return }
            guard ContinuousClock.now < deadline else {
                throw Failure(
                    "Timed out before log directory move\(pending.count == 1 ? "" : "s") could be started for: "
                        + pending.keys.sorted().map(\.description).joined(separator: ",")
                )
            }
            try await Task.sleep(for: .milliseconds(100))
        }
    }

    private func runVerify(
        _ admin: KafkaAdminClient,
        _ targets: [TopicPartition: [BrokerID]],
        _ moves: [TopicPartitionReplica: String]
    ) async throws {
        let ongoing = try await admin.listPartitionReassignments(Array(targets.keys))
        let current = try await currentAssignment(admin, topics: Set(targets.keys.map(\.topic)).sorted())
        print("Status of partition reassignment:")
        var incomplete = false
        for (partition, target) in targets.sorted(by: { $0.key < $1.key }) {
            if ongoing[partition] != nil {
                incomplete = true
                print("Reassignment of partition \(partition) is still in progress.")
            } else if current[partition] == target {
                print("Reassignment of partition \(partition) is complete.")
            } else {
                incomplete = true
                let actual = current[partition].map(Self.ids) ?? "unknown"
                print(
                    "There is no active reassignment of partition \(partition), but replica set is \(actual) "
                        + "rather than \(Self.ids(target))."
                )
            }
        }
        if !moves.isEmpty, try await !verifyMoves(admin, moves) { incomplete = true }
        if incomplete { throw ExitCode(1) }
    }

    /// Kafka's `verifyReplicaMoves`: one line per replica; whether every move is done.
    private func verifyMoves(_ admin: KafkaAdminClient, _ moves: [TopicPartitionReplica: String]) async throws -> Bool {
        let infos = try await admin.describeReplicaLogDirs(Array(moves.keys))
        var done = true
        for (replica, target) in moves.sorted(by: { $0.key < $1.key }) {
            let (partition, broker) = (replica.partition, replica.broker)
            let info = infos[replica] ?? ReplicaLogDirInfo()
            if let future = info.futureDirectory {
                done = false
                print(
                    future == target
                        ? "Reassignment of replica \(replica) is still in progress."
                        : "Partition \(partition) on broker \(broker) is being moved to log dir \(future) instead of "
                            + "\(target)."
                )
            } else if let current = info.currentDirectory {
                if current == target {
                    print("Reassignment of replica \(replica) completed successfully.")
                } else {
                    done = false
                    print(
                        "Partition \(partition) on broker \(broker) is not being moved from log dir \(current) to \(target)."
                    )
                }
            } else {
                done = false
                print("Partition \(partition) cannot be found in any live log directory on broker \(broker).")
            }
        }
        return done
    }

    private func runCancel(_ admin: KafkaAdminClient, _ targets: [TopicPartition: [BrokerID]]) async throws {
        let results = try await admin.alterPartitionReassignments(targets.mapValues { _ in nil })
        try report(results, done: { "Successfully cancelled partition reassignment\($0) for: " }, failed: "cancel")
    }

    /// Kafka's lines for the partitions that succeeded (`done` given "" or "s") and the failures.
    private func report(
        _ results: [TopicPartition: Result<Void, AdminError>],
        done: (String) -> String,
        failed: String
    ) throws {
        let succeeded = results.filter { if case .success = $0.value { true } else { false } }.keys.sorted()
        if !succeeded.isEmpty {
            print(done(succeeded.count == 1 ? "" : "s") + succeeded.map(\.description).joined(separator: ","))
        }
        var errors: [String] = []
        for (partition, result) in results.sorted(by: { $0.key < $1.key }) {
            if case .failure(let error) = result { errors.append("\(partition): \(error)") }
        }
        if !errors.isEmpty {
            throw Failure("Unable to \(failed) partition reassignments:\n" + errors.joined(separator: "\n"))
        }
    }

    private func currentAssignment(
        _ admin: KafkaAdminClient,
        topics: [String]
    ) async throws -> [TopicPartition: [BrokerID]] {
        var current: [TopicPartition: [BrokerID]] = [:]
        for topic in try await admin.describeTopics(topics) where topic.error == .none {
            for partition in topic.partitions {
                current[TopicPartition(topic.name, partition.partition)] = partition.replicas
            }
        }
        return current
    }

    static func ids(_ ids: [BrokerID]) -> String { ids.map(String.init).joined(separator: ",") }

    static func brokerIDs(_ list: String) throws -> [BrokerID] {
        let ids = list.split(separator: ",").map { BrokerID($0.trimmingCharacters(in: .whitespaces)) }
        guard !ids.isEmpty, ids.allSatisfy({ $0 != nil }) else { throw ValidationError("--broker-list: \(list)") }
        return ids.compactMap { $0 }
    }

    /// Kafka's reassignment JSON, partitions sorted, with `log_dirs` "any" for every replica.
    static func json(_ assignment: [TopicPartition: [BrokerID]]) -> String {
        let partitions = assignment.sorted { $0.key < $1.key }.map { partition, replicas in
            "{\"topic\":\(jsonString(partition.topic)),\"partition\":\(partition.partition),\"replicas\":[\(ids(replicas))],"
                + "\"log_dirs\":[\(replicas.map { _ in "\"any\"" }.joined(separator: ","))]}"
        }
        return "{\"version\":1,\"partitions\":[\(partitions.joined(separator: ","))]}"
    }

    private static func jsonString(_ text: String) -> String {
        let data = try? JSONSerialization.data(withJSONObject: [text], options: [.withoutEscapingSlashes])
        return data.flatMap { String(data: $0, encoding: .utf8) }.map { String($0.dropFirst().dropLast()) } ?? "\"\""
    }

    /// The replicas of each partition, and the log directory of each replica given one (not "any").
    static func reassignment(
        fromFile path: String
    ) throws -> (targets: [TopicPartition: [BrokerID]], moves: [TopicPartitionReplica: String]) {
        var targets: [TopicPartition: [BrokerID]] = [:]
        var moves: [TopicPartitionReplica: String] = [:]
        for (partition, entry) in try partitionEntries(fromFile: path, option: "--reassignment-json-file") {
            guard let replicas = (entry["replicas"] as? [NSNumber])?.map(\.int32Value) else {
                throw ValidationError("--reassignment-json-file \(path): \(partition) needs a \"replicas\" list")
            }
            guard targets[partition] == nil else {
                throw ValidationError("--reassignment-json-file \(path): \(partition) appears twice")
            }
            targets[partition] = replicas
            guard let directories = entry["log_dirs"] else { continue }
            guard let directories = directories as? [String], directories.count == replicas.count else {
                throw ValidationError(
                    "Size of replicas list [\(replicas.map(String.init).joined(separator: ", "))] is different from "
                        + "size of log dirs list \(entry["log_dirs"]!) for partition \(partition)"
                )
            }
            for (broker, directory) in zip(replicas, directories) where directory != "any" {
                guard directory.hasPrefix("/") else {
                    throw ValidationError("log_dirs of \(partition): \(directory) is not an absolute path")
                }
                moves[TopicPartitionReplica(broker: broker, partition: partition)] = directory
            }
        }
        return (targets, moves)
    }

    static func topicsToMove(fromFile path: String) throws -> [String] {
        guard let data = FileManager.default.contents(atPath: path),
            let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
            let topics = object["topics"] as? [[String: Any]]
        else { throw ValidationError("--topics-to-move-json-file \(path): no \"topics\" list") }
        return try topics.map { entry in
            guard let topic = entry["topic"] as? String else {
                throw ValidationError("--topics-to-move-json-file \(path): each entry needs a \"topic\"")
            }
            return topic
        }
    }
}
