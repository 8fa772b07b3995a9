import Avro
import Testing

@testable import SchemaRegistry

/// The registry's decisions (Confluent 6.2's semantics, reference/schema-registry.md §4-5) on a state built only
/// from the records its own answers produce, as the server's reader builds it.
@Suite("Schema registry semantics")
struct SchemaRegistryStateTests {
    static let v1 = #"{"type":"record","name":"User","fields":[{"name":"id","type":"int"}]}"#
    static let v2 =
        #"{"type":"record","name":"User","fields":[{"name":"id","type":"int"},{"name":"name","type":"string","default":""}]}"#
    static let noDefault =
        #"{"type":"record","name":"User","fields":[{"name":"id","type":"int"},{"name":"x","type":"long"}]}"#

    /// A registry whose writes are applied at once.
    struct Registry {
        var state = SchemaRegistryState()

        mutating func write(_ records: [SchemaRegistryRecord]) { for record in records { state.apply(record) } }

        mutating func register(
            _ subject: String,
            _ schema: String,
            references: [SchemaReference] = []
        ) throws(SchemaRegistryError) -> Int32 {
            let (id, records) = try state.register(
                subject: subject,
                SchemaRequest(schema: schema, references: references)
            )
            write(records)
            return id
        }
    }

    /// The error code `body` throws, nil when it succeeds (-1 for another error).
    func error(_ body: () throws -> Void) -> Int? {
        do {
            try body()
            return nil
        } catch let error as SchemaRegistryError {
            return error.code
        } catch {
            return -1
        }
    }

