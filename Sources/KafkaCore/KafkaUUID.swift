/// Kafka's 128-bit `Uuid` (topic ids, the cluster id): two big-endian 64-bit halves on the wire, and printed as
/// 22 characters of URL-safe base64 without padding, as Kafka prints it.
public struct KafkaUUID: Hashable, Sendable, CustomStringConvertible {
    public var mostSignificantBits: UInt64
    public var leastSignificantBits: UInt64

    public init(mostSignificantBits: UInt64, leastSignificantBits: UInt64) {
        self.mostSignificantBits = mostSignificantBits
        self.leastSignificantBits = leastSignificantBits
    }

    /// The all-zero id, which Kafka uses for "no id".
    public static let zero = KafkaUUID(mostSignificantBits: 0, leastSignificantBits: 0)

    /// A random version-4 id that Kafka would accept: never zero, never the metadata topic's id (0, 1), and never
    /// one whose text starts with "-" (which command lines would take for an option).
    public static func random() -> KafkaUUID {
        var generator = SystemRandomNumberGenerator()
        while true {
            var id = KafkaUUID(mostSignificantBits: generator.next(), leastSignificantBits: generator.next())
            id.mostSignificantBits = (id.mostSignificantBits & ~0xF000) | 0x4000
            id.leastSignificantBits = (id.leastSignificantBits & ~(0xC << 60)) | (0x8 << 60)
            if id != .zero && !(id.mostSignificantBits == 0 && id.leastSignificantBits == 1)
                && !id.description.hasPrefix("-")
            {
                return id
            }
        }
    }

    public var bytes: [UInt8] {
        (0..<8).map { UInt8(truncatingIfNeeded: mostSignificantBits >> (56 - 8 * $0)) }
            + (0..<8).map { UInt8(truncatingIfNeeded: leastSignificantBits >> (56 - 8 * $0)) }
    }

    public init?(bytes: [UInt8]) {
        guard bytes.count == 16 else { return nil }
        mostSignificantBits = bytes[0..<8].reduce(0) { $0 << 8 | UInt64($1) }
        leastSignificantBits = bytes[8..<16].reduce(0) { $0 << 8 | UInt64($1) }
    }

    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)

    /// URL-safe base64 of the 16 bytes, without padding (22 characters).
    public var description: String {
        let input = bytes
        var output: [UInt8] = []
        var index = 0
        while index + 3 <= input.count {
            let chunk = UInt32(input[index]) << 16 | UInt32(input[index + 1]) << 8 | UInt32(input[index + 2])
            for shift in [18, 12, 6, 0] { output.append(Self.alphabet[Int(chunk >> UInt32(shift) & 63)]) }
            index += 3
        }
        let last = UInt32(input[index]) << 16  // 16 bytes leave one byte: two characters
        output.append(Self.alphabet[Int(last >> 18 & 63)])
        output.append(Self.alphabet[Int(last >> 12 & 63)])
        return String(decoding: output, as: UTF8.self)
    }

    /// Parses Kafka's 22-character text form.
    public init?(_ text: String) {
        let characters = Array(text.utf8)
        guard characters.count == 22 else { return nil }
        var bits: [UInt8] = []
        var accumulator: UInt32 = 0
        var count = 0
        for character in characters {
            guard let value = Self.alphabet.firstIndex(of: character) else { return nil }
            accumulator = accumulator << 6 | UInt32(value)
            count += 6
            if count >= 8 {
                count -= 8
                bits.append(UInt8(truncatingIfNeeded: accumulator >> UInt32(count)))
            }
        }
        self.init(bytes: Array(bits.prefix(16)))
    }
}
