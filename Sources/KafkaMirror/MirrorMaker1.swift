import KafkaClient
public import KafkaCore
import KafkaProtocol
public import Logging
import NIOCore
import Synchronization

/// Kafka's MirrorMaker 1 (`kafka-mirror-maker.sh`, `kafka.tools.MirrorMaker`), for users who ask for exactly
/// that: `num.streams` consumers of one group on the source, subscribed to the topics the `include` regex
/// matches, share one producer to the target; every record is sent to the topic of the same name with its key,
/// value, headers and timestamp (the partition is chosen on the target by key hash, so offsets are neither kept
/// nor translated — MirrorMaker 2's work). Delivery is at least once: every `offset.commit.interval.ms`, and
/// before partitions are revoked or the process stops, the producer is flushed and only then are the consumed
/// offsets committed. A failed send stops the mirror without committing past it (`abort.on.send.failure=true`,
/// the default) or is logged and skipped.
///
/// As in Kafka 2.8: the consumers never auto-commit and are named `<group>-<i>`; the producer waits for
/// `acks=all` and, unless configured otherwise, retries for as long as it takes. Lifecycle: made, `run` once
/// (returns after `stop`, or throws the first failed send), from any task.
public final class MirrorMaker1: Sendable {
    public struct Options: Sendable {
        public var consumerProperties: [String: String]
        public var producerProperties: [String: String]
        /// A regular expression the whole topic name must match (`--include`, once `--whitelist`).
        public var include: String
        public var numStreams = 1
        public var offsetCommitIntervalMs: Int64 = 60_000
        public var abortOnSendFailure = true

        public init(consumerProperties: [String: String], producerProperties: [String: String], include: String) {
            self.consumerProperties = consumerProperties
            self.producerProperties = producerProperties
            self.include = include
        }
    }

    let options: Options
    let consumerConfigurations: [ConsumerConfiguration]
    let producer: KafkaProducer
    let logger: Logger
    let state = Mutex(RunState())

    struct RunState {
        var stopping = false
        var sendFailure: ProducerError?
        var sent = 0
    }

    /// Keys MirrorMaker sets itself: it always copies bytes.
    static let serializerKeys = ["key.serializer", "value.serializer", "key.deserializer", "value.deserializer"]

    public init(options: Options, logger: Logger) throws(ConfigError) {
        var consumer = options.consumerProperties
        var producer = options.producerProperties
        for key in Self.serializerKeys {
            consumer[key] = nil
            producer[key] = nil
        }
        guard let groupID = consumer["group.id"], !groupID.isEmpty else {
            throw ConfigError(key: "group.id", reason: "the consumer configuration must name the mirror's group")
        }
        consumer["enable.auto.commit"] = "false"
        func setDefault(_ key: String, _ value: String) {
            if producer[key] == nil { producer[key] = value }
        }
        setDefault("acks", "all")
        if producer["enable.idempotence"] == "false" {
            // Without sequence numbers only one request in flight keeps each partition's order.
            setDefault("max.in.flight.requests.per.connection", "1")
        }
        // Kafka's MirrorMaker waits forever (Long.MAX_VALUE); 24 days is forever enough and cannot overflow.
        setDefault("delivery.timeout.ms", "\(Int32.max)")
        setDefault("max.block.ms", "\(Int32.max)")
        var configurations: [ConsumerConfiguration] = []
        for index in 0..<max(1, options.numStreams) {
            var configuration = try ConsumerConfiguration(properties: consumer)
            configuration.client.clientID = "\(groupID)-\(index)"
            configurations.append(try configuration.validated())
        }
        self.options = options
        self.consumerConfigurations = configurations
        self.producer = try KafkaProducer(properties: producer, logger: logger)
        self.logger = logger
    }

