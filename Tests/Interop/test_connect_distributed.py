"""swiftkafka-connect in distributed mode (issue 19) against a real broker: two worker processes form one Connect
group; connectors created through either worker (a follower relays to the leader) run somewhere in the group,
their configurations, offsets and statuses are in the three internal topics in Kafka 2.8's exact keys and values
(read here with confluent-kafka), and when the worker running a source task is killed with SIGKILL the other
worker takes the task over and resumes from the committed offset: nothing lost, repeats only since the last
commit."""
import base64
import hashlib
import hmac
import json
import re
import signal
import subprocess
import time
import urllib.error
import urllib.request
import uuid

import pytest
from confluent_kafka import OFFSET_BEGINNING, Consumer, TopicPartition

from conftest import single_broker, wait_for
from test_connect import Worker, call, create_topic, lines_of, postgres  # noqa: F401 (a fixture)


@pytest.fixture(scope="module")
def broker():
    yield from single_broker()


def distributed_worker(bootstrap, group, topics, protocol, converter="org.apache.kafka.connect.storage.StringConverter",
                       extra=None):
    """A distributed worker of `group` with small timeouts (session 6 s, the cooperative delay 3 s); `extra`
    properties override them."""
    properties = {
        "connect.protocol": protocol, "scheduled.rebalance.max.delay.ms": "3000",
        "group.id": group, "config.storage.topic": topics[0], "offset.storage.topic": topics[1],
        "status.storage.topic": topics[2], "config.storage.replication.factor": "1",
        "offset.storage.replication.factor": "1", "status.storage.replication.factor": "1",
        "offset.storage.partitions": "3", "status.storage.partitions": "2",
        "session.timeout.ms": "6000", "heartbeat.interval.ms": "1000", "offset.flush.interval.ms": "500",
        "key.converter": converter, "value.converter": converter,
        # Settings for the tasks' clients, which the worker's own clients must not take.
        "consumer.auto.offset.reset": "earliest", "producer.linger.ms": "5",
    }
    properties.update(extra or {})
    return Worker(bootstrap, properties=properties, distributed=True)


def records(bootstrap, topic):
    """Every (key, value) of `topic`'s partitions up to their ends, values parsed as JSON (None for a tombstone)."""
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": f"reader-{uuid.uuid4()}",
                         "enable.auto.commit": False})
    try:
        partitions = consumer.list_topics(topic, timeout=30).topics[topic].partitions
        ends = {p: consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=30)[1] for p in partitions}
        consumer.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in partitions])
        found, done = [], {p for p, end in ends.items() if end == 0}
        deadline = time.time() + 30
        while len(done) < len(ends):
            assert time.time() < deadline, f"cannot read {topic} to its end"
            for message in consumer.consume(500, 0.5):
                assert message.error() is None, message.error()
                value = message.value()
                found.append((message.key().decode(), json.loads(value) if value is not None else None))
                if message.offset() + 1 >= ends[message.partition()]:
                    done.add(message.partition())
        return found
    finally:
        consumer.close()


JSON = "org.apache.kafka.connect.json.JsonConverter"


def leader_url(worker):
    """The leader URL of the worker's last join, from its log (the REST API does not show it)."""
    found = re.findall(r"leader=(\S+) protocol=\S+ .*Joined the Connect group", worker.read_log())
    return found[-1] if found else None


def status(worker, name):
    code, body, _ = call(worker.url, "GET", f"/connectors/{name}/status")
    return body if code == 200 else None


def running_on(workers, name):
    """The worker id the connector's task 0 runs on, once every worker's status says so; else None."""
    seen = set()
    for worker in workers:
        body = status(worker, name)
        if not body or not body["tasks"] or body["tasks"][0]["state"] != "RUNNING":
            return None
        seen.add(body["tasks"][0]["worker_id"])
    return seen.pop() if len(seen) == 1 else None


def post_tasks(url, body, headers):
    """(status, message) of an internal `POST /connectors/source/tasks` with these headers."""
    request = urllib.request.Request(url + "/connectors/source/tasks?forward=false", data=body, method="POST",
                                     headers={"Content-Type": "application/json", **headers})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, None
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())["message"]


