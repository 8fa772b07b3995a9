"""swiftkafka-schema-registry (issue 18) against real clients and a real broker: confluent-kafka's AvroSerializer
registers through it and produces, AvroDeserializer reads back, an incompatible evolution gets the client's 409;
the REST answers over HTTP (content type, error bodies, `a/b` subjects, unknown members); the `_schemas` topic as
Confluent keeps it (one compacted partition, its exact key and value bytes), the same state after kill -9 and a
restart, and a hand-written Confluent-style topic loaded."""
import json
import os
import signal
import subprocess
import tempfile
import time
import urllib.error
import urllib.request

import pytest
from confluent_kafka import Consumer, Producer
from confluent_kafka import TopicPartition as ConfluentPartition
from confluent_kafka.admin import AdminClient, ConfigResource
from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroDeserializer, AvroSerializer
from confluent_kafka.schema_registry.error import SchemaRegistryError
from confluent_kafka.serialization import MessageField, SerializationContext

from conftest import BROKER, free_port, register, single_broker, stop, wait_for

REGISTRY = os.path.join(os.path.dirname(BROKER), "swiftkafka-schema-registry")
CONTENT_TYPE = "application/vnd.schemaregistry.v1+json"


class Registry:
    """One swiftkafka-schema-registry process on a free port."""

    def __init__(self, bootstrap, topic="_schemas", properties=None, port=None):
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.directory = tempfile.mkdtemp(prefix="swiftkafka-registry-")
        values = {"listeners": f"http://127.0.0.1:{self.port}", "kafkastore.bootstrap.servers": f"PLAINTEXT://{bootstrap}",
                  "kafkastore.topic": topic, "kafkastore.topic.replication.factor": "1", "mode.mutability": "true",
                  "host.name": "127.0.0.1"}
        values.update(properties or {})
        with open(f"{self.directory}/schema-registry.properties", "w") as f:
            f.write("".join(f"{k}={v}\n" for k, v in values.items()))
        self.start()

    def start(self):
        self.log = open(f"{self.directory}/registry.log", "a")
        self.process = subprocess.Popen([REGISTRY, f"{self.directory}/schema-registry.properties"],
                                        stdout=self.log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        register(self.process.pid)

        def serving():
            assert self.process.poll() is None, open(f"{self.directory}/registry.log").read()
            try:
                return call(self.url, "GET", "/")[0] == 200
            except OSError:
                return False
        wait_for(serving, 60, "the schema registry to serve")

    def close(self, sig=signal.SIGTERM):
        stop(self.process, sig)
        self.log.close()


def call(url, method, path, body=None):
    """(status, parsed body, content type) of one request."""
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url + path, data=data, method=method,
                                     headers={"Content-Type": CONTENT_TYPE} if data else {})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read()), response.headers["Content-Type"]
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read()), error.headers["Content-Type"]


@pytest.fixture(scope="module")
def broker():
    yield from single_broker()


@pytest.fixture(scope="module")
def registry(broker):
    instance = Registry(broker.bootstrap)
    yield instance
    instance.close()


USER_V1 = {"type": "record", "name": "User", "namespace": "com.example",
           "fields": [{"name": "id", "type": "int"}, {"name": "name", "type": "string"}]}
USER_V2 = dict(USER_V1, fields=USER_V1["fields"] + [{"name": "email", "type": ["null", "string"], "default": None}])
USER_BAD = dict(USER_V1, fields=USER_V1["fields"] + [{"name": "age", "type": "int"}])


