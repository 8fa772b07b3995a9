import KafkaCore
import KafkaReplication
import KafkaStorage
import KafkaTestSupport
import Logging
import NIOPosix

extension ReplicaManager {
    /// A broker's replica manager on real log directories (made as needed), with a manual clock, the shared event
    /// loops for its timers and `logger` — by default one that says nothing below critical. For this target's tests.
    static func onDisk(
        brokerID: BrokerID,
        logDirectories: [String],
        logger: Logger = .quiet("replication-test")
    ) throws -> ReplicaManager {
        let logManager = try LogManager(
            configuration: .init(logDirectories: logDirectories),
            clock: ManualClock(),
            logger: logger
        )
        return ReplicaManager(
            brokerID: brokerID,
            logManager: logManager,
            logger: logger,
            timers: MultiThreadedEventLoopGroup.singleton
        )
    }
}

extension Logger {
    /// A logger that says nothing below critical, for tests whose failures are told by their expectations.
    static func quiet(_ label: String) -> Logger {
        var logger = Logger(label: label)
        logger.logLevel = .critical
        return logger
    }
}
