"""REST conformance of swiftkafka-schema-registry over HTTP (httpx), row by row of Confluent Schema Registry 6.2's
endpoint table (reference/schema-registry.md §2, with the 7.0 additions): each answer's status, `error_code` and
shape; the mode gates; soft then permanent deletes and the version numbers after them; one id for one schema under
two subjects; references, `referencedby`, `format=resolved` and the delete guard; unknown request members; subjects
holding `/` and `%`. The expected answers are Confluent's (its `Errors.java` codes and resource classes)."""
import json
from urllib.parse import quote

import httpx
import pytest

from conftest import single_broker
from test_schema_registry import CONTENT_TYPE, Registry


@pytest.fixture(scope="module")
def http():
    for broker in single_broker():
        registry = Registry(broker.bootstrap)
        try:
            with httpx.Client(base_url=registry.url, timeout=30,
                              headers={"Content-Type": CONTENT_TYPE, "Accept": CONTENT_TYPE}) as client:
                yield client
        finally:
            registry.close()


def record(name, *fields, namespace="com.example"):
    return json.dumps({"type": "record", "name": name, "namespace": namespace,
                       "fields": [{"name": f, "type": t} if not isinstance(t, dict) or "name" in t else dict(t, name=f)
                                  for f, t in fields]})


def error(response, status, code):
    """Asserts an error answer: the HTTP status, Confluent's body of exactly two members, the code."""
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error_code", "message"} and body["error_code"] == code, body
    assert response.headers["content-type"] == CONTENT_TYPE
    return body["message"]


def s(subject):
    """A subject as a path segment, encoded as the clients do (`/` → %2F, `%` → %25)."""
    return quote(subject, safe="")


def test_liveness_types_and_contexts(http):
    assert (http.get("/").status_code, http.get("/").json()) == (200, {})
    assert http.get("/schemas/types").json() == ["JSON", "PROTOBUF", "AVRO"]
    assert http.get("/contexts").json() == ["."]
    assert http.get("/no/such/path").status_code == 404
    assert http.request("PATCH", "/subjects/x/versions").status_code == 405


def test_register_lookup_and_read(http):
    v1 = record("Order", ("id", "long"))
    answer = http.post("/subjects/orders-value/versions",
                       json={"schema": v1, "schemaType": "AVRO", "references": [], "unknownMember": {"x": 1}})
    assert answer.status_code == 200 and answer.headers["content-type"] == CONTENT_TYPE
    assert set(answer.json()) == {"id"}
    first = answer.json()["id"]
    # The same schema again: the same id, no new version; under another subject: the same id too.
    assert http.post("/subjects/orders-value/versions", json={"schema": v1}).json() == {"id": first}
    assert http.post("/subjects/orders-copy/versions", json={"schema": v1}).json() == {"id": first}
    # Whitespace and member order inside the text do not make another schema.
    spaced = json.dumps(json.loads(v1), indent=2)
    assert http.post("/subjects/orders-value/versions", json={"schema": spaced}).json() == {"id": first}
    assert http.get("/subjects/orders-value/versions").json() == [1]
    assert http.get("/schemas/ids/%d/subjects" % first).json() == ["orders-copy", "orders-value"]
    assert http.get("/schemas/ids/%d/versions" % first).json() == [
        {"subject": "orders-copy", "version": 1}, {"subject": "orders-value", "version": 1}]

    v2 = record("Order", ("id", "long"), ("note", {"type": ["null", "string"], "default": None}))
    second = http.post("/subjects/orders-value/versions", json={"schema": v2}).json()["id"]
    assert second != first
    assert http.get("/subjects/orders-value/versions").json() == [1, 2]
    stored_v1 = json.dumps(json.loads(v1), separators=(",", ":"))
    assert http.get("/subjects/orders-value/versions/1").json() == {
        "subject": "orders-value", "version": 1, "id": first, "schema": stored_v1}
    for latest in ("latest", "-1"):
        assert http.get(f"/subjects/orders-value/versions/{latest}").json()["version"] == 2
    # The raw schema text, not a JSON string holding it.
    raw = http.get("/subjects/orders-value/versions/1/schema")
    assert raw.status_code == 200 and raw.json() == json.loads(v1)
    assert http.get(f"/schemas/ids/{first}").json() == {"schema": stored_v1}
    # confluent-kafka sends ?subject= when it reads by id; other formats than `resolved` give the stored text.
    assert http.get(f"/schemas/ids/{first}", params={"subject": "orders-value", "format": "x"}).json() == {
        "schema": stored_v1}
    assert {"subject": "orders-value", "version": 2, "id": second} == {
        k: v for k, v in http.post("/subjects/orders-value", json={"schema": v2}).json().items() if k != "schema"}
    assert http.get("/subjects").status_code == 200 and {"orders-value", "orders-copy"} <= set(http.get("/subjects").json())
    listed = http.get("/schemas", params={"subjectPrefix": "orders-v"}).json()
    assert [(e["subject"], e["version"]) for e in listed] == [("orders-value", 1), ("orders-value", 2)]
    assert [e["version"] for e in http.get("/schemas", params={"subjectPrefix": "orders-v", "latestOnly": "true"}).json()] == [2]

    error(http.get("/subjects/nobody/versions"), 404, 40401)
    error(http.get("/subjects/nobody/versions/1"), 404, 40401)
    error(http.get("/subjects/orders-value/versions/9"), 404, 40402)
    error(http.get("/subjects/orders-value/versions/9/schema"), 404, 40402)
    for bad in ("x", "0", "-2"):
        error(http.get(f"/subjects/orders-value/versions/{bad}"), 422, 42202)
    error(http.get("/schemas/ids/987654"), 404, 40403)
    error(http.get("/schemas/ids/987654/subjects"), 404, 40403)
    error(http.get("/schemas/ids/987654/versions"), 404, 40403)
    error(http.post("/subjects/nobody", json={"schema": v1}), 404, 40401)
    error(http.post("/subjects/orders-value", json={"schema": record("Other", ("a", "int"))}), 404, 40403)
    error(http.post("/subjects/orders-value", json={"schema": "{"}), 422, 42201)


