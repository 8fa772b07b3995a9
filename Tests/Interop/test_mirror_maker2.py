"""swiftkafka-mirror mm2.properties (issue 20): MirrorMaker 2 on the project's Connect runtime between two real
clusters with their own ZooKeepers, three brokers on A and one on B. Records arrive in `A.<topic>` on B in the same partition with
identical keys, values, headers and timestamps and each partition's order; new topics and partitions are found;
topic configs follow; heartbeats flow both ways without loops (active/active); the internal topics decode with
an independent decoder written from the reference's formats; a consumer group fails over with translated offsets
(no record missed); a kill -9 of the mirror loses nothing."""
import collections
import os
import signal
import struct
import subprocess
import time
import urllib.request

from confluent_kafka import Consumer, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, ConfigResource, NewPartitions, NewTopic

from conftest import BROKER, free_port, register, wait_for
from test_mirror import committed

MIRROR = os.path.join(os.path.dirname(BROKER), "swiftkafka-mirror")
ADMIN = os.path.join(os.path.dirname(BROKER), "swiftkafka-admin")


FAST = {
    "replication.factor": "1", "offset-syncs.topic.replication.factor": "1",
    "heartbeats.topic.replication.factor": "1", "checkpoints.topic.replication.factor": "1",
    "config.storage.replication.factor": "1", "offset.storage.replication.factor": "1",
    "status.storage.replication.factor": "1", "refresh.topics.interval.seconds": "2",
    "refresh.groups.interval.seconds": "2", "sync.topic.configs.interval.seconds": "2",
    "emit.checkpoints.interval.seconds": "1", "sync.group.offsets.interval.seconds": "1",
    "offset.flush.interval.ms": "1000", "sync.topic.acls.interval.seconds": "2",
}


class MirrorMaker:
    """One `swiftkafka-mirror mm2.properties` process and its log."""

    def __init__(self, directory, source, target, settings):
        self.directory = directory
        values = {"clusters": "A, B", "A.bootstrap.servers": source.bootstrap,
                  "B.bootstrap.servers": target.bootstrap, **FAST, **settings}
        with open(f"{directory}/mm2.properties", "w") as f:
            f.write("".join(f"{k} = {v}\n" for k, v in values.items()))
        self.start()

    def start(self):
        self.log = open(f"{self.directory}/mirror.log", "a")
        self.process = subprocess.Popen([MIRROR, f"{self.directory}/mm2.properties"], stdout=self.log,
                                        stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        register(self.process.pid)

    def stop(self, sig=signal.SIGTERM):
        self.process.send_signal(sig)
        code = self.process.wait(timeout=90)
        self.log.close()
        return code

    def text(self):
        with open(f"{self.directory}/mirror.log") as f:
            return f.read()


def create(bootstrap, topics, partitions=3, config=None):
    admin = AdminClient({"bootstrap.servers": bootstrap})
    for future in admin.create_topics([NewTopic(t, partitions, 1, config=config or {}) for t in topics]).values():
        future.result()


def produce(bootstrap, topic, start, count, partitions=6):
    producer = Producer({"bootstrap.servers": bootstrap, "linger.ms": 5})
    for i in range(start, start + count):
        producer.produce(topic, key=f"key-{i}".encode(), value=f"{topic}-{i}".encode(), partition=i % partitions,
                         headers=[("n", str(i).encode())], timestamp=1_600_000_000_000 + i)
        if i % 10_000 == 0:
            producer.poll(0)
    assert producer.flush(60) == 0


def read(bootstrap, topic, minimum, timeout=120, partitions=None):
    """(partition, offset, key, value, timestamp, headers) of every record of `topic`, once at least `minimum`
    are there and no more arrive for two seconds."""
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": f"check-{time.time()}",
                         "auto.offset.reset": "earliest", "enable.auto.commit": False})
    records = []
    deadline = time.time() + timeout
    try:
        if partitions is None:
            consumer.subscribe([topic])
        else:
            consumer.assign([TopicPartition(topic, p, 0) for p in range(partitions)])
        quiet = 0
        while time.time() < deadline and (len(records) < minimum or quiet < 2):
            batch = consumer.consume(5000, timeout=1)
            quiet = 0 if batch else quiet + 1
            for m in batch:
                if m.error() is None:
                    records.append((m.partition(), m.offset(), m.key(), m.value(), m.timestamp()[1],
                                    m.headers() or []))
    finally:
        consumer.close()
    return sorted(records)


