import Avro
import Testing

@testable import SchemaRegistry

/// The REST API over an in-memory store: routes, status codes, error bodies and response shapes of Confluent 6.2
/// (reference/schema-registry.md §1-3), subjects with `/` and `%`, unknown request members ignored.
@Suite("Schema registry REST API")
struct SchemaRegistryAPITests {
    let store = InMemorySchemaStore()
    var api: SchemaRegistryAPI { SchemaRegistryAPI(store: store, modeMutability: true) }

    func call(_ method: String, _ target: String, _ body: String = "") async -> (Int, String) {
        let response = await api.handle(RegistryRequest(method: method, target: target, body: Array(body.utf8)))
        #expect(response.contentType == "application/vnd.schemaregistry.v1+json")
        return (response.status, response.body)
    }

    static let user = #"{"type":"record","name":"User","fields":[{"name":"id","type":"int"}]}"#
    static func body(_ schema: String, extra: String = "") -> String {
        JSONValue.object(JSONObject([("schema", .string(schema))])).compactText.dropLast() + extra + "}"
    }

    @Test func registerReadAndLookUp() async {
        #expect(await call("GET", "/") == (200, "{}"))
        #expect(await call("GET", "/subjects") == (200, "[]"))
        // Newer clients send members this registry does not know: ignored.
        let registered = await call(
            "POST",
            "/subjects/users-value/versions",
            Self.body(Self.user, extra: #","references":[],"metadata":null,"ruleSet":null"#)
        )
        #expect(registered == (200, #"{"id":1}"#))
        #expect(await call("GET", "/subjects") == (200, #"["users-value"]"#))
        #expect(await call("GET", "/subjects/users-value/versions") == (200, "[1]"))
        let expected =
            #"{"subject":"users-value","version":1,"id":1,"schema":"{\"type\":\"record\",\"name\":\"User\",\"fields\":[{\"name\":\"id\",\"type\":\"int\"}]}"}"#
        #expect(await call("GET", "/subjects/users-value/versions/latest") == (200, expected))
        #expect(await call("GET", "/subjects/users-value/versions/-1") == (200, expected))
        #expect(await call("GET", "/subjects/users-value/versions/1/schema") == (200, Self.user))
        #expect(await call("POST", "/subjects/users-value", Self.body(Self.user)) == (200, expected))
        #expect(
            await call("GET", "/schemas/ids/1") == (
                200,
                #"{"schema":"{\"type\":\"record\",\"name\":\"User\",\"fields\":[{\"name\":\"id\",\"type\":\"int\"}]}"}"#
            )
        )
        #expect(await call("GET", "/schemas/ids/1/versions") == (200, #"[{"subject":"users-value","version":1}]"#))
        #expect(await call("GET", "/schemas/ids/1/subjects") == (200, #"["users-value"]"#))
        #expect(await call("GET", "/schemas/types") == (200, #"["JSON","PROTOBUF","AVRO"]"#))
        #expect(await call("GET", "/subjects/users-value/versions/1/referencedby") == (200, "[]"))
        _ = await call("POST", "/subjects/users-key/versions", Self.body(#""string""#))
        _ = await call(
            "POST",
            "/subjects/users-value/versions",
            Self.body(
                #"{"type":"record","name":"User","fields":[{"name":"id","type":"int"},{"name":"n","type":"int","default":0}]}"#
            )
        )
        let listed = await call("GET", "/schemas?subjectPrefix=users-v")
        #expect(listed.0 == 200 && listed.1.hasPrefix(#"[{"subject":"users-value","version":1,"id":1,"#))
        #expect(listed.1.contains(#"{"subject":"users-value","version":2,"id":3,"#) && !listed.1.contains("users-key"))
        let latest = await call("GET", "/schemas?latestOnly=true")
        #expect(
            latest.1.hasPrefix(
                #"[{"subject":"users-key","version":1,"id":2,"schema":"\"string\""},{"subject":"users-value","version":2,"#
            )
        )
        #expect(await call("GET", "/schemas?offset=1&limit=1").1.hasPrefix(#"[{"subject":"users-value","version":1,"#))
    }

    @Test func errorsCarryConfluentsCodes() async {
        _ = await call("POST", "/subjects/s/versions", Self.body(Self.user))
        #expect(
            await call("GET", "/subjects/nope/versions") == (
                404, #"{"error_code":40401,"message":"Subject 'nope' not found."}"#
            )
        )
        #expect(
            await call("GET", "/subjects/s/versions/7") == (
                404, #"{"error_code":40402,"message":"Version 7 not found."}"#
            )
        )
        #expect(await call("GET", "/schemas/ids/9") == (404, #"{"error_code":40403,"message":"Schema 9 not found"}"#))
        #expect(await call("GET", "/subjects/s/versions/zero").0 == 422)
        #expect(await call("GET", "/subjects/s/versions/zero").1.hasPrefix(#"{"error_code":42202,"#))
        #expect(
            await call("POST", "/subjects/s/versions", Self.body(#"{"type":"nothing"}"#)).1.hasPrefix(
                #"{"error_code":42201,"#
            )
        )
        #expect(
            await call("POST", "/subjects/s/versions", #"{"schemaType":"AVRO"}"#).1.hasPrefix(#"{"error_code":42201,"#)
        )
        #expect(await call("POST", "/subjects/s/versions", "{not json").0 == 400)
        let incompatible = await call(
            "POST",
            "/subjects/s/versions",
            Self.body(
                #"{"type":"record","name":"User","fields":[{"name":"id","type":"int"},{"name":"x","type":"int"}]}"#
            )
        )
        #expect(
            incompatible == (
                409,
                #"{"error_code":409,"message":"Schema being registered is incompatible with an earlier schema for subject \"s\""}"#
            )
        )
        #expect(await call("PUT", "/config", #"{"compatibility":"SOMETIMES"}"#).1.hasPrefix(#"{"error_code":42203,"#))
        #expect(await call("GET", "/nothing/here").0 == 404)
        #expect(await call("PATCH", "/subjects/s/versions").0 == 405)
    }

    @Test func configModeAndCompatibility() async {
        #expect(await call("GET", "/config") == (200, #"{"compatibilityLevel":"BACKWARD"}"#))
        #expect(await call("PUT", "/config", #"{"compatibility":"full"}"#) == (200, #"{"compatibility":"FULL"}"#))
        #expect(await call("GET", "/config") == (200, #"{"compatibilityLevel":"FULL"}"#))
        #expect(
            await call("GET", "/config/s").1
                == #"{"error_code":40408,"message":"Subject 's' does not have subject-level compatibility configured"}"#
        )
        #expect(await call("GET", "/config/s?defaultToGlobal=true") == (200, #"{"compatibilityLevel":"FULL"}"#))
        #expect(await call("PUT", "/config/s", #"{"compatibility":"NONE"}"#) == (200, #"{"compatibility":"NONE"}"#))
        #expect(await call("DELETE", "/config/s") == (200, #"{"compatibilityLevel":"NONE"}"#))
        #expect(await call("GET", "/mode") == (200, #"{"mode":"READWRITE"}"#))
        #expect(await call("PUT", "/mode/s", #"{"mode":"READONLY"}"#) == (200, #"{"mode":"READONLY"}"#))
        #expect(await call("POST", "/subjects/s/versions", Self.body(Self.user)).1.hasPrefix(#"{"error_code":42205,"#))
        #expect(await call("DELETE", "/mode/s") == (200, #"{"mode":"READONLY"}"#))
        _ = await call("POST", "/subjects/s/versions", Self.body(Self.user))
        let wider = #"{"type":"record","name":"User","fields":[{"name":"id","type":"long"}]}"#
        #expect(
            await call("POST", "/compatibility/subjects/s/versions/latest", Self.body(wider)) == (
                200, #"{"is_compatible":false}"#
            )
        )
        let verbose = await call("POST", "/compatibility/subjects/s/versions/latest?verbose=true", Self.body(wider))
        #expect(
            verbose.1.hasPrefix(
                #"{"is_compatible":false,"messages":["Incompatibility{type:TYPE_MISMATCH, location:/fields/0/type"#
            )
        )
        #expect(
            await call("POST", "/compatibility/subjects/other/versions/latest", Self.body(wider)) == (
                200, #"{"is_compatible":true}"#
            )
        )
        #expect(
            await call("POST", "/compatibility/subjects/s/versions/3", Self.body(wider)).1.hasPrefix(
                #"{"error_code":40402,"#
            )
        )
    }

    @Test func subjectsWithSlashesAndPercentSignsAndDeletes() async {
        #expect(await call("POST", "/subjects/a%2Fb%25c/versions", Self.body(Self.user)) == (200, #"{"id":1}"#))
        #expect(await call("GET", "/subjects") == (200, #"["a/b%c"]"#))
        #expect(await call("GET", "/subjects/a%2Fb%25c/versions") == (200, "[1]"))
        #expect(
            await call("DELETE", "/subjects/a%2Fb%25c/versions/1?permanent=true").1.hasPrefix(#"{"error_code":40407,"#)
        )
        #expect(await call("DELETE", "/subjects/a%2Fb%25c/versions/1") == (200, "1"))
        #expect(await call("GET", "/subjects?deleted=true") == (200, #"["a/b%c"]"#))
        #expect(await call("GET", "/subjects") == (200, "[]"))
        #expect(await call("DELETE", "/subjects/a%2Fb%25c?permanent=true") == (200, "[1]"))
        #expect(await call("GET", "/schemas/ids/1").0 == 200, "the id stays readable")
        let written = await store.written.map(\.key.text)
        #expect(
            written == [
                #"{"keytype":"SCHEMA","subject":"a/b%c","version":1,"magic":1}"#,
                #"{"keytype":"SCHEMA","subject":"a/b%c","version":1,"magic":1}"#,
                #"{"keytype":"SCHEMA","subject":"a/b%c","version":1,"magic":1}"#,
            ]
        )
        #expect(await store.written.map { $0.value == nil } == [false, false, true])
    }
}
