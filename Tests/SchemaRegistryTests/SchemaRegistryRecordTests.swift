import Avro
import Testing

@testable import SchemaRegistry

/// `_schemas` records byte for byte as Confluent writes them (the examples of reference/schema-registry.md §6, from
/// Redpanda's test of Confluent-written topics), the other writers' variants read, and a hand-written
/// Confluent-style log loaded.
@Suite("_schemas records")
struct SchemaRegistryRecordTests {
    @Test func keysAndValuesAreConfluentsBytes() {
        #expect(
            SchemaRegistryKey.schema(subject: "subject_0", version: 1).text
                == #"{"keytype":"SCHEMA","subject":"subject_0","version":1,"magic":1}"#
        )
        #expect(SchemaRegistryKey.config(subject: "s").text == #"{"keytype":"CONFIG","subject":"s","magic":0}"#)
        #expect(SchemaRegistryKey.config(subject: nil).text == #"{"keytype":"CONFIG","magic":0}"#)
        #expect(SchemaRegistryKey.mode(subject: nil).text == #"{"keytype":"MODE","magic":0}"#)
        #expect(SchemaRegistryKey.deleteSubject("s").text == #"{"keytype":"DELETE_SUBJECT","subject":"s","magic":0}"#)
        #expect(SchemaRegistryKey.clearSubject("s").text == #"{"keytype":"CLEAR_SUBJECT","subject":"s","magic":0}"#)
        #expect(SchemaRegistryKey.noop.text == #"{"keytype":"NOOP","magic":0}"#)
        let value = SchemaVersionValue(subject: "subject_0", version: 1, id: 1, schema: #"{"type":"record"}"#)
        #expect(
            value.text
                == #"{"subject":"subject_0","version":1,"id":1,"schema":"{\"type\":\"record\"}","deleted":false}"#
        )
        var withReferences = value
        withReferences.schemaType = "PROTOBUF"
        withReferences.references = [SchemaReference(name: "a.proto", subject: "a", version: 2)]
        #expect(
            withReferences.text
                == #"{"subject":"subject_0","version":1,"id":1,"schemaType":"PROTOBUF","references":[{"name":"a.proto","#
                + #""subject":"a","version":2}],"schema":"{\"type\":\"record\"}","deleted":false}"#
        )
        #expect(SchemaVersionValue(text: withReferences.text) == withReferences)
        #expect(SchemaRegistryRecord.config("s", .full).value == #"{"compatibilityLevel":"FULL"}"#)
        #expect(SchemaRegistryRecord.deleteSubject("s", upTo: 2).value == #"{"subject":"s","version":2}"#)
    }

    @Test func otherWritersKeysAreRead() {
        // Karapace's global CONFIG key, Redpanda's sequence fields, and something that is not a key at all.
        #expect(
            SchemaRegistryKey(bytes: Array(#"{"keytype":"CONFIG","subject":null,"magic":0}"#.utf8))
                == .config(subject: nil)
        )
        #expect(
            SchemaRegistryKey(
                bytes: Array(#"{"keytype":"SCHEMA","subject":"s","version":3,"magic":1,"seq":7,"node":1}"#.utf8)
            )
                == .schema(subject: "s", version: 3)
        )
        #expect(SchemaRegistryKey(bytes: Array(#"{"keytype":"SCHEMA","magic":1}"#.utf8)) == nil)
        #expect(SchemaRegistryKey(bytes: Array("not json".utf8)) == nil)
    }

    @Test func aConfluentWrittenLogIsLoaded() throws {
        let log: [(String, String?)] = [
            (#"{"keytype":"CONFIG","subject":"subject_0","magic":0}"#, #"{"compatibilityLevel":"BACKWARD"}"#),
            (
                #"{"keytype":"SCHEMA","subject":"subject_0","version":1,"magic":1}"#,
                #"{"subject":"subject_0","version":1,"id":1,"schema":"{\"type\":\"record\",\"name\":\"init\",\"fields\":[{\"name\":\"inner\",\"type\":[\"string\",\"int\"]}]}","deleted":false}"#
            ),
            (#"{"keytype":"CONFIG","magic":0}"#, #"{"compatibilityLevel":"FULL","subject":null}"#),
            (#"{"keytype":"MODE","magic":0}"#, #"{"mode":"READONLY"}"#),
            (#"{"keytype":"DELETE_SUBJECT","subject":"subject_0","magic":0}"#, #"{"subject":"subject_0","version":1}"#),
            (#"{"keytype":"NOOP","magic":0}"#, nil),
        ]
        var state = SchemaRegistryState()
        for (key, value) in log {
            state.apply(SchemaRegistryRecord(key: SchemaRegistryKey(bytes: Array(key.utf8))!, value: value))
        }
        #expect(state.subjectCompatibility == ["subject_0": .backward])
        #expect(state.compatibility(of: nil) == .full && state.mode(of: "subject_0") == .readOnly)
        #expect(state.subjectNames().isEmpty && state.subjectNames(includeDeleted: true) == ["subject_0"])
        #expect(try state.schema(id: 1).schema.hasPrefix(#"{"type":"record","name":"init""#))
        state.apply(SchemaRegistryRecord(key: .schema(subject: "subject_0", version: 1), value: nil))
        #expect(state.subjectNames(includeDeleted: true).isEmpty)
    }
}