def check_session_key(record, workers, leader, tasks):
    """KIP-507: the leader's `session-key` record, and its checks of internal requests' signatures, computed here
    with Python's hmac from the key read back from the config topic."""
    key = base64.b64decode(record["key"])
    assert record["algorithm"] == "HmacSHA256" and len(key) == 32, record
    assert isinstance(record["creation-timestamp"], int) and record["creation-timestamp"] > 1_700_000_000_000
    url = f"http://{leader.removeprefix('http://').rstrip('/')}"
    assert any(url == worker.url for worker in workers.values()), (leader, list(workers))
    for worker in workers.values():
        assert "protocol=sessioned" in worker.read_log()
    # The task configurations the leader already has, so an accepted request changes nothing.
    body = json.dumps([task["config"] for task in tasks]).encode()

    def signed(secret, algorithm="HmacSHA256", digest=hashlib.sha256):
        return {"X-Connect-Authorization": base64.b64encode(hmac.new(secret, body, digest).digest()).decode(),
                "X-Connect-Request-Signature-Algorithm": algorithm}
    assert post_tasks(url, body, {}) == (400, "Internal request missing required signature")
    assert post_tasks(url, body, signed(b"not the session key")) == (403, "Internal request contained invalid signature.")
    code, message = post_tasks(url, body, signed(key, "HmacMD5", hashlib.md5))
    assert code == 400 and message.startswith("This worker does not support the 'HmacMD5' key signing algorithm"), message
    assert post_tasks(url, body, signed(key)) == (204, None)
    # Each worker runs one connector (asserted before), so one connector's task configurations came from the
    # follower: both tasks running shows the leader took that follower's signed hand-off.