def test_avro_serializer_registers_produces_and_reads_back(broker, registry):
    client = SchemaRegistryClient({"url": registry.url})
    admin = AdminClient({"bootstrap.servers": broker.bootstrap})
    from confluent_kafka.admin import NewTopic
    admin.create_topics([NewTopic("users", 1, 1)])["users"].result(30)
    serializer = AvroSerializer(client, json.dumps(USER_V1))
    context = SerializationContext("users", MessageField.VALUE)
    producer = Producer({"bootstrap.servers": broker.bootstrap})
    records = [{"id": i, "name": f"user-{i}"} for i in range(20)]
    for record in records:
        producer.produce("users", value=serializer(record, context))
    assert producer.flush(30) == 0
    registered = client.get_latest_version("users-value")
    assert registered.version == 1 and registered.subject == "users-value"

    consumer = Consumer({"bootstrap.servers": broker.bootstrap, "group.id": "avro-reader",
                         "auto.offset.reset": "earliest"})
    consumer.assign([ConfluentPartition("users", 0, 0)])
    deserializer = AvroDeserializer(client)
    read = []
    deadline = time.time() + 30
    while len(read) < len(records) and time.time() < deadline:
        message = consumer.poll(1)
        if message is None or message.error():
            continue
        value = message.value()
        # Confluent's wire format: magic byte 0, the schema id big-endian, then the Avro body.
        assert value[0] == 0 and int.from_bytes(value[1:5], "big") == registered.schema_id
        read.append(deserializer(value, context))
    consumer.close()
    assert read == records

    # A compatible evolution gets the next id; an incompatible one the client's 409.
    evolved = AvroSerializer(client, json.dumps(USER_V2))
    evolved({"id": 1, "name": "x", "email": None}, context)
    assert call(registry.url, "GET", "/subjects/users-value/versions")[1] == [1, 2]
    with pytest.raises(SchemaRegistryError) as refused:
        AvroSerializer(client, json.dumps(USER_BAD))({"id": 1, "name": "x", "age": 3}, context)
    assert refused.value.http_status_code == 409 and refused.value.error_code == 409


def test_rest_answers_over_http(registry):
    schema = json.dumps({"type": "record", "name": "T", "fields": [{"name": "a", "type": "long"}]})
    status, body, content_type = call(registry.url, "POST", "/subjects/a%2Fb/versions",
                                      {"schema": schema, "references": [], "metadata": None, "ruleSet": None})
    assert (status, content_type) == (200, CONTENT_TYPE) and set(body) == {"id"}
    assert call(registry.url, "GET", "/subjects/a%2Fb/versions")[:2] == (200, [1])
    assert call(registry.url, "GET", "/subjects/a%2Fb/versions/latest")[1] == {
        "subject": "a/b", "version": 1, "id": body["id"], "schema": schema.replace(" ", "")}
    assert call(registry.url, "GET", "/subjects/nobody/versions")[:2] == (
        404, {"error_code": 40401, "message": "Subject 'nobody' not found."})
    assert call(registry.url, "GET", "/schemas/ids/999")[:2] == (404, {"error_code": 40403, "message": "Schema 999 not found"})
    assert call(registry.url, "POST", "/subjects/a%2Fb/versions", {"schema": "{"})[1]["error_code"] == 42201
    assert call(registry.url, "GET", "/subjects/a%2Fb/versions/x")[1]["error_code"] == 42202
    assert call(registry.url, "PUT", "/config/a%2Fb", {"compatibility": "FULL"})[:2] == (200, {"compatibility": "FULL"})
    assert call(registry.url, "GET", "/config/a%2Fb")[:2] == (200, {"compatibilityLevel": "FULL"})
    assert call(registry.url, "GET", "/schemas/types")[:2] == (200, ["JSON", "PROTOBUF", "AVRO"])
    # A Protobuf schema is stored and served (its compatibility is not checked).
    proto = 'syntax = "proto3";\nmessage Event { string name = 1; }'
    status, body, _ = call(registry.url, "POST", "/subjects/events-value/versions",
                           {"schemaType": "PROTOBUF", "schema": proto})
    assert status == 200
    assert call(registry.url, "GET", f"/schemas/ids/{body['id']}")[1] == {"schemaType": "PROTOBUF", "schema": proto}


def schemas_topic(bootstrap, topic="_schemas"):
    """[(key bytes, value bytes or None)] of the whole topic."""
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": f"reader-{time.time()}",
                         "enable.auto.commit": False})
    end = consumer.get_watermark_offsets(ConfluentPartition(topic, 0), timeout=10)[1]
    consumer.assign([ConfluentPartition(topic, 0, 0)])
    records = []
    while len(records) < end:
        message = consumer.poll(10)
        assert message is not None and message.error() is None
        records.append((message.key(), message.value()))
    consumer.close()
    return records


def test_the_schemas_topic_is_confluents_and_survives_a_crash(broker, registry):
    admin = AdminClient({"bootstrap.servers": broker.bootstrap})
    metadata = admin.list_topics("_schemas", timeout=10).topics["_schemas"]
    assert len(metadata.partitions) == 1
    configs = admin.describe_configs([ConfigResource("topic", "_schemas")])
    policy = list(configs.values())[0].result(10)["cleanup.policy"].value
    assert policy == "compact"
    status, body, _ = call(registry.url, "POST", "/subjects/crash-value/versions", {"schema": '"string"'})
    assert status == 200
    records = schemas_topic(broker.bootstrap)
    key = json.dumps({"keytype": "SCHEMA", "subject": "crash-value", "version": 1, "magic": 1},
                     separators=(",", ":")).encode()
    value = json.dumps({"subject": "crash-value", "version": 1, "id": body["id"], "schema": '"string"',
                        "deleted": False}, separators=(",", ":")).encode()
    assert (key, value) in records

    def snapshot():
        subjects = call(registry.url, "GET", "/subjects")[1]
        return subjects, {s: call(registry.url, "GET", f"/subjects/{s.replace('/', '%2F')}/versions/latest")[1]
                          for s in subjects}
    before = snapshot()
    registry.close(signal.SIGKILL)
    registry.start()
    assert snapshot() == before


