"""The offset-preserving link (issue 20, reference/mirrormaker.md §9): a topic created on cluster B with
`mirror.link=src` (B's brokers define `cluster.link.src.bootstrap.servers`) is a read-only mirror whose leader
fetches the same topic from cluster A and appends the batches unchanged. Checked: B's log files are byte-identical
to A's, records (offsets, keys, values, headers, timestamps) equal, transactions keep their outcome for
read_committed consumers, records produced later follow, produce to the mirror is refused, and a group resumes on
B at the offsets it committed on A."""
import signal
import time

import pytest
from confluent_kafka import Consumer, KafkaException, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, ConfigResource, NewTopic

from conftest import cluster_pair, single_broker, stop, wait_for
from replication_harness import PARTITIONS as W_PARTITIONS
from replication_harness import TOPIC as W
from replication_harness import Cluster
from test_mirror_zookeeper_groups import commit_v0, fetch_v0

TOPIC = "ledger"
PARTITIONS = 3


@pytest.fixture(scope="module")
def linked():
    """Cluster A, and cluster B whose broker defines cluster link `src` to A."""
    yield from cluster_pair(single_broker(), lambda source: single_broker({
        "cluster.link.src.bootstrap.servers": source.bootstrap,
        "cluster.link.src.consumer.offset.sync.enable": "true", "cluster.link.src.consumer.offset.sync.ms": "1000",
        "cluster.link.src.zookeeper.connect": f"127.0.0.1:{source.zookeeper.port}/kafka"}))


def produce(bootstrap, start, count):
    producer = Producer({"bootstrap.servers": bootstrap, "enable.idempotence": True, "linger.ms": 5})
    for i in range(start, start + count):
        producer.produce(TOPIC, key=f"k{i}".encode(), value=f"v{i}".encode(), partition=i % PARTITIONS,
                         headers=[("n", str(i).encode())])
    assert producer.flush(60) == 0


def transaction(bootstrap, commit, values):
    producer = Producer({"bootstrap.servers": bootstrap, "transactional.id": f"link-{commit}"})
    producer.init_transactions(30)
    producer.begin_transaction()
    for value in values:
        producer.produce(TOPIC, value=value.encode(), partition=0)
    if commit:
        producer.commit_transaction(30)
    else:
        producer.abort_transaction(30)


def ends(bootstrap, topic=TOPIC, partitions=PARTITIONS):
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": "ends"})
    try:
        return [consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=10) for p in range(partitions)]
    finally:
        consumer.close()


def records(bootstrap, isolation="read_uncommitted", start=None):
    """(partition, offset, key, value, headers, timestamp) of every record, from `start` ({partition: offset})."""
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": "reader", "enable.auto.commit": False,
                         "isolation.level": isolation})
    out = []
    try:
        limits = ends(bootstrap)
        for p in range(PARTITIONS):
            begin = (start or {}).get(p, 0)
            consumer.assign([TopicPartition(TOPIC, p, begin)])
            position = begin
            while position < limits[p][1]:
                batch = consumer.consume(1000, timeout=2)
                if not batch:
                    break  # only transaction markers (or aborted records, read_committed) are left
                for m in batch:
                    assert m.error() is None, m.error()
                    out.append((m.partition(), m.offset(), m.key(), m.value(), m.headers(), m.timestamp()))
                    position = m.offset() + 1
    finally:
        consumer.close()
    return out


def segment(broker, partition):
    with open(f"{broker.directory}/logs/{TOPIC}-{partition}/{0:020d}.log", "rb") as f:
        return f.read()


def test_a_mirror_topic_keeps_the_source_offsets_and_bytes(linked):
    source, target = linked
    source_admin = AdminClient({"bootstrap.servers": source.bootstrap})
    source_admin.create_topics([NewTopic(TOPIC, PARTITIONS, 1)])[TOPIC].result(30)
    produce(source.bootstrap, 0, 3_000)
    transaction(source.bootstrap, True, ["committed-1", "committed-2"])
    transaction(source.bootstrap, False, ["aborted-1"])
    target_admin = AdminClient({"bootstrap.servers": target.bootstrap})
    target_admin.create_topics([NewTopic(TOPIC, PARTITIONS, 1, config={"mirror.link": "src"})])[TOPIC].result(30)
    wait_for(lambda: ends(target.bootstrap) == ends(source.bootstrap), 60, "the mirror to reach the source's ends")
    # Byte for byte: the same batches at the same offsets (offsets, producer ids, epochs, markers).
    for p in range(PARTITIONS):
        assert segment(target, p) == segment(source, p), f"partition {p} differs"
    assert records(target.bootstrap) == records(source.bootstrap)
    committed_view = records(target.bootstrap, "read_committed")
    assert committed_view == records(source.bootstrap, "read_committed")
    values = {r[3] for r in committed_view}
    assert b"committed-1" in values and b"aborted-1" not in values
    # Later records follow.
    produce(source.bootstrap, 3_000, 600)
    wait_for(lambda: ends(target.bootstrap) == ends(source.bootstrap), 60, "the mirror to follow new records")
    assert records(target.bootstrap) == records(source.bootstrap)
    # Read-only: produce to the mirror is refused.
    producer = Producer({"bootstrap.servers": target.bootstrap, "message.timeout.ms": 10000, "retries": 0})
    outcome = []
    producer.produce(TOPIC, value=b"local", partition=0, on_delivery=lambda err, msg: outcome.append(err))
    producer.flush(30)
    assert outcome and outcome[0] is not None and outcome[0].name() == "INVALID_REQUEST", outcome
    assert ends(target.bootstrap) == ends(source.bootstrap)
    # A mirror stays a mirror: AlterConfigs without mirror.link (it replaces every override) is refused; with it
    # unchanged, another override is taken.
    with pytest.raises(KafkaException) as refused:
        target_admin.alter_configs([ConfigResource("topic", TOPIC, set_config={"retention.ms": "86400000"})])[
            ConfigResource("topic", TOPIC)].result(30)
    assert refused.value.args[0].name() == "INVALID_CONFIG"
    kept = {"retention.ms": "86400000", "mirror.link": "src"}
    target_admin.alter_configs([ConfigResource("topic", TOPIC, set_config=kept)])[
        ConfigResource("topic", TOPIC)].result(30)


