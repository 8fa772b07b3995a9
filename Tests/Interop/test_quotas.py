"""Client quotas (issue 17): set with swiftkafka-admin configs (kafka-configs' flags, over AlterClientQuotas), stored
in ZooKeeper as Kafka 2.8 stores them, and enforced on librdkafka producers and consumers the KIP-219 way — the
response carries `throttle_time_ms` (librdkafka reports it in its statistics) and the connection is muted, so a
client cannot go much faster than its quota however hard it pushes."""
import json
import os
import re
import subprocess
import time
import urllib.request
import uuid

import pytest
from confluent_kafka import Consumer, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic
from kazoo.client import KazooClient

from conftest import single_broker
from security_harness import set_scram_user

ZK_TOOL = os.environ.get("SWIFTKAFKA_ZK_TOOL",
                         os.path.join(os.path.dirname(__file__), "../../.build/debug/swiftkafka-zk"))
ADMIN = os.environ.get("SWIFTKAFKA_ADMIN",
                       os.path.join(os.path.dirname(__file__), "../../.build/debug/swiftkafka-admin"))
QUOTA = 204800  # bytes per second
PAYLOAD = 1024


@pytest.fixture(scope="module")
def broker():
    # Kafka measures a rate over quota.window.num windows, padding a young client's span to all but one of them:
    # with the default 11 a client may burst ten seconds' worth before it is throttled. Two windows keep the test
    # short (a one-second burst).
    yield from single_broker({"metrics.port": "0", "metrics.host": "127.0.0.1", "quota.window.num": "2"})


def configs(broker, *args, check=True):
    result = subprocess.run([ADMIN, "configs", "--bootstrap-server", broker.bootstrap, *args],
                            capture_output=True, text=True, timeout=60)
    if check:
        assert result.returncode == 0, result.stderr
    return result


def zk_client(broker):
    zk = KazooClient(hosts=broker.zookeeper.connect, timeout=10)
    zk.start()
    return zk


def metrics_text(broker):
    with open(f"{broker.directory}/broker.log") as f:
        port = int(re.search(r"metrics=http://127.0.0.1:(\d+)/metrics", f.read()).group(1))
    return urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10).read().decode()


def max_throttle(stats):
    """The largest throttle time librdkafka saw from any broker in its statistics."""
    return max((broker["throttle"]["max"] for broker in stats["brokers"].values() if broker["nodeid"] >= 0),
               default=0)


