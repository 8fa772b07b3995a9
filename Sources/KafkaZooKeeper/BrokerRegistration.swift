import Foundation

/// `/brokers/ids/<id>` (ephemeral): a live broker and its listeners, written as Kafka 2.8 with
/// inter.broker.protocol.version 2.8 writes it, version 5:
///
///     {"endpoints":["PLAINTEXT://h:9092"],"features":{},"host":"h","jmx_port":-1,
///      "listener_security_protocol_map":{"PLAINTEXT":"PLAINTEXT"},"port":9092,"rack":"r1",
///      "timestamp":"1700000000000","version":5}
///
/// `host`/`port` repeat the first PLAINTEXT endpoint (null/-1 without one) for 0.8-era readers; `timestamp` is a
/// string; `rack` only when configured. Versions 1 to 5 are read. The znode's czxid is the broker epoch.
public struct BrokerRegistration: Sendable, Equatable {
    public var id: Int32
    public var endpoints: [EndPoint]
    public var rack: String?
    public var jmxPort: Int32 = -1
    public var timestamp: Int64
    /// Set when read: the registration znode's creation transaction id (KIP-380).
    public var epoch: Int64?

    public init(id: Int32, endpoints: [EndPoint], rack: String? = nil, timestamp: Int64, epoch: Int64? = nil) {
        self.id = id
        self.endpoints = endpoints
        self.rack = rack
        self.timestamp = timestamp
        self.epoch = epoch
    }

    public var path: String { ZkPaths.broker(id) }

    public func encode() -> [UInt8] {
        let plaintext = endpoints.first { $0.securityProtocol == "PLAINTEXT" }
        var object: [String: Any] = [
            "version": 5,
            "endpoints": endpoints.map(\.description),
            "listener_security_protocol_map": Dictionary(
                endpoints.map { ($0.listenerName, $0.securityProtocol) },
                uniquingKeysWith: { first, _ in first }
            ),
            "jmx_port": jmxPort,
            "timestamp": String(timestamp),
            "features": [String: Any](),
            "host": plaintext.map { $0.host as Any } ?? NSNull(),
            "port": plaintext?.port ?? -1,
        ]
        if let rack { object["rack"] = rack }
        return ZNodeJSON.encode(object)
    }

    public static func decode(
        id: Int32,
        _ bytes: [UInt8]?,
        epoch: Int64? = nil
    ) throws(ZNodeError) -> BrokerRegistration {
        let path = ZkPaths.broker(id)
        let object = try ZNodeJSON.decode(bytes, path: path)
        guard let version = ZNodeJSON.int(object["version"]), version >= 1 else {
            throw .unsupportedVersion(path: path, version: ZNodeJSON.int(object["version"]) ?? 0)
        }
        let timestamp = ZNodeJSON.int(object["timestamp"]) ?? -1
        var endpoints: [EndPoint] = []
        if version == 1 {
            guard let host = object["host"] as? String, let port = ZNodeJSON.int(object["port"]) else {
                throw .malformed(path: path, reason: "version 1 without host and port")
            }
            endpoints = [EndPoint(listenerName: "PLAINTEXT", host: host, port: Int32(port))]
        } else {
            let map = object["listener_security_protocol_map"] as? [String: String] ?? [:]
            for text in object["endpoints"] as? [String] ?? [] {
                guard let endpoint = EndPoint(text, securityProtocolMap: map) else {
                    throw .malformed(path: path, reason: "bad endpoint \(text)")
                }
                endpoints.append(endpoint)
            }
        }
        var registration = BrokerRegistration(
            id: id,
            endpoints: endpoints,
            rack: object["rack"] as? String,
            timestamp: timestamp,
            epoch: epoch
        )
        registration.jmxPort = Int32(ZNodeJSON.int(object["jmx_port"]) ?? -1)
        return registration
    }
}
