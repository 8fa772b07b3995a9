"""swiftkafka-connect (issue 19) in standalone mode against a real broker: Kafka's FileStream connectors move a
file through a topic into another file byte for byte, across a clean restart (no duplicates) and a kill -9
(nothing lost, repeats only since the last offset commit); the topic holds JsonConverter's exact envelope; the
REST API answers as Kafka 2.8's does (status codes, bodies, errors) for create, read, pause, resume, restart
and delete; Confluent's JDBC sink and source move rows between topics and SQLite."""
import base64
import datetime
import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
import urllib.error
import urllib.request

import pytest
from confluent_kafka import Consumer
from confluent_kafka.admin import AdminClient, NewTopic

from conftest import BROKER, free_port, register, single_broker, stop, wait_for

CONNECT = os.path.join(os.path.dirname(BROKER), "swiftkafka-connect")


class Worker:
    """One worker process with its properties, offsets file (standalone) and log in a temporary directory."""

    def __init__(self, bootstrap, connectors=(), properties=None, distributed=False):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.directory = tempfile.mkdtemp(prefix="swiftkafka-connect-")
        values = {"bootstrap.servers": bootstrap, "listeners": f"http://127.0.0.1:{self.port}",
                  "key.converter": "org.apache.kafka.connect.json.JsonConverter",
                  "value.converter": "org.apache.kafka.connect.json.JsonConverter",
                  "offset.flush.interval.ms": "1000", "plugin.path": "/usr/share/java"}
        self.mode = [] if distributed else ["--standalone"]
        if not distributed:
            values["offset.storage.file.filename"] = f"{self.directory}/connect.offsets"
        values.update(properties or {})
        self.properties = f"{self.directory}/worker.properties"
        write_properties(self.properties, values)
        self.connector_files = []
        for connector in connectors:
            path = f"{self.directory}/{connector['name']}.properties"
            write_properties(path, connector)
            self.connector_files.append(path)
        self.process = None
        self.start()

    def start(self):
        self.log = open(f"{self.directory}/worker.log", "a")
        self.process = subprocess.Popen([CONNECT, *self.mode, self.properties, *self.connector_files,
                                         "--log-level", os.environ.get("SWIFTKAFKA_CONNECT_LOG_LEVEL", "info")],
                                        stdout=self.log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        register(self.process.pid)

        def serving():
            assert self.process.poll() is None, self.read_log()
            try:
                return call(self.url, "GET", "/")[0] == 200
            except OSError:
                return False
        wait_for(serving, 60, "the Connect worker to serve")

    def read_log(self):
        with open(f"{self.directory}/worker.log") as f:
            return f.read()

    def stop(self, sig=signal.SIGTERM):
        stop(self.process, sig)
        self.log.close()

    def close(self):
        if self.process and self.process.poll() is None:
            self.stop()
        if os.environ.get("SWIFTKAFKA_KEEP_TEST_DIRS") is None:
            shutil.rmtree(self.directory, ignore_errors=True)


def write_properties(path, values):
    with open(path, "w") as f:
        f.write("".join(f"{k}={v}\n" for k, v in values.items()))


def metrics(url):
    """{series: value} of the worker's /metrics."""
    with urllib.request.urlopen(url + "/metrics", timeout=30) as response:
        assert response.headers["Content-Type"].startswith("text/plain")
        text = response.read().decode()
    return {line.rsplit(" ", 1)[0]: float(line.rsplit(" ", 1)[1]) for line in text.splitlines()
            if line and not line.startswith("#")}


def call(url, method, path, body=None):
    """(status, parsed body or None, headers) of one request."""
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url + path, data=data, method=method,
                                     headers={"Content-Type": "application/json"} if data else {})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            text = response.read()
            return response.status, json.loads(text) if text else None, response.headers
    except urllib.error.HTTPError as error:
        text = error.read()
        return error.code, json.loads(text) if text else None, error.headers


@pytest.fixture(scope="module")
def broker():
    yield from single_broker()


def lines_of(path):
    if not os.path.exists(path):
        return []
    with open(path, "rb") as f:
        return f.read().split(b"\n")[:-1]


def create_topic(bootstrap, topic, partitions=1):
    admin = AdminClient({"bootstrap.servers": bootstrap})
    admin.create_topics([NewTopic(topic, partitions, 1)])[topic].result(30)


def file_pipeline(directory, topic):
    source = {"name": "local-file-source", "connector.class": "FileStreamSource", "tasks.max": "1",
              "file": f"{directory}/input.txt", "topic": topic}
    sink = {"name": "local-file-sink", "connector.class": "org.apache.kafka.connect.file.FileStreamSinkConnector",
            "tasks.max": "1", "file": f"{directory}/output.txt", "topics": topic}
    return source, sink


class JsonValues:
    """A consumer of `topic` from its beginning that keeps every record's value, parsed as JSON, in `values`."""

    def __init__(self, bootstrap, topic, group):
        self.consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": group, "auto.offset.reset": "earliest"})
        self.consumer.subscribe([topic])
        self.values = []

    def receive(self, count, seconds):
        """Consumes until `count` values are kept or `seconds` pass; returns them all."""
        deadline = time.time() + seconds
        while len(self.values) < count and time.time() < deadline:
            for message in self.consumer.consume(500, 0.5):
                if message.error() is None:
                    self.values.append(json.loads(message.value()))
        return self.values

    def close(self):
        self.consumer.close()