def test_invalid_and_incompatible_schemas(http):
    for bad in ('{"type":"record","name":"R","fields":[{"name":"a","type":"nonsense"}]}', "{", "",
                '{"type":"record","name":"R","fields":[{"name":"a","type":"int","default":"x"}]}',
                '{"type":"enum","name":"E","symbols":["A","A"]}'):
        error(http.post("/subjects/bad-value/versions", json={"schema": bad}), 422, 42201)
    error(http.post("/subjects/bad-value/versions", json={"schemaType": "AVRO"}), 422, 42201)
    error(http.post("/subjects/bad-value/versions", json={"schema": '"int"', "schemaType": "XML"}), 422, 42201)
    assert http.post("/subjects/bad-value/versions", content=b"{not json").status_code == 400
    error(http.get("/subjects/bad-value/versions"), 404, 40401)

    http.post("/subjects/people-value/versions", json={"schema": record("Person", ("name", "string"))})
    # BACKWARD (the default): a new field without a default cannot read old data.
    message = error(http.post("/subjects/people-value/versions",
                              json={"schema": record("Person", ("name", "string"), ("age", "int"))}), 409, 409)
    assert "incompatible" in message
    assert http.get("/subjects/people-value/versions").json() == [1]


def test_compatibility_endpoints(http):
    http.post("/subjects/compat-value/versions", json={"schema": record("C", ("a", "int"))})
    widened = {"schema": record("C", ("a", "long"))}  # int → long: a reader of long reads int (BACKWARD)
    narrowed = {"schema": record("C", ("a", "string"))}
    assert http.post("/compatibility/subjects/compat-value/versions/latest", json=widened).json() == {
        "is_compatible": True}
    assert http.post("/compatibility/subjects/compat-value/versions/1", json=narrowed).json() == {
        "is_compatible": False}
    verbose = http.post("/compatibility/subjects/compat-value/versions/1?verbose=true", json=narrowed).json()
    assert verbose["is_compatible"] is False and len(verbose["messages"]) >= 1
    assert "/fields/0/type" in verbose["messages"][0]
    assert http.post("/compatibility/subjects/compat-value/versions/latest?verbose=true",
                     json=widened).json()["is_compatible"] is True
    # Confluent 7.0: without a version, against what the subject's level names.
    assert http.post("/compatibility/subjects/compat-value/versions", json=narrowed).json() == {"is_compatible": False}
    # A missing subject's latest is compatible with anything; a missing numbered version is not found.
    assert http.post("/compatibility/subjects/nobody/versions/latest", json=narrowed).json() == {"is_compatible": True}
    error(http.post("/compatibility/subjects/compat-value/versions/7", json=narrowed), 404, 40402)
    error(http.post("/compatibility/subjects/compat-value/versions/zero", json=narrowed), 422, 42202)
    error(http.post("/compatibility/subjects/compat-value/versions/latest", json={"schema": "{"}), 422, 42201)


