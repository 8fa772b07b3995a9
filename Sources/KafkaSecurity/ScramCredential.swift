import Foundation

/// A user's SCRAM credential as Kafka stores it (`ScramCredentialUtils`): never the password, only the salt, the
/// stored key H(ClientKey), the server key and the iteration count. Its text form is the value of the mechanism's
/// key in `/config/users/<user>`'s config map, padded Base64 throughout:
/// `salt=<b64>,stored_key=<b64>,server_key=<b64>,iterations=<n>`. Made by `derive` (kafka-configs, the broker
/// behind AlterUserScramCredentials) and parsed by every broker that authenticates the user.
public struct ScramCredential: Sendable, Equatable {
    public var salt: [UInt8]
    public var storedKey: [UInt8]
    public var serverKey: [UInt8]
    public var iterations: Int

    public init(salt: [UInt8], storedKey: [UInt8], serverKey: [UInt8], iterations: Int) {
        self.salt = salt
        self.storedKey = storedKey
        self.serverKey = serverKey
        self.iterations = iterations
    }

    /// The credential for `password`: SaltedPassword = Hi(password, salt, i), ClientKey = HMAC(SaltedPassword,
    /// "Client Key"), StoredKey = H(ClientKey), ServerKey = HMAC(SaltedPassword, "Server Key").
    public static func derive(
        password: String,
        salt: [UInt8],
        iterations: Int,
        mechanism: ScramMechanism
    ) -> ScramCredential {
        from(
            saltedPassword: mechanism.saltedPassword(password, salt: salt, iterations: iterations),
            salt: salt,
            iterations: iterations,
            mechanism: mechanism
        )
    }

    /// The credential from a salted password (what AlterUserScramCredentials carries: the client ran PBKDF2).
    public static func from(
        saltedPassword: [UInt8],
        salt: [UInt8],
        iterations: Int,
        mechanism: ScramMechanism
    ) -> ScramCredential {
        let clientKey = mechanism.hmac(key: saltedPassword, Array("Client Key".utf8))
        return ScramCredential(
            salt: salt,
            storedKey: mechanism.hash(clientKey),
            serverKey: mechanism.hmac(key: saltedPassword, Array("Server Key".utf8)),
            iterations: iterations
        )
    }

    /// Kafka's salt for a new credential: the UTF-8 bytes of a random base-36 string (`ScramFormatter.secureRandomBytes`).
    public static func randomSalt() -> [UInt8] { Array(ScramNonce.random().utf8) }

    /// `salt=…,stored_key=…,server_key=…,iterations=…`.
    public var text: String {
        "salt=\(Data(salt).base64EncodedString()),stored_key=\(Data(storedKey).base64EncodedString())"
            + ",server_key=\(Data(serverKey).base64EncodedString()),iterations=\(iterations)"
    }

    /// Parses the stored form: exactly Kafka's four keys (in any order), Base64 values, iterations an integer.
    public init?(text: String) {
        var fields: [String: String] = [:]
        for entry in text.split(separator: ",") {
            guard let equals = entry.firstIndex(of: "=") else { return nil }
            fields[String(entry[..<equals])] = String(entry[entry.index(after: equals)...])
        }
        guard fields.count == 4,
            let salt = fields["salt"].flatMap({ Data(base64Encoded: $0) }),
            let storedKey = fields["stored_key"].flatMap({ Data(base64Encoded: $0) }),
            let serverKey = fields["server_key"].flatMap({ Data(base64Encoded: $0) }),
            let iterations = fields["iterations"].flatMap({ Int($0) })
        else { return nil }
        self.init(salt: Array(salt), storedKey: Array(storedKey), serverKey: Array(serverKey), iterations: iterations)
    }
}

/// Kafka's SCRAM nonces and salts: `new BigInteger(130, secureRandom).toString(36)`, a printable string with no
/// comma, 26 characters at most.
enum ScramNonce {
    static func random() -> String {
        var generator = SystemRandomNumberGenerator()
        let alphabet = Array("0123456789abcdefghijklmnopqrstuvwxyz")
        // 130 random bits in base 36: 26 digits cover them (36^26 > 2^130); leading zeros dropped as Java's does.
        var digits = (0..<26).map { _ in alphabet[Int(generator.next(upperBound: UInt8(36)))] }
        while digits.count > 1, digits.first == "0" { digits.removeFirst() }
        return String(digits)
    }
}
