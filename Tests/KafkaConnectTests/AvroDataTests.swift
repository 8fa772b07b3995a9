import Avro
import Testing

@testable import KafkaConnect

/// `AvroData`: the Avro schema text Confluent's AvroData writes for Connect schemas (laid out from its rules: field
/// unions, `connect.*` properties in Java's order, logical types), values through Avro's binary encoding and back,
/// and Avro schemas written elsewhere read as Connect schemas.
@Suite struct AvroDataTests {
    static let person = ConnectSchema(
        type: .struct,
        name: "com.example.Person",
        fields: [
            ("id", .int64),
            ("name", .optionalString),
            ("age", .int8),
            ("joined", .timestamp),
            ("balance", .decimal(scale: 2)),
            ("tags", .array(of: .string)),
            ("scores", .map(.int32, .float64)),
        ]
    )

    @Test func schemasAreWrittenAsConfluentWritesThem() throws {
        let text = try AvroData.avroSchema(Self.person).canonicalText
        #expect(
            text
                == #"{"type":"record","name":"Person","namespace":"com.example","fields":["#
                + #"{"name":"id","type":"long"},"#
                + #"{"name":"name","type":["null","string"],"default":null},"#
                + #"{"name":"age","type":{"type":"int","connect.type":"int8"}},"#
                + #"{"name":"joined","type":{"type":"long","connect.version":1,"#
                + #""connect.name":"org.apache.kafka.connect.data.Timestamp","logicalType":"timestamp-millis"}},"#
                + #"{"name":"balance","type":{"type":"bytes","scale":2,"precision":38,"connect.version":1,"#
                + #""connect.parameters":{"scale":"2"},"connect.name":"org.apache.kafka.connect.data.Decimal","#
                + #""logicalType":"decimal"}},"#
                + #"{"name":"tags","type":{"type":"array","items":"string"}},"#
                + #"{"name":"scores","type":{"type":"array","items":{"type":"record","name":"MapEntry","#
                + #""namespace":"io.confluent.connect.avro","fields":[{"name":"key","type":"int"},"#
                + #"{"name":"value","type":"double"}]}}}],"#
                + #""connect.name":"com.example.Person"}"#
        )
        #expect(try AvroData.avroSchema(.optionalString).canonicalText == #"["null","string"]"#)
        let unnamed = ConnectSchema.struct([("a", .struct([("b", .int32)])), ("c", .string)])
        #expect(
            try AvroData.avroSchema(unnamed).canonicalText
                == #"{"type":"record","name":"ConnectDefault","namespace":"io.confluent.connect.avro","fields":["#
                + #"{"name":"a","type":{"type":"record","name":"ConnectDefault2","fields":[{"name":"b","type":"int"}]}},"#
                + #"{"name":"c","type":"string"}]}"#
        )
    }

    @Test func aStructUsedTwiceIsDefinedOnce() throws {
        let point = ConnectSchema.struct(name: "geo.Point", [("x", .float64), ("y", .float64)])
        let line = ConnectSchema.struct(name: "geo.Line", [("from", point), ("to", point)])
        let document = try AvroData.avroSchema(line)
        let reparsed = try AvroSchemaParser().parse(document.canonicalText)
        #expect(reparsed.canonicalText.contains(#"{"name":"to","type":"Point"}"#))
        #expect(try AvroData.connectSchema(reparsed) == line)
    }

    @Test func valuesGoThroughAvroBytesAndBack() throws {
        var person = ConnectStruct(schema: Self.person)
        try person.set("id", .int64(42))
        try person.set("age", .int8(-7))
        try person.set("joined", .int64(1_700_000_000_123))
        try person.set("balance", .bytes([0x30, 0x39]))  // 123.45
        try person.set("tags", .array([.string("a"), .string("b")]))
        try person.set("scores", .map([ConnectValue.MapEntry(.int32(1), .float64(0.5))]))
        let document = try AvroData.avroSchema(Self.person)
        var bytes: [UInt8] = []
        try AvroBinary.write(try AvroData.avroValue(.struct(person), Self.person), document.root, document, to: &bytes)
        // id 42, name: the null branch, age -7, ...: the first bytes as Avro lays them out.
        #expect(Array(bytes.prefix(3)) == [0x54, 0x00, 0x0D])
        let read = try AvroBinary.read(bytes, document.root, document)
        let schema = try AvroData.connectSchema(try AvroSchemaParser().parse(document.canonicalText))
        #expect(schema == Self.person)
        #expect(try AvroData.connectValue(read, document.root, document, schema) == .struct(person))
    }

    @Test func avroSchemasFromElsewhereAreRead() throws {
        let document = try AvroSchemaParser().parse(
            #"{"type":"record","name":"Order","namespace":"shop","fields":["#
                + #"{"name":"id","type":"long","doc":"the order"},"#
                + #"{"name":"note","type":["string","null"],"default":"none"},"#
                + #"{"name":"state","type":{"type":"enum","name":"State","symbols":["NEW","PAID"]}},"#
                + #"{"name":"day","type":{"type":"int","logicalType":"date"}},"#
                + #"{"name":"lines","type":{"type":"map","values":"int"}}]}"#
        )
        let schema = try AvroData.connectSchema(document)
        #expect(schema.name == "shop.Order")
        #expect(schema.field("id")?.schema.doc == "the order")
        #expect(schema.field("note")?.schema.isOptional == true)
        #expect(schema.field("note")?.schema.defaultValue == .string("none"))
        #expect(
            schema.field("state")?.schema.parameters
                == [
                    "io.confluent.connect.avro.Enum": "shop.State", "io.confluent.connect.avro.Enum.NEW": "NEW",
                    "io.confluent.connect.avro.Enum.PAID": "PAID",
                ]
        )
        #expect(schema.field("day")?.schema.name == ConnectSchema.dateName)
        #expect(schema.field("lines")?.schema.keySchema == .string)
        let recursive = try AvroSchemaParser().parse(
            #"{"type":"record","name":"N","fields":[{"name":"next","type":["null","N"]}]}"#
        )
        #expect(throws: ConnectDataError.self) { try AvroData.connectSchema(recursive) }
        let wideUnion = try AvroSchemaParser().parse(#"["int","string"]"#)
        #expect(throws: ConnectDataError.self) { try AvroData.connectSchema(wideUnion) }
    }

    @Test func aNullForARequiredSchemaIsRefused() {
        let error = #expect(throws: ConnectDataError.self) { try AvroData.avroValue(nil, .int32) }
        #expect(error?.message == "Found null value for non-optional schema")
    }
}
