"""MirrorMaker 2 beyond Kafka (issue 20): a consumer group whose offsets live in ZooKeeper (committed with
OffsetCommit v0, as Kafka's old consumers and `offsets.storage=zookeeper` clients do) is invisible to Kafka's MM2,
which lists groups with ListGroups. With `A.zookeeper.connect`, swiftkafka-mirror checkpoints it from the source's
`/consumers` and, with `sync.group.offsets.enabled`, puts the translated offsets in the target's ZooKeeper (through
OffsetCommit v0), where the group's consumers on B read them with OffsetFetch v0: nothing missed after failover."""
import struct

from confluent_kafka import Consumer, TopicPartition
from kazoo.client import KazooClient

from conftest import wait_for
from test_groups import Reader, request, string
from test_mirror_maker2 import MirrorMaker, create, decode_checkpoint, produce, raw, read

GROUP = "ledger-zk"
TOPIC = "ledger"
PARTITIONS = 2


def commit_v0(broker, group, topic, offsets):
    """OffsetCommit v0 of {partition: offset}; asserts every partition's error code is 0."""
    body = string(group) + struct.pack(">i", 1) + string(topic) + struct.pack(">i", len(offsets))
    for partition, offset in sorted(offsets.items()):
        body += struct.pack(">iq", partition, offset) + string("")
    reader = Reader(request(broker.port, 8, 0, body))
    assert reader.int(">i") == 1 and reader.string() == topic and reader.int(">i") == len(offsets)
    assert all(reader.int(">i") >= 0 and reader.int(">h") == 0 for _ in offsets)


def fetch_v0(broker, group, topic, partitions):
    """OffsetFetch v0: {partition: offset} (-1: none)."""
    body = string(group) + struct.pack(">i", 1) + string(topic) + struct.pack(">i", len(partitions))
    body += b"".join(struct.pack(">i", p) for p in partitions)
    reader = Reader(request(broker.port, 9, 0, body))
    assert reader.int(">i") == 1 and reader.string() == topic and reader.int(">i") == len(partitions)
    fetched = {}
    for _ in partitions:
        partition, offset, _metadata, error = reader.int(">i"), reader.int(">q"), reader.string(), reader.int(">h")
        assert error == 0
        fetched[partition] = offset
    return fetched


def values_from(broker, topic, partition, offset):
    """The values of `topic`-`partition` from `offset` to its end."""
    consumer = Consumer({"bootstrap.servers": broker.bootstrap, "group.id": "reader", "enable.auto.commit": False})
    try:
        end = consumer.get_watermark_offsets(TopicPartition(topic, partition), timeout=10)[1]
        consumer.assign([TopicPartition(topic, partition, offset)])
        values = []
        position = offset
        while position < end:
            for m in consumer.consume(1000, timeout=1):
                if m.error() is None:
                    values.append(m.value())
                    position = m.offset() + 1
        return values
    finally:
        consumer.close()


def test_mm2_zookeeper_offsets_group_fails_over(clusters, tmp_path):
    source, target = clusters
    create(source.bootstrap, [TOPIC], partitions=PARTITIONS)
    produce(source.bootstrap, TOPIC, 0, 6_000, partitions=PARTITIONS)
    upstream = {0: 1_234, 1: 2_001}
    commit_v0(source, GROUP, TOPIC, upstream)
    # Kafka's OffsetFetch (v1 and later, what MM2 reads) does not see the group: only ZooKeeper has it.
    consumer = Consumer({"bootstrap.servers": source.bootstrap, "group.id": GROUP})
    try:
        seen = consumer.committed([TopicPartition(TOPIC, p) for p in range(PARTITIONS)], timeout=10)
        assert all(tp.offset < 0 for tp in seen)
    finally:
        consumer.close()
    mirror = MirrorMaker(tmp_path, source, target, {
        "A->B.enabled": "true", "A->B.topics": TOPIC, "A->B.groups": "ledger-.*",
        "A.zookeeper.connect": f"127.0.0.1:{source.zookeeper.port}/kafka", "sync.group.offsets.enabled": "true"})
    try:
        # Once everything is copied (a translation made while the mirror copies is older, and only moves forward):
        assert len(read(target.bootstrap, f"A.{TOPIC}", 6_000, timeout=120)) == 6_000

        def translated():
            offsets = fetch_v0(target, GROUP, f"A.{TOPIC}", list(range(PARTITIONS)))
            # Kafka 3.5's rule: never past the group's position, fewer than offset.lag.max (100) behind it.
            return offsets if all(upstream[p] - 100 <= offsets[p] <= upstream[p] for p in offsets) else None

        downstream = wait_for(translated, 90, "the ZooKeeper group's offsets on B, at most 100 behind its own")
        checkpoints = [decode_checkpoint(k, v) for k, v in raw(target.bootstrap, "A.checkpoints.internal")]
        latest = {(g, t, p): (up, down) for g, t, p, up, down, _ in checkpoints}
        for p in range(PARTITIONS):
            assert latest[(GROUP, f"A.{TOPIC}", p)][0] == upstream[p]
    finally:
        assert mirror.stop() == 0, mirror.text()
    # The offsets are in B's ZooKeeper, where the group's old consumers look.
    zk = KazooClient(hosts=f"127.0.0.1:{target.zookeeper.port}")
    zk.start(timeout=30)
    try:
        stored = {p: int(zk.get(f"/kafka/consumers/{GROUP}/offsets/A.{TOPIC}/{p}")[0]) for p in range(PARTITIONS)}
    finally:
        zk.stop()
    assert stored == downstream
    # Failing over, the group misses nothing of what it had not read on A and re-reads fewer than 100 per partition.
    for p in range(PARTITIONS):
        unread = values_from(source, TOPIC, p, upstream[p])
        resumed = values_from(target, f"A.{TOPIC}", p, downstream[p])
        assert set(unread) <= set(resumed), f"partition {p}: records missed after failover"
        assert 0 <= len(resumed) - len(unread) <= 100
        print(f"zookeeper group failover, partition {p}: {len(resumed) - len(unread)} records read twice")
