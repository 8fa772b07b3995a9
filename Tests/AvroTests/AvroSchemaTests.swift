import Testing

@testable import Avro

/// The parser's refusals and the texts it writes, each expectation worked out by hand from Avro Java 1.10's
/// `Schema.toString()` (the text Confluent Schema Registry stores and hashes) and the Avro specification.
@Suite("Avro schemas")
struct AvroSchemaTests {
    func canonical(_ text: String) throws -> String { try AvroSchemaParser().parse(text).canonicalText }

    @Test func primitivesCollapseUnlessTheyCarryProperties() throws {
        #expect(try canonical(#" "int" "#) == #""int""#)
        #expect(try canonical(#"{"type": "string"}"#) == #""string""#)
        #expect(try canonical(#"{"type":"string","logicalType":"uuid"}"#) == #"{"type":"string","logicalType":"uuid"}"#)
        #expect(
            try canonical(#"{"logicalType":"decimal","scale":2,"type":"bytes","precision":9}"#)
                == #"{"type":"bytes","logicalType":"decimal","scale":2,"precision":9}"#
        )
    }

    @Test func recordsAreWrittenInJavasOrder() throws {
        let text = """
            {"fields": [
               {"default": 1.50, "type": "double", "name": "d", "doc": "a double", "order": "descending",
                "aliases": ["dd"], "x-prop": true},
               {"name": "n", "type": ["null", {"type": "map", "values": "long"}], "default": null, "order": "ascending"}
             ],
             "aliases": ["Old", "other.Older"], "doc": "A record", "type": "record", "custom": {"k": [1, "v"]},
             "name": "Rec", "namespace": "com.example"}
            """
        #expect(
            try canonical(text)
                == #"{"type":"record","name":"Rec","namespace":"com.example","doc":"A record","fields":["#
                + #"{"name":"d","type":"double","doc":"a double","default":1.5,"order":"descending","aliases":["dd"],"#
                + #""x-prop":true},{"name":"n","type":["null",{"type":"map","values":"long"}],"default":null}],"#
                + #""custom":{"k":[1,"v"]},"aliases":["Old","other.Older"]}"#
        )
    }

    @Test func namedTypesAreWrittenOnceAndNamespacesOnlyWhereTheyChange() throws {
        let text = """
            {"type":"record","name":"a.b.Outer","fields":[
              {"name":"inner","type":{"type":"record","name":"Inner","fields":[{"name":"x","type":"int"}]}},
              {"name":"again","type":"Inner"},
              {"name":"other","type":{"type":"enum","name":"c.Kind","symbols":["X","Y"],"default":"Y"}},
              {"name":"kinds","type":{"type":"array","items":"c.Kind"}},
              {"name":"hash","type":{"type":"fixed","name":"Hash","namespace":"","size":16}},
              {"name":"hash2","type":"Hash"}
            ]}
            """
        #expect(
            try canonical(text)
                == #"{"type":"record","name":"Outer","namespace":"a.b","fields":["#
                + #"{"name":"inner","type":{"type":"record","name":"Inner","fields":[{"name":"x","type":"int"}]}},"#
                + #"{"name":"again","type":"Inner"},"#
                + #"{"name":"other","type":{"type":"enum","name":"Kind","namespace":"c","symbols":["X","Y"],"#
                + #""default":"Y"}},{"name":"kinds","type":{"type":"array","items":"c.Kind"}},"#
                + #"{"name":"hash","type":{"type":"fixed","name":"Hash","namespace":"","size":16}},"#
                + #"{"name":"hash2","type":"Hash"}]}"#
        )
    }

    @Test func aRecursiveTypeRefersToItself() throws {
        let document = try AvroSchemaParser().parse(
            #"{"type":"record","name":"Node","fields":[{"name":"next","type":["null","Node"],"default":null}]}"#
        )
        #expect(
            document.canonicalText
                == #"{"type":"record","name":"Node","fields":[{"name":"next","type":["null","Node"],"default":null}]}"#
        )
        #expect(
            document.parsingCanonicalForm
                == #"{"name":"Node","type":"record","fields":[{"name":"next","type":["null","Node"]}]}"#
        )
    }

    @Test(arguments: [
        (#"{"type":"record","name":"1R","fields":[]}"#, "Illegal initial character: 1R"),
        (#"{"type":"record","name":"R","fields":[{"name":"a-b","type":"int"}]}"#, "Illegal character in: a-b"),
        (#"{"type":"record","name":"R"}"#, #"Record has no fields: {"type":"record","name":"R"}"#),
        (#"{"type":"record","fields":[]}"#, #"No name in schema: {"type":"record","fields":[]}"#),
        (#"{"type":"record","name":"R","fields":[{"name":"a","type":"Missing"}]}"#, #"Undefined name: "Missing""#),
        (
            #"{"type":"record","name":"R","fields":[{"name":"a","type":"int"},{"name":"a","type":"long"}]}"#,
            #"Duplicate field a in record R: {"type":"record","name":"R","fields":[{"name":"a","type":"int"},"#
                + #"{"name":"a","type":"long"}]}"#
        ),
        (
            #"[{"type":"enum","name":"E","symbols":["A"]},{"type":"enum","name":"E","symbols":["B"]}]"#,
            "Can't redefine: E"
        ),
        (#"{"type":"enum","name":"E","symbols":["A","A"]}"#, "Duplicate enum symbol: A"),
        (
            #"{"type":"enum","name":"E","symbols":["A"],"default":"B"}"#,
            "The Enum Default: B is not in the enum symbol set: [A]"
        ),
        (#"["int","int"]"#, "Duplicate in union:int"),
        (#"["null",["int"]]"#, #"Nested union: ["null",["int"]]"#),
        (#"{"type":"fixed","name":"F","size":-1}"#, #"Invalid or no size: {"type":"fixed","name":"F","size":-1}"#),
        (
            #"{"type":"record","name":"R","fields":[{"name":"a","type":"int","default":"x"}]}"#,
            #"Invalid default for field a: "x" not a "int""#
        ),
        (
            #"{"type":"record","name":"R","fields":[{"name":"a","type":["null","int"],"default":1}]}"#,
            #"Invalid default for field a: 1 not a ["null","int"]"#
        ),
        (#"{"type":"int""#, "invalid JSON at byte 13: unexpected end"),
        (#"{"type":"nothing"}"#, #"Undefined name: "nothing""#),
    ])
    func badSchemasAreRefusedWithJavasMessage(text: String, message: String) {
        #expect(throws: AvroSchemaError(message)) { try AvroSchemaParser().parse(text) }
    }

    @Test func defaultsAreCheckedOnlyWhenAsked() throws {
        let text = #"{"type":"record","name":"R","fields":[{"name":"a","type":"int","default":"x"}]}"#
        let lenient = try AvroSchemaParser(validateDefaults: false).parse(text)
        #expect(
            lenient.canonicalText == #"{"type":"record","name":"R","fields":[{"name":"a","type":"int","default":"x"}]}"#
        )
        // A record default takes each field from the value or from the field's own default.
        let nested = """
            {"type":"record","name":"R","fields":[{"name":"p","default":{"x":1},"type":
              {"type":"record","name":"P","fields":[{"name":"x","type":"long"},{"name":"y","type":"string","default":"s"}]}}]}
            """
        _ = try AvroSchemaParser().parse(nested)
    }

    @Test func javaPrintsDoublesItsOwnWay() {
        let cases: [(Double, String)] = [
            (1.5, "1.5"), (1.0, "1.0"), (100.0, "100.0"), (0.001, "0.001"), (0.0001, "1.0E-4"), (1e7, "1.0E7"),
            (1234567.0, "1234567.0"), (-2.5e-10, "-2.5E-10"), (3.14159, "3.14159"), (1.2345e20, "1.2345E20"),
        ]
        for (value, text) in cases { #expect(JSONNumber(java: value).text == text, "\(value)") }
    }

    @Test func jsonKeepsOrderAndSpellingAndRefusesWhatRfc8259Refuses() throws {
        let value = try JSONValue.parse(#" {"b": 1.0, "a": [true, null, "\u00e9\n\"/\\\ud83d\ude00"], "b": 2} "#)
        #expect(value.compactText == #"{"b":2,"a":[true,null,"é\n\"/\\😀"]}"#)
        for bad in ["", "01", "[1,]", "{\"a\"}", "\"\u{01}\"", "[\"\\ud800\"]", "1 2", "tru", "-", "1.", "1e"] {
            #expect(throws: JSONError.self, "\(bad)") { try JSONValue.parse(bad) }
        }
    }

    @Test func incompatibilitiesReadAsAvroJavaPrintsThem() throws {
        let reader = try AvroSchemaParser().parse(
            #"{"type":"record","name":"R","fields":[{"name":"a","type":"int"},{"name":"b","type":"string"}]}"#
        )
        let writer = try AvroSchemaParser().parse(
            #"{"type":"record","name":"R","fields":[{"name":"a","type":"long"}]}"#
        )
        let found = AvroCompatibility.check(reader: reader, writer: writer)
        #expect(
            found.map(\.description) == [
                "Incompatibility{type:TYPE_MISMATCH, location:/fields/0/type, message:reader type: INT not compatible "
                    + #"with writer type: LONG, reader:"int", writer:"long"}"#,
                "Incompatibility{type:READER_FIELD_MISSING_DEFAULT_VALUE, location:/fields/1, message:b, reader:"
                    + #"{"type":"record","name":"R","fields":[{"name":"a","type":"int"},{"name":"b","type":"string"}]}, "#
                    + #"writer:{"type":"record","name":"R","fields":[{"name":"a","type":"long"}]}}"#,
            ]
        )
        let enumReader = try AvroSchemaParser().parse(#"{"type":"enum","name":"E","symbols":["A"]}"#)
        let enumWriter = try AvroSchemaParser().parse(#"{"type":"enum","name":"E","symbols":["C","A","B"]}"#)
        #expect(AvroCompatibility.check(reader: enumReader, writer: enumWriter).map(\.message) == ["[B, C]"])
        #expect(AvroCompatibility.check(reader: enumReader, writer: enumWriter).map(\.location) == ["/symbols"])
    }
}