def partition_counts(bootstrap):
    metadata = AdminClient({"bootstrap.servers": bootstrap}).list_topics(timeout=10)
    return {name: len(t.partitions) for name, t in metadata.topics.items()}


# An independent decoder of MM2's internal records, from reference/mirrormaker.md §4 (protocol Structs:
# big-endian, STRING = int16 length + UTF-8).
def _string(data, at):
    (length,) = struct.unpack_from(">h", data, at)
    return data[at + 2:at + 2 + length].decode(), at + 2 + length


def decode_offset_sync(key, value):
    topic, at = _string(key, 0)
    (partition,) = struct.unpack_from(">i", key, at)
    upstream, downstream = struct.unpack(">qq", value)
    return topic, partition, upstream, downstream


def decode_checkpoint(key, value):
    group, at = _string(key, 0)
    topic, at = _string(key, at)
    (partition,) = struct.unpack_from(">i", key, at)
    version, upstream, downstream = struct.unpack_from(">hqq", value, 0)
    metadata, _ = _string(value, 18)
    assert version == 0
    return group, topic, partition, upstream, downstream, metadata


def decode_heartbeat(key, value):
    source, at = _string(key, 0)
    target, _ = _string(key, at)
    version, timestamp = struct.unpack(">hq", value)
    assert version == 0
    return source, target, timestamp


def raw(bootstrap, topic, timeout=30):
    """(key, value) of every record of `topic`-0 below its end offset at the call (none when it does not exist)."""
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": f"raw-{time.time()}",
                         "auto.offset.reset": "earliest", "enable.auto.commit": False})
    out = []
    try:
        if topic not in consumer.list_topics(timeout=10).topics:
            return out
        end = consumer.get_watermark_offsets(TopicPartition(topic, 0), timeout=10)[1]
        consumer.assign([TopicPartition(topic, 0, 0)])
        deadline = time.time() + timeout
        position = 0
        while position < end and time.time() < deadline:
            for m in consumer.consume(1000, timeout=1):
                if m.error() is None:
                    out.append((m.key(), m.value()))
                    position = m.offset() + 1
    finally:
        consumer.close()
    return out


