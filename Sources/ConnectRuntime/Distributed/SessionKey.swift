import Avro
import Crypto
import Foundation

/// KIP-507's session key: a secret the leader of a `sessioned` group generates and writes to the config topic
/// (`session-key` → `{"key":"<base64>","algorithm":"HmacSHA256","creation-timestamp":<ms>}`, as Java's
/// `KafkaConfigBackingStore` writes it), which every worker reads; internal requests between workers (task
/// configurations handed to the leader) carry the HMAC of their body under it in `X-Connect-Authorization`
/// (base64) with the algorithm in `X-Connect-Request-Signature-Algorithm`, and the leader refuses requests without
/// a valid one. The key is never logged. A value; any thread.
struct SessionKey: Sendable, Equatable {
    static let signatureHeader = "X-Connect-Authorization"
    static let algorithmHeader = "X-Connect-Request-Signature-Algorithm"
    /// The MAC algorithms the worker knows, by Java's names.
    static let algorithms = ["HmacSHA256", "HmacSHA384", "HmacSHA512"]

    var key: [UInt8]
    var algorithm: String
    var creationTimestamp: Int64

    /// A new random key of `bits` bits (Java's `KeyGenerator` default for HmacSHA256 is 256).
    static func generate(algorithm: String, bits: Int, now: Int64) -> SessionKey {
        let key = SymmetricKey(size: SymmetricKeySize(bitCount: bits))
        return SessionKey(key: key.withUnsafeBytes { Array($0) }, algorithm: algorithm, creationTimestamp: now)
    }

    /// The config topic record's value.
    var recordValue: [UInt8] {
        let json = JSONValue.object(
            JSONObject([
                ("key", .string(Data(key).base64EncodedString())),
                ("algorithm", .string(algorithm)),
                ("creation-timestamp", .number(JSONNumber(String(creationTimestamp)))),
            ])
        )
        return Array(json.compactText.utf8)
    }

    /// A `session-key` record's value read back (nil when it is not one).
    init?(record json: JSONValue) {
        guard let text = json["key"]?.stringValue, let key = Data(base64Encoded: text),
            let algorithm = json["algorithm"]?.stringValue,
            let created = json["creation-timestamp"]?.numberText.flatMap({ Int64($0) })
        else { return nil }
        self.init(key: Array(key), algorithm: algorithm, creationTimestamp: created)
    }

    init(key: [UInt8], algorithm: String, creationTimestamp: Int64) {
        self.key = key
        self.algorithm = algorithm
        self.creationTimestamp = creationTimestamp
    }

    /// The signature of `body` with `algorithm` (one of `algorithms`), nil for an algorithm this worker lacks.
    static func sign(_ body: [UInt8], key: [UInt8], algorithm: String) -> [UInt8]? {
        let secret = SymmetricKey(data: key)
        switch algorithm {
        case "HmacSHA256": return Array(HMAC<SHA256>.authenticationCode(for: body, using: secret))
        case "HmacSHA384": return Array(HMAC<SHA384>.authenticationCode(for: body, using: secret))
        case "HmacSHA512": return Array(HMAC<SHA512>.authenticationCode(for: body, using: secret))
        default: return nil
        }
    }

    /// The headers that sign `body` with this key.
    func headers(signing body: [UInt8], algorithm signatureAlgorithm: String) -> [(String, String)] {
        let signature = Self.sign(body, key: key, algorithm: signatureAlgorithm) ?? []
        return [
            (Self.signatureHeader, Data(signature).base64EncodedString()),
            (Self.algorithmHeader, signatureAlgorithm),
        ]
    }

    /// Kafka's checks of an internal request's signature (`DistributedHerder.putTaskConfigs`), in its order and
    /// with its messages: missing → 400, an algorithm not in `verification` → 400, a wrong signature → 403.
    func verify(
        body: [UInt8],
        signature: String?,
        algorithm: String?,
        verification: [String]
    ) throws(HerderError) {
        guard let signature, let algorithm else {
            throw .badRequest("Internal request missing required signature")
        }
        guard verification.contains(algorithm), Self.algorithms.contains(algorithm) else {
            throw .badRequest(
                "This worker does not support the '\(algorithm)' key signing algorithm used by other workers. "
                    + "This worker is currently configured to use: [\(verification.joined(separator: ", "))]. "
                    + "Check that all workers' configuration files permit the same set of signature algorithms, "
                    + "and correct any misconfigured worker and restart it."
            )
        }
        guard let given = Data(base64Encoded: signature),
            let expected = Self.sign(body, key: key, algorithm: algorithm),
            Array(given).count == expected.count,
            zip(Array(given), expected).reduce(0, { $0 | ($1.0 ^ $1.1) }) == 0
        else {
            throw .forbidden("Internal request contained invalid signature.")
        }
    }
}
