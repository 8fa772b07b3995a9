"""The console's panes over the other services and the broker's security and transactions, against real processes:
a broker, a swiftkafka-schema-registry, a standalone swiftkafka-connect worker and a writable console (no login).
Avro values produced by confluent-kafka's AvroSerializer are shown decoded; a subject's two versions side by side
with the added field marked; a connector paused and resumed through the console's form, checked on Connect's REST
API; the security page without an authorizer and with a user quota set by swiftkafka-admin; an open transaction
on the topic page until it commits. Browser checks are in test_console.py; these read the pages' JSON twins and
post the forms as a browser does (session cookie and CSRF token)."""
import http.cookiejar
import json
import os
import re
import shutil
import subprocess
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request

import pytest
from confluent_kafka import Producer, SerializingProducer
from confluent_kafka.admin import AdminClient, NewTopic
from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroSerializer
from confluent_kafka.serialization import StringSerializer

from conftest import BROKER, single_broker, stop, wait_for
from test_connect import Worker, call as connect_call
from test_console import Console
from test_schema_registry import USER_V1, USER_V2, Registry

ADMIN = os.path.join(os.path.dirname(BROKER), "swiftkafka-admin")


@pytest.fixture(scope="module")
def services():
    fixture = single_broker()
    broker = next(fixture)
    directory = tempfile.mkdtemp(prefix="swiftkafka-console-services-")
    registry = worker = console = None
    try:
        registry = Registry(broker.bootstrap)
        worker = Worker(broker.bootstrap)
        console = Console(directory, {"bootstrap.servers": broker.bootstrap, "zookeeper.connect":
                                      broker.zookeeper.connect, "console.read.only": "false",
                                      "schema.registry.url": registry.url, "connect.url": worker.url})
        yield broker, registry, worker, console, directory
    finally:
        if console is not None:
            stop(console.process)
        if worker is not None:
            worker.close()
        if registry is not None:
            registry.close()
            shutil.rmtree(registry.directory, ignore_errors=True)
        fixture.close()
        shutil.rmtree(directory, ignore_errors=True)


class Browser:
    """A cookie-keeping HTTP client that posts forms with the session's CSRF token, as the console's pages do."""

    def __init__(self, console):
        self.console = console
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))

    def json(self, path):
        request = urllib.request.Request(self.console.url + path, headers={"Accept": "application/json"})
        return json.loads(self.opener.open(request, timeout=60).read())

    def post(self, path, fields):
        page = self.opener.open(self.console.url + "/", timeout=60).read().decode()
        token = re.search(r'<meta name="csrf-token" content="([0-9a-f]+)">', page).group(1)
        data = urllib.parse.urlencode(dict(fields, csrf=token)).encode()
        request = urllib.request.Request(self.console.url + path, data=data, headers={"Accept": "application/json"})
        return json.loads(self.opener.open(request, timeout=60).read())


def test_avro_values_are_decoded_through_the_registry(services):
    broker, registry, _, console, _ = services
    client = SchemaRegistryClient({"url": registry.url})
    producer = SerializingProducer({"bootstrap.servers": broker.bootstrap, "key.serializer": StringSerializer(),
                                    "value.serializer": AvroSerializer(client, json.dumps(USER_V2))})
    users = [{"id": i, "name": f"user {i}", "email": None if i % 2 else f"u{i}@example.com"} for i in range(5)]
    for user in users:
        producer.produce("users", key=f"user-{user['id']}", value=user)
    producer.flush(30)
    page = Browser(console).json("/topics/users/messages?order=oldest&limit=10")
    values = [m["value"] for m in page["messages"]]
    assert all(v["format"] == "avro" for v in values), values
    decoded = sorted((json.loads(v["text"]) for v in values), key=lambda d: d["value"]["id"])
    latest = client.get_latest_version("users-value")
    assert [d["value"] for d in decoded] == users
    assert {d["schema_id"] for d in decoded} == {latest.schema_id}
    # Text keys stay text.
    assert sorted(m["key"]["text"] for m in page["messages"]) == [f"user-{i}" for i in range(5)]


def test_a_subjects_versions_side_by_side(services):
    _, registry, _, console, _ = services
    client = SchemaRegistryClient({"url": registry.url})
    from confluent_kafka.schema_registry import Schema
    client.register_schema("people-value", Schema(json.dumps(USER_V1), "AVRO"))
    client.register_schema("people-value", Schema(json.dumps(USER_V2), "AVRO"))
    browser = Browser(console)
    listing = browser.json("/schemas")
    subjects = {s["name"]: s for s in listing["subjects"]}
    assert subjects["people-value"]["versions"] == "1, 2"
    assert listing["compatibility"] == "BACKWARD"
    page = browser.json("/schemas/people-value")
    assert (page["left"]["version"], page["right"]["version"]) == (1, 2)
    changed_right = [line["text"] for line in page["right"]["lines"] if line["changed"]]
    assert any('"email"' in text for text in changed_right), changed_right
    assert not any('"email"' in line["text"] for line in page["left"]["lines"])
    assert not [line for line in page["left"]["lines"] if line["changed"] and '"name"' in line["text"]]