def test_config_levels(http):
    assert http.get("/config").json() == {"compatibilityLevel": "BACKWARD"}
    error(http.get("/config/levels-value"), 404, 40408)
    assert http.get("/config/levels-value", params={"defaultToGlobal": "true"}).json() == {
        "compatibilityLevel": "BACKWARD"}
    for level in ("BACKWARD", "BACKWARD_TRANSITIVE", "FORWARD", "FORWARD_TRANSITIVE", "FULL", "FULL_TRANSITIVE",
                  "NONE"):
        # PUT takes and echoes `compatibility`; GET answers `compatibilityLevel`.
        assert http.put("/config/levels-value", json={"compatibility": level}).json() == {"compatibility": level}
        assert http.get("/config/levels-value").json() == {"compatibilityLevel": level}
    error(http.put("/config/levels-value", json={"compatibility": "SOMETIMES"}), 422, 42203)
    error(http.put("/config", json={}), 422, 42203)
    # Under NONE anything goes; the subject level wins over the global one.
    http.post("/subjects/levels-value/versions", json={"schema": record("L", ("a", "int"))})
    assert http.post("/subjects/levels-value/versions", json={"schema": record("L", ("b", "string"))}).status_code == 200
    assert http.delete("/config/levels-value").json() == {"compatibilityLevel": "NONE"}
    error(http.get("/config/levels-value"), 404, 40408)
    error(http.delete("/config/never-registered"), 404, 40401)
    assert http.put("/config", json={"compatibility": "FULL"}).json() == {"compatibility": "FULL"}
    assert http.get("/config").json() == {"compatibilityLevel": "FULL"}
    assert http.put("/config", json={"compatibility": "BACKWARD"}).json() == {"compatibility": "BACKWARD"}


def test_modes_gate_writes(http):
    assert http.get("/mode").json() == {"mode": "READWRITE"}
    error(http.get("/mode/gated-value"), 404, 40409)
    schema = {"schema": record("G", ("a", "int"))}
    assert http.post("/subjects/gated-value/versions", json=schema).status_code == 200
    assert http.put("/mode/gated-value", json={"mode": "READONLY"}).json() == {"mode": "READONLY"}
    assert http.get("/mode/gated-value").json() == {"mode": "READONLY"}
    error(http.post("/subjects/gated-value/versions", json={"schema": record("G", ("b", "int"))}), 422, 42205)
    error(http.delete("/subjects/gated-value/versions/1"), 422, 42205)
    error(http.delete("/subjects/gated-value"), 422, 42205)
    # Reads and an already-registered schema still answer.
    assert http.post("/subjects/gated-value/versions", json=schema).status_code == 200
    assert http.get("/subjects/gated-value/versions").json() == [1]
    error(http.put("/mode/gated-value", json={"mode": "SOMETIMES"}), 422, 42204)
    assert http.delete("/mode/gated-value").json() == {"mode": "READONLY"}
    error(http.get("/mode/gated-value"), 404, 40409)
    assert http.post("/subjects/gated-value/versions", json={"schema": record("G", ("a", "int"), (
        "b", {"type": "int", "default": 0}))}).status_code == 200

    # An id or a version in the body is for IMPORT mode only; IMPORT needs a subject without live schemas.
    error(http.post("/subjects/imported-value/versions", json=dict(schema, id=7000, version=1)), 422, 42205)
    error(http.put("/mode/gated-value", json={"mode": "IMPORT"}), 422, 42205)
    assert http.put("/mode/imported-value", json={"mode": "IMPORT"}).json() == {"mode": "IMPORT"}
    assert http.post("/subjects/imported-value/versions", json=dict(schema, id=7000, version=5)).json() == {"id": 7000}
    assert http.get("/subjects/imported-value/versions/5").json()["id"] == 7000
    # The id is taken by another schema: 42207.
    other = {"schema": record("Other", ("z", "int")), "id": 7000, "version": 6}
    error(http.post("/subjects/imported-value/versions", json=other), 422, 42207)
    assert http.put("/mode/imported-value", json={"mode": "READWRITE"}).json() == {"mode": "READWRITE"}
    # Ids handed out later never reuse an imported one.
    fresh = http.post("/subjects/after-import/versions", json={"schema": record("After", ("a", "int"))}).json()["id"]
    assert fresh > 7000