def test_file_source_to_file_sink_across_a_restart_and_a_kill(broker, tmp_path):
    """100,000 lines (with UTF-8 text and an empty line) go file → topic → file; the output equals the input byte
    for byte. A clean stop and restart (offsets committed on stop) adds no duplicates; a kill -9 mid-way loses
    nothing and repeats only lines since the last offset commit (counted and printed)."""
    topic = "connect-lines"
    create_topic(broker.bootstrap, topic)  # one partition: the lines keep their order
    source, sink = file_pipeline(tmp_path, topic)
    lines = [f"line {i} ünïcode" if i % 1000 else "" for i in range(100_000)]
    with open(f"{tmp_path}/input.txt", "w") as f:
        f.write("".join(line + "\n" for line in lines))
    worker = Worker(broker.bootstrap, [source, sink])
    try:
        output = f"{tmp_path}/output.txt"
        wait_for(lambda: len(lines_of(output)) >= len(lines), 120, "the 100,000 lines in the sink's file")
        with open(f"{tmp_path}/input.txt", "rb") as a, open(output, "rb") as b:
            assert a.read() == b.read(), "the sink's file differs from the source's"
        series = metrics(worker.url)
        task = '{connector="local-file-source",task="0"}'
        assert series["kafka_connect_source_task_metrics_source_record_poll_total" + task] == len(lines)
        assert series["kafka_connect_source_task_metrics_source_record_write_total" + task] == len(lines)
        assert series['kafka_connect_sink_task_metrics_sink_record_send_total{connector="local-file-sink",task="0"}'] \
            == len(lines)
        assert series['kafka_connect_connector_metrics_status{connector="local-file-sink",status="running"}'] == 1
        assert series['kafka_connect_connector_metrics_status{connector="local-file-sink",status="failed"}'] == 0
        assert series["kafka_connect_connect_worker_metrics_task_count"] == 2

        worker.stop()
        more = [f"after restart {i}" for i in range(1000)]
        with open(f"{tmp_path}/input.txt", "a") as f:
            f.write("".join(line + "\n" for line in more))
        worker.start()
        wait_for(lambda: len(lines_of(output)) >= len(lines) + len(more), 60, "the lines written while stopped")
        time.sleep(2)  # anything repeated would arrive meanwhile
        with open(f"{tmp_path}/input.txt", "rb") as a, open(output, "rb") as b:
            assert a.read() == b.read(), "a clean restart repeated or lost lines"

        # kill -9 while a second batch streams in: every line arrives, some perhaps twice.
        burst = [f"burst {i}" for i in range(50_000)]
        with open(f"{tmp_path}/input.txt", "a") as f:
            f.write("".join(line + "\n" for line in burst[:25_000]))
        wait_for(lambda: len(lines_of(output)) > len(lines) + len(more) + 5_000, 60, "part of the burst")
        worker.stop(signal.SIGKILL)
        with open(f"{tmp_path}/input.txt", "a") as f:
            f.write("".join(line + "\n" for line in burst[25_000:]))
        worker.start()
        expected = [line.encode() for line in lines + more + burst]
        wait_for(lambda: set(lines_of(output)) >= set(expected), 120, "every line after the kill")
        got = lines_of(output)
        duplicates = len(got) - len(expected)
        print(f"lines repeated after kill -9: {duplicates}")
        assert duplicates >= 0
        # Nothing out of order except repeats: the output without its repeats is the input.
        seen, unique = set(), []
        for line in got:
            if line not in seen or line == b"":
                seen.add(line)
                unique.append(line)
        assert [line for line in unique if line] == [line for line in expected if line]
    finally:
        worker.close()


def test_the_topic_holds_jsonconverters_envelope(broker, tmp_path):
    """A line written by the file source is the value `{"schema":{"type":"string","optional":false},"payload":…}`
    with no key, as Kafka's JsonConverter writes it."""
    topic = "connect-envelope"
    source, _ = file_pipeline(tmp_path, topic)
    with open(f"{tmp_path}/input.txt", "w") as f:
        f.write('say "hi"\n')
    worker = Worker(broker.bootstrap, [source])
    consumer = Consumer({"bootstrap.servers": broker.bootstrap, "group.id": "envelope-check",
                         "auto.offset.reset": "earliest"})
    try:
        consumer.subscribe([topic])
        message = wait_for(lambda: (lambda m: m if m is not None and not m.error() else None)(consumer.poll(0.5)),
                           60, "the source's record")
        assert message.key() is None
        assert message.value() == b'{"schema":{"type":"string","optional":false},"payload":"say \\"hi\\""}'
    finally:
        consumer.close()
        worker.close()


