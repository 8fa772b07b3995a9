import Foundation
import KafkaClient
import KafkaConnect

/// The distributed herder's loop: it reads the config topic, notices what changed since it last acted, rejoins
/// the group when the set of connectors or their committed tasks changed (EAGER: everything this worker runs is
/// stopped first, each task committing its offsets), and runs its new assignment. The leader computes every
/// member's assignment here too.
extension DistributedHerder {
    /// Creates or reads the internal topics, then starts the loop.
    public func start() async throws {
        try await configs.start()
        try await offsetStore.start()
        try await statuses.start()
        snapshot = await configs.snapshot
        loop = Task { await self.runLoop() }
        logger.info(
            "Distributed worker started",
            metadata: ["group": "\(settings.groupID)", "url": "\(url)", "config.offset": "\(snapshot.offset)"]
        )
    }

    /// Stops every task (each commits its offsets), leaves the group and closes the internal topics.
    public func stop() async {
        stopping = true
        loop?.cancel()
        await loop?.value
        await stopAllWork()
        await member.stop()
        await configs.stop()
        await offsetStore.stop()
        await statuses.stop()
        member.cluster.close()
    }

    func runLoop() async {
        applied = snapshot
        while !stopping && !Task.isCancelled {
            do {
                await member.polled()
                let current = try await configs.refresh().after
                snapshot = current
                // What this worker writes while acting (task configurations) shows as a change next time.
                await apply(from: applied, to: current)
                applied = current
                if await member.needsJoin { try await rebalance() }
            } catch {
                if stopping { return }
                logger.warning("Distributed herder: \(error)")
            }
            try? await Task.sleep(for: .milliseconds(200))
        }
    }

    /// Acts on the config topic's changes between two reads.
    func apply(from old: ConfigTopicStore.Snapshot, to new: ConfigTopicStore.Snapshot) async {
        if Set(old.connectors.keys) != Set(new.connectors.keys) || old.tasks != new.tasks {
            await member.requestRejoin()
        }
        for name in Set(old.connectors.keys).subtracting(new.connectors.keys) {
            // Deleted: what ran here stops, and its statuses are removed (Connect's DESTROYED is a tombstone).
            for id in running.keys.filter({ $0.connector == name }) {
                await stopTask(id, status: false)
                await statuses.put(StatusTopicStore.key(task: id), nil, generation: generation)
            }
            if connectors[name] != nil {
                stopConnector(name)
                await statuses.put(StatusTopicStore.key(connector: name), nil, generation: generation)
            }
        }
        guard let assignment else { return }
        for name in assignment.connectors where new.connectors[name] != nil {
            if old.connectors[name] != new.connectors[name] {
                stopConnector(name)
                await startConnector(name)
            } else if old.paused.contains(name) != new.paused.contains(name) {
                await reportConnector(name)
            }
        }
        for id in assignment.tasks where old.paused.contains(id.connector) != new.paused.contains(id.connector) {
            if new.paused.contains(id.connector) {
                await stopTask(id, status: false)
                await reportTask(id, .paused, nil)
            } else {
                startTask(id)
            }
        }
    }

    /// Gives up this worker's work, joins the group and runs what the leader assigned.
    func rebalance() async throws {
        await stopAllWork()
        assignment = nil
        let state = ConnectProtocol.WorkerState(url: url, configOffset: snapshot.offset)
        let deadline = ContinuousClock.now + .milliseconds(Int64(settings.rebalanceTimeoutMs) * 2)
        guard
            let joined = try await member.ensureActive(
                protocols: [(ConnectProtocol.eager, ConnectProtocol.encode(state))],
                deadline: deadline,
                assign: { _, members in try await self.leaderAssignment(members) }
            )
        else { return }
        let given = try ConnectProtocol.decodeAssignment(joined.assignment)
        if given.error == ConnectProtocol.Assignment.configMismatch {
            logger.warning("The leader could not read the config topic as far as a member had; rejoining")
            snapshot = try await configs.refresh().after
            await member.requestRejoin()
            return
        }
        // The assignment was computed at the leader's config offset: read at least that far before running it.
        while snapshot.offset < given.configOffset {
            guard ContinuousClock.now < deadline else {
                await member.requestRejoin()
                throw ConnectDataError("cannot read the config topic up to offset \(given.configOffset)")
            }
            try await Task.sleep(for: .milliseconds(100))
            snapshot = try await configs.refresh().after
        }
        assignment = given
        generation = joined.generationID
        applied = snapshot
        logger.info(
            "Joined the Connect group",
            metadata: [
                "generation": "\(generation)", "leader": "\(given.leaderURL)",
                "connectors": "\(given.connectors)", "tasks": "\(given.tasks.map(\.description))",
            ]
        )
        for name in given.connectors { await startConnector(name) }
        for id in given.tasks { startTask(id) }
    }

    /// The leader's part: every member's assignment, at this worker's config offset once it has read as far as
    /// every member (else CONFIG_MISMATCH for all, and they rejoin).
    func leaderAssignment(_ members: [GroupMember.Member]) async throws -> [String: [UInt8]] {
        let states = try members.map { ($0.memberID, try ConnectProtocol.decodeWorkerState($0.metadata)) }
        let newest = states.map(\.1.configOffset).max() ?? 0
        if snapshot.offset < newest { snapshot = try await configs.refresh().after }
        let leaderID = await member.memberID
        let error =
            snapshot.offset < newest ? ConnectProtocol.Assignment.configMismatch : ConnectProtocol.Assignment.noError
        let work = EagerAssignor.assign(
            members: states.map(\.0),
            taskCounts: snapshot.connectors.keys.reduce(into: [:]) { $0[$1] = snapshot.tasks[$1]?.count ?? 0 }
        )
        var encoded: [String: [UInt8]] = [:]
        memberAssignments = []
        for (memberID, state) in states {
            let assignment = ConnectProtocol.Assignment(
                error: error,
                leader: leaderID,
                leaderURL: url,
                configOffset: snapshot.offset,
                connectors: work[memberID]?.connectors ?? [],
                tasks: work[memberID]?.tasks ?? []
            )
            memberAssignments.append((state.url, assignment))
            encoded[memberID] = ConnectProtocol.encode(assignment)
        }
        return encoded
    }
}
