import Crypto
import CryptoExtras
import Foundation

/// SCRAM-SHA-256 and SCRAM-SHA-512 (RFC 5802, RFC 7677) as Kafka names and numbers them: the SASL mechanism names,
/// the ids of KIP-554's DescribeUserScramCredentials/AlterUserScramCredentials (1 and 2), the keys of
/// `/config/users/<user>`, and the hash each uses for H, HMAC and PBKDF2. Kafka refuses credentials with fewer
/// than 4,096 iterations and AlterUserScramCredentials more than 16,384.
public enum ScramMechanism: String, Sendable, CaseIterable {
    case sha256 = "SCRAM-SHA-256"
    case sha512 = "SCRAM-SHA-512"

    public var mechanismName: String { rawValue }

    /// The id in KIP-554's APIs.
    public var type: Int8 {
        switch self {
        case .sha256: 1
        case .sha512: 2
        }
    }

    public init?(type: Int8) {
        guard let mechanism = Self.allCases.first(where: { $0.type == type }) else { return nil }
        self = mechanism
    }

    public init?(mechanismName: String) {
        self.init(rawValue: mechanismName.uppercased())
    }

    public static let minIterations = 4096
    public static let maxIterations = 16384

    /// H(data).
    public func hash(_ data: [UInt8]) -> [UInt8] {
        switch self {
        case .sha256: Array(SHA256.hash(data: data))
        case .sha512: Array(SHA512.hash(data: data))
        }
    }

    /// HMAC(key, data).
    public func hmac(key: [UInt8], _ data: [UInt8]) -> [UInt8] {
        let key = SymmetricKey(data: key)
        switch self {
        case .sha256: return Array(HMAC<SHA256>.authenticationCode(for: data, using: key))
        case .sha512: return Array(HMAC<SHA512>.authenticationCode(for: data, using: key))
        }
    }

    /// Hi(password, salt, i) of RFC 5802: PBKDF2 with this mechanism's HMAC, one hash long. Kafka applies no
    /// SASLprep: the password's UTF-8 bytes are used as they are. (swift-crypto asks for its "unchecked" spelling
    /// below 210,000 rounds; SCRAM's are Kafka's 4,096 to 16,384.)
    public func saltedPassword(_ password: String, salt: [UInt8], iterations: Int) -> [UInt8] {
        let function: KDF.Insecure.PBKDF2.HashFunction =
            switch self {
            case .sha256: .sha256
            case .sha512: .sha512
            }
        // It throws only for zero rounds or an output length the hash cannot give; neither can happen here.
        let key = try! KDF.Insecure.PBKDF2.deriveKey(
            from: Array(password.utf8),
            salt: salt,
            using: function,
            outputByteCount: hashLength,
            unsafeUncheckedRounds: max(iterations, 1)
        )
        return key.withUnsafeBytes { Array($0) }
    }

    /// The hash's length in bytes.
    public var hashLength: Int {
        switch self {
        case .sha256: 32
        case .sha512: 64
        }
    }
}