def test_a_connector_paused_and_resumed_through_the_console(services):
    broker, _, worker, console, directory = services
    with open(f"{directory}/input.txt", "w") as f:
        f.write("one\ntwo\n")
    status, body, *_ = connect_call(worker.url, "POST", "/connectors", {"name": "lines", "config": {
        "connector.class": "FileStreamSource", "file": f"{directory}/input.txt", "topic": "lines", "tasks.max": "1"}})
    assert status == 201, body
    browser = Browser(console)
    wait_for(lambda: {c["name"]: c["state"] for c in browser.json("/connect")["connectors"]}.get("lines")
             == "RUNNING", 30, "the connector RUNNING on the console")
    answer = browser.post("/connect/lines/pause", {})
    assert answer["message"] == "lines: pause requested"
    wait_for(lambda: connect_call(worker.url, "GET", "/connectors/lines/status")[1]["connector"]["state"] == "PAUSED",
             30, "PAUSED on Connect's API")
    assert {c["name"]: c["state"] for c in browser.json("/connect")["connectors"]}["lines"] == "PAUSED"
    browser.post("/connect/lines/resume", {})
    wait_for(lambda: connect_call(worker.url, "GET", "/connectors/lines/status")[1]["connector"]["state"] == "RUNNING",
             30, "RUNNING again")


def test_a_connector_created_through_the_console(services):
    broker, _, worker, console, directory = services
    with open(f"{directory}/more.txt", "w") as f:
        f.write("three\n")
    browser = Browser(console)
    config = f"connector.class=FileStreamSource\nfile={directory}/more.txt\ntopic=more\ntasks.max=1"
    assert browser.post("/connect", {"name": "more", "config": config})["message"] == "Connector more created"
    status, body, *_ = connect_call(worker.url, "GET", "/connectors/more/config")
    assert status == 200 and body["file"] == f"{directory}/more.txt" and body["topic"] == "more", body
    # Connect's own refusal comes back as the console's error.
    try:
        browser.post("/connect", {"name": "bad", "config": "connector.class=NoSuchConnector"})
        assert False, "an unknown connector class was accepted"
    except urllib.error.HTTPError as error:
        answer = json.loads(error.read())
        assert error.code == 400 and "NoSuchConnector" in answer["message"], answer


def test_security_page_without_an_authorizer_and_with_a_quota(services):
    broker, _, _, console, _ = services
    result = subprocess.run([ADMIN, "configs", "--bootstrap-server", broker.bootstrap, "--alter", "--entity-type",
                             "users", "--entity-name", "alice", "--add-config", "producer_byte_rate=1024"],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    page = wait_for(lambda: (p := Browser(console).json("/security")) and p["quotas"] and p, 30, "the quota")
    assert page["authorizer"] is False and page["acls"] == []
    assert {"entity": "user=alice", "values": "producer_byte_rate=1024.0"} in page["quotas"], page["quotas"]


def test_an_open_transaction_shows_on_the_topic_page(services):
    broker, _, _, console, _ = services
    admin = AdminClient({"bootstrap.servers": broker.bootstrap})  # kept referenced until its future resolves
    admin.create_topics([NewTopic("payments", 2, 1)])["payments"].result(30)
    producer = Producer({"bootstrap.servers": broker.bootstrap, "transactional.id": "console-txn"})
    producer.init_transactions(30)
    producer.begin_transaction()
    producer.produce("payments", key=b"a", value=b"pending", partition=1)
    producer.flush(30)
    browser = Browser(console)
    page = wait_for(lambda: (p := browser.json("/topics/payments")) and p["openTransactions"] and p, 30,
                    "the open transaction")
    [open_transaction] = page["openTransactions"]
    assert open_transaction["partition"] == 1 and open_transaction["startOffset"] == 0
    partition = next(p for p in page["partitions"] if p["partition"] == 1)
    assert (partition["lastStable"], partition["logEnd"]) == (0, 1)  # read_committed consumers wait at 0
    producer.commit_transaction(30)
    page = wait_for(lambda: (p := browser.json("/topics/payments")) and p["openTransactions"] == [] and p, 30,
                    "the transaction closed")
    partition = next(p for p in page["partitions"] if p["partition"] == 1)
    assert partition["lastStable"] == partition["logEnd"] == 2  # the record and the commit marker