@pytest.mark.parametrize("protocol", ["eager", "sessioned"])
def test_two_workers_share_connectors_and_take_over_a_killed_workers_task(broker, tmp_path, protocol):
    """With Connect's EAGER protocol and with the incremental cooperative one (KIP-415, as 2.8's default `sessioned`:
    internal requests signed with the session key, KIP-507), where a departed worker's work waits
    `scheduled.rebalance.max.delay.ms` (3 s here)."""
    suffix = uuid.uuid4().hex[:8]
    group = f"connect-{suffix}"
    topics = (f"connect-configs-{suffix}", f"connect-offsets-{suffix}", f"connect-status-{suffix}")
    data_topic = f"lines-{suffix}"
    create_topic(broker.bootstrap, data_topic)
    lines = [f"line {i}" for i in range(2000)]
    with open(f"{tmp_path}/input.txt", "w") as f:
        f.write("".join(line + "\n" for line in lines))
    a = distributed_worker(broker.bootstrap, group, topics, protocol)
    b = distributed_worker(broker.bootstrap, group, topics, protocol)
    workers = {f"127.0.0.1:{a.port}": a, f"127.0.0.1:{b.port}": b}
    try:
        source = {"connector.class": "FileStreamSource", "tasks.max": "1", "file": f"{tmp_path}/input.txt",
                  "topic": data_topic}
        sink = {"connector.class": "FileStreamSink", "tasks.max": "1", "file": f"{tmp_path}/output.txt",
                "topics": data_topic}
        # One create through each worker: whichever is not the leader relays its request to the leader.
        def created(worker, name, config):
            code, body, _ = call(worker.url, "POST", "/connectors", {"name": name, "config": config})
            if code == 409 and "rebalance" in body["message"]:
                return False  # the group is still forming
            assert code == 201, body
            assert body["name"] == name and body["config"]["file"] == config["file"], body
            return True
        wait_for(lambda: created(a, "source", source), 60, "the source created through worker a")
        wait_for(lambda: created(b, "sink", sink), 60, "the sink created through worker b")
        code, body, _ = call(b.url, "POST", "/connectors", {"name": "source", "config": source})
        assert code == 409 and body["error_code"] == 409, body
        for worker in (a, b):  # refused by the leader's validation, relayed back by a follower
            bad = {"connector.class": "FileStreamSource", "topic": "t", "batch.size": "many"}
            code, body, _ = wait_for(lambda: (answer := call(worker.url, "POST", "/connectors",
                                                             {"name": "bad", "config": bad}))[0] != 409 and answer,
                                     60, "an answer after the rebalance")
            assert code == 400 and body["error_code"] == 400, body
            assert body["message"].startswith("Connector configuration is invalid and contains the following 1 "
                                              "error(s):\nInvalid value many for configuration batch.size"), body

        for worker in (a, b):
            assert call(worker.url, "GET", "/connectors")[1] == ["sink", "source"]
        output = f"{tmp_path}/output.txt"
        wait_for(lambda: len(lines_of(output)) >= len(lines), 120, "the lines in the sink's file")
        assert lines_of(output) == [line.encode() for line in lines]
        wait_for(lambda: running_on((a, b), "source") and running_on((a, b), "sink"), 30, "both tasks RUNNING")
        task_owners = {running_on((a, b), "source"), running_on((a, b), "sink")}
        connector_owners = {status(a, name)["connector"]["worker_id"] for name in ("source", "sink")}
        if protocol == "eager":
            # Kafka's EAGER assignor deals connector, its tasks, next connector, ... round-robin over the members
            # sorted by id: with two workers, both connectors land on one and both tasks on the other.
            assert len(task_owners) == 1 and len(connector_owners) == 1, (task_owners, connector_owners)
            assert task_owners | connector_owners == set(workers), (task_owners, connector_owners)
        else:
            # The cooperative leader deals new connectors and new tasks each to the least loaded worker.
            assert task_owners == set(workers) and connector_owners == set(workers), (task_owners, connector_owners)
        assert call(a.url, "GET", "/connectors/source/tasks")[1][0]["config"]["file"] == source["file"]

        # The internal topics, as Kafka 2.8 writes them.
        configs = dict(records(broker.bootstrap, topics[0]))
        assert configs["connector-source"]["properties"]["connector.class"] == "FileStreamSource"
        assert configs["connector-source"]["properties"]["name"] == "source"
        assert configs["task-source-0"]["properties"]["file"] == source["file"]
        assert configs["commit-source"] == {"tasks": 1}
        offsets = records(broker.bootstrap, topics[1])
        key = json.dumps(["source", {"filename": source["file"]}], separators=(",", ":"))
        assert (key, {"position": sum(len(line) + 1 for line in lines)}) in offsets, offsets[-3:]
        statuses = dict(records(broker.bootstrap, topics[2]))
        task_status = statuses["status-task-source-0"]
        assert task_status["state"] == "RUNNING" and task_status["worker_id"] in workers, task_status
        assert isinstance(task_status["generation"], int) and task_status["trace"] is None
        if protocol == "sessioned":
            check_session_key(configs["session-key"], workers, leader_url(a), call(a.url, "GET", "/connectors/source/tasks")[1])

        # SIGKILL a worker; the other takes its tasks over and the source reads on from the committed offset (the
        # file keeps growing meanwhile). EAGER: the worker running both tasks. Cooperative: the worker that does not
        # lead the group (each runs one task), so that the leader holds its work back for the delay.
        if protocol == "eager":
            victim_id = running_on((a, b), "source")
        else:
            leader = leader_url(a)
            assert leader == leader_url(b) and leader in (a.url + "/", b.url + "/"), (leader, leader_url(b))
            victim_id = next(i for i in workers if f"http://{i}/" != leader)
        victim = workers[victim_id]
        survivor = b if victim is a else a
        survivor_id = next(i for i, w in workers.items() if w is survivor)
        more = [f"more {i}" for i in range(3000)]
        with open(f"{tmp_path}/input.txt", "a") as f:
            f.write("".join(line + "\n" for line in more[:1500]))
        victim.stop(signal.SIGKILL)
        with open(f"{tmp_path}/input.txt", "a") as f:
            f.write("".join(line + "\n" for line in more[1500:]))
        started = time.time()
        wait_for(lambda: running_on((survivor,), "source") == survivor_id
                 and running_on((survivor,), "sink") == survivor_id, 60, "both tasks on the survivor")
        print(f"tasks moved to the survivor in {time.time() - started:.1f} s")
        if protocol != "eager":
            delays = [int(d) for d in re.findall(r"delay=(\d+) generation", survivor.read_log())]
            assert any(0 < d <= 3000 for d in delays), f"the lost task was not held back: {delays}"
        expected = [line.encode() for line in lines + more]
        wait_for(lambda: set(lines_of(output)) >= set(expected), 60, "every line after the kill")
        got = lines_of(output)
        assert set(got) == set(expected), "the sink's file has lines that were never written"
        print(f"lines repeated after the kill: {len(got) - len(expected)}")
        seen, unique = set(), []
        for line in got:
            if line not in seen:
                seen.add(line)
                unique.append(line)
        assert unique == expected, "lines out of order"

        # Pause, resume and delete through the survivor; the target state and the tombstones are in the topic.
        assert call(survivor.url, "PUT", "/connectors/source/pause")[0] == 202
        wait_for(lambda: (status(survivor, "source") or {}).get("connector", {}).get("state") == "PAUSED"
                 and status(survivor, "source")["tasks"][0]["state"] == "PAUSED", 30, "the source PAUSED")
        assert call(survivor.url, "PUT", "/connectors/source/resume")[0] == 202
        wait_for(lambda: running_on((survivor,), "source") == survivor_id, 30, "the source RUNNING again")
        assert call(survivor.url, "DELETE", "/connectors/source")[0] == 204
        assert call(survivor.url, "GET", "/connectors/source")[0] == 404
        configs = records(broker.bootstrap, topics[0])
        assert ("target-state-source", {"state": "PAUSED"}) in configs
        assert ("target-state-source", {"state": "STARTED"}) in configs
        assert configs[-2:] == [("connector-source", None), ("target-state-source", None)], configs[-2:]
        wait_for(lambda: dict(records(broker.bootstrap, topics[2])).get("status-connector-source", 0) is None,
                 30, "the source's status tombstoned")
    finally:
        for worker in (a, b):
            worker.close()


