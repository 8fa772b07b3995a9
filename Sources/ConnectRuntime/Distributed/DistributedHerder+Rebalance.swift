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
                let current = try await configs.refresh()
                snapshot = current
                // What this worker writes while acting (task configurations) shows as a change next time.
                await apply(from: applied, to: current)
                applied = current
                await ensureSessionKey()
                if let due = rejoinAt, ContinuousClock.now >= due {
                    rejoinAt = nil
                    await member.requestRejoin()
                }
                if await member.needsJoin { try await rebalance() }
                if assignment != nil { await restartStale() }
            } catch {
                if stopping { return }
                logger.warning("Distributed herder: \(error)")
            }
            try? await Task.sleep(for: .milliseconds(200))
        }
    }

    /// The leader of a `sessioned` group writes a new session key when there is none or it is older than
    /// `inter.worker.key.ttl.ms` (Kafka's rotation); the key itself is never logged.
    func ensureSessionKey() async {
        guard sessioned, isLeader else { return }
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        if let key = snapshot.sessionKey, now - key.creationTimestamp < settings.keyTTLMs { return }
        let key = SessionKey.generate(algorithm: settings.keyGenerationAlgorithm, bits: settings.keySizeBits, now: now)
        do {
            try await configs.putSessionKey(key)
            snapshot = try await configs.refresh()
            logger.info("Session key written", metadata: ["algorithm": "\(key.algorithm)", "created": "\(now)"])
        } catch {
            logger.warning("Cannot write a session key: \(error)")
        }
    }

    /// Acts on the config topic's changes between two reads.
    func apply(from old: ConfigTopicStore.Snapshot, to new: ConfigTopicStore.Snapshot) async {
        if Set(old.connectors.keys) != Set(new.connectors.keys) || old.tasks != new.tasks {
            await member.requestRejoin()
        }
        for name in Set(old.connectors.keys).subtracting(new.connectors.keys) {
            // Deleted: what ran here stops, and its statuses are removed (Connect's DESTROYED is a tombstone).
            for id in owned.tasks where id.connector == name {
                await stopTask(id, status: false)
                await statuses.put(StatusTopicStore.key(task: id), nil, generation: generation)
            }
            if owned.connectors.contains(name) {
                stopConnector(name)
                await statuses.put(StatusTopicStore.key(connector: name), nil, generation: generation)
            }
            owned.connectors.removeAll { $0 == name }
            owned.tasks.removeAll { $0.connector == name }
        }
        guard assignment != nil else { return }
        for name in owned.connectors where new.connectors[name] != nil {
            if old.connectors[name] != new.connectors[name] {
                stopConnector(name)
                await startConnector(name)
            } else if old.paused.contains(name) != new.paused.contains(name) {
                await reportConnector(name)
            }
        }
        for id in owned.tasks where new.connectors[id.connector] != nil {
            let reconfigured = old.tasks[id.connector]?[safe: id.task] != new.tasks[id.connector]?[safe: id.task]
            if reconfigured && cooperative {
                // The cooperative protocol keeps tasks through the rebalance: restart them with their new
                // configurations here (a task beyond the new count stops and is given up).
                await stopTask(id, status: false)
                if new.tasks[id.connector]?[safe: id.task] == nil {
                    owned.tasks.removeAll { $0 == id }
                    await reportTask(id, .unassigned, nil)
                } else {
                    startTask(id)
                }
            } else if old.paused.contains(id.connector) != new.paused.contains(id.connector) {
                if new.paused.contains(id.connector) {
                    await stopTask(id, status: false)
                    await reportTask(id, .paused, nil)
                } else {
                    startTask(id)
                }
            }
        }
    }

    /// Joins the group and runs what the leader assigned: with EAGER, after giving up everything this worker
    /// ran; with the cooperative protocol, stopping only what the leader revoked and starting what it added.
    func rebalance() async throws {
        if !cooperative {
            await stopAllWork()
            owned = EagerAssignor.Work()
        }
        assignment = nil
        rejoinAt = nil
        var state = ConnectProtocol.WorkerState(url: url, configOffset: snapshot.offset)
        var protocols = [(name: ConnectProtocol.eager, metadata: ConnectProtocol.encode(state, version: 0))]
        if cooperative {
            state.allocation = ConnectProtocol.Assignment(
                version: 1,
                error: 0,
                leader: "",
                leaderURL: "",
                configOffset: snapshot.offset,
                connectors: owned.connectors,
                tasks: owned.tasks
            )
            protocols.insert((ConnectProtocol.cooperative, ConnectProtocol.encode(state, version: 1)), at: 0)
            if settings.connectProtocol == ConnectProtocol.sessioned {
                protocols.insert((ConnectProtocol.sessioned, ConnectProtocol.encode(state, version: 2)), at: 0)
            }
        }
        let deadline = ContinuousClock.now + .milliseconds(Int64(settings.rebalanceTimeoutMs) * 2)
        guard
            let joined = try await member.ensureActive(
                protocols: protocols,
                deadline: deadline,
                assign: { name, members in try await self.leaderAssignment(protocol: name, members) }
            )
        else { return }
        let given = try ConnectProtocol.decodeAssignment(joined.assignment)
        if given.error == ConnectProtocol.Assignment.configMismatch {
            logger.warning("The leader could not read the config topic as far as a member had; rejoining")
            snapshot = try await configs.refresh()
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
            snapshot = try await configs.refresh()
        }
        assignment = given
        generation = joined.generationID
        protocolName = joined.protocolName
        applied = snapshot
        for id in given.revokedTasks { await stopTask(id, status: true) }
        for name in given.revokedConnectors where owned.connectors.contains(name) {
            stopConnector(name)
            await statuses.put(
                StatusTopicStore.key(connector: name),
                ConnectorStatus(state: .unassigned, trace: nil, workerID: worker.workerID),
                generation: generation
            )
        }
        owned.connectors.removeAll { given.revokedConnectors.contains($0) }
        owned.tasks.removeAll { given.revokedTasks.contains($0) }
        let addedConnectors = given.connectors.filter { !owned.connectors.contains($0) }
        let addedTasks = given.tasks.filter { !owned.tasks.contains($0) }
        owned.connectors += addedConnectors
        owned.tasks += addedTasks
        logger.info(
            "Joined the Connect group",
            metadata: [
                "generation": "\(generation)", "protocol": "\(joined.protocolName)", "leader": "\(given.leaderURL)",
                "connectors": "\(owned.connectors)", "tasks": "\(owned.tasks.map { $0.description })",
                "revoked": "\(given.revokedConnectors + given.revokedTasks.map { $0.description })",
                "delay": "\(given.delay)",
            ]
        )
        await ensureSessionKey()
        for name in addedConnectors { await startConnector(name) }
        for id in addedTasks { startTask(id) }
        // Revoked work is dealt out at the next rebalance, which the revoking member asks for at once; a delay
        // is the leader's wait for a departed worker to come back.
        if !given.revokedConnectors.isEmpty || !given.revokedTasks.isEmpty { await member.requestRejoin() }
        if given.delay > 0 { rejoinAt = .now + .milliseconds(Int64(given.delay)) }
    }

    /// The leader's part: every member's assignment, at this worker's config offset once it has read as far as
    /// every member (else CONFIG_MISMATCH for all, and they rejoin).
    func leaderAssignment(protocol name: String, _ members: [GroupMember.Member]) async throws -> [String: [UInt8]] {
        let states = try members.map { ($0.memberID, try ConnectProtocol.decodeWorkerState($0.metadata)) }
        let newest = states.map(\.1.configOffset).max() ?? 0
        if snapshot.offset < newest { snapshot = try await configs.refresh() }
        let leaderID = await member.memberID
        let mismatch = snapshot.offset < newest
        var assignment = ConnectProtocol.Assignment(
            error: mismatch ? ConnectProtocol.Assignment.configMismatch : ConnectProtocol.Assignment.noError,
            leader: leaderID,
            leaderURL: url,
            configOffset: snapshot.offset,
            connectors: [],
            tasks: []
        )
        var encoded: [String: [UInt8]] = [:]
        memberAssignments = []
        if name == ConnectProtocol.cooperative || name == ConnectProtocol.sessioned {
            assignment.version = name == ConnectProtocol.sessioned ? 2 : 1
            var result = IncrementalAssignor.Result()
            if !mismatch {
                result = incremental.assign(
                    members: Dictionary(
                        uniqueKeysWithValues: states.map { id, state in
                            (
                                id,
                                EagerAssignor.Work(
                                    connectors: state.allocation?.connectors ?? [],
                                    tasks: state.allocation?.tasks ?? []
                                )
                            )
                        }
                    ),
                    connectors: Set(snapshot.connectors.keys),
                    tasks: Set(
                        snapshot.connectors.keys.flatMap { name in
                            (snapshot.tasks[name] ?? []).indices.map { ConnectorTaskID(name, $0) }
                        }
                    ),
                    generation: await member.generationID
                )
            }
            for (id, state) in states {
                var given = assignment
                given.connectors = result.assigned[id]?.connectors ?? []
                given.tasks = result.assigned[id]?.tasks ?? []
                given.revokedConnectors = result.revoked[id]?.connectors ?? []
                given.revokedTasks = result.revoked[id]?.tasks ?? []
                given.delay = result.delay
                memberAssignments.append((state.url, result.complete[id] ?? EagerAssignor.Work()))
                encoded[id] = ConnectProtocol.encode(given)
            }
            return encoded
        }
        let work = EagerAssignor.assign(
            members: states.map(\.0),
            taskCounts: snapshot.connectors.keys.reduce(into: [:]) { $0[$1] = snapshot.tasks[$1]?.count ?? 0 }
        )
        for (id, state) in states {
            var given = assignment
            given.connectors = work[id]?.connectors ?? []
            given.tasks = work[id]?.tasks ?? []
            memberAssignments.append((state.url, work[id] ?? EagerAssignor.Work()))
            encoded[id] = ConnectProtocol.encode(given)
        }
        return encoded
    }
}