def test_a_hand_written_confluent_topic_is_loaded(broker):
    admin = AdminClient({"bootstrap.servers": broker.bootstrap})
    from confluent_kafka.admin import NewTopic
    admin.create_topics([NewTopic("_schemas_imported", 1, 1, config={"cleanup.policy": "compact"})])[
        "_schemas_imported"].result(30)
    producer = Producer({"bootstrap.servers": broker.bootstrap})
    log = [
        ('{"keytype":"CONFIG","subject":null,"magic":0}', '{"compatibilityLevel":"FULL"}'),
        ('{"keytype":"SCHEMA","subject":"old-value","version":1,"magic":1}',
         '{"subject":"old-value","version":1,"id":7,"schema":"\\"int\\"","deleted":false}'),
        ('{"keytype":"SCHEMA","subject":"old-value","version":2,"magic":1}',
         '{"subject":"old-value","version":2,"id":8,"schema":"\\"long\\"","deleted":false}'),
        ('{"keytype":"DELETE_SUBJECT","subject":"gone","magic":0}', '{"subject":"gone","version":1}'),
        ('{"keytype":"NOOP","magic":0}', None),
    ]
    for key, value in log:
        producer.produce("_schemas_imported", key=key.encode(), value=value.encode() if value else None)
    assert producer.flush(30) == 0
    imported = Registry(broker.bootstrap, topic="_schemas_imported")
    try:
        assert call(imported.url, "GET", "/config")[1] == {"compatibilityLevel": "FULL"}
        assert call(imported.url, "GET", "/subjects/old-value/versions")[1] == [1, 2]
        assert call(imported.url, "GET", "/schemas/ids/8")[1] == {"schema": '"long"'}
        # The next id is after the largest one read.
        status, body, _ = call(imported.url, "POST", "/subjects/new-value/versions", {"schema": '"double"'})
        assert (status, body) == (200, {"id": 9})
    finally:
        imported.close()