def test_mm2_copies_partitions_exactly_and_finds_new_topics_and_configs(clusters, tmp_path):
    source, target = clusters
    create(source.bootstrap, ["orders"], partitions=6, config={"retention.ms": "86400000"})
    produce(source.bootstrap, "orders", 0, 100_000)
    mirror = MirrorMaker(tmp_path, source, target, {"A->B.enabled": "true", "A->B.topics": "orders.*, heartbeats"})
    try:
        copied = read(target.bootstrap, "A.orders", 100_000, timeout=180)
        original = read(source.bootstrap, "orders", 100_000)
        assert len(copied) == 100_000
        # Same partition, same offset, same bytes: nothing was compacted or aborted upstream.
        assert [r[:5] + (r[5],) for r in copied] == [r[:5] + (r[5],) for r in original]
        assert partition_counts(target.bootstrap)["A.orders"] == 6
        # The topic config follows (retention.ms was set on the source topic).
        admin = AdminClient({"bootstrap.servers": target.bootstrap})
        resource = ConfigResource(ConfigResource.Type.TOPIC, "A.orders")
        configs = admin.describe_configs([resource])[resource].result()
        assert configs["retention.ms"].value == "86400000"
        # A new topic and added partitions appear within the refresh interval.
        create(source.bootstrap, ["orders-new"], partitions=2)
        produce(source.bootstrap, "orders-new", 0, 100, partitions=2)
        source_admin = AdminClient({"bootstrap.servers": source.bootstrap})
        source_admin.create_partitions([NewPartitions("orders", 8)])["orders"].result()
        produce(source.bootstrap, "orders", 100_000, 80, partitions=8)
        assert len(read(target.bootstrap, "A.orders-new", 100, timeout=60)) == 100
        wait_for(lambda: partition_counts(target.bootstrap).get("A.orders") == 8, 30, "A.orders grown to 8")
        tail = read(target.bootstrap, "A.orders", 100_080, timeout=60)
        assert {r[0] for r in tail if int(r[3].decode().rsplit("-", 1)[1]) >= 100_000} == set(range(8))
        # The offset syncs decode with the independent decoder and map each partition's offsets one to one.
        syncs = [decode_offset_sync(k, v) for k, v in raw(source.bootstrap, "mm2-offset-syncs.B.internal")]
        # (A's own heartbeats topic, where the B->A flow beats, is always mirrored too.)
        assert {t for t, *_ in syncs} == {"orders", "orders-new", "heartbeats"}
        assert all(upstream == downstream for t, p, upstream, downstream in syncs)
        # Heartbeats: B's heartbeats topic has A->B beats, A's has B->A beats and is mirrored to B as
        # A.heartbeats; all decodable and recent.
        beats = [decode_heartbeat(k, v) for k, v in raw(target.bootstrap, "heartbeats")]
        assert beats and all(b[:2] == ("A", "B") for b in beats)
        assert abs(beats[-1][2] / 1000 - time.time()) < 60
        upstream = [decode_heartbeat(k, v) for k, v in raw(target.bootstrap, "A.heartbeats")]
        assert upstream and all(b[:2] == ("B", "A") for b in upstream)
    finally:
        assert mirror.stop() == 0, mirror.text()
    assert "Flow A->B: enabled" in mirror.text() and "Flow B->A: heartbeats only" in mirror.text()
    # The source has no authorizer: ACL sync says so once per connector start and stops (Kafka 3.5), though it
    # would be due every 2 s.
    assert 1 <= mirror.text().count("No ACL authorizer is configured on the source Kafka cluster") <= 3


def metric_series(text):
    """{(name, labels): value} of a Prometheus text."""
    series = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            head, value = line.rsplit(" ", 1)
            name, _, labels = head.partition("{")
            series[(name, labels.rstrip("}"))] = float(value)
    return series


def consume_group(bootstrap, group, topic, count, timeout=60):
    """Reads `count` records of `topic` as member of `group` and commits; their (partition, value) pairs."""
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": group, "auto.offset.reset": "earliest",
                         "enable.auto.commit": False})
    consumer.subscribe([topic])
    out = []
    deadline = time.time() + timeout
    try:
        while len(out) < count and time.time() < deadline:
            for m in consumer.consume(min(500, count - len(out)), timeout=1):
                if m.error() is None:
                    out.append((m.partition(), m.value()))
        consumer.commit(asynchronous=False)
    finally:
        consumer.close()
    return out


