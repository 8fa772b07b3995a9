import KafkaClient
import KafkaCore

/// What the sampler reads through the cluster: every group's lag in records and in seconds, and where each
/// broker's Prometheus endpoint is.
extension ConsoleCluster {
    /// Each group's lag: records behind the log ends, and seconds — now minus the timestamp of the first record
    /// the group has not consumed, the oldest over its lagging partitions (0 when it lags nowhere). Reading those
    /// timestamps costs one fetch per lagging partition, at most `secondsBudget` partitions per call; a group
    /// beyond the budget gets no seconds this time.
    func groupLags(
        secondsBudget: Int
    ) async throws -> [(store: String, group: String, records: Int64, seconds: Double?)] {
        let groups = try await allGroupOffsets()
        let ends = try await logEnds(Set(groups.flatMap(\.offsets.keys)))
        var wanted: [TopicPartition: Int64] = [:]
        for group in groups {
            for (partition, committed) in group.offsets where committed < ends[partition] ?? 0 {
                guard wanted.count < secondsBudget || wanted[partition] != nil else { continue }
                wanted[partition] = min(wanted[partition] ?? committed, committed)
            }
        }
        let stamps = try await timestamps(wanted)
        let now = ConsoleHistory.nowMs
        return groups.map { group in
            var seconds: Double? = 0
            for (partition, committed) in group.offsets where committed < ends[partition] ?? 0 {
                guard wanted[partition] == committed, let stamp = stamps[partition] else {
                    seconds = nil
                    break
                }
                seconds = max(seconds ?? 0, Double(max(0, now - stamp)) / 1000)
            }
            return (group.store, group.id, Self.lag(group.offsets, ends), seconds)
        }
    }

    /// The timestamp of the record at each partition's offset (or the first after it, across a gap).
    func timestamps(_ offsets: [TopicPartition: Int64]) async throws -> [TopicPartition: Int64] {
        guard !offsets.isEmpty else { return [:] }
        var properties = config.kafkaProperties
        properties["enable.auto.commit"] = "false"
        properties["fetch.max.wait.ms"] = "20"
        properties["max.partition.fetch.bytes"] = "65536"
        let consumer = try KafkaConsumer(properties: properties, logger: logger)
        var found: [TopicPartition: Int64] = [:]
        do {
            try await consumer.assign(Array(offsets.keys))
            for (partition, offset) in offsets { try await consumer.seek(partition, to: offset) }
            let deadline = ContinuousClock.now + .seconds(2)
            while found.count < offsets.count && ContinuousClock.now < deadline {
                for record in try await consumer.poll(timeout: .milliseconds(100))
                where found[record.topicPartition] == nil {
                    found[record.topicPartition] = record.timestamp
                    try await consumer.pause([record.topicPartition])
                }
            }
        } catch {
            await consumer.close()
            throw error
        }
        await consumer.close()
        return found
    }

    /// Each live broker's metrics URL: `console.broker.metrics.urls`, else its `metrics.port` on its host (asked
    /// once per broker and remembered; a broker without one has none).
    func metricsEndpoints() async -> [Int32: String] {
        guard let description = try? await admin.describeCluster() else { return [:] }
        var endpoints: [Int32: String] = [:]
        for (id, address) in description.brokers {
            if let configured = config.brokerMetricsURLs[id] {
                endpoints[id] = configured
                continue
            }
            if discoveredMetrics[id] == nil {
                let resource = ConfigResource(.broker, String(id))
                let entries = try? await admin.describeConfigs([resource])[resource]?.get()
                let port = entries?.first { $0.name == "metrics.port" }?.value.flatMap { Int($0) } ?? -1
                discoveredMetrics[id] = port > 0 ? "http://\(address.host):\(port)/metrics" : ""
            }
            if let url = discoveredMetrics[id], !url.isEmpty { endpoints[id] = url }
        }
        return endpoints
    }
}
