import Glibc

/// Kafka's configuration providers (KIP-297, read by brokers since KIP-421): a value written `${provider:path:key}`
/// is replaced, when the configuration is loaded, by what the named provider finds, so a properties file (or a
/// container's environment) names where a secret lives instead of holding it. Configured as Kafka configures them:
///
///     config.providers=file,dir
///     config.providers.file.class=org.apache.kafka.common.config.provider.FileConfigProvider
///     config.providers.dir.class=org.apache.kafka.common.config.provider.DirectoryConfigProvider
///     listener.name.external.plain.sasl.jaas.config=${file:/run/secrets/broker.properties:plain.jaas}
///     ssl.key.password=${dir:/run/secrets:ssl-key-password}
///
/// `FileConfigProvider` reads `key` from the Java properties file at `path`; `DirectoryConfigProvider` reads the
/// whole file named `key` in the directory `path` (trailing newline kept, as Kafka keeps it). A variable naming a
/// provider that is not configured stays as written, as in Kafka; one whose file or key cannot be read is an error
/// naming the key being configured and the file, never the value. A pure function of its input and the files.
public enum ConfigProviders {
    public static let fileProvider = "org.apache.kafka.common.config.provider.FileConfigProvider"
    public static let directoryProvider = "org.apache.kafka.common.config.provider.DirectoryConfigProvider"

    public struct Failure: Error, Sendable, Equatable, CustomStringConvertible {
        public var key: String
        public var reason: String
        public var description: String { "Invalid value for configuration \(key): \(reason)" }
    }

    /// Whether `key` configures the providers themselves (`config.providers`, `config.providers.<name>.…`).
    public static func isProviderKey(_ key: String) -> Bool {
        key == "config.providers" || key.hasPrefix("config.providers.")
    }

    /// `values` with every `${provider:path:key}` of a configured provider replaced.
    public static func resolve(_ values: [String: String]) throws(Failure) -> [String: String] {
        guard let names = values["config.providers"], !names.isEmpty else { return values }
        var providers: [String: String] = [:]
        for name in names.split(separator: ",").map({ String($0).trimmingWhitespace }) where !name.isEmpty {
            let classKey = "config.providers.\(name).class"
            guard let className = values[classKey]?.trimmingWhitespace else {
                throw Failure(key: classKey, reason: "is required for the config provider \(name)")
            }
            guard className == fileProvider || className == directoryProvider else {
                throw Failure(key: classKey, reason: "\(className) is not a known config provider")
            }
            providers[name] = className
        }
        var resolved = values
        var cache: [String: [String: String]] = [:]
        for (key, value) in values where !isProviderKey(key) && value.contains("${") {
            resolved[key] = try substitute(value, key: key, providers: providers, cache: &cache)
        }
        return resolved
    }

    private static func substitute(
        _ value: String,
        key: String,
        providers: [String: String],
        cache: inout [String: [String: String]]
    ) throws(Failure) -> String {
        var result = ""
        var rest = Substring(value)
        while let open = rest.firstRange(of: "${"), let close = rest[open.upperBound...].firstIndex(of: "}") {
            result += rest[..<open.lowerBound]
            let variable = rest[open.upperBound..<close]
            rest = rest[rest.index(after: close)...]
            let parts = variable.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
            guard parts.count == 2, let provider = providers[String(parts[0])] else {
                result += "${\(variable)}"
                continue
            }
            // `${provider:path:key}`: the key follows the last colon (a path may hold colons, a key may not).
            let pathAndKey = parts[1]
            guard let lastColon = pathAndKey.lastIndex(of: ":") else {
                throw Failure(key: key, reason: "${\(parts[0]):…} needs a path and a key")
            }
            let path = String(pathAndKey[..<lastColon])
            let name = String(pathAndKey[pathAndKey.index(after: lastColon)...])
            if provider == directoryProvider {
                let file = path.hasSuffix("/") ? path + name : path + "/" + name
                guard let text = readFile(file) else {
                    throw Failure(key: key, reason: "cannot read \(file) (DirectoryConfigProvider)")
                }
                result += text
            } else {
                if cache[path] == nil {
                    guard let text = readFile(path) else {
                        throw Failure(key: key, reason: "Could not read properties from file \(path)")
                    }
                    cache[path] = Dictionary(
                        JavaProperties.parse(text).map { ($0.key, $0.value) },
                        uniquingKeysWith: { $1 }
                    )
                }
                guard let found = cache[path]?[name] else {
                    throw Failure(key: key, reason: "\(path) has no key \(name) (FileConfigProvider)")
                }
                result += found
            }
        }
        return result + rest
    }

    private static func readFile(_ path: String) -> String? {
        guard let file = fopen(path, "rb") else { return nil }
        defer { fclose(file) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = fread(&chunk, 1, chunk.count, file)
            if count > 0 { bytes += chunk[0..<count] }
            if count < chunk.count { break }
        }
        guard ferror(file) == 0 else { return nil }
        return String(decoding: bytes, as: UTF8.self)
    }
}

extension String {
    fileprivate var trimmingWhitespace: String {
        String(drop { $0 == " " || $0 == "\t" }.reversed().drop { $0 == " " || $0 == "\t" }.reversed())
    }
}