def test_mm2_group_fails_over_with_translated_offsets(clusters, tmp_path):
    source, target = clusters
    create(source.bootstrap, ["payments"], partitions=4)
    produce(source.bootstrap, "payments", 0, 20_000, partitions=4)
    first_half = consume_group(source.bootstrap, "billing", "payments", 10_000)
    assert len(first_half) == 10_000
    upstream = committed(source.bootstrap, "billing", "payments", 4)
    metrics_port = free_port()
    mirror = MirrorMaker(tmp_path, source, target, {
        "A->B.enabled": "true", "A->B.topics": "payments", "A->B.groups": "billing",
        "sync.group.offsets.enabled": "true", "metrics.port": str(metrics_port), "metrics.host": "127.0.0.1"})
    try:
        mirrored = read(target.bootstrap, "A.payments", 20_000, timeout=120)
        assert len(mirrored) == 20_000
        # The translated offsets appear on B for the group (which has no member there), for the partitions it
        # committed on A (a consumer reading 10,000 records may not have reached every partition).
        with_offsets = {p for p, o in upstream.items() if o >= 0}
        assert with_offsets
        # Kafka 3.5's rule: never past the group's own position, fewer than offset.lag.max behind it (once the
        # syncs of everything copied are read: a translation made while the mirror copied is older and is only
        # ever moved forward).
        def translated():
            found = {p: o for p, o in committed(target.bootstrap, "billing", "A.payments", 4).items() if o >= 0}
            ok = set(found) == with_offsets and all(upstream[p] - 100 <= found[p] <= upstream[p] for p in found)
            return found if ok else None
        downstream = wait_for(translated, 60, "billing's translated offsets on B, at most 100 behind")
        # The checkpoints decode with the independent decoder and say the same.
        checkpoints = [decode_checkpoint(k, v) for k, v in raw(target.bootstrap, "A.checkpoints.internal")]
        latest = {(g, t, p): (up, down) for g, t, p, up, down, _ in checkpoints}
        for p in with_offsets:
            up, down = latest[("billing", "A.payments", p)]
            assert up == upstream[p] and upstream[p] - 100 <= down <= upstream[p]
        # MirrorMaker 2's metrics (Strimzi's names): every record and byte counted per remote partition,
        # latencies measured, the group's checkpoints timed.
        text = urllib.request.urlopen(f"http://127.0.0.1:{metrics_port}/metrics", timeout=10).read().decode()
        series = metric_series(text)
        counts = {labels: v for (name, labels), v in series.items()
                  if name == "kafka_connect_mirror_source_connector_record_count" and 'topic="A.payments"' in labels}
        assert len(counts) == 4 and sum(counts.values()) >= 20_000
        payload = sum(len(k) + len(v) for _, _, k, v, _, _ in mirrored)
        assert sum(v for (name, labels), v in series.items() if name.endswith("source_connector_byte_count")
                   and 'topic="A.payments"' in labels) >= payload
        assert any(name == "kafka_connect_mirror_source_connector_replication_latency_ms_max"
                   and 'topic="A.heartbeats"' not in labels and v >= 0 for (name, labels), v in series.items())
        assert any(name == "kafka_connect_mirror_checkpoint_connector_checkpoint_latency_ms"
                   and 'group="billing"' in labels and v >= 0 for (name, labels), v in series.items())
        assert urllib.request.urlopen(f"http://127.0.0.1:{metrics_port}/health", timeout=10).read() == b"ok\n"
    finally:
        assert mirror.stop() == 0, mirror.text()
    # The translate-offsets tool reads the same from the checkpoints, as the CSV --reset-offsets --from-file takes;
    # applied to another group on B it gives that group the same offsets.
    tool = subprocess.run([ADMIN, "mirror", "translate-offsets", "--bootstrap-server", target.bootstrap,
                           "--source", "A", "--target", "B", "--group", "billing"],
                          capture_output=True, text=True, timeout=60)
    assert tool.returncode == 0, tool.stderr
    plan = {int(p): int(o) for t, p, o in (line.split(",") for line in tool.stdout.split())}
    assert plan == {p: downstream[p] for p in with_offsets}
    assert all(line.startswith("A.payments,") for line in tool.stdout.split())
    (tmp_path / "plan.csv").write_text(tool.stdout)
    reset = subprocess.run([ADMIN, "consumer-groups", "--bootstrap-server", target.bootstrap, "--group",
                            "billing-by-hand", "--reset-offsets", "--from-file", str(tmp_path / "plan.csv"),
                            "--execute"], capture_output=True, text=True, timeout=60)
    assert reset.returncode == 0, reset.stderr
    by_hand = committed(target.bootstrap, "billing-by-hand", "A.payments", 4)
    assert {p: o for p, o in by_hand.items() if o >= 0} == plan
    missing_group = subprocess.run([ADMIN, "mirror", "translate-offsets", "--bootstrap-server", target.bootstrap,
                                    "--source", "A", "--group", "nobody"], capture_output=True, text=True, timeout=60)
    assert missing_group.returncode == 1 and "No checkpoints of group nobody" in missing_group.stderr
    # A consumer of the same group on B reads the rest: nothing missing, repeats at most offset.lag.max (100)
    # per partition.
    rest = consume_group(target.bootstrap, "billing", "A.payments", 20_000, timeout=30)
    seen = collections.Counter(v for _, v in first_half + rest)
    missing = {f"payments-{i}".encode() for i in range(20_000)} - set(seen)
    assert not missing, f"{len(missing)} records missing after failover"
    repeats = collections.Counter(p for p, v in rest if seen[v] > 1)
    print(f"failover: {sum(repeats.values())} records read twice, per partition {dict(repeats)}")
    assert all(n <= 100 for n in repeats.values())


