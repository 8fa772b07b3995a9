"""Log compaction in a running broker, as Kafka 2.8 schedules it: a compacted topic with `segment.ms=10000`,
`min.cleanable.dirty.ratio=0.01`, `delete.retention.ms=100` and `max.compaction.lag.ms=100` rolls its active segment
every 100 ms of writes (KIP-354), and the cleaner (default `log.cleaner.backoff.ms`, 15 s) compacts every rolled
segment within 20 s of the writes: one record per key outside the active segment, each key's last value kept at its
offset, the tombstoned key gone; `cleaner-offset-checkpoint` records where the clean part ends, and the cleaner's
gauges show the pass."""
import os
import time

import pytest
from confluent_kafka import Consumer, Producer
from confluent_kafka import TopicPartition as ConfluentPartition
from confluent_kafka.admin import AdminClient, NewTopic

from conftest import single_broker, wait_for
from test_metrics import scrape, value

ROUNDS = 30
KEYS = 20


@pytest.fixture(scope="module")
def broker():
    yield from single_broker({"metrics.port": "0", "metrics.host": "127.0.0.1"})


def read_all(bootstrap, topic):
    """[(offset, key, value)] of partition 0 from the log start to its end."""
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": "reader", "enable.auto.commit": False})
    low, high = consumer.get_watermark_offsets(ConfluentPartition(topic, 0), timeout=10)
    consumer.assign([ConfluentPartition(topic, 0, low)])
    records, position = [], low
    deadline = time.time() + 30
    while position < high:
        assert time.time() < deadline, "timed out reading the topic"
        message = consumer.poll(0.5)
        if message is None or message.error():
            continue
        records.append((message.offset(), message.key().decode(), message.value() and message.value().decode()))
        position = message.offset() + 1
    consumer.close()
    return records


def segment_bases(broker, topic):
    directory = f"{broker.directory}/logs/{topic}-0"
    return sorted(int(name[:-4]) for name in os.listdir(directory) if name.endswith(".log"))


def test_a_compacted_topic_is_compacted_within_twenty_seconds_of_the_writes(broker):
    topic = "compacted"
    admin = AdminClient({"bootstrap.servers": broker.bootstrap})
    admin.create_topics([NewTopic(topic, 1, 1, config={
        "cleanup.policy": "compact", "segment.ms": "10000", "min.cleanable.dirty.ratio": "0.01",
        "delete.retention.ms": "100", "max.compaction.lag.ms": "100"})])[topic].result(30)
    producer = Producer({"bootstrap.servers": broker.bootstrap, "linger.ms": 0, "acks": "all"})
    latest = {}
    for round in range(ROUNDS):
        for key in range(KEYS):
            producer.produce(topic, key=f"key-{key}".encode(), value=f"r{round}".encode())
            latest[f"key-{key}"] = f"r{round}"
        if round == 0:
            producer.produce(topic, key=b"gone", value=b"here")
        if round == 1:
            producer.produce(topic, key=b"gone", value=None)  # a tombstone
        producer.flush(30)
        time.sleep(0.12)  # past max.compaction.lag.ms: the next write rolls the segment
    written = ROUNDS * KEYS + 2
    assert len(segment_bases(broker, topic)) > ROUNDS // 2, "the active segment did not roll by max.compaction.lag.ms"
    finished = time.time()

    def compacted():
        records = read_all(broker.bootstrap, topic)
        active = segment_bases(broker, topic)[-1]
        keys = [k for offset, k, _ in records if offset < active]
        return records if len(keys) == len(set(keys)) and "gone" not in keys and len(records) < written else None
    records = wait_for(compacted, 25, "every rolled segment compacted")
    print(f"compacted {time.time() - finished:.1f} s after the writes: {written} records -> {len(records)}")

    # Each key's last value survives, at the offset it was written at (offsets only grow, with gaps).
    offsets = [offset for offset, _, _ in records]
    assert offsets == sorted(offsets) and len(set(offsets)) == len(offsets)
    last = {}
    for offset, key, val in records:
        last[key] = val
    assert {k: v for k, v in last.items() if k != "gone"} == latest
    assert "gone" not in last
    assert records[-1][0] == written - 1

    checkpoint = open(f"{broker.directory}/logs/cleaner-offset-checkpoint").read().split("\n")
    line = next(entry for entry in checkpoint if entry.startswith(f"{topic} 0 "))
    assert 0 < int(line.split()[2]) <= segment_bases(broker, topic)[-1]
    samples, types = scrape(broker)
    assert types["kafka_log_logcleanermanager_max_dirty_percent"] == "gauge"
    assert 0 < value(samples, "kafka_log_logcleaner_cleaner_recopy_percent") < 100
