import KafkaProtocol
import Testing

@Suite("CRC-32C")
struct CRC32CTests {
    /// Published check values: the CRC catalogue's "123456789", and RFC 3720 (iSCSI) appendix B.4.
    @Test func publishedTestVectors() {
        #expect(CRC32C.checksum(Array("123456789".utf8)) == 0xE306_9283)
        #expect(CRC32C.checksum([UInt8](repeating: 0, count: 32)) == 0x8A91_36AA)
        #expect(CRC32C.checksum([UInt8](repeating: 0xFF, count: 32)) == 0x62A8_AB43)
        #expect(CRC32C.checksum((0..<32).map { UInt8($0) }) == 0x46DD_794E)
        #expect(CRC32C.checksum((0..<32).reversed().map { UInt8($0) }) == 0x113F_DB5C)
        #expect(CRC32C.checksum([]) == 0)
    }

    @Test func hardwareAndPortableAgreeAtEveryLengthAndAlignment() {
        var random = SampleRandom(seed: 32)
        let data = (0..<80_000).map { _ in UInt8(truncatingIfNeeded: random.next()) }
        // Lengths around the interleaving block sizes (3 × 256 and 3 × 8192) and odd alignments.
        for length in [0, 1, 7, 8, 9, 767, 768, 769, 1000, 24_575, 24_576, 24_577, 50_000, 79_990] {
            for start in 0..<3 {
                let slice = Array(data[start..<(start + length)])
                #expect(CRC32C.checksum(slice) == CRC32C.portableChecksum(slice), "length \(length) start \(start)")
            }
        }
    }

    @Test func continuingEqualsWhole() {
        let data = Array("The quick brown fox jumps over the lazy dog".utf8)
        let first = data.withUnsafeBytes { CRC32C.checksum(UnsafeRawBufferPointer(rebasing: $0[0..<10])) }
        let whole = data.withUnsafeBytes {
            CRC32C.checksum(UnsafeRawBufferPointer(rebasing: $0[10...]), continuing: first)
        }
        #expect(whole == CRC32C.checksum(data))
        #expect(whole == 0x2262_0404)
    }
}
