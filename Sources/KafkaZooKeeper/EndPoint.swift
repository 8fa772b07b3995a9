/// A listener a broker accepts connections on, as written in its registration: `LISTENER_NAME://host:port`
/// (an IPv6 host in brackets, an empty host allowed).
public struct EndPoint: Sendable, Hashable, CustomStringConvertible {
    public var listenerName: String
    public var host: String
    public var port: Int32
    public var securityProtocol: String

    public init(listenerName: String, host: String, port: Int32, securityProtocol: String? = nil) {
        self.listenerName = listenerName.uppercased()
        self.host = host
        self.port = port
        self.securityProtocol = securityProtocol ?? listenerName.uppercased()
    }

    /// Parses `NAME://host:port`; nil when it is not of that form.
    public init?(_ text: String, securityProtocolMap: [String: String] = [:]) {
        guard let separator = text.range(of: "://") else { return nil }
        let name = String(text[..<separator.lowerBound]).uppercased()
        let rest = text[separator.upperBound...]
        guard let colon = rest.lastIndex(of: ":"), let port = Int32(rest[rest.index(after: colon)...]) else {
            return nil
        }
        var host = String(rest[..<colon])
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        self.init(listenerName: name, host: host, port: port, securityProtocol: securityProtocolMap[name])
    }

    public var description: String {
        let shownHost = host.contains(":") ? "[\(host)]" : host
        return "\(listenerName)://\(shownHost):\(port)"
    }
}
