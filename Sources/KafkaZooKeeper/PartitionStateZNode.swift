public import KafkaCore

/// `/brokers/topics/<t>/partitions/<p>/state` (persistent): a partition's leader and ISR,
/// `{"controller_epoch":3,"isr":[1,2,3],"leader":1,"leader_epoch":5,"version":1}`. Leader -1 means none.
/// Updates are conditional on the znode's version (`zkVersion`), which the struct carries when read.
public struct LeaderAndIsr: Sendable, Equatable {
    public static let noLeader: BrokerID = -1

    public var leader: BrokerID
    public var leaderEpoch: LeaderEpoch
    public var isr: [BrokerID]
    public var controllerEpoch: ControllerEpoch
    /// The znode's data version when read (the token for the next conditional update); -1 for a new one.
    public var zkVersion: Int32

    public init(
        leader: BrokerID,
        leaderEpoch: LeaderEpoch,
        isr: [BrokerID],
        controllerEpoch: ControllerEpoch,
        zkVersion: Int32 = -1
    ) {
        self.leader = leader
        self.leaderEpoch = leaderEpoch
        self.isr = isr
        self.controllerEpoch = controllerEpoch
        self.zkVersion = zkVersion
    }

    public func encode() -> [UInt8] {
        ZNodeJSON.encode([
            "version": 1, "leader": leader, "leader_epoch": leaderEpoch, "isr": isr,
            "controller_epoch": controllerEpoch,
        ])
    }

    public static func decode(_ bytes: [UInt8]?, path: String, zkVersion: Int32) throws(ZNodeError) -> LeaderAndIsr {
        let object = try ZNodeJSON.decode(bytes, path: path)
        guard let leader = ZNodeJSON.int(object["leader"]), let epoch = ZNodeJSON.int(object["leader_epoch"]),
            let isr = object["isr"] as? [Any], let controllerEpoch = ZNodeJSON.int(object["controller_epoch"])
        else { throw .malformed(path: path, reason: "missing leader, leader_epoch, isr or controller_epoch") }
        return LeaderAndIsr(
            leader: Int32(leader),
            leaderEpoch: Int32(epoch),
            isr: isr.compactMap { ZNodeJSON.int($0).map { Int32($0) } },
            controllerEpoch: Int32(controllerEpoch),
            zkVersion: zkVersion
        )
    }
}
