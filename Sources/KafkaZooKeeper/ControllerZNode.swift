/// `/controller` (ephemeral): which broker is the controller, `{"brokerid":1,"timestamp":"1700000000000","version":1}`
/// (the timestamp a string); and `/controller_epoch` (persistent): the controller epoch as an ASCII decimal.
public enum ControllerZNode {
    public static func encode(brokerID: Int32, timestamp: Int64) -> [UInt8] {
        ZNodeJSON.encode(["version": 1, "brokerid": brokerID, "timestamp": String(timestamp)])
    }

    public static func decode(_ bytes: [UInt8]?) throws(ZNodeError) -> Int32 {
        let object = try ZNodeJSON.decode(bytes, path: ZkPaths.controller)
        guard let id = ZNodeJSON.int(object["brokerid"]) else {
            throw .malformed(path: ZkPaths.controller, reason: "no brokerid")
        }
        return Int32(id)
    }

    public static func encodeEpoch(_ epoch: Int32) -> [UInt8] { Array(String(epoch).utf8) }

    public static func decodeEpoch(_ bytes: [UInt8]?) throws(ZNodeError) -> Int32 {
        guard let bytes, let epoch = Int32(String(decoding: bytes, as: UTF8.self)) else {
            throw .malformed(path: ZkPaths.controllerEpoch, reason: "not a decimal")
        }
        return epoch
    }
}