    /// Mirrors until `stop` is called, then flushes, commits and closes; throws the first failed send when
    /// `abortOnSendFailure` (nothing past it is committed).
    public func run() async throws {
        logger.info(
            "Mirroring topics matching \(options.include) with \(consumerConfigurations.count) stream(s) of group \(consumerConfigurations[0].groupID ?? "")"
        )
        do {
            try await withThrowingTaskGroup(of: Void.self) { group in
                for configuration in consumerConfigurations {
                    group.addTask { try await self.stream(configuration) }
                }
                try await group.waitForAll()
            }
        } catch {
            stop()
            await producer.close()
            throw error
        }
        await producer.close()
        logger.info("MirrorMaker stopped after sending \(state.withLock { $0.sent }) records")
    }

    /// Asks `run` to finish: each stream flushes the producer, commits and leaves its group.
    public func stop() { state.withLock { $0.stopping = true } }

    var isStopping: Bool { state.withLock { $0.stopping } }

    /// The failure to stop for, if a send failed and the mirror aborts on one.
    func checkSends() throws(ProducerError) {
        let failure = state.withLock { state -> ProducerError? in
            guard let failure = state.sendFailure else { return nil }
            return options.abortOnSendFailure ? failure : nil
        }
        if let failure { throw failure }
    }

    /// One consumer's loop: poll, send each record, and at each commit interval flush and commit.
    private func stream(_ configuration: ConsumerConfiguration) async throws {
        let consumer = try KafkaConsumer(configuration: configuration, logger: logger)
        do {
            try await consumer.subscribe(pattern: options.include, listener: CommitOnRevoke(mirror: self))
            var nextCommit = ContinuousClock.now + .milliseconds(options.offsetCommitIntervalMs)
            while !isStopping {
                let records = try await consumer.poll(timeout: .milliseconds(200))
                for record in records { try await send(record) }
                try checkSends()
                if ContinuousClock.now >= nextCommit {
                    try await flushAndCommit(consumer)
                    nextCommit = .now + .milliseconds(options.offsetCommitIntervalMs)
                }
            }
            try await flushAndCommit(consumer)
        } catch {
            logger.error("MirrorMaker stream \(configuration.client.clientID) stopped: \(error)")
            await consumer.close()
            throw error
        }
        await consumer.close()
    }

    private func send(_ record: ConsumerRecord) async throws(ProducerError) {
        let key = record.key.map { Array($0.readableBytesView) }
        let value = record.value.map { Array($0.readableBytesView) }
        let headers = record.headers.map { (key: $0.key, value: $0.value.map { Array($0.readableBytesView) }) }
        let topic = record.topic
        try await producer.send(
            topic: topic,
            key: key,
            value: value,
            headers: headers,
            timestamp: record.timestamp
        ) { [self] result in
            switch result {
            case .success:
                state.withLock { $0.sent += 1 }
            case .failure(let error):
                let first = state.withLock { state -> Bool in
                    defer { if state.sendFailure == nil { state.sendFailure = error } }
                    return state.sendFailure == nil
                }
                if first || !options.abortOnSendFailure {
                    logger.error("MirrorMaker could not send a record to \(topic): \(error)")
                }
            }
        }
    }

    /// Waits for every record sent so far, then commits every assigned partition's position (never past a
    /// failed send).
    func flushAndCommit(_ consumer: KafkaConsumer) async throws {
        await producer.flush()
        try checkSends()
        try await consumer.commitSync()
    }
}

/// Before the group takes partitions away, everything consumed from them is flushed and committed, so the next
/// owner starts where this one stopped (MirrorMaker's `InternalRebalanceListenerForNewConsumer`).
struct CommitOnRevoke: ConsumerRebalanceListener {
    let mirror: MirrorMaker1

    func partitionsRevoked(_ partitions: [TopicPartition], consumer: KafkaConsumer) async {
        guard !partitions.isEmpty else { return }
        do {
            try await mirror.flushAndCommit(consumer)
        } catch {
            mirror.logger.warning("MirrorMaker could not commit revoked partitions: \(error)")
        }
    }

    func partitionsLost(_ partitions: [TopicPartition], consumer: KafkaConsumer) async {}
}
