import Foundation
import Testing

@testable import Avro

/// `AvroBinary` and `AvroValue(avroJSON:)` against fastavro (`Fixtures/datums.json`, written by
/// `scripts/generate-avro-fixtures`): each datum's Avro JSON read here and written in binary gives fastavro's bytes,
/// and fastavro's bytes read here give the same datum. Bad bytes are refused with an error.
@Suite("Avro binary encoding")
struct AvroBinaryTests {
    static func hex(_ text: String) -> [UInt8] {
        var bytes: [UInt8] = []
        var index = text.startIndex
        while index < text.endIndex {
            let next = text.index(index, offsetBy: 2)
            bytes.append(UInt8(text[index..<next], radix: 16)!)
            index = next
        }
        return bytes
    }

    @Test func datumsMatchFastavro() throws {
        let fixture = try AvroFixtureTests.fixture("datums.json")
        let schemas = try #require(fixture["schemas"]?.objectValue)
        let datums = try #require(fixture["datums"]?.arrayValue)
        #expect(datums.count == 34)
        for datum in datums {
            let name = try #require(datum["schema"]?.stringValue)
            let document = try AvroSchemaParser().parse(try #require(schemas[name]))
            let value = try AvroValue(avroJSON: try #require(datum["json"]), document.root, document)
            let expected = Self.hex(try #require(datum["binary"]?.stringValue))
            var written: [UInt8] = []
            try AvroBinary.write(value, document.root, document, to: &written)
            #expect(written == expected, "\(name): \(datum["json"]!.compactText)")
            #expect(try AvroBinary.read(expected, document.root, document) == value, "\(name)")
        }
    }

    @Test func aBlockWithAByteSizeIsRead() throws {
        // Avro's optional block form: a negative count followed by the block's size in bytes.
        let document = try AvroSchemaParser().parse(try JSONValue.parse(#"{"type":"array","items":"long"}"#))
        #expect(
            try AvroBinary.read([0x03, 0x04, 0x06, 0x36, 0x00], document.root, document)
                == .array([.long(3), .long(27)])
        )
    }

    @Test func badBytesAreRefused() throws {
        let record = try AvroSchemaParser().parse(
            try JSONValue.parse(
                #"{"type":"record","name":"R","fields":[{"name":"a","type":"long"},{"name":"b","type":"string"}]}"#
            )
        )
        let cases: [(bytes: [UInt8], message: String)] = [
            ([0x36], "the string is missing"),
            ([0x36, 0x06, 0x66], "a string longer than the bytes"),
            ([0x36, 0x01], "a negative length"),
            ([0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01], "an eleven-byte varint"),
            ([0x36, 0x02, 0xC3], "a string that is not UTF-8"),
            ([0x36, 0x00, 0x00], "a byte after the datum"),
        ]
        for (bytes, message) in cases {
            #expect(throws: AvroDataError.self, "\(message)") {
                try AvroBinary.read(bytes, record.root, record)
            }
        }
        let array = try AvroSchemaParser().parse(try JSONValue.parse(#"{"type":"array","items":"null"}"#))
        // A block of a billion nulls (each takes no bytes) in five bytes: refused before anything is allocated.
        #expect(throws: AvroDataError.self) {
            try AvroBinary.read([0x80, 0xA8, 0xD6, 0xB9, 0x07, 0x00], array.root, array)
        }
        let linked = try AvroSchemaParser().parse(
            try JSONValue.parse(#"{"type":"record","name":"N","fields":[{"name":"next","type":["null","N"]}]}"#)
        )
        let deep = [UInt8](repeating: 0x02, count: 10_000) + [0x00]
        let error = #expect(throws: AvroDataError.self) { try AvroBinary.read(deep, linked.root, linked) }
        #expect(error?.message == "the datum nests deeper than 256 levels")
    }

    @Test func valuesThatDoNotMatchTheSchemaAreRefused() throws {
        let document = try AvroSchemaParser().parse(try JSONValue.parse(#"{"type":"enum","name":"E","symbols":["A"]}"#))
        var out: [UInt8] = []
        let error = #expect(throws: AvroDataError.self) {
            try AvroBinary.write(.enumeration("Z"), document.root, document, to: &out)
        }
        #expect(error?.message == "Z is not a symbol of enum E")
        #expect(throws: AvroDataError.self) { try AvroBinary.write(.long(1), document.root, document, to: &out) }
    }
}