def test_transforms_shape_and_route_the_source_records(broker, tmp_path):
    """A file source with HoistField$Value, InsertField$Value and RegexRouter: each line arrives in the routed
    topic as Kafka's JsonConverter writes the transformed struct."""
    source, _ = file_pipeline(tmp_path, "connect-raw")
    source.update({
        "transforms": "hoist,origin,route",
        "transforms.hoist.type": "org.apache.kafka.connect.transforms.HoistField$Value",
        "transforms.hoist.field": "line",
        "transforms.origin.type": "org.apache.kafka.connect.transforms.InsertField$Value",
        "transforms.origin.static.field": "origin", "transforms.origin.static.value": "file",
        "transforms.route.type": "org.apache.kafka.connect.transforms.RegexRouter",
        "transforms.route.regex": "connect-(.*)", "transforms.route.replacement": "routed-$1",
    })
    with open(f"{tmp_path}/input.txt", "w") as f:
        f.write("hello\n")
    worker = Worker(broker.bootstrap, [source])
    consumer = Consumer({"bootstrap.servers": broker.bootstrap, "group.id": "transform-check",
                         "auto.offset.reset": "earliest", "topic.metadata.refresh.interval.ms": 500})
    try:
        consumer.subscribe(["routed-raw"])
        message = wait_for(lambda: (lambda m: m if m is not None and not m.error() else None)(consumer.poll(0.5)),
                           60, "the transformed record in routed-raw")
        assert message.value() == (b'{"schema":{"type":"struct","fields":[{"type":"string","optional":false,"field":"line"},'
                                   b'{"type":"string","optional":true,"field":"origin"}],"optional":false},'
                                   b'"payload":{"line":"hello","origin":"file"}}')
    finally:
        consumer.close()
        worker.close()


