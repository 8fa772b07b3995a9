import KafkaCore

extension ConfigTable {
    /// Keys Kafka 2.8 defines that this broker accepts, validates by type and shows with their values, but does not
    /// act on (threads, socket buffers, features still to come). Kafka's files and tools work unchanged with them; a
    /// row moves to its section when the broker starts to act on it.
    static let acceptedOnly: [ConfigKey] = [
        .accepted("num.network.threads", default: Int32(3), .atLeast(1), "Kafka's network threads; NIO sizes its own."),
        .accepted("num.io.threads", default: Int32(8), .atLeast(1), "Kafka's request handler threads."),
        .accepted("num.recovery.threads.per.data.dir", default: Int32(1), .atLeast(1), "Kafka's log recovery threads."),
        .accepted("num.replica.fetchers", default: Int32(1), "Kafka's fetcher threads per source broker."),
        .accepted("queued.max.requests", default: Int32(500), .atLeast(1), "Kafka's request queue length."),
        .accepted("socket.send.buffer.bytes", default: Int32(102_400), "SO_SNDBUF of client sockets."),
        .accepted("socket.receive.buffer.bytes", default: Int32(102_400), "SO_RCVBUF of client sockets."),
        .accepted("replica.socket.timeout.ms", default: Int32(30_000), "The followers' socket timeout."),
        .accepted("fetch.max.bytes", default: Int32(57_671_680), .atLeast(0), "The most one consumer fetch returns."),
        .accepted("log.dir", default: "/tmp/kafka-logs", "The log directory when log.dirs is not set."),
        .accepted("log.cleaner.threads", default: Int32(1), .atLeast(0), "Kafka's log cleaner threads."),
        .accepted(
            "compression.type",
            topic: "compression.type",
            default: "producer",
            "The codec of stored batches; batches are kept as the producer compressed them."
        ),
        .accepted("log.preallocate", topic: "preallocate", default: false, "Preallocate segment files."),
        .accepted(
            "log.message.downconversion.enable",
            topic: "message.downconversion.enable",
            default: true,
            "Down-convert batches for old fetch versions."
        ),
        .accepted(
            "log.message.format.version",
            topic: "message.format.version",
            default: "2.8-IV1",
            "The record format written (always v2)."
        ),
        .accepted(nil, topic: "segment.jitter.ms", default: Int64(0), .atLeast(0), "Random jitter of segment rolls."),
        .accepted(
            nil,
            topic: "leader.replication.throttled.replicas",
            default: "",
            "Replicas whose leader-side replication is throttled."
        ),
        .accepted(
            nil,
            topic: "follower.replication.throttled.replicas",
            default: "",
            "Replicas whose follower-side replication is throttled."
        ),
        .accepted("inter.broker.protocol.version", default: "2.8-IV1", "The inter-broker protocol (Kafka 2.8)."),
        .accepted(
            "offsets.commit.required.acks",
            default: Int16(-1),
            "Acks of offset commits (deprecated in Kafka)."
        ),
        .accepted(
            "offsets.topic.segment.bytes",
            default: Int32(104_857_600),
            .atLeast(1),
            "segment.bytes of __consumer_offsets."
        ),
    ]
}
