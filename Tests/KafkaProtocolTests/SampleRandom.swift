import KafkaCore
import KafkaProtocol
import NIOCore

/// A seeded pseudo-random source (SplitMix64) for the generated samples and the mutation fuzzer: the same seed
/// gives the same values on every machine, so a failure can be replayed.
struct SampleRandom {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    mutating func below(_ bound: Int) -> Int { Int(next() % UInt64(bound)) }

    mutating func bool() -> Bool { next() & 1 == 1 }

    /// Never zero, so a sampled field differs from its default of 0.
    mutating func integer<T: FixedWidthInteger>(_: T.Type) -> T {
        let value = T(truncatingIfNeeded: next())
        return value == 0 ? 1 : value
    }

    /// Finite, so that equality holds after a round trip.
    mutating func double() -> Double { Double(Int32(truncatingIfNeeded: next())) / 7 }

    mutating func uuid() -> KafkaUUID { KafkaUUID(mostSignificantBits: next(), leastSignificantBits: next() | 1) }

    private static let characters: [String] = ["a", "Z", "0", "-", "_", ".", " ", "é", "€", "𝄞", "ß", "k"]

    mutating func string() -> String {
        (0..<(1 + below(12))).map { _ in Self.characters[below(Self.characters.count)] }.joined()
    }

    mutating func bytes() -> [UInt8] { (0..<(1 + below(24))).map { _ in UInt8(truncatingIfNeeded: next()) } }

    mutating func records() -> ByteBuffer {
        ByteBuffer(bytes: (0..<(1 + below(40))).map { _ in UInt8(truncatingIfNeeded: next()) })
    }

    mutating func array<T>(_ make: (inout SampleRandom) -> T) -> [T] {
        (0..<(1 + below(3))).map { _ in make(&self) }
    }

    /// nil one time in three where the version allows null, else a value.
    mutating func maybeNil<T>(allowed: Bool, _ make: (inout SampleRandom) -> T) -> T? {
        if allowed && below(3) == 0 { return nil }
        return make(&self)
    }
}

/// A generated message that can make random samples of itself (the factories are generated into this target).
protocol SampleableMessage: KafkaMessage {
    static func sample(version: Int16, _ random: inout SampleRandom) -> Self
}

extension SampleableMessage {
    static var name: String { "\(Self.self)" }

    static func encodedSample(version: Int16, seed: UInt64) -> (Self, ByteBuffer) {
        var random = SampleRandom(seed: seed)
        let message = sample(version: version, &random)
        var buffer = ByteBuffer()
        message.write(to: &buffer, version: version)
        return (message, buffer)
    }

    /// Decodes `buffer` at `version`, requiring every byte to be consumed.
    static func decodeAll(_ buffer: ByteBuffer, version: Int16) throws -> Self {
        var buffer = buffer
        let message = try Self(from: &buffer, version: version)
        guard buffer.readableBytes == 0 else { throw TrailingBytes(count: buffer.readableBytes) }
        return message
    }
}

struct TrailingBytes: Error { var count: Int }