def test_rest_api_as_kafka_28_answers(broker, tmp_path):
    """Kafka 2.8's REST flow: root, plugins, create (201, Location), duplicate (409), info, config, tasks,
    status, a config naming another connector (400), pause (202, PAUSED), resume (202, RUNNING), restarts (204),
    unknown connectors (404 with Connect's message), delete (204), and bad bodies (400)."""
    worker = Worker(broker.bootstrap)
    try:
        status, root, _ = call(worker.url, "GET", "/")
        assert status == 200 and root["version"] == "2.8.2"
        cluster_id = AdminClient({"bootstrap.servers": broker.bootstrap}).list_topics(timeout=30).cluster_id
        assert root["kafka_cluster_id"] == cluster_id
        status, plugins, _ = call(worker.url, "GET", "/connector-plugins")
        assert status == 200
        assert {"class": "org.apache.kafka.connect.file.FileStreamSinkConnector", "type": "sink",
                "version": "2.8.2"} in plugins
        assert {p["class"] for p in plugins} >= {"org.apache.kafka.connect.file.FileStreamSourceConnector"}
        assert call(worker.url, "GET", "/connectors")[:2] == (200, [])

        # Validation: the key sets Apache's connect_rest_test.py expects, Connect's groups and errors.
        sink_keys = {"name", "connector.class", "tasks.max", "key.converter", "value.converter", "header.converter",
                     "topics", "file", "transforms", "topics.regex", "config.action.reload", "errors.retry.timeout",
                     "errors.retry.delay.max.ms", "errors.tolerance", "errors.log.enable",
                     "errors.log.include.messages", "errors.deadletterqueue.topic.name",
                     "errors.deadletterqueue.topic.replication.factor",
                     "errors.deadletterqueue.context.headers.enable", "predicates"}
        source_keys = {"name", "connector.class", "tasks.max", "key.converter", "value.converter", "header.converter",
                       "batch.size", "topic", "file", "transforms", "config.action.reload", "errors.retry.timeout",
                       "errors.retry.delay.max.ms", "errors.tolerance", "errors.log.enable",
                       "errors.log.include.messages", "predicates", "topic.creation.groups"}
        sink_class = "org.apache.kafka.connect.file.FileStreamSinkConnector"
        status, infos, _ = call(worker.url, "PUT", "/connector-plugins/FileStreamSinkConnector/config/validate",
                                {"connector.class": sink_class, "tasks.max": "0", "topics": "t"})
        assert status == 200 and infos["name"] == sink_class
        assert {c["definition"]["name"] for c in infos["configs"]} == sink_keys
        assert infos["groups"] == ["Common", "Transforms", "Predicates", "Error Handling"]
        errors = {c["value"]["name"]: c["value"]["errors"] for c in infos["configs"] if c["value"]["errors"]}
        assert set(errors) == {"name", "tasks.max"} and infos["error_count"] == 2, errors
        topics = next(c for c in infos["configs"] if c["definition"]["name"] == "topics")
        assert topics["definition"]["order"] == 4 and topics["definition"]["type"] == "LIST"
        assert topics["value"] == {"name": "topics", "value": "t", "recommended_values": [], "errors": [],
                                   "visible": True}
        status, infos, _ = call(worker.url, "PUT", "/connector-plugins/FileStreamSource/config/validate",
                                {"connector.class": "FileStreamSource", "name": "s", "topic": "a", "file": "/x"})
        assert status == 200 and infos["error_count"] == 0
        assert {c["definition"]["name"] for c in infos["configs"]} == source_keys
        status, body, _ = call(worker.url, "PUT", "/connector-plugins/FileStreamSource/config/validate",
                               {"connector.class": sink_class, "name": "s"})
        assert status == 400 and "does not match request type" in body["message"]

        _, sink = file_pipeline(tmp_path, "connect-rest")
        config = {k: v for k, v in sink.items() if k != "name"}
        status, info, headers = call(worker.url, "POST", "/connectors", {"name": "rest-sink", "config": config})
        assert status == 201, info
        assert headers["Location"].endswith("/connectors/rest-sink")
        assert info == {"name": "rest-sink", "config": dict(config, name="rest-sink"),
                        "tasks": [{"connector": "rest-sink", "task": 0}], "type": "sink"}
        status, body, _ = call(worker.url, "POST", "/connectors", {"name": "rest-sink", "config": config})
        assert status == 409 and body["error_code"] == 409
        assert call(worker.url, "GET", "/connectors")[1] == ["rest-sink"]
        assert call(worker.url, "GET", "/connectors/rest-sink")[1] == info
        assert call(worker.url, "GET", "/connectors/rest-sink/config")[1] == dict(config, name="rest-sink")
        status, tasks, _ = call(worker.url, "GET", "/connectors/rest-sink/tasks")
        assert status == 200 and tasks[0]["id"] == {"connector": "rest-sink", "task": 0}
        assert tasks[0]["config"]["file"] == config["file"]

        def state():
            body = call(worker.url, "GET", "/connectors/rest-sink/status")[1]
            return body["connector"]["state"], [t["state"] for t in body["tasks"]]
        wait_for(lambda: state() == ("RUNNING", ["RUNNING"]), 30, "the sink's task to run")
        status, body, _ = call(worker.url, "GET", "/connectors/rest-sink/status")
        assert body["name"] == "rest-sink" and body["type"] == "sink"
        assert body["connector"]["worker_id"] == f"127.0.0.1:{worker.port}"
        assert call(worker.url, "GET", "/connectors/rest-sink/tasks/0/status")[1] == {
            "id": 0, "state": "RUNNING", "worker_id": f"127.0.0.1:{worker.port}"}

        status, body, _ = call(worker.url, "PUT", "/connectors/rest-sink/config", dict(config, name="other"))
        assert status == 400 and "doesn't match connector name in the URL" in body["message"]
        status, info2, _ = call(worker.url, "PUT", "/connectors/rest-sink/config", dict(config, **{"tasks.max": "2"}))
        assert status == 200 and len(info2["tasks"]) == 2

        assert call(worker.url, "PUT", "/connectors/rest-sink/pause")[0] == 202
        wait_for(lambda: state() == ("PAUSED", ["PAUSED", "PAUSED"]), 30, "the connector paused")
        assert call(worker.url, "PUT", "/connectors/rest-sink/resume")[0] == 202
        wait_for(lambda: state() == ("RUNNING", ["RUNNING", "RUNNING"]), 30, "the connector resumed")
        assert call(worker.url, "POST", "/connectors/rest-sink/restart")[0] == 204
        assert call(worker.url, "POST", "/connectors/rest-sink/tasks/1/restart")[0] == 204
        wait_for(lambda: state() == ("RUNNING", ["RUNNING", "RUNNING"]), 30, "the tasks running after restarts")

        status, body, _ = call(worker.url, "POST", "/connectors/rest-sink/restart?includeTasks=true&onlyFailed=false")
        assert status == 202 and body["name"] == "rest-sink" and len(body["tasks"]) == 2
        wait_for(lambda: state() == ("RUNNING", ["RUNNING", "RUNNING"]), 30, "the tasks running after KIP-745's restart")

        # A task that fails is FAILED with its error as the trace, and KIP-745 restarts only it.
        broken = dict(config, file=f"{tmp_path}/no-such-directory/out.txt")
        assert call(worker.url, "PUT", "/connectors/broken-sink/config", broken)[0] == 201
        broken_task = lambda: call(worker.url, "GET", "/connectors/broken-sink/tasks/0/status")[1]
        wait_for(lambda: broken_task()["state"] == "FAILED", 30, "the broken task to fail")
        assert "Couldn't find or create file" in broken_task()["trace"]
        status, body, _ = call(worker.url, "POST", "/connectors/broken-sink/restart?includeTasks=true&onlyFailed=true")
        assert status == 202
        wait_for(lambda: worker.read_log().count("Task broken-sink-0 failed") == 2, 30, "the restarted task to fail again")
        assert broken_task()["state"] == "FAILED"
        assert call(worker.url, "DELETE", "/connectors/broken-sink")[0] == 204

        status, body, _ = call(worker.url, "GET", "/connectors/nope")
        assert (status, body) == (404, {"error_code": 404, "message": "Connector nope not found"})
        assert call(worker.url, "GET", "/connectors/rest-sink/tasks/7/status")[0] == 404
        status, body, _ = call(worker.url, "POST", "/connectors", {"name": "bad", "config": {"connector.class": "Nope"}})
        assert status == 400 and "Nope" in body["message"]
        status, body, _ = call(worker.url, "POST", "/connectors",
                               {"name": "bad", "config": {"connector.class": "FileStreamSink"}})
        assert status == 400 and "topics" in body["message"]
        request = urllib.request.Request(worker.url + "/connectors", data=b"{not json", method="POST",
                                         headers={"Content-Type": "application/json"})
        with pytest.raises(urllib.error.HTTPError) as raised:
            urllib.request.urlopen(request, timeout=30)
        assert raised.value.code == 400

        assert call(worker.url, "DELETE", "/connectors/rest-sink")[0] == 204
        assert call(worker.url, "GET", "/connectors/rest-sink")[0] == 404
        assert call(worker.url, "GET", "/connectors")[1] == []
        assert worker.process.poll() is None
    finally:
        worker.close()


