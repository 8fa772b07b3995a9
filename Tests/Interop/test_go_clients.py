"""Go clients of the ZooKeeper era from Debian (issue 24), built here with Debian's Go in GOPATH mode: Sarama 1.22
with its default protocol version (Kafka 0.8.2: Produce v0 and Fetch v0 in message format v0, Metadata v0,
OffsetCommit/OffsetFetch v1) and a consumer group at 0.10.2 (JoinGroup v1, Fetch v3); kafka-go 0.2.1 (CreateTopics v0,
Produce v2/Fetch v2 in format v1, JoinGroup v1, OffsetCommit v2). Each program prints what it did as JSON; the test
checks it against what a current client reads back."""
import json
import os
import subprocess
import tempfile

import pytest
from confluent_kafka import Consumer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic

from conftest import single_broker

GO_SOURCES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "go")


@pytest.fixture(scope="module")
def broker():
    yield from single_broker()


@pytest.fixture(scope="module")
def programs():
    """The Go programs, built once against Debian's packaged sources in /usr/share/gocode."""
    directory = tempfile.mkdtemp(prefix="swiftkafka-go-")
    environment = dict(os.environ, GO111MODULE="off", GOPATH="/usr/share/gocode", GOCACHE=f"{directory}/cache")
    built = {}
    for name in ("sarama-check", "kafka-go-check"):
        subprocess.run(["go", "build", "-o", f"{directory}/{name}", "."], cwd=f"{GO_SOURCES}/{name}",
                       env=environment, check=True, capture_output=True, timeout=600)
        built[name] = f"{directory}/{name}"
    yield built
    subprocess.run(["rm", "-rf", directory])


def run(program, *args, timeout=180):
    result = subprocess.run([program, *map(str, args)], capture_output=True, text=True, timeout=timeout)
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout)


def read_back(broker, topic, partitions):
    """{(partition, offset): (key, value)} of the whole topic, read by a current client."""
    consumer = Consumer({"bootstrap.servers": broker.bootstrap, "group.id": "go-reader", "enable.auto.commit": False})
    ends = [consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=10)[1] for p in range(partitions)]
    consumer.assign([TopicPartition(topic, p, 0) for p in range(partitions)])
    records = {}
    while len(records) < sum(ends):
        message = consumer.poll(10)
        assert message is not None, f"read {len(records)} of {sum(ends)}"
        assert message.error() is None
        records[(message.partition(), message.offset())] = (message.key().decode(), message.value().decode())
    consumer.close()
    return records


def test_sarama_with_its_default_version(broker, programs):
    topic, partitions, count = "sarama", 3, 120
    admin = AdminClient({"bootstrap.servers": broker.bootstrap})
    admin.create_topics([NewTopic(topic, partitions, 1)])[topic].result(30)
    result = run(programs["sarama-check"], broker.bootstrap, topic, partitions, count, "sarama-group")
    produced = {(r["partition"], r["offset"]): (r["key"], r["value"]) for r in result["produced"]}
    assert len(produced) == count
    assert read_back(broker, topic, partitions) == produced
    assert {(r["partition"], r["offset"]): (r["key"], r["value"]) for r in result["consumed"]} == produced
    assert result["committed"] == {str(p): 10 + p for p in range(partitions)}
    assert {(r["partition"], r["offset"]): (r["key"], r["value"]) for r in result["group"]} == produced


def test_kafka_go_creates_writes_and_reads_in_a_group(broker, programs):
    topic, partitions, count = "kafka-go", 2, 100
    result = run(programs["kafka-go-check"], broker.bootstrap, topic, partitions, count, "kafka-go-group")
    read = {(r["partition"], r["offset"]): (r["key"], r["value"]) for r in result["read"]}
    assert sorted(v for _, v in read.values()) == sorted(f"v{i}" for i in range(count))
    assert read_back(broker, topic, partitions) == read
    # The group's commits (OffsetCommit v2) are where a current client sees them.
    consumer = Consumer({"bootstrap.servers": broker.bootstrap, "group.id": "kafka-go-group"})
    committed = consumer.committed([TopicPartition(topic, p) for p in range(partitions)], timeout=10)
    consumer.close()
    ends = {}
    for partition, offset in read:
        ends[partition] = max(ends.get(partition, 0), offset + 1)
    assert {c.partition: c.offset for c in committed} == ends