def test_kafka_configs_sets_describes_and_stores_quotas(broker):
    client = f"app-{uuid.uuid4().hex[:6]}"
    result = configs(broker, "--alter", "--add-config", "producer_byte_rate=1048576,request_percentage=200",
                     "--entity-type", "clients", "--entity-name", client)
    assert result.stdout == f"Completed updating config for client {client}.\n"
    described = configs(broker, "--describe", "--entity-type", "clients", "--entity-name", client)
    assert described.stdout == (f"Quota configs for client-id '{client}' are producer_byte_rate=1048576.0, "
                                "request_percentage=200.0\n")
    zk = zk_client(broker)
    try:
        value = json.loads(zk.get(f"/config/clients/{client}")[0])
        assert value == {"version": 1, "config": {"producer_byte_rate": "1048576", "request_percentage": "200.0"}}
        changes = [json.loads(zk.get(f"/config/changes/{c}")[0]) for c in zk.get_children("/config/changes")]
        assert {"version": 2, "entity_path": f"clients/{client}"} in changes
        # A user's quotas share its znode with its SCRAM credentials: neither write loses the other.
        set_scram_user(zk, "quota-user", "secret-pw", mechanisms=("SCRAM-SHA-256",))
        configs(broker, "--alter", "--add-config", "consumer_byte_rate=4096", "--entity-type", "users",
                "--entity-name", "quota-user")
        stored = json.loads(zk.get("/config/users/quota-user")[0])["config"]
        assert stored["consumer_byte_rate"] == "4096" and stored["SCRAM-SHA-256"].startswith("salt=")
    finally:
        zk.stop()
    # swiftkafka-zk shows the quotas and only the credential's iteration count, never its salted keys.
    view = subprocess.run([ZK_TOOL, "configs", "--zookeeper", broker.zookeeper.connect], capture_output=True,
                          text=True, timeout=60)
    assert view.returncode == 0, view.stderr
    assert "users/quota-user: SCRAM-SHA-256=[iterations=4096],consumer_byte_rate=4096\n" in view.stdout
    assert "stored_key" not in view.stdout and "salt=" not in view.stdout
    user = configs(broker, "--describe", "--entity-type", "users", "--entity-name", "quota-user")
    assert user.stdout == ("Quota configs for user-principal 'quota-user' are consumer_byte_rate=4096.0\n"
                           "SCRAM credential configs for user-principal 'quota-user' are SCRAM-SHA-256=iterations=4096\n")
    # A user with a client id, and the default user.
    both = configs(broker, "--alter", "--add-config", "producer_byte_rate=2048", "--entity-type", "users",
                   "--entity-name", "quota-user", "--entity-type", "clients", "--entity-name", client)
    assert both.stdout == f"Completed updating config for user quota-user, client {client}.\n"
    default = configs(broker, "--alter", "--add-config", "producer_byte_rate=999999999", "--entity-type", "users",
                      "--entity-default")
    assert default.stdout == "Completed updating config for user <default>.\n"
    listed = configs(broker, "--describe", "--entity-type", "users", "--entity-default")
    assert listed.stdout == "Quota configs for the default user-principal are producer_byte_rate=999999999.0\n"
    # Kafka's validation: unknown keys and fractional byte rates are refused.
    bad = configs(broker, "--alter", "--add-config", "producer_byte_rate=1.5", "--entity-type", "clients",
                  "--entity-name", client, check=False)
    assert bad.returncode == 1 and "must be a Long value" in bad.stderr
    # Removing: the quota is gone, the rest stays.
    configs(broker, "--alter", "--delete-config", "request_percentage", "--entity-type", "clients", "--entity-name",
            client)
    assert configs(broker, "--describe", "--entity-type", "clients", "--entity-name", client).stdout == (
        f"Quota configs for client-id '{client}' are producer_byte_rate=1048576.0\n")
    configs(broker, "--alter", "--delete-config", "producer_byte_rate", "--entity-type", "users", "--entity-default")


def test_a_producer_is_held_to_its_byte_rate(broker):
    topic = f"quota-{uuid.uuid4().hex[:6]}"
    client = f"throttled-producer-{uuid.uuid4().hex[:4]}"
    admin = AdminClient({"bootstrap.servers": broker.bootstrap})
    admin.create_topics([NewTopic(topic, 1, 1)])[topic].result(30)
    configs(broker, "--alter", "--add-config", f"producer_byte_rate={QUOTA}", "--entity-type", "clients",
            "--entity-name", client)
    stats = []
    # Many requests (KIP-219 answers a request at once and holds back the next ones, so one huge request would
    # pass before its throttle applies).
    producer = Producer({"bootstrap.servers": broker.bootstrap, "client.id": client, "linger.ms": 5,
                         "batch.size": 16384,
                         "statistics.interval.ms": 500, "stats_cb": lambda s: stats.append(json.loads(s))})
    count = 3 * QUOTA // PAYLOAD  # three seconds' worth at the quota
    started = time.time()
    for i in range(count):
        while True:
            try:
                producer.produce(topic, b"x" * PAYLOAD, partition=0)
                break
            except BufferError:
                producer.poll(0.05)
        producer.poll(0)
    assert producer.flush(120) == 0
    elapsed = time.time() - started
    producer.poll(1)
    rate = count * PAYLOAD / elapsed
    # Without the quota this takes well under a second; held to it, it cannot run much faster than the bound.
    assert rate < 2 * QUOTA, f"{rate:.0f} B/s against a quota of {QUOTA}"
    assert stats and max(max_throttle(s) for s in stats) > 0, "no throttle_time_ms reached librdkafka"
    text = metrics_text(broker)
    assert re.search(rf'kafka_server_produce_throttle_time{{[^}}]*client_id="{client}"', text), "no quota metric"