def test_kafka_connect_py_manages_a_connector(broker, tmp_path):
    """kafka-connect-py's `kc` command, an existing REST client, against the worker: info, create, list, status,
    pause, resume, restart (its KIP-745 parameters), task restart, delete."""
    worker = Worker(broker.bootstrap)
    kc_path = os.path.join(os.path.dirname(os.path.realpath(__file__)), "..", "..", ".venv", "bin", "kc")

    def kc(*args):
        result = subprocess.run([kc_path, "--url", worker.url, *args], capture_output=True, text=True, timeout=60)
        assert result.returncode == 0, result.stderr
        return json.loads(result.stdout) if result.stdout.strip() not in ("", "null") else None
    try:
        assert kc("info")["version"] == "2.8.2"
        _, sink = file_pipeline(tmp_path, "connect-kc")
        config = {k: v for k, v in sink.items() if k != "name"}
        created = kc("create", "--config-data", json.dumps({"name": "kc-sink", "config": config}))
        assert created["name"] == "kc-sink" and created["type"] == "sink"
        assert kc("list") == ["kc-sink"]
        wait_for(lambda: kc("status", "kc-sink")["tasks"][0]["state"] == "RUNNING", 30, "the task running")
        assert kc("config", "kc-sink")["file"] == sink["file"]
        kc("pause", "kc-sink")
        wait_for(lambda: kc("status", "kc-sink")["connector"]["state"] == "PAUSED", 30, "paused through kc")
        kc("resume", "kc-sink")
        wait_for(lambda: kc("status", "kc-sink")["connector"]["state"] == "RUNNING", 30, "resumed through kc")
        kc("restart", "kc-sink")
        kc("restart", "kc-sink", "--include-tasks")
        kc("restart-task", "kc-sink", "0")
        wait_for(lambda: kc("status", "kc-sink")["tasks"][0]["state"] == "RUNNING", 30, "running after restarts")
        kc("delete", "kc-sink")
        assert kc("list") == []
    finally:
        worker.close()


def test_bad_records_go_to_the_dead_letter_queue_or_fail_the_task(broker, tmp_path):
    """A sink reading JSON envelopes meets records that are not JSON: with errors.tolerance=all the good ones
    reach the file and the bad ones the dead-letter queue as they were, with Kafka's __connect.errors.* context
    headers; with the default tolerance (none) the task fails with the conversion error as its trace."""
    from confluent_kafka import Producer
    topic = "connect-mixed"
    create_topic(broker.bootstrap, topic)
    producer = Producer({"bootstrap.servers": broker.bootstrap})
    envelope = lambda text: json.dumps({"schema": {"type": "string", "optional": False}, "payload": text}).encode()
    values = [envelope("good-0"), b"not json", envelope("good-1"), b"{\"a\":1}", envelope("good-2")]
    for value in values:
        producer.produce(topic, value=value, headers=[("origin", b"test")])
    assert producer.flush(30) == 0
    tolerant = {"name": "tolerant-sink", "connector.class": "FileStreamSink", "topics": topic,
                "file": f"{tmp_path}/good.txt", "errors.tolerance": "all", "errors.log.enable": "true",
                "errors.deadletterqueue.topic.name": "connect-dlq",
                "errors.deadletterqueue.topic.replication.factor": "1",
                "errors.deadletterqueue.context.headers.enable": "true"}
    strict = {"name": "strict-sink", "connector.class": "FileStreamSink", "topics": topic,
              "file": f"{tmp_path}/strict.txt"}
    worker = Worker(broker.bootstrap, [tolerant, strict])
    consumer = Consumer({"bootstrap.servers": broker.bootstrap, "group.id": "dlq-check",
                         "auto.offset.reset": "earliest"})
    try:
        wait_for(lambda: lines_of(f"{tmp_path}/good.txt") == [b"good-0", b"good-1", b"good-2"], 60,
                 "the good records in the sink's file")
        consumer.subscribe(["connect-dlq"])
        dead = []
        deadline = time.time() + 60
        while len(dead) < 2 and time.time() < deadline:
            message = consumer.poll(0.5)
            if message is not None and not message.error():
                dead.append(message)
        assert [m.value() for m in dead] == [b"not json", b"{\"a\":1}"]
        headers = dict(dead[0].headers())
        assert headers["origin"] == b"test"
        assert headers["__connect.errors.topic"] == topic.encode()
        assert headers["__connect.errors.partition"] == b"0" and headers["__connect.errors.offset"] == b"1"
        assert headers["__connect.errors.connector.name"] == b"tolerant-sink"
        assert headers["__connect.errors.task.id"] == b"0"
        assert headers["__connect.errors.stage"] == b"VALUE_CONVERTER"
        assert headers["__connect.errors.class.name"] == b"org.apache.kafka.connect.json.JsonConverter"
        assert b"JSON" in headers["__connect.errors.exception.message"]
        assert dict(dead[1].headers())["__connect.errors.offset"] == b"3"

        series = metrics(worker.url)
        tolerant_task = '{connector="tolerant-sink",task="0"}'
        assert series["kafka_connect_task_error_metrics_total_records_skipped" + tolerant_task] == 2
        assert series["kafka_connect_task_error_metrics_deadletterqueue_produce_requests" + tolerant_task] == 2
        strict_task = lambda: call(worker.url, "GET", "/connectors/strict-sink/tasks/0/status")[1]
        wait_for(lambda: strict_task()["state"] == "FAILED", 60, "the strict sink's task to fail")
        assert "Tolerance exceeded in error handler" in strict_task()["trace"]
        assert lines_of(f"{tmp_path}/strict.txt") in ([], [b"good-0"])
    finally:
        consumer.close()
        worker.close()


