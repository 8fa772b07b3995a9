import Avro
import KafkaConnect
import Testing

/// JsonConverter against the texts Kafka 2.8's JsonConverter writes (its own unit tests' expectations:
/// `JsonConverterTest`), and its errors.
@Suite struct JsonConverterTests {
    let withSchemas = JsonConverter(schemasEnabled: true)
    let plain = JsonConverter(schemasEnabled: false)

    func text(_ converter: JsonConverter, _ schema: ConnectSchema?, _ value: ConnectValue?) throws -> String? {
        try converter.fromConnectData(topic: "t", schema: schema, value: value).map {
            String(decoding: $0, as: UTF8.self)
        }
    }

    func read(_ converter: JsonConverter, _ text: String) throws -> SchemaAndValue {
        try converter.toConnectData(topic: "t", bytes: Array(text.utf8))
    }

    @Test func primitivesInTheEnvelope() throws {
        #expect(
            try text(withSchemas, .string, .string("say \"hi\""))
                == #"{"schema":{"type":"string","optional":false},"payload":"say \"hi\""}"#
        )
        #expect(
            try text(withSchemas, .boolean, .boolean(true))
                == #"{"schema":{"type":"boolean","optional":false},"payload":true}"#
        )
        #expect(try text(withSchemas, .int8, .int8(12)) == #"{"schema":{"type":"int8","optional":false},"payload":12}"#)
        #expect(
            try text(withSchemas, .int64, .int64(4_398_046_511_104))
                == #"{"schema":{"type":"int64","optional":false},"payload":4398046511104}"#
        )
        #expect(
            try text(withSchemas, .float32, .float32(12.34))
                == #"{"schema":{"type":"float","optional":false},"payload":12.34}"#
        )
        #expect(
            try text(withSchemas, .float64, .float64(1e20))
                == #"{"schema":{"type":"double","optional":false},"payload":1.0E20}"#
        )
        #expect(
            try text(withSchemas, .bytes, .bytes(Array("test-string".utf8)))
                == #"{"schema":{"type":"bytes","optional":false},"payload":"dGVzdC1zdHJpbmc="}"#
        )
        #expect(
            try text(withSchemas, .optionalString, nil)
                == #"{"schema":{"type":"string","optional":true},"payload":null}"#
        )
        #expect(try text(withSchemas, nil, nil) == nil)
        #expect(try text(plain, .string, .string("x")) == #""x""#)
    }

    @Test func containersKeepJavasMemberOrder() throws {
        let schema = ConnectSchema.struct([
            ("field1", .boolean), ("field2", .string), ("field3", .string), ("field4", .boolean),
        ])
        var value = ConnectStruct(schema: schema)
        try value.set("field1", .boolean(true))
        try value.set("field2", .string("string2"))
        try value.set("field3", .string("string3"))
        try value.set("field4", .boolean(false))
        #expect(
            try text(withSchemas, schema, .struct(value))
                == #"{"schema":{"type":"struct","fields":[{"type":"boolean","optional":false,"field":"field1"},"#
                + #"{"type":"string","optional":false,"field":"field2"},{"type":"string","optional":false,"field":"field3"},"#
                + #"{"type":"boolean","optional":false,"field":"field4"}],"optional":false},"#
                + #""payload":{"field1":true,"field2":"string2","field3":"string3","field4":false}}"#
        )
        let intMap = ConnectSchema.map(.int32, .int32)
        #expect(
            try text(withSchemas, intMap, .map([.init(.int32(1), .int32(12)), .init(.int32(2), .int32(15))]))
                == #"{"schema":{"type":"map","keys":{"type":"int32","optional":false},"values":{"type":"int32","optional":false},"optional":false},"payload":[[1,12],[2,15]]}"#
        )
        #expect(
            try text(plain, nil, .stringMap(["key1": .int32(12), "key2": .array([.int32(1), nil])]))
                == #"{"key1":12,"key2":[1,null]}"#
        )
    }

    @Test func logicalTypesAreNamedWithTheirParameters() throws {
        // 1.50 with scale 2: the unscaled 150 as Java's BigInteger.toByteArray, [0x00, 0x96].
        #expect(
            try text(withSchemas, .decimal(scale: 2), .bytes([0x00, 0x96]))
                == #"{"schema":{"type":"bytes","optional":false,"name":"org.apache.kafka.connect.data.Decimal","version":1,"parameters":{"scale":"2"}},"payload":"AJY="}"#
        )
        #expect(
            try text(withSchemas, .timestamp, .int64(4_000_000_000))
                == #"{"schema":{"type":"int64","optional":false,"name":"org.apache.kafka.connect.data.Timestamp","version":1},"payload":4000000000}"#
        )
    }

    @Test func readsWhatItWritesBack() throws {
        let inner = ConnectSchema.struct(name: "inner", [("n", .optionalInt32)])
        let schema = ConnectSchema.struct(
            name: "com.example.Row",
            [
                ("id", .int64), ("tags", .array(of: .string)), ("attributes", .map(.string, .float64)),
                ("blob", .optionalBytes), ("inner", inner), ("when", .timestamp),
            ]
        )
        var innerValue = ConnectStruct(schema: inner)
        try innerValue.set("n", .int32(-7))
        var value = ConnectStruct(schema: schema)
        try value.set("id", .int64(42))
        try value.set("tags", .array([.string("a"), .string("b")]))
        try value.set("attributes", .map([.init(.string("x"), .float64(0.5))]))
        try value.set("inner", .struct(innerValue))
        try value.set("when", .int64(1_700_000_000_000))
        let bytes = try #require(try withSchemas.fromConnectData(topic: "t", schema: schema, value: .struct(value)))
        let back = try withSchemas.toConnectData(topic: "t", bytes: bytes)
        #expect(back.schema == schema)
        #expect(back.value == .struct(value))
    }

    @Test func schemalessReadingInfersJavasTypes() throws {
        let read = try read(plain, #"{"a":1,"b":[1.5,null,"s"],"c":{"d":true}}"#)
        #expect(read.schema == nil)
        #expect(
            read.value
                == .stringMap([
                    "a": .int64(1), "b": .array([.float64(1.5), nil, .string("s")]),
                    "c": .stringMap(["d": .boolean(true)]),
                ])
        )
        #expect(try plain.toConnectData(topic: "t", bytes: nil) == .null)
        #expect(try withSchemas.toConnectData(topic: "t", bytes: nil) == .null)
    }

    @Test func refusesWhatDoesNotFit() throws {
        #expect(throws: ConnectDataError.self) { try read(withSchemas, #"{"a":1}"#) }
        #expect(throws: ConnectDataError.self) { try read(withSchemas, #"{"schema":null,"payload":1,"x":2}"#) }
        #expect(throws: ConnectDataError.self) { try read(withSchemas, "{not json") }
        #expect(throws: ConnectDataError.self) {
            try read(withSchemas, #"{"schema":{"type":"int32","optional":false},"payload":null}"#)
        }
        #expect(throws: ConnectDataError.self) {
            try read(withSchemas, #"{"schema":{"type":"int32","optional":false},"payload":"12"}"#)
        }
        #expect(throws: ConnectDataError.self) { try read(withSchemas, #"{"schema":{"type":"nope"},"payload":1}"#) }
        #expect(throws: ConnectDataError.self) { try text(withSchemas, .string, nil) }
        #expect(throws: ConnectDataError.self) { try text(withSchemas, .string, .int32(1)) }
        #expect(throws: ConnectConfigError.self) { try JsonConverter(properties: ["schemas.enable": "maybe"]) }
    }

    @Test func aDefaultStandsInForNull() throws {
        let schema = ConnectSchema(type: .int32, defaultValue: .int32(7))
        #expect(
            try text(withSchemas, schema, nil)
                == #"{"schema":{"type":"int32","optional":false,"default":7},"payload":7}"#
        )
        let read = try read(withSchemas, #"{"schema":{"type":"int32","optional":false,"default":7},"payload":null}"#)
        #expect(read.value == .int32(7))
    }

    @Test func stringAndByteArrayConverters() throws {
        let string = try StringConverter(properties: [:], isKey: false)
        #expect(string.fromConnectData(topic: "t", schema: .string, value: .string("é")) == Array("é".utf8))
        #expect(string.fromConnectData(topic: "t", schema: nil, value: .int64(5)) == Array("5".utf8))
        #expect(
            string.toConnectData(topic: "t", bytes: Array("x".utf8)) == SchemaAndValue(.optionalString, .string("x"))
        )
        #expect(throws: ConnectConfigError.self) {
            try StringConverter(properties: ["converter.encoding": "UTF-16"], isKey: true)
        }
        let bytes = ByteArrayConverter(properties: [:], isKey: false)
        #expect(try bytes.fromConnectData(topic: "t", schema: .bytes, value: .bytes([1, 2])) == [1, 2])
        #expect(throws: ConnectDataError.self) {
            try bytes.fromConnectData(topic: "t", schema: .string, value: .string("x"))
        }
        let made = try Converters.make(className: "StringConverter", properties: [:], isKey: false)
        #expect(made is StringConverter)
        #expect(throws: ConnectConfigError.self) {
            try Converters.make(className: "com.example.Nope", properties: [:], isKey: false)
        }
    }

    @Test func structsRefuseUnknownFieldsAndMissingRequiredOnes() throws {
        let schema = ConnectSchema.struct([("a", .int32), ("b", .optionalString)])
        var value = ConnectStruct(schema: schema)
        #expect(throws: ConnectDataError.self) { try value.set("c", .int32(1)) }
        #expect(throws: ConnectDataError.self) { try value.set("a", .string("x")) }
        #expect(throws: ConnectDataError.self) { try value.validate() }
        try value.set("a", .int32(1))
        try value.validate()
    }
}