def test_soft_and_permanent_deletes_and_version_numbers(http):
    subject = "deletes-value"
    schemas = [record("D", ("a", "int"), *[(f"f{i}", {"type": "int", "default": i}) for i in range(n)])
               for n in range(3)]
    ids = [http.post(f"/subjects/{subject}/versions", json={"schema": x}).json()["id"] for x in schemas[:2]]
    error(http.delete(f"/subjects/{subject}/versions/1?permanent=true"), 404, 40407)
    assert http.delete(f"/subjects/{subject}/versions/1").json() == 1
    error(http.delete(f"/subjects/{subject}/versions/1"), 404, 40406)
    error(http.get(f"/subjects/{subject}/versions/1"), 404, 40402)
    assert http.get(f"/subjects/{subject}/versions/1?deleted=true").json()["id"] == ids[0]
    assert http.get(f"/subjects/{subject}/versions").json() == [2]
    assert http.get(f"/subjects/{subject}/versions?deleted=true").json() == [1, 2]
    # A soft-deleted schema still reads by id (old records decode).
    assert http.get(f"/schemas/ids/{ids[0]}").status_code == 200
    assert http.get(f"/schemas/ids/{ids[0]}/subjects").json() == []
    assert http.get(f"/schemas/ids/{ids[0]}/subjects?deleted=true").json() == [subject]
    assert http.delete(f"/subjects/{subject}/versions/1?permanent=true").json() == 1
    error(http.get(f"/subjects/{subject}/versions/1?deleted=true"), 404, 40402)
    error(http.delete(f"/subjects/{subject}/versions/8"), 404, 40402)

    # The subject: soft (its live versions), again (40404), permanent only after soft.
    error(http.delete(f"/subjects/{subject}?permanent=true"), 404, 40405)
    assert http.delete(f"/subjects/{subject}").json() == [2]
    error(http.delete(f"/subjects/{subject}"), 404, 40404)
    error(http.get(f"/subjects/{subject}/versions"), 404, 40401)
    assert subject not in http.get("/subjects").json()
    assert subject in http.get("/subjects?deleted=true").json()
    # Registering again after a soft delete continues the numbering.
    third = http.post(f"/subjects/{subject}/versions", json={"schema": schemas[2]}).json()["id"]
    assert http.get(f"/subjects/{subject}/versions").json() == [3]
    assert http.get(f"/subjects/{subject}/versions/3").json()["id"] == third
    assert http.delete(f"/subjects/{subject}").json() == [3]
    assert http.delete(f"/subjects/{subject}?permanent=true").json() == [2, 3]
    error(http.get(f"/subjects/{subject}/versions?deleted=true"), 404, 40401)
    error(http.delete(f"/subjects/{subject}"), 404, 40401)
    # Gone for good: numbering starts again at 1, and the schema keeps its id.
    assert http.post(f"/subjects/{subject}/versions", json={"schema": schemas[0]}).json() == {"id": ids[0]}
    assert http.get(f"/subjects/{subject}/versions").json() == [1]