def test_mm2_kill_minus_nine_loses_nothing(clusters, tmp_path):
    source, target = clusters
    create(source.bootstrap, ["events"], partitions=3)
    produce(source.bootstrap, "events", 0, 60_000, partitions=3)
    mirror = MirrorMaker(tmp_path, source, target, {"A->B.enabled": "true", "A->B.topics": "events"})
    wait_for(lambda: len(read(target.bootstrap, "A.events", 1, timeout=5, partitions=3)) >= 10_000, 120,
             "the first records on B")
    time.sleep(1.5)
    assert mirror.stop(signal.SIGKILL) == -signal.SIGKILL
    produce(source.bootstrap, "events", 60_000, 10_000, partitions=3)
    mirror.start()
    try:
        records = read(target.bootstrap, "A.events", 70_000, timeout=180, partitions=3)
        values = collections.Counter(r[3] for r in records)
        missing = {f"events-{i}".encode() for i in range(70_000)} - set(values)
        assert not missing, f"{len(missing)} records missing after kill -9"
        repeats = len(records) - len(values)
        print(f"kill -9: {len(records)} records on B for 70,000 written, {repeats} repeats")
        # Each partition's copy keeps the source's order (repeats re-send a run from the last committed offset).
        for p in range(3):
            numbers = [int(r[3].decode().rsplit("-", 1)[1]) for r in records if r[0] == p]
            firsts = list(dict.fromkeys(numbers))
            assert firsts == sorted(firsts)
    finally:
        assert mirror.stop() == 0, mirror.text()


def test_mm2_active_active_has_no_loops_and_heartbeats_both_ways(clusters, tmp_path):
    source, target = clusters
    create(source.bootstrap, ["east"], partitions=1)
    create(target.bootstrap, ["west"], partitions=1)
    produce(source.bootstrap, "east", 0, 500, partitions=1)
    produce(target.bootstrap, "west", 0, 500, partitions=1)
    mirror = MirrorMaker(tmp_path, source, target, {
        "A->B.enabled": "true", "B->A.enabled": "true", "A->B.topics": "east.*, heartbeats",
        "B->A.topics": "west.*, A\\.east.*, heartbeats"})
    try:
        assert len(read(target.bootstrap, "A.east", 500, partitions=1)) == 500
        assert len(read(source.bootstrap, "B.west", 500, partitions=1)) == 500
        # Heartbeats flow both ways: each cluster has the other's beats as <alias>.heartbeats.
        assert {b[:2] for b in (decode_heartbeat(k, v) for k, v in raw(target.bootstrap, "A.heartbeats"))} == {("B", "A")}
        assert {b[:2] for b in (decode_heartbeat(k, v) for k, v in raw(source.bootstrap, "B.heartbeats"))} == {("A", "B")}
        time.sleep(5)  # a few refresh intervals: a loop would have created B.A.east on A by now
        topics = set(partition_counts(source.bootstrap)) | set(partition_counts(target.bootstrap))
        assert not any(t.startswith("B.A.") or t.startswith("A.B.") for t in topics), sorted(topics)
    finally:
        assert mirror.stop() == 0, mirror.text()
