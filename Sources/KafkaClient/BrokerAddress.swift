/// Where a broker listens: a host name or address and a port, as `bootstrap.servers` and Metadata name them.
public struct BrokerAddress: Hashable, Sendable, CustomStringConvertible {
    public var host: String
    public var port: Int

    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    public var description: String { "\(host):\(port)" }

    /// A `host:port,host:port` list (`bootstrap.servers`, `--bootstrap-server`); IPv6 hosts as `[::1]:9092`.
    /// Throws `InvalidList` naming the first entry that is not `host:port`.
    public static func parseList(_ text: String) throws(InvalidList) -> [BrokerAddress] {
        var addresses: [BrokerAddress] = []
        for entry in text.split(separator: ",") {
            let entry = entry.trimmingWhitespace()
            guard let colon = entry.lastIndex(of: ":"), let port = Int(entry[entry.index(after: colon)...]),
                (0...65535).contains(port), colon > entry.startIndex
            else { throw InvalidList(entry: String(entry)) }
            var host = entry[..<colon]
            if host.hasPrefix("["), host.hasSuffix("]") { host = host.dropFirst().dropLast() }
            addresses.append(BrokerAddress(host: String(host), port: port))
        }
        guard !addresses.isEmpty else { throw InvalidList(entry: "") }
        return addresses
    }

    public struct InvalidList: Error, CustomStringConvertible {
        public var entry: String
        public var description: String { entry.isEmpty ? "is empty" : "'\(entry)' is not host:port" }
    }
}

extension Substring {
    fileprivate func trimmingWhitespace() -> Substring {
        var text = self
        while text.first?.isWhitespace == true { text = text.dropFirst() }
        while text.last?.isWhitespace == true { text = text.dropLast() }
        return text
    }
}