def test_jdbc_sink_upserts_and_deletes_into_sqlite_across_a_kill(broker, tmp_path):
    """Confluent's JdbcSinkConnector settings on SQLite: 20,000 keyed rows, then updates of 5,000 of them and
    tombstones for 1,000, written with insert.mode=upsert, pk.mode=record_key, delete.enabled and auto.create;
    a kill -9 of the worker midway and a restart replay what was not committed, and the table ends equal to the
    last value of every key (upserts by key make the replay harmless)."""
    import sqlite3
    from confluent_kafka import Producer
    topic = "connect-rows"
    create_topic(broker.bootstrap, topic, partitions=3)
    key_schema = {"type": "struct", "fields": [{"type": "int64", "optional": False, "field": "id"}], "optional": False}
    value_schema = {"type": "struct", "name": "row", "optional": False, "fields": [
        {"type": "int64", "optional": False, "field": "id"}, {"type": "string", "optional": False, "field": "name"},
        {"type": "double", "optional": True, "field": "score"}]}
    envelope = lambda schema, payload: json.dumps({"schema": schema, "payload": payload}).encode()
    producer = Producer({"bootstrap.servers": broker.bootstrap, "linger.ms": 20})
    expected = {}

    def write(row_id, name, score):
        producer.produce(topic, key=envelope(key_schema, {"id": row_id}),
                         value=envelope(value_schema, {"id": row_id, "name": name, "score": score}))
        expected[row_id] = (name, score)
    for i in range(20_000):
        write(i, f"row {i}", i / 4)
    for i in range(0, 5_000):
        write(i, f"updated {i}", None)
    for i in range(15_000, 16_000):
        producer.produce(topic, key=envelope(key_schema, {"id": i}), value=None)
        del expected[i]
    assert producer.flush(60) == 0
    database = f"{tmp_path}/rows.db"
    sink = {"name": "jdbc-sink", "connector.class": "io.confluent.connect.jdbc.JdbcSinkConnector", "tasks.max": "2",
            "topics": topic, "connection.url": f"jdbc:sqlite:{database}", "insert.mode": "upsert",
            "pk.mode": "record_key", "pk.fields": "id", "delete.enabled": "true", "auto.create": "true",
            "table.name.format": "rows_${topic}"}
    worker = Worker(broker.bootstrap, [sink])

    def rows():
        try:
            with sqlite3.connect(database, timeout=10) as connection:
                return {r[0]: (r[1], r[2]) for r in
                        connection.execute('SELECT "id", "name", "score" FROM "rows_connect-rows"')}
        except sqlite3.OperationalError:
            return {}
    try:
        wait_for(lambda: len(rows()) > 2_000, 120, "the first rows in SQLite")
        worker.stop(signal.SIGKILL)
        worker.start()
        wait_for(lambda: rows() == expected, 180, "the table equal to the last value of every key")
        with sqlite3.connect(database) as connection:
            columns = [(c[1], c[2], c[3], c[5]) for c in connection.execute('PRAGMA table_info("rows_connect-rows")')]
        assert columns == [("id", "INTEGER", 1, 1), ("name", "TEXT", 1, 0), ("score", "REAL", 0, 0)]
    finally:
        worker.close()


def test_jdbc_source_copies_new_and_updated_rows_across_a_restart(broker, tmp_path):
    """Confluent's JdbcSourceConnector settings on SQLite, mode timestamp+incrementing: 1,000 rows arrive in
    `jdbc-orders` as JsonConverter structs (schema named after the table, DATETIME as Connect's Timestamp); after a
    clean stop, 500 new rows and 10 updated ones (newer timestamp) arrive once each, the rest is not repeated."""
    import sqlite3
    database = f"{tmp_path}/shop.db"
    with sqlite3.connect(database) as connection:
        connection.execute("CREATE TABLE orders (id INTEGER PRIMARY KEY, item TEXT NOT NULL, modified DATETIME NOT NULL)")
        connection.executemany("INSERT INTO orders VALUES (?, ?, ?)",
                               [(i, f"item {i}", f"2026-01-01 00:{i // 60 % 60:02d}:{i % 60:02d}.{i % 1000:03d}")
                                for i in range(1, 1001)])
    create_topic(broker.bootstrap, "jdbc-orders")
    source = {"name": "jdbc-source", "connector.class": "io.confluent.connect.jdbc.JdbcSourceConnector",
              "connection.url": f"jdbc:sqlite:{database}", "mode": "timestamp+incrementing",
              "timestamp.column.name": "modified", "table.whitelist": "orders", "topic.prefix": "jdbc-",
              "poll.interval.ms": "200", "batch.max.rows": "300"}
    worker = Worker(broker.bootstrap, [source])
    consumer = JsonValues(broker.bootstrap, "jdbc-orders", "jdbc-source-check")
    received, receive = consumer.values, consumer.receive
    try:
        assert len(receive(1000, 60)) == 1000
        first = received[0]
        assert first["schema"]["name"] == "orders"
        assert [(f["field"], f["type"], f.get("name"), f["optional"]) for f in first["schema"]["fields"]] == [
            ("id", "int64", None, False), ("item", "string", None, False),
            ("modified", "int64", "org.apache.kafka.connect.data.Timestamp", False)]
        assert first["payload"] == {"id": 1, "item": "item 1", "modified": 1767225601001}
        assert sorted(r["payload"]["id"] for r in received) == list(range(1, 1001))

        worker.stop()
        with sqlite3.connect(database) as connection:
            connection.executemany("INSERT INTO orders (item, modified) VALUES (?, '2026-02-01 00:00:00')",
                                   [(f"new {i}",) for i in range(500)])
            connection.execute("UPDATE orders SET item = 'changed', modified = '2026-03-01 00:00:00' WHERE id <= 10")
        worker.start()
        receive(1510, 60)
        time.sleep(2)  # anything repeated would arrive meanwhile
        receive(1600, 1)
        later = [r["payload"] for r in received[1000:]]
        assert len(later) == 510, f"{len(later)} records after the restart"
        assert sorted(p["id"] for p in later) == list(range(1, 11)) + list(range(1001, 1501))
        assert all(p["item"] == "changed" for p in later if p["id"] <= 10)
    finally:
        consumer.close()
        worker.close()


