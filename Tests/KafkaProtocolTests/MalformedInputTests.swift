import KafkaProtocol
import NIOCore
import Testing

/// Lying, negative and huge lengths give a `ProtocolError`, never a crash or a huge allocation.
@Suite("Malformed protocol input")
struct MalformedInputTests {
    @Test func hugeArrayCountIsRejectedBeforeAllocating() {
        var buffer = ByteBuffer()
        buffer.writeKafkaInteger(Int32.max)  // Metadata v1 topics: 2^31-1 entries promised, none present
        #expect(throws: ProtocolError.lengthExceedsRemaining(Int64(Int32.max), remaining: 0, field: "Topics")) {
            _ = try MetadataRequest(from: &buffer, version: 1)
        }
    }

    @Test func hugeCompactArrayCountIsRejected() {
        var buffer = ByteBuffer()
        buffer.writeUnsignedVarint(UInt32.max)  // compact: 2^32-2 entries
        buffer.writeBytes([0, 0, 0])
        #expect(throws: ProtocolError.self) { _ = try MetadataRequest(from: &buffer, version: 12) }
    }

    @Test func negativeLengthsAreRejected() {
        var string = ByteBuffer()
        string.writeKafkaInteger(Int16(-7))
        #expect(throws: ProtocolError.invalidLength(-7, field: "GroupId")) {
            _ = try HeartbeatRequest(from: &string, version: 0)
        }
        var array = ByteBuffer()
        array.writeKafkaInteger(Int32(-2))
        #expect(throws: ProtocolError.invalidLength(-2, field: "Topics")) {
            _ = try MetadataRequest(from: &array, version: 1)
        }
    }

    @Test func nullWhereTheVersionForbidsItIsRejected() {
        var buffer = ByteBuffer()
        buffer.writeKafkaInteger(Int16(-1))  // GroupId is never nullable
        #expect(throws: ProtocolError.unexpectedNull(field: "GroupId")) {
            _ = try HeartbeatRequest(from: &buffer, version: 0)
        }
    }

    @Test func stringLongerThanTheInputIsRejected() {
        var buffer = ByteBuffer()
        buffer.writeKafkaInteger(Int16(500))
        buffer.writeString("short")
        #expect(throws: ProtocolError.lengthExceedsRemaining(500, remaining: 5, field: "GroupId")) {
            _ = try HeartbeatRequest(from: &buffer, version: 0)
        }
    }

    @Test func invalidUTF8IsRejected() {
        var buffer = ByteBuffer()
        buffer.writeKafkaInteger(Int16(2))
        buffer.writeBytes([0xC3, 0x28])
        #expect(throws: ProtocolError.invalidUTF8(field: "GroupId")) {
            _ = try HeartbeatRequest(from: &buffer, version: 0)
        }
    }

    @Test func overlongVarintsAreRejected() {
        var buffer = ByteBuffer(bytes: [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01])
        #expect(throws: ProtocolError.malformedVarint) { _ = try buffer.readUnsignedVarint() }
        var long = ByteBuffer(bytes: Array(repeating: 0xFF, count: 10) + [0x01])
        #expect(throws: ProtocolError.malformedVarint) { _ = try long.readVarlong() }
    }

    @Test func varintsRoundTripAtTheirLimits() throws {
        for value in [Int32.min, -1, 0, 1, 63, 64, -64, -65, Int32.max] {
            var buffer = ByteBuffer()
            buffer.writeVarint(value)
            #expect(try buffer.readVarint() == value)
        }
        for value in [Int64.min, -1, 0, 1, Int64(Int32.max) + 1, Int64.max] {
            var buffer = ByteBuffer()
            buffer.writeVarlong(value)
            #expect(try buffer.readVarlong() == value)
        }
        for value in [UInt32(0), 127, 128, 16_383, 16_384, UInt32.max] {
            var buffer = ByteBuffer()
            buffer.writeUnsignedVarint(value)
            #expect(try buffer.readUnsignedVarint() == value)
        }
    }

    /// A seeded mutation fuzzer: valid encodings of every message, with bytes flipped, dropped, duplicated or
    /// set to boundary values, must decode or throw, never crash. Bounded in count, not time.
    @Test func mutatedEncodingsNeverCrashTheDecoder() {
        var random = SampleRandom(seed: 0x5EED)
        var decoded = 0
        var rejected = 0
        for iteration in 0..<40_000 {
            let type = allGeneratedMessages[random.below(allGeneratedMessages.count)]
            let versions = Array(type.validVersions)
            let version = versions[random.below(versions.count)]
            if fuzzOnce(type, version: version, seed: UInt64(iteration), random: &random) {
                decoded += 1
            } else {
                rejected += 1
            }
        }
        #expect(decoded + rejected == 40_000)
        #expect(rejected > 10_000)
    }

    private func fuzzOnce<M: SampleableMessage>(
        _: M.Type,
        version: Int16,
        seed: UInt64,
        random: inout SampleRandom
    ) -> Bool {
        let (_, encoded) = M.encodedSample(version: version, seed: seed)
        var bytes = Array(encoded.readableBytesView)
        for _ in 0..<(1 + random.below(4)) where !bytes.isEmpty {
            let index = random.below(bytes.count)
            switch random.below(5) {
            case 0: bytes[index] ^= UInt8(1 << random.below(8))
            case 1: bytes[index] = [0x00, 0x7F, 0x80, 0xFF][random.below(4)]
            case 2: bytes.remove(at: index)
            case 3: bytes.insert(bytes[index], at: index)
            default: bytes.replaceSubrange(index..<min(index + 4, bytes.count), with: [0x7F, 0xFF, 0xFF, 0xFF])
            }
        }
        var buffer = ByteBuffer(bytes: bytes)
        return (try? M(from: &buffer, version: version)) != nil
    }
}