def test_a_consumer_is_held_to_its_byte_rate_and_gets_every_record(broker):
    topic = f"quota-c-{uuid.uuid4().hex[:6]}"
    client = f"throttled-consumer-{uuid.uuid4().hex[:4]}"
    admin = AdminClient({"bootstrap.servers": broker.bootstrap})
    admin.create_topics([NewTopic(topic, 1, 1)])[topic].result(30)
    count = 3 * QUOTA // PAYLOAD
    # Batches well under one quota window's bytes: a larger batch could never be sent within the quota (Kafka's
    # fetch answers whole batches), with two windows as much as with eleven.
    producer = Producer({"bootstrap.servers": broker.bootstrap, "linger.ms": 20, "batch.size": 16384})
    for i in range(count):
        producer.produce(topic, str(i).encode().ljust(PAYLOAD, b"."), partition=0)
        if i % 1000 == 0:
            producer.poll(0)
    assert producer.flush(60) == 0
    configs(broker, "--alter", "--add-config", f"consumer_byte_rate={QUOTA}", "--entity-type", "clients",
            "--entity-name", client)
    stats = []
    consumer = Consumer({"bootstrap.servers": broker.bootstrap, "client.id": client, "group.id": client,
                         "enable.auto.commit": False, "statistics.interval.ms": 500,
                         "stats_cb": lambda s: stats.append(json.loads(s))})
    consumer.assign([TopicPartition(topic, 0, 0)])
    seen = 0
    started = time.time()
    try:
        while seen < count and time.time() - started < 120:
            message = consumer.poll(0.5)
            if message is not None and message.error() is None:
                assert int(message.value().rstrip(b".")) == seen  # in order, none skipped
                seen += 1
        elapsed = time.time() - started
        consumer.poll(1)
    finally:
        consumer.close()
    assert seen == count
    rate = count * PAYLOAD / elapsed
    assert rate < 2 * QUOTA, f"{rate:.0f} B/s against a quota of {QUOTA}"
    assert stats and max(max_throttle(s) for s in stats) > 0, "no throttle_time_ms reached librdkafka"


def delivered_in(broker, topic, client, seconds):
    """Messages a librdkafka producer gets acknowledged in `seconds`, one message per request (one in flight, one
    message a batch), and the largest throttle time its statistics reported."""
    stats = []
    acked = []
    producer = Producer({"bootstrap.servers": broker.bootstrap, "client.id": client, "linger.ms": 0, "acks": 1,
                         "max.in.flight": 1, "batch.num.messages": 1, "statistics.interval.ms": 500,
                         "stats_cb": lambda s: stats.append(json.loads(s))})
    producer.produce(topic, b"warm-up", partition=0)  # connected and metadata known before the clock starts
    assert producer.flush(30) == 0
    started = time.time()
    while time.time() - started < seconds:
        if len(producer) < 10:
            producer.produce(topic, b"r", partition=0, on_delivery=lambda err, msg: acked.append(err))
        producer.poll(0.001)
    count = sum(1 for err in acked if err is None)
    producer.flush(30)
    producer.poll(1)
    return count, max((max_throttle(s) for s in stats), default=0)


def test_request_percentage_holds_a_client_to_its_share_of_broker_time(broker):
    topic = f"quota-r-{uuid.uuid4().hex[:6]}"
    limited = f"request-limited-{uuid.uuid4().hex[:4]}"
    admin = AdminClient({"bootstrap.servers": broker.bootstrap})
    admin.create_topics([NewTopic(topic, 1, 1)])[topic].result(30)
    # 1 % of one thread: ten milliseconds of the broker's time per second.
    configs(broker, "--alter", "--add-config", "request_percentage=1", "--entity-type", "clients",
            "--entity-name", limited)
    free_count, free_throttle = delivered_in(broker, topic, f"request-free-{uuid.uuid4().hex[:4]}", 3)
    limited_count, limited_throttle = delivered_in(broker, topic, limited, 3)
    assert free_throttle == 0, "a client without a quota was throttled"
    assert limited_throttle > 0, "no throttle_time_ms reached librdkafka"
    assert limited_count * 3 < free_count, f"limited {limited_count} requests against {free_count} without a quota"
    text = metrics_text(broker)
    assert re.search(rf'kafka_server_request_request_time{{[^}}]*client_id="{limited}"', text), "no request metric"
    assert re.search(rf'kafka_server_request_throttle_time{{[^}}]*client_id="{limited}"', text), "no throttle metric"