@pytest.fixture(scope="module")
def postgres():
    from postgres_harness import Postgres
    server = Postgres()
    try:
        yield server
    finally:
        server.close()


def test_jdbc_sink_upserts_and_deletes_into_postgresql_across_a_kill(broker, postgres, tmp_path):
    """Confluent's JdbcSinkConnector on Debian's PostgreSQL: 5,000 keyed rows (with a Connect Timestamp and a
    Decimal), updates of 1,000 and tombstones for 500, upserted by record key with delete.enabled and auto.create;
    a kill -9 of the worker midway and a restart replay what was not committed, and the table ends equal to the
    last value of every key, with the column types Confluent's PostgreSQL dialect creates."""
    from confluent_kafka import Producer
    topic = "connect-pg-rows"
    create_topic(broker.bootstrap, topic, partitions=3)
    postgres.psql("CREATE DATABASE shop")
    key_schema = {"type": "struct", "fields": [{"type": "int64", "optional": False, "field": "id"}], "optional": False}
    value_schema = {"type": "struct", "name": "row", "optional": False, "fields": [
        {"type": "int64", "optional": False, "field": "id"}, {"type": "string", "optional": False, "field": "name"},
        {"type": "double", "optional": True, "field": "score"},
        {"type": "int64", "optional": False, "field": "at", "name": "org.apache.kafka.connect.data.Timestamp",
         "version": 1},
        {"type": "bytes", "optional": True, "field": "price", "name": "org.apache.kafka.connect.data.Decimal",
         "version": 1, "parameters": {"scale": "2"}}]}
    envelope = lambda schema, payload: json.dumps({"schema": schema, "payload": payload}).encode()
    producer = Producer({"bootstrap.servers": broker.bootstrap, "linger.ms": 20})
    expected = {}
    base = 1767225600000  # 2026-01-01 00:00:00 UTC

    def write(row_id, name, score):
        at = base + row_id * 1001
        cents = row_id * 7 - 1000
        price = base64.b64encode(cents.to_bytes(4, "big", signed=True)).decode()
        producer.produce(topic, key=envelope(key_schema, {"id": row_id}),
                         value=envelope(value_schema, {"id": row_id, "name": name, "score": score, "at": at,
                                                       "price": price}))
        moment = datetime.datetime(2026, 1, 1) + datetime.timedelta(milliseconds=row_id * 1001)
        expected[str(row_id)] = [name, None if score is None else f"{score:g}",
                                 moment.strftime("%Y-%m-%d %H:%M:%S.%f")[:23].rstrip("0").rstrip("."),
                                 f"{cents / 100:.2f}"]
    for i in range(5_000):
        write(i, f"row {i} ünï", i / 4)
    for i in range(0, 1_000):
        write(i, f"updated {i}", None)
    for i in range(4_000, 4_500):
        producer.produce(topic, key=envelope(key_schema, {"id": i}), value=None)
        del expected[str(i)]
    assert producer.flush(60) == 0
    sink = {"name": "pg-sink", "connector.class": "io.confluent.connect.jdbc.JdbcSinkConnector", "tasks.max": "2",
            "topics": topic, "connection.url": postgres.url("shop"), "connection.user": "postgres",
            "insert.mode": "upsert", "pk.mode": "record_key", "pk.fields": "id", "delete.enabled": "true",
            "auto.create": "true", "batch.size": "500"}
    worker = Worker(broker.bootstrap, [sink])

    def rows():
        try:
            return {r[0]: r[1:] for r in postgres.psql(
                'SELECT id, name, score::text, at::text, price::text FROM "connect-pg-rows"', database="shop")}
        except subprocess.CalledProcessError:
            return {}
    try:
        wait_for(lambda: len(rows()) > 500, 120, "the first rows in PostgreSQL")
        worker.stop(signal.SIGKILL)
        worker.start()
        wait_for(lambda: rows() == expected, 180, "the table equal to the last value of every key")
        columns = postgres.psql("SELECT column_name, data_type, is_nullable FROM information_schema.columns "
                                "WHERE table_name = 'connect-pg-rows' ORDER BY ordinal_position", database="shop")
        assert columns == [["id", "bigint", "NO"], ["name", "text", "NO"], ["score", "double precision", "YES"],
                           ["at", "timestamp without time zone", "NO"], ["price", "numeric", "YES"]]
        key = postgres.psql("SELECT a.attname FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid "
                            "AND a.attnum = ANY(i.indkey) WHERE i.indrelid = '\"connect-pg-rows\"'::regclass "
                            "AND i.indisprimary", database="shop")
        assert key == [["id"]]
    finally:
        worker.close()


