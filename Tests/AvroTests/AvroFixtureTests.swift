import Foundation
import Testing

@testable import Avro

/// The `Avro` target against Avro's reference implementations, through fixtures written by
/// `scripts/generate-avro-fixtures`: every ordered pair of 42 schemas through the Python `avro` package's
/// reader/writer checker (the verdict and the kinds of incompatibility), and fastavro's Parsing Canonical Form and
/// CRC-64-AVRO fingerprints.
@Suite("Avro against the reference libraries")
struct AvroFixtureTests {
    static func fixture(_ name: String) throws -> JSONValue {
        let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent(
            "Fixtures/\(name)"
        )
        return try JSONValue.parse(String(contentsOf: path, encoding: .utf8))
    }

    @Test func compatibilityVerdictsMatchAvrosChecker() throws {
        let fixture = try Self.fixture("compatibility.json")
        let schemas = try #require(fixture["schemas"]?.objectValue)
        var parsed: [String: AvroSchemaDocument] = [:]
        for (name, json) in schemas.members { parsed[name] = try AvroSchemaParser().parse(json) }
        let pairs = try #require(fixture["pairs"]?.arrayValue)
        #expect(pairs.count == schemas.members.count * schemas.members.count)
        var compatible = 0
        for pair in pairs {
            let readerName = try #require(pair["reader"]?.stringValue)
            let writerName = try #require(pair["writer"]?.stringValue)
            let found = AvroCompatibility.check(reader: parsed[readerName]!, writer: parsed[writerName]!)
            let expected = pair["compatible"] == .bool(true)
            let kinds = Set((pair["kinds"]?.arrayValue ?? []).compactMap(\.stringValue))
            #expect(found.isEmpty == expected, "reader \(readerName), writer \(writerName): \(found)")
            #expect(Set(found.map(\.kind.rawValue)) == kinds, "reader \(readerName), writer \(writerName)")
            if found.isEmpty { compatible += 1 }
        }
        #expect(compatible > 100 && compatible < pairs.count - 1000)
    }

    @Test func parsingCanonicalFormsAndFingerprintsMatchFastavro() throws {
        let fixture = try Self.fixture("fingerprints.json")
        let entries = try #require(fixture["schemas"]?.arrayValue)
        #expect(entries.count == 7)
        for entry in entries {
            let document = try AvroSchemaParser().parse(try #require(entry["schema"]))
            #expect(document.parsingCanonicalForm == entry["parsing_canonical_form"]?.stringValue)
            // fastavro writes the 64 bits as little-endian bytes in hex.
            #expect(String(format: "%016llx", document.fingerprint.byteSwapped) == entry["crc64"]?.stringValue)
        }
    }
}