    @Test func registrationDedupsAcrossSubjectsAndNumbersVersions() throws {
        var registry = Registry()
        #expect(try registry.register("users-value", Self.v1) == 1)
        // The same schema again: its id, nothing written; spelled differently but the same canonical text, too.
        #expect(try registry.state.register(subject: "users-value", SchemaRequest(schema: Self.v1)).records.isEmpty)
        #expect(
            try registry.register(
                "users-value",
                #"{ "name": "User", "type": "record", "fields": [{"type": "int", "name": "id"}] }"#
            ) == 1
        )
        #expect(try registry.register("other-value", Self.v1) == 1)
        // A writer holding the id range from 50 hands out 50 for a new schema (and still 1 for a known one).
        #expect(try registry.state.register(subject: "x", SchemaRequest(schema: #""bytes""#), idFloor: 50).id == 50)
        #expect(try registry.state.register(subject: "x", SchemaRequest(schema: Self.v1), idFloor: 50).id == 1)
        #expect(try registry.register("users-value", Self.v2) == 2)
        #expect(try registry.state.versionNumbers(subject: "users-value") == [1, 2])
        #expect(try registry.state.version(subject: "users-value", .latest).id == 2)
        #expect(registry.state.subjectNames() == ["other-value", "users-value"])
        #expect(
            try registry.state.subjectVersions(id: 1).map { "\($0.subject)/\($0.version)" } == [
                "other-value/1", "users-value/1",
            ]
        )
        let entity = SchemaRegistryState.entity(try registry.state.version(subject: "users-value", .number(1)))
        #expect(
            entity.compactText
                == #"{"subject":"users-value","version":1,"id":1,"schema":"{\"type\":\"record\",\"name\":\"User\",\"fields\":[{\"name\":\"id\",\"type\":\"int\"}]}"}"#
        )
        #expect(
            try registry.state.lookup(subject: "users-value", SchemaRequest(schema: Self.v2)).version == 2
        )
        #expect(
            error { _ = try registry.state.lookup(subject: "users-value", SchemaRequest(schema: #""string""#)) }
                == 40403
        )
        #expect(error { _ = try registry.state.lookup(subject: "nobody", SchemaRequest(schema: Self.v1)) } == 40401)
        #expect(error { _ = try registry.state.version(subject: "users-value", .number(9)) } == 40402)
        #expect(error { _ = try registry.state.schema(id: 77) } == 40403)
        #expect(error { _ = try VersionSpec(parsing: "0") } == 42202)
        #expect(try VersionSpec(parsing: "-1") == .latest)
    }

    @Test func compatibilityIsCheckedAgainstWhatTheLevelNames() throws {
        var registry = Registry()
        _ = try registry.register("s", Self.v1)
        // A field without a default cannot be read from version 1's data: refused under BACKWARD.
        #expect(error { _ = try registry.register("s", Self.noDefault) } == 409)
        let messages = try registry.state.checkCompatibility(
            subject: "s",
            version: .latest,
            SchemaRequest(schema: Self.noDefault)
        )
        #expect(
            messages.count == 1
                && messages[0].hasPrefix(
                    "Incompatibility{type:READER_FIELD_MISSING_DEFAULT_VALUE, location:/fields/1, message:x,"
                )
        )
        #expect(
            try registry.state.checkCompatibility(subject: "new", version: nil, SchemaRequest(schema: Self.noDefault))
                .isEmpty
        )
        #expect(
            error {
                _ = try registry.state.checkCompatibility(
                    subject: "s",
                    version: .number(5),
                    SchemaRequest(schema: Self.v1)
                )
            } == 40402
        )
        // FORWARD accepts it (version 1 reads the new data), NONE anything.
        registry.write(try registry.state.setCompatibility("forward", subject: "s").records)
        #expect(try registry.register("s", Self.noDefault) == 2)
        registry.write(try registry.state.setCompatibility("NONE", subject: "s").records)
        #expect(try registry.register("s", #""string""#) == 3)
        #expect(error { _ = try registry.state.setCompatibility("SIDEWAYS", subject: nil) } == 42203)
        #expect(try registry.state.compatibility(subject: "s", defaultToGlobal: false) == .none)
        #expect(error { _ = try registry.state.compatibility(subject: "t", defaultToGlobal: false) } == 40408)
        #expect(try registry.state.compatibility(subject: "t", defaultToGlobal: true) == .backward)
        // Transitive: removing a default is fine against the latest version, not against all of them.
        var transitive = Registry()
        let a = #"{"type":"record","name":"R","fields":[{"name":"f","type":"int","default":1}]}"#
        let b =
            #"{"type":"record","name":"R","fields":[{"name":"f","type":"int","default":1},{"name":"g","type":"int","default":2}]}"#
        let c =
            #"{"type":"record","name":"R","fields":[{"name":"f","type":"int","default":1},{"name":"g","type":"int"}]}"#
        _ = try transitive.register("r", a)
        _ = try transitive.register("r", b)
        transitive.write(try transitive.state.setCompatibility("BACKWARD_TRANSITIVE", subject: "r").records)
        #expect(error { _ = try transitive.register("r", c) } == 409)
        transitive.write(try transitive.state.setCompatibility("BACKWARD", subject: "r").records)
        #expect(try transitive.register("r", c) == 3)
    }

    @Test func badSchemasAndModesAreRefused() throws {
        var registry = Registry()
        #expect(error { _ = try registry.register("s", #"{"type":"record","name":"R"}"#) } == 42201)
        #expect(
            error {
                _ = try registry.register(
                    "s",
                    #"{"type":"record","name":"R","fields":[{"name":"a","type":"int","default":"x"}]}"#
                )
            } == 42201
        )
        #expect(
            error { _ = try registry.state.register(subject: "s", SchemaRequest(schema: "{}", schemaType: "XML")) }
                == 42201
        )
        _ = try registry.register("s", Self.v1)
        registry.write(try registry.state.setMode("READONLY", subject: "s", mutable: true).records)
        #expect(error { _ = try registry.register("s", Self.v2) } == 42205)
        #expect(error { _ = try registry.state.deleteVersion(subject: "s", .number(1), permanent: false) } == 42205)
        #expect(try registry.register("s", Self.v1) == 1, "a lookup needs no write")
        #expect(error { _ = try registry.state.setMode("SOMETIMES", subject: nil, mutable: true) } == 42204)
        #expect(error { _ = try registry.state.setMode("IMPORT", subject: nil, mutable: false) } == 42205)
        // IMPORT needs an empty registry; then ids and versions are the client's, and an id is never overwritten.
        #expect(error { _ = try registry.state.setMode("IMPORT", subject: nil, mutable: true) } == 42205)
        var importing = Registry()
        importing.write(try importing.state.setMode("IMPORT", subject: nil, mutable: true).records)
        #expect(error { _ = try importing.register("s", Self.v1) } == 42205)
        let (id, records) = try importing.state.register(
            subject: "s",
            SchemaRequest(schema: Self.v1, id: 42, version: 7)
        )
        importing.write(records)
        #expect(try id == 42 && importing.state.versionNumbers(subject: "s") == [7])
        #expect(
            error { _ = try importing.state.register(subject: "t", SchemaRequest(schema: Self.v2, id: 42, version: 1)) }
                == 42207
        )
        #expect(try importing.state.mode(subject: "s", defaultToGlobal: true) == .import)
        #expect(error { _ = try importing.state.mode(subject: "s") } == 40409)
    }

    @Test func jsonAndProtobufSchemasAreStoredAndServedButNotChecked() throws {
        var registry = Registry()
        let (jsonID, records) = try registry.state.register(
            subject: "j",
            SchemaRequest(
                schema: #"{ "type": "object", "properties": {"a": {"type": "number", "maximum": 1.50}} }"#,
                schemaType: "json"
            )
        )
        registry.write(records)
        let stored = try registry.state.schema(id: jsonID)
        #expect(stored.schemaType == "JSON")
        #expect(stored.schema == #"{"type":"object","properties":{"a":{"type":"number","maximum":1.5}}}"#)
        #expect(SchemaRegistryState.entity(stored).compactText.hasPrefix(#"{"schemaType":"JSON","schema":"#))
        #expect(
            error { _ = try registry.state.register(subject: "j", SchemaRequest(schema: "[1]", schemaType: "JSON")) }
                == 42201
        )
        let proto = "syntax = \"proto3\";\nmessage M { string a = 1; }\n"
        let (protoID, protoRecords) = try registry.state.register(
            subject: "p",
            SchemaRequest(schema: proto, schemaType: "PROTOBUF")
        )
        registry.write(protoRecords)
        #expect(try registry.state.schema(id: protoID).schema == "syntax = \"proto3\";\nmessage M { string a = 1; }")
        // A second version is not checked, so it is taken only where nothing is to be checked.
        let next = SchemaRequest(schema: "syntax = \"proto3\";\nmessage M { int64 a = 1; }", schemaType: "PROTOBUF")
        #expect(error { _ = try registry.state.register(subject: "p", next) } == 42201)
        registry.write(try registry.state.setCompatibility("NONE", subject: "p").records)
        registry.write(try registry.state.register(subject: "p", next).records)
        #expect(try registry.state.versionNumbers(subject: "p") == [1, 2])
        #expect(SchemaRegistryState.schemaTypes == ["JSON", "PROTOBUF", "AVRO"])
    }

    @Test func softThenPermanentDeletes() throws {
        var registry = Registry()
        _ = try registry.register("s", Self.v1)
        _ = try registry.register("s", Self.v2)
        #expect(error { _ = try registry.state.deleteVersion(subject: "s", .number(1), permanent: true) } == 40407)
        registry.write(try registry.state.deleteVersion(subject: "s", .number(1), permanent: false).records)
        #expect(try registry.state.versionNumbers(subject: "s") == [2])
        #expect(try registry.state.versionNumbers(subject: "s", includeDeleted: true) == [1, 2])
        #expect(error { _ = try registry.state.deleteVersion(subject: "s", .number(1), permanent: false) } == 40406)
        #expect(try registry.state.schema(id: 1).schema.contains("User"), "soft-deleted schemas stay readable by id")
        // Registering the soft-deleted schema again: its id, the next version, the old version tombstoned.
        let (id, records) = try registry.state.register(subject: "s", SchemaRequest(schema: Self.v1))
        #expect(id == 1 && records.count == 2 && records[0].value == nil)
        registry.write(records)
        #expect(try registry.state.versionNumbers(subject: "s", includeDeleted: true) == [2, 3])

        #expect(error { _ = try registry.state.deleteSubject(subject: "s", permanent: true) } == 40405)
        registry.write(try registry.state.setCompatibility("FULL", subject: "s").records)
        let soft = try registry.state.deleteSubject(subject: "s", permanent: false)
        #expect(soft.versions == [2, 3])
        #expect(soft.records.map(\.key) == [.deleteSubject("s"), .config(subject: "s")])
        registry.write(soft.records)
        #expect(registry.state.subjectNames().isEmpty && registry.state.subjectCompatibility.isEmpty)
        #expect(error { _ = try registry.state.versionNumbers(subject: "s") } == 40401)
        #expect(error { _ = try registry.state.deleteSubject(subject: "s", permanent: false) } == 40404)
        let hard = try registry.state.deleteSubject(subject: "s", permanent: true)
        #expect(hard.versions == [2, 3] && hard.records.allSatisfy { $0.value == nil })
        registry.write(hard.records)
        #expect(registry.state.subjectNames(includeDeleted: true).isEmpty)
        // A new version after deletes continues the numbering of the versions that remain recorded.
        #expect(try registry.register("s", Self.v2) == 2)
        #expect(try registry.state.versionNumbers(subject: "s") == [1])
    }

    @Test func referencesResolveAndGuardTheirTarget() throws {
        var registry = Registry()
        _ = try registry.register(
            "address",
            #"{"type":"record","name":"Address","namespace":"com.example","fields":[{"name":"city","type":"string"}]}"#
        )
        let user =
            #"{"type":"record","name":"User","namespace":"com.example","fields":[{"name":"home","type":"Address"}]}"#
        #expect(
            error { _ = try registry.register("user", user) } == 42201,
            "Address is not known without the reference"
        )
        let reference = SchemaReference(name: "com.example.Address", subject: "address", version: 1)
        #expect(try registry.register("user", user, references: [reference]) == 2)
        // The stored text names the imported type without defining it.
        #expect(
            try registry.state.schema(id: 2).schema
                == #"{"type":"record","name":"User","namespace":"com.example","fields":[{"name":"home","type":"Address"}]}"#
        )
        #expect(registry.state.referencedBy(subject: "address", version: 1) == [2])
        #expect(
            error { _ = try registry.state.deleteVersion(subject: "address", .number(1), permanent: false) } == 42206
        )
        #expect(error { _ = try registry.state.deleteSubject(subject: "address", permanent: false) } == 42206)
    }
}