def test_postgresql_to_postgresql_through_three_workers_across_a_kill(broker, postgres, tmp_path):
    """Confluent's JDBC source (timestamp+incrementing, keyed by ValueToKey) copies 100,000 PostgreSQL rows through
    a 3-partition topic into another database with the JDBC sink (upsert by key, 3 tasks), run by two workers and
    then a third that joins and takes its share. A kill -9 of the worker running the source task mid-way: its
    tasks move to the others and the copy goes on. Updates made meanwhile arrive; rows deleted at the source are
    deleted at the sink through tombstones (JDBC sources do not see deletes: the test writes them, with the keys
    the source wrote). At the end the two tables are equal."""
    from confluent_kafka import Producer
    suffix = uuid.uuid4().hex[:8]
    group = f"connect-{suffix}"
    topics = (f"connect-configs-{suffix}", f"connect-offsets-{suffix}", f"connect-status-{suffix}")
    source_db, sink_db, topic = f"src_{suffix}", f"dst_{suffix}", f"pgx-{suffix}-items"
    postgres.psql(f"CREATE DATABASE {source_db}")
    postgres.psql(f"CREATE DATABASE {sink_db}")
    postgres.psql("CREATE TABLE items (id SERIAL PRIMARY KEY, name TEXT NOT NULL, qty INTEGER, "
                  "modified TIMESTAMP NOT NULL)", database=source_db)
    postgres.psql("INSERT INTO items (name, qty, modified) SELECT 'item ' || i, i % 13, TIMESTAMP '2026-01-01' "
                  "+ i * INTERVAL '1 second' FROM generate_series(1, 100000) i", database=source_db)
    create_topic(broker.bootstrap, topic, partitions=3)
    source = {"connector.class": "io.confluent.connect.jdbc.JdbcSourceConnector",
              "connection.url": postgres.url(source_db), "connection.user": "postgres",
              "mode": "timestamp+incrementing", "timestamp.column.name": "modified", "table.whitelist": "items",
              "topic.prefix": f"pgx-{suffix}-", "poll.interval.ms": "200", "batch.max.rows": "2000",
              "transforms": "key", "transforms.key.type": "org.apache.kafka.connect.transforms.ValueToKey",
              "transforms.key.fields": "id"}
    sink = {"connector.class": "io.confluent.connect.jdbc.JdbcSinkConnector", "tasks.max": "3", "topics": topic,
            "connection.url": postgres.url(sink_db), "connection.user": "postgres", "insert.mode": "upsert",
            "pk.mode": "record_key", "pk.fields": "id", "delete.enabled": "true", "auto.create": "true",
            "table.name.format": "items", "batch.size": "2000"}
    workers = [distributed_worker(broker.bootstrap, group, topics, "sessioned", JSON) for _ in range(2)]
    by_id = {}

    def table(database):
        try:
            return postgres.psql("SELECT id, name, qty, modified::text FROM items ORDER BY id", database=database)
        except subprocess.CalledProcessError:
            return []
    try:
        for worker, (name, config) in zip(workers, (("pg-source", source), ("pg-sink", sink))):
            wait_for(lambda: call(worker.url, "POST", "/connectors", {"name": name, "config": config})[0] == 201,
                     60, f"{name} created")
        workers.append(distributed_worker(broker.bootstrap, group, topics, "sessioned", JSON))
        by_id = {f"127.0.0.1:{w.port}": w for w in workers}

        def task_workers():
            owners = {}
            for name, count in (("pg-source", 1), ("pg-sink", 3)):
                body = status(workers[0], name)
                if not body or len(body["tasks"]) != count:
                    return None
                for task in body["tasks"]:
                    if task["state"] != "RUNNING":
                        return None
                    owners[f"{name}-{task['id']}"] = task["worker_id"]
            return owners if set(owners.values()) == set(by_id) else None
        try:
            owners = wait_for(task_workers, 180, "the four tasks RUNNING on all three workers")
        except AssertionError:
            for worker in workers:  # what each worker saw, for the failure's diagnosis
                print(f"== {worker.url}: {status(worker, 'pg-source')} {status(worker, 'pg-sink')}")
                print("\n".join(line for line in worker.read_log().splitlines()
                                if "Connect group" in line or "error" in line or "warning" in line)[-4000:])
            raise
        print(f"tasks after the third worker joined: {owners}")

        wait_for(lambda: len(table(sink_db)) > 20_000, 180, "20,000 rows at the sink")
        victim = by_id[owners["pg-source-0"]]
        victim.stop(signal.SIGKILL)
        survivors = [w for w in workers if w is not victim]
        postgres.psql("UPDATE items SET name = 'updated', qty = NULL, modified = TIMESTAMP '2026-06-01' "
                      "WHERE id % 100 = 0", database=source_db)
        wait_for(lambda: running_on(survivors, "pg-source") in by_id, 60, "the source task on a survivor")
        try:
            wait_for(lambda: len(table(sink_db)) == 100_000, 300, "the 100,000 rows at the sink")
        except AssertionError:
            print("DIAG rows", len(table(sink_db)), status(survivors[0], "pg-source"), status(survivors[0], "pg-sink"))
            raise

        # Deletes: remove rows at the source and write tombstones with the keys (and to the partitions) the
        # source wrote for them.
        deleted = set(range(99_001, 100_001))
        postgres.psql("DELETE FROM items WHERE id > 99000", database=source_db)
        consumer = Consumer({"bootstrap.servers": broker.bootstrap, "group.id": f"keys-{suffix}",
                             "enable.auto.commit": False})
        consumer.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in range(3)])
        keys = {}
        deadline = time.time() + 60
        while len(keys) < len(deleted):
            assert time.time() < deadline, f"only {len(keys)} keys of deleted rows found"
            for message in consumer.consume(1000, 0.5):
                if message.error() is None and json.loads(message.key())["payload"]["id"] in deleted:
                    keys[json.loads(message.key())["payload"]["id"]] = (message.key(), message.partition())
        consumer.close()
        producer = Producer({"bootstrap.servers": broker.bootstrap})
        for key, partition in keys.values():
            producer.produce(topic, key=key, value=None, partition=partition)
        assert producer.flush(30) == 0
        expected = table(source_db)
        assert len(expected) == 99_000 and sum(1 for row in expected if row[1] == "updated") == 990
        wait_for(lambda: table(sink_db) == expected, 120, "the sink's table equal to the source's")
    finally:
        for worker in workers:
            worker.close()