def test_the_image_entrypoint_configures_the_registry_as_confluents_image_does(broker):
    """docker/schema-registry-entrypoint.sh with conf/schema-registry.properties, outside a container: the
    SCHEMA_REGISTRY_-prefixed variables (as docker-compose.yml sets them) override the file."""
    root = os.path.join(os.path.dirname(__file__), "../..")
    port = free_port()
    environment = {
        "PATH": os.environ["PATH"], "SWIFTKAFKA_SCHEMA_REGISTRY": REGISTRY,
        "SWIFTKAFKA_PROPERTIES": os.path.join(root, "conf/schema-registry.properties"),
        "SCHEMA_REGISTRY_LISTENERS": f"http://127.0.0.1:{port}",
        "SCHEMA_REGISTRY_KAFKASTORE_BOOTSTRAP_SERVERS": f"PLAINTEXT://{broker.bootstrap}",
        "SCHEMA_REGISTRY_KAFKASTORE_TOPIC": "_schemas_entrypoint",
        "SCHEMA_REGISTRY_KAFKASTORE_TOPIC_REPLICATION_FACTOR": "1",
        "SCHEMA_REGISTRY_HOST_NAME": "registry",
    }
    log = tempfile.NamedTemporaryFile(prefix="swiftkafka-registry-entrypoint-", suffix=".log", delete=False)
    process = subprocess.Popen([os.path.join(root, "docker/schema-registry-entrypoint.sh")], env=environment,
                               stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    register(process.pid)
    try:
        url = f"http://127.0.0.1:{port}"

        def serving():
            assert process.poll() is None, open(log.name).read()
            try:
                return call(url, "GET", "/config")
            except OSError:
                return False
        assert wait_for(serving, 60, "the registry started by the entrypoint")[:2] == (200, {"compatibilityLevel": "BACKWARD"})
        assert call(url, "POST", "/subjects/e-value/versions", {"schema": '"bytes"'})[0] == 200
        # Besides the NOOP records each instance writes to find the topic's end (Confluent's way), one SCHEMA record.
        records = schemas_topic(broker.bootstrap, "_schemas_entrypoint")
        assert [key for key, _ in records if key != b'{"keytype":"NOOP","magic":0}'] == [
            b'{"keytype":"SCHEMA","subject":"e-value","version":1,"magic":1}']
        assert all(value is None for key, value in records if key == b'{"keytype":"NOOP","magic":0}')
    finally:
        stop(process)
        os.unlink(log.name)


def test_python_schema_registry_client_a_second_independent_client(registry):
    """python-schema-registry-client 2.6.1 (marcosschroh's, on httpx): register, read back by id and subject,
    compatibility tests, config, deletes."""
    from schema_registry.client import SchemaRegistryClient as OtherClient
    from schema_registry.client import schema as other_schema
    client = OtherClient(url=registry.url)
    v1 = other_schema.AvroSchema(json.dumps(USER_V1))
    first = client.register("other-client-value", v1)
    assert first > 0 and client.register("other-client-value", v1) == first
    assert client.get_by_id(first).raw_schema == USER_V1
    found = client.get_schema("other-client-value")
    assert (found.schema_id, found.version, found.schema.raw_schema) == (first, 1, USER_V1)
    assert client.test_compatibility("other-client-value", other_schema.AvroSchema(json.dumps(USER_V2))) is True
    assert client.test_compatibility("other-client-value", other_schema.AvroSchema(json.dumps(USER_BAD))) is False
    assert client.update_compatibility("NONE", "other-client-value") is True
    assert client.get_compatibility("other-client-value") == "NONE"
    second = client.register("other-client-value", other_schema.AvroSchema(json.dumps(USER_BAD)))
    assert client.get_versions("other-client-value") == [1, 2] and second != first
    assert client.delete_version("other-client-value", 2) == 2
    assert client.delete_subject("other-client-value") == [1]
    assert "other-client-value" not in client.get_subjects()


def test_debians_confluent_kafka_1_7_serializes_through_the_registry(broker, registry):
    """Debian's own client (python3-confluent-kafka 1.7.0 on librdkafka 2.0.2, run by Debian's Python): its
    AvroSerializer auto-registers under `<topic>-value` and produces; every value starts with 0x00 and the id; its
    AvroDeserializer reads them back; an evolution with a default is registered, a changed field type refused with
    409."""
    python = os.path.join(os.path.dirname(__file__), "..", "..", ".venv-debian", "bin", "python")
    assert os.path.exists(python), "no .venv-debian: scripts/test makes it (Debian's python3 with its packages)"
    from confluent_kafka.admin import NewTopic
    admin = AdminClient({"bootstrap.servers": broker.bootstrap})
    admin.create_topics([NewTopic("readings", 1, 1)])["readings"].result(30)
    script = os.path.join(os.path.dirname(__file__), "debian_avro_client.py")
    done = subprocess.run([python, script, broker.bootstrap, registry.url, "readings", "25"], capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    outcome = json.loads(done.stdout.strip().splitlines()[-1])
    assert outcome["client"] == "1.7.0"
    assert outcome["version"] == 1 and outcome["read"] is True
    assert outcome["headers"] == ["00" + outcome["schema_id"].to_bytes(4, "big").hex()]
    assert outcome["evolved_id"] not in (None, outcome["schema_id"])
    assert call(registry.url, "GET", "/subjects/readings-value/versions")[1] == [1, 2]
    assert outcome["refused"] == [409, 409]


def test_two_instances_elect_one_writer_in_zookeeper_and_never_share_an_id(broker):
    """Confluent's ZooKeeper mode (kafkastore.connection.url): the first instance leads
    (/schema_registry/schema_registry_master holds its identity), the second forwards its writes there; registrations
    through both, alternating, get distinct ids and are visible through both; when the leader stops the other takes
    over and goes on from a new id range (/schema_registry/schema_id_counter)."""
    from kazoo.client import KazooClient
    properties = {"kafkastore.connection.url": broker.zookeeper.connect}
    first = Registry(broker.bootstrap, topic="_schemas_pair", properties=properties)
    second = Registry(broker.bootstrap, topic="_schemas_pair", properties=properties)
    zk = KazooClient(hosts=broker.zookeeper.connect, timeout=10)
    zk.start()
    try:
        master = json.loads(zk.get("/schema_registry/schema_registry_master")[0])
        assert master == {"host": "127.0.0.1", "port": first.port, "master_eligibility": True, "scheme": "http",
                          "version": 1}
        ids = {}
        for n in range(10):
            target = (first, second)[n % 2]
            status, body, _ = call(target.url, "POST", f"/subjects/pair-{n}/versions", {"schema": json.dumps(
                {"type": "record", "name": f"P{n}", "fields": [{"name": "f", "type": "int"}]})})
            assert status == 200, body
            ids[n] = body["id"]
        assert len(set(ids.values())) == 10
        for instance in (first, second):
            wait_for(lambda: call(instance.url, "GET", "/subjects")[1] == sorted(f"pair-{n}" for n in range(10)), 10,
                     "every registration visible through both instances")
            assert all(call(instance.url, "GET", f"/schemas/ids/{i}")[0] == 200 for i in ids.values())
        counter = int(zk.get("/schema_registry/schema_id_counter")[0])
        assert counter >= max(ids.values())

        first.close()
        wait_for(lambda: json.loads(zk.get("/schema_registry/schema_registry_master")[0])["port"] == second.port, 20,
                 "the second instance to lead")
        status, body, _ = call(second.url, "POST", "/subjects/after/versions", {"schema": '"float"'})
        assert status == 200 and body["id"] > counter, (body, counter)
    finally:
        zk.stop()
        second.close()
        if first.process.poll() is None:
            first.close()


def test_metrics_count_requests_by_route_template(registry):
    for _ in range(3):
        assert call(registry.url, "GET", "/subjects/metrics-value/versions")[0] == 404
    with urllib.request.urlopen(registry.url + "/metrics", timeout=30) as response:
        assert response.headers["Content-Type"].startswith("text/plain")
        text = response.read().decode()
    lines = text.splitlines()
    counted = [line for line in lines if line.startswith("schema_registry_requests_total{")
               and 'endpoint="/subjects/{subject}/versions"' in line and 'status="404"' in line]
    assert counted and float(counted[0].split()[-1]) >= 3, counted
    assert "metrics-value" not in text, "subjects never become label values"
    subjects = len(call(registry.url, "GET", "/subjects")[1])
    assert f"schema_registry_subjects {subjects}.0" in lines or f"schema_registry_subjects {subjects}" in lines
    assert any(line.startswith("schema_registry_leader 1") for line in lines)
    assert any(line.startswith("schema_registry_request_duration_seconds_bucket{") for line in lines)


def test_swiftkafka_admin_schemas(registry, tmp_path):
    """`swiftkafka-admin schemas`: register from a file, list, describe, check compatibility (exit 1 with the
    registry's messages when incompatible), and the registry's errors as `Error: … (error code N)`."""
    admin = os.path.join(os.path.dirname(BROKER), "swiftkafka-admin")

    def tool(*args):
        return subprocess.run([admin, "schemas", "--schema-registry-url", registry.url, *args], capture_output=True,
                              text=True, timeout=60)
    v1, bad = tmp_path / "v1.avsc", tmp_path / "bad.avsc"
    v1.write_text(json.dumps(USER_V1))
    bad.write_text(json.dumps(USER_BAD))
    registered = tool("--register", "--subject", "cli/value", "--schema-file", str(v1))
    assert registered.returncode == 0, registered.stderr
    schema_id = call(registry.url, "GET", "/subjects/cli%2Fvalue/versions/1")[1]["id"]
    assert registered.stdout == f"Registered cli/value version 1 with id {schema_id}\n"
    assert "cli/value" in tool("--list").stdout.splitlines()
    described = tool("--describe", "--subject", "cli/value").stdout.splitlines()
    assert described[:3] == ["Subject: cli/value", "Compatibility: BACKWARD", f"Version 1: id {schema_id} (latest)"]
    assert described[3].startswith('Latest schema: {"type":"record","name":"User","namespace":"com.example"')
    assert tool("--check", "--subject", "cli/value", "--schema-file", str(v1)).stdout == \
        "Compatible with cli/value version latest\n"
    incompatible = tool("--check", "--subject", "cli/value", "--schema-file", str(bad))
    assert incompatible.returncode == 1
    assert incompatible.stdout.splitlines()[0] == "Incompatible with cli/value version latest:"
    assert "READER_FIELD_MISSING_DEFAULT_VALUE" in incompatible.stdout
    missing = tool("--describe", "--subject", "nobody")
    assert missing.returncode == 1 and missing.stderr == "Error: Subject 'nobody' not found. (error code 40401)\n"