def test_references_resolved_format_and_the_delete_guard(http):
    address = record("Address", ("street", "string"))
    address_id = http.post("/subjects/address/versions", json={"schema": address}).json()["id"]
    person = json.dumps({"type": "record", "name": "Person", "namespace": "com.example",
                         "fields": [{"name": "home", "type": "com.example.Address"}]})
    reference = {"name": "com.example.Address", "subject": "address", "version": 1}
    error(http.post("/subjects/person-value/versions", json={"schema": person}), 422, 42201)
    person_id = http.post("/subjects/person-value/versions", json={"schema": person, "references": [reference]}).json()["id"]
    assert http.get("/subjects/address/versions/1/referencedby").json() == [person_id]
    assert http.get("/subjects/address/versions/latest/referencedby").json() == [person_id]
    assert http.get("/subjects/person-value/versions/1/referencedby").json() == []
    # Member order as Confluent writes it: schemaType only when not AVRO, references after it, schema last.
    entity = http.get("/subjects/person-value/versions/1").json()
    assert list(entity) == ["subject", "version", "id", "references", "schema"]
    assert entity["references"] == [reference]
    by_id = http.get(f"/schemas/ids/{person_id}").json()
    assert list(by_id) == ["schema", "references"] and by_id["references"] == [reference]
    assert isinstance(json.loads(by_id["schema"])["fields"][0]["type"], str), "stored text names the reference"
    resolved = json.loads(http.get(f"/schemas/ids/{person_id}?format=resolved").json()["schema"])
    assert resolved["fields"][0]["type"] == {"type": "record", "name": "Address",
                                             "fields": [{"name": "street", "type": "string"}]}
    lookup = http.post("/subjects/person-value", json={"schema": person, "references": [reference]}).json()
    assert (lookup["id"], lookup["version"]) == (person_id, 1)

    error(http.delete("/subjects/address/versions/1"), 422, 42206)
    error(http.delete("/subjects/address"), 422, 42206)
    assert http.delete("/subjects/person-value").json() == [1]
    assert http.get("/subjects/address/versions/1/referencedby").json() == []
    assert http.delete("/subjects/address").json() == [1]
    assert http.get(f"/schemas/ids/{address_id}").status_code == 200


def test_subjects_with_slashes_and_percent_signs(http):
    for subject in ("a/b", "a%b", "team/a%2Fb"):
        answer = http.post(f"/subjects/{s(subject)}/versions", json={"schema": record("Odd", ("x", "int"))})
        assert answer.status_code == 200, (subject, answer.text)
        entity = http.get(f"/subjects/{s(subject)}/versions/latest").json()
        assert entity["subject"] == subject
        assert http.put(f"/config/{s(subject)}", json={"compatibility": "NONE"}).json() == {"compatibility": "NONE"}
        assert http.get(f"/config/{s(subject)}").json() == {"compatibilityLevel": "NONE"}
    assert {"a/b", "a%b", "team/a%2Fb"} <= set(http.get("/subjects").json())
    assert http.delete(f"/subjects/{s('a%b')}").json() == [1]
    assert "a%b" not in http.get("/subjects").json() and "a/b" in http.get("/subjects").json()


def test_json_and_protobuf_are_stored_and_served(http):
    json_schema = '{"type": "object", "properties": {"n": {"type": "integer"}}}'
    answer = http.post("/subjects/js-value/versions", json={"schemaType": "JSON", "schema": json_schema})
    assert answer.status_code == 200
    stored = http.get(f"/schemas/ids/{answer.json()['id']}").json()
    assert list(stored) == ["schemaType", "schema"] and stored["schemaType"] == "JSON"
    assert json.loads(stored["schema"]) == json.loads(json_schema)
    assert http.get("/subjects/js-value/versions/1").json()["schemaType"] == "JSON"
    error(http.post("/subjects/js-value/versions", json={"schemaType": "JSON", "schema": "{nope"}), 422, 42201)
    proto = 'syntax = "proto3";\nmessage Ping { int64 at = 1; }'
    answer = http.post("/subjects/proto-value/versions", json={"schemaType": "PROTOBUF", "schema": proto})
    assert answer.status_code == 200
    assert http.get(f"/schemas/ids/{answer.json()['id']}").json() == {"schemaType": "PROTOBUF", "schema": proto}