def test_a_group_resumes_on_the_mirror_at_its_source_offsets(linked):
    """With consumer.offset.sync.enable the link copies group offsets verbatim to B (for groups with no member
    there), Kafka-stored ones and those a ZooKeeper-era consumer keeps in A's ZooKeeper (into B's ZooKeeper)."""
    source, target = linked
    consumer = Consumer({"bootstrap.servers": source.bootstrap, "group.id": "resumers", "enable.auto.commit": False,
                         "auto.offset.reset": "earliest"})
    consumer.subscribe([TOPIC])
    read = 0
    while read < 1_000:
        read += sum(1 for m in consumer.consume(200, timeout=1) if m.error() is None)
    consumer.commit(asynchronous=False)
    positions = {tp.partition: tp.offset for tp in consumer.committed(
        [TopicPartition(TOPIC, p) for p in range(PARTITIONS)], timeout=10) if tp.offset >= 0}
    consumer.close()
    assert positions
    # The same offsets mean the same records on B: the rest of each partition is identical.
    assert records(target.bootstrap, start=positions) == records(source.bootstrap, start=positions)
    b = Consumer({"bootstrap.servers": target.bootstrap, "group.id": "resumers", "enable.auto.commit": False})
    try:
        def synced():
            found = b.committed([TopicPartition(TOPIC, p) for p in range(PARTITIONS)], timeout=10)
            return {tp.partition: tp.offset for tp in found if tp.offset >= 0} == positions
        wait_for(synced, 30, "the group's offsets on B")
        b.subscribe([TOPIC])
        first = {}
        deadline = time.time() + 30
        while len(first) < len(positions) and time.time() < deadline:
            for m in b.consume(100, timeout=1):
                if m.error() is None:
                    first.setdefault(m.partition(), m.offset())
        assert first == positions
    finally:
        b.close()
    # A group whose offsets live in A's ZooKeeper (OffsetCommit v0) reaches B's ZooKeeper unchanged.
    legacy = {0: 17, 1: 23}
    commit_v0(source, "legacy-zk", TOPIC, legacy)
    wait_for(lambda: fetch_v0(target, "legacy-zk", TOPIC, [0, 1]) == legacy, 30, "the ZooKeeper group on B")


def test_a_mirror_on_three_brokers_follows_a_local_leader_change(linked):
    """The mirror replicated on B (replication factor 3): its followers copy the leader's copies, a controlled
    shutdown of B's leader moves the link to the new leader, which goes on from its log end; every replica on B
    ends byte-identical to A."""
    source, _ = linked
    source_admin = AdminClient({"bootstrap.servers": source.bootstrap})
    source_admin.create_topics([NewTopic(W, W_PARTITIONS, 1)])[W].result(30)
    producer = Producer({"bootstrap.servers": source.bootstrap, "enable.idempotence": True, "linger.ms": 5})

    def send(start, count):
        for i in range(start, start + count):
            producer.produce(W, key=f"k{i}".encode(), value=f"v{i}".encode(), partition=i % W_PARTITIONS)
        assert producer.flush(60) == 0

    send(0, 6_000)
    target = Cluster(properties={"cluster.link.src.bootstrap.servers": source.bootstrap})
    try:
        target.create_topic(config={"mirror.link": "src", "min.insync.replicas": "2"})
        in_step = lambda: ends(target.bootstrap, W, W_PARTITIONS) == ends(source.bootstrap, W, W_PARTITIONS)
        wait_for(in_step, 60, "the mirror to reach the source's ends")
        victim = target.brokers[target.leader(0)]
        stop(victim.process, signal.SIGTERM)
        wait_for(lambda: target.leader(0) not in (victim.id, -1), 30, "a new leader of w-0 on B")
        send(6_000, 3_000)
        wait_for(in_step, 60, "the new leader to go on mirroring")
        victim.start()
        target.wait_fully_in_sync(60)
        send(9_000, 600)
        wait_for(in_step, 60, "the mirror to follow once more")
        for p in range(W_PARTITIONS):
            with open(f"{source.directory}/logs/{W}-{p}/{0:020d}.log", "rb") as f:
                original = f.read()
            wait_for(lambda: all(target.replica_bytes(b, p) == original for b in target.brokers), 30,
                     f"every replica of {W}-{p} on B to equal A's")
    finally:
        target.close()