def test_jdbc_source_reads_postgresql_new_and_updated_rows_across_a_restart(broker, postgres, tmp_path):
    """Confluent's JdbcSourceConnector on Debian's PostgreSQL, mode timestamp+incrementing with the serial column
    found by itself: 1,000 rows arrive in `pg-items` typed as Confluent types PostgreSQL columns (integer int32,
    numeric double, timestamp Connect's Timestamp); after a clean stop, 200 new rows and 5 updated ones arrive once
    each."""
    postgres.psql("CREATE DATABASE inventory")
    postgres.psql("CREATE TABLE items (id SERIAL PRIMARY KEY, name TEXT NOT NULL, qty INTEGER, price NUMERIC(8, 2), "
                  "modified TIMESTAMP NOT NULL)", database="inventory")
    postgres.psql("INSERT INTO items (name, qty, price, modified) SELECT 'item ' || i, i % 7, i * 1.25, "
                  "TIMESTAMP '2026-01-01 00:00:00' + i * INTERVAL '1.001 seconds' FROM generate_series(1, 1000) i",
                  database="inventory")
    create_topic(broker.bootstrap, "pg-items")
    source = {"name": "pg-source", "connector.class": "io.confluent.connect.jdbc.JdbcSourceConnector",
              "connection.url": postgres.url("inventory"), "connection.user": "postgres",
              "mode": "timestamp+incrementing", "timestamp.column.name": "modified", "table.whitelist": "items",
              "topic.prefix": "pg-", "poll.interval.ms": "200"}
    worker = Worker(broker.bootstrap, [source])
    consumer = JsonValues(broker.bootstrap, "pg-items", "pg-source-check")
    received, receive = consumer.values, consumer.receive
    try:
        receive(1000, 60)
        assert len(received) == 1000, worker.read_log()[-3000:]
        first = received[0]
        assert first["schema"]["name"] == "items"
        assert [(f["field"], f["type"], f.get("name"), f["optional"]) for f in first["schema"]["fields"]] == [
            ("id", "int32", None, False), ("name", "string", None, False), ("qty", "int32", None, True),
            ("price", "double", None, True), ("modified", "int64", "org.apache.kafka.connect.data.Timestamp", False)]
        assert first["payload"] == {"id": 1, "name": "item 1", "qty": 1, "price": 1.25, "modified": 1767225601001}
        assert sorted(r["payload"]["id"] for r in received) == list(range(1, 1001))

        worker.stop()
        postgres.psql("INSERT INTO items (name, modified) SELECT 'new ' || i, TIMESTAMP '2026-02-01 00:00:00' "
                      "FROM generate_series(1, 200) i", database="inventory")
        postgres.psql("UPDATE items SET name = 'changed', modified = TIMESTAMP '2026-03-01' WHERE id <= 5",
                      database="inventory")
        worker.start()
        receive(1205, 60)
        time.sleep(2)  # anything repeated would arrive meanwhile
        receive(1300, 1)
        later = [r["payload"] for r in received[1000:]]
        assert len(later) == 205, f"{len(later)} records after the restart"
        assert sorted(p["id"] for p in later) == list(range(1, 6)) + list(range(1001, 1201))
        assert all(p["name"] == "changed" for p in later if p["id"] <= 5)
    finally:
        consumer.close()
        worker.close()


def test_jdbc_sink_rides_out_a_postgresql_restart(broker, postgres, tmp_path):
    """PostgreSQL stops for 3 s while the sink writes 25,000 upserts: each failed batch is rolled back and retried
    on a new connection (`max.retries`, `retry.backoff.ms`), the task stays RUNNING, and every row arrives."""
    from confluent_kafka import Producer
    topic = "connect-pg-restart"
    create_topic(broker.bootstrap, topic, partitions=2)
    postgres.psql("CREATE DATABASE restart")
    schema = {"type": "struct", "name": "row", "optional": False, "fields": [
        {"type": "int64", "optional": False, "field": "id"}, {"type": "string", "optional": False, "field": "name"}]}
    producer = Producer({"bootstrap.servers": broker.bootstrap, "linger.ms": 20})

    def produce(ids):
        for i in ids:
            producer.produce(topic, key=json.dumps({"schema": {"type": "int64", "optional": False}, "payload": i}),
                             value=json.dumps({"schema": schema, "payload": {"id": i, "name": f"row {i}"}}))
        assert producer.flush(60) == 0
    produce(range(20_000))
    sink = {"name": "pg-restart", "connector.class": "io.confluent.connect.jdbc.JdbcSinkConnector",
            "topics": topic, "connection.url": postgres.url("restart"), "insert.mode": "upsert",
            "pk.mode": "record_key", "pk.fields": "id", "auto.create": "true", "batch.size": "200",
            "max.retries": "20", "retry.backoff.ms": "500"}
    worker = Worker(broker.bootstrap, [sink])

    def count():
        try:
            return int(postgres.psql(f'SELECT count(*) FROM "{topic}"', database="restart")[0][0])
        except subprocess.CalledProcessError:
            return 0
    try:
        wait_for(lambda: count() > 0, 60, "the first rows in PostgreSQL")
        postgres.stop()
        produce(range(20_000, 25_000))  # written while the database is down, at the latest
        time.sleep(3)
        postgres.start()
        try:
            wait_for(lambda: count() == 25_000, 120, "every row after the restart")
        except AssertionError:
            print(f"{count()} rows; the worker's log ends:\n{worker.read_log()[-4000:]}")
            raise
        status = call(worker.url, "GET", "/connectors/pg-restart/status")[1]
        assert [task["state"] for task in status["tasks"]] == ["RUNNING"], status
        assert "retrying in 500 ms" in worker.read_log()
    finally:
        worker.close()
