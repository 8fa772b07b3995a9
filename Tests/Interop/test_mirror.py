"""swiftkafka-mirror (issue 20) between two real clusters with their own ZooKeepers (three brokers, one). MirrorMaker 1's
command line: the topics the include regex matches arrive on the target under the same names with their keys,
values, headers and timestamps and each key's order; other topics stay behind; a clean stop commits everything so
a restart copies only what is new; a kill -9 loses nothing (repeats only since the last commit, counted); a topic
created after the start is picked up."""
import collections
import os
import signal
import subprocess
import time

from confluent_kafka import Consumer, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic

from conftest import BROKER, register, stop, wait_for

MIRROR = os.path.join(os.path.dirname(BROKER), "swiftkafka-mirror")


class Mirror:
    """One swiftkafka-mirror process with its two properties files and log in a temporary directory."""

    def __init__(self, directory, source, target, group, include, extra=()):
        self.directory = directory
        with open(f"{self.directory}/consumer.properties", "w") as f:
            f.write(f"bootstrap.servers={source.bootstrap}\ngroup.id={group}\nauto.offset.reset=earliest\n"
                    # Java's sample files name deserializers; MirrorMaker ignores them and copies bytes.
                    "key.deserializer=org.apache.kafka.common.serialization.ByteArrayDeserializer\n"
                    "metadata.max.age.ms=2000\n")
        with open(f"{self.directory}/producer.properties", "w") as f:
            f.write(f"bootstrap.servers={target.bootstrap}\nlinger.ms=5\n")
        self.arguments = [MIRROR, "--consumer.config", f"{self.directory}/consumer.properties",
                          "--producer.config", f"{self.directory}/producer.properties",
                          "--offset.commit.interval.ms", "1000", *include, *extra]
        self.start()

    def start(self):
        self.log = open(f"{self.directory}/mirror.log", "a")
        self.process = subprocess.Popen(self.arguments, stdout=self.log, stderr=subprocess.STDOUT,
                                        stdin=subprocess.DEVNULL)
        register(self.process.pid)

    def stop(self, sig=signal.SIGTERM):
        self.process.send_signal(sig)
        code = self.process.wait(timeout=60)
        self.log.close()
        return code

    def text(self):
        with open(f"{self.directory}/mirror.log") as f:
            return f.read()


def create(bootstrap, topics, partitions=3):
    admin = AdminClient({"bootstrap.servers": bootstrap})
    for future in admin.create_topics([NewTopic(t, partitions, 1) for t in topics]).values():
        future.result()


def produce(bootstrap, topic, start, count):
    producer = Producer({"bootstrap.servers": bootstrap, "linger.ms": 5})
    for i in range(start, start + count):
        producer.produce(topic, key=f"key-{i % 97}".encode(), value=f"{topic}-{i}".encode(),
                         headers=[("n", str(i).encode()), ("empty", None)], timestamp=1_600_000_000_000 + i)
        if i % 10_000 == 0:
            producer.poll(0)
    assert producer.flush(60) == 0


def read(bootstrap, topic, minimum, timeout=90):
    """Every record of `topic` as dicts, in each partition's order; waits until at least `minimum` are there."""
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": f"check-{time.time()}",
                         "auto.offset.reset": "earliest", "enable.auto.commit": False})
    records = []
    deadline = time.time() + timeout
    try:
        consumer.subscribe([topic])
        quiet = 0
        while time.time() < deadline and (len(records) < minimum or quiet < 3):
            batch = consumer.consume(5000, timeout=1)
            quiet = 0 if batch else quiet + 1
            for message in batch:
                if message.error():
                    continue
                records.append({"key": message.key(), "value": message.value(), "partition": message.partition(),
                                "offset": message.offset(), "timestamp": message.timestamp()[1],
                                "headers": message.headers() or []})
    finally:
        consumer.close()
    return sorted(records, key=lambda r: (r["partition"], r["offset"]))


def topics(bootstrap):
    return set(AdminClient({"bootstrap.servers": bootstrap}).list_topics(timeout=10).topics)


def committed(bootstrap, group, topic, partitions):
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": group})
    try:
        return {p.partition: p.offset
                for p in consumer.committed([TopicPartition(topic, p) for p in range(partitions)], timeout=10)}
    finally:
        consumer.close()


def check_copy(records, start, count, topic):
    """Each source record i is there once or more, intact; each key's records are in production order."""
    by_value = collections.Counter(r["value"] for r in records)
    expected = {f"{topic}-{i}".encode() for i in range(start, start + count)}
    missing = expected - set(by_value)
    assert not missing, f"{len(missing)} records missing, e.g. {sorted(missing)[:3]}"
    for r in records:
        i = int(r["value"].decode().rsplit("-", 1)[1])
        assert r["key"] == f"key-{i % 97}".encode()
        assert r["timestamp"] == 1_600_000_000_000 + i
        assert r["headers"] == [("n", str(i).encode()), ("empty", None)]
    by_key = collections.defaultdict(list)
    for r in records:
        by_key[r["key"]].append(int(r["value"].decode().rsplit("-", 1)[1]))
    for key, numbers in by_key.items():
        # Repeats after a crash re-send a run of records, so order is checked on first appearances.
        firsts = list(dict.fromkeys(numbers))
        assert firsts == sorted(firsts), f"{key} out of order"
    return sum(by_value.values()) - len(by_value)


def test_mm1_copies_the_included_topics_and_a_clean_stop_commits_everything(clusters, tmp_path):
    source, target = clusters
    create(source.bootstrap, ["orders", "orders-eu", "payments"])
    produce(source.bootstrap, "orders", 0, 20_000)
    produce(source.bootstrap, "orders-eu", 0, 1_000)
    produce(source.bootstrap, "payments", 0, 1_000)
    mirror = Mirror(tmp_path, source, target, "mm1", ["--include", "orders.*"], extra=["--num.streams", "2"])
    try:
        orders = read(target.bootstrap, "orders", 20_000)
        assert len(orders) == 20_000 and check_copy(orders, 0, 20_000, "orders") == 0
        eu = read(target.bootstrap, "orders-eu", 1_000)
        assert len(eu) == 1_000 and check_copy(eu, 0, 1_000, "orders-eu") == 0
        assert "payments" not in topics(target.bootstrap)
        # A topic made after the start that the regex matches is mirrored too.
        create(source.bootstrap, ["orders-us"])
        produce(source.bootstrap, "orders-us", 0, 500)
        us = read(target.bootstrap, "orders-us", 500)
        assert len(us) == 500 and check_copy(us, 0, 500, "orders-us") == 0
    finally:
        assert mirror.stop() == 0, mirror.text()
    assert "Mirroring topics matching orders.*" in mirror.text()
    # The clean stop flushed and committed: the group's offsets are the source's end offsets.
    assert sum(committed(source.bootstrap, "mm1", "orders", 3).values()) == 20_000
    assert sum(committed(source.bootstrap, "mm1", "orders-eu", 3).values()) == 1_000
    # Restarted (with 2.8's --whitelist), it copies only what was written since: no repeats.
    produce(source.bootstrap, "orders", 20_000, 5_000)
    mirror = Mirror(tmp_path, source, target, "mm1", ["--whitelist", "orders.*"])
    try:
        orders = read(target.bootstrap, "orders", 25_000)
        assert len(orders) == 25_000 and check_copy(orders, 0, 25_000, "orders") == 0
    finally:
        assert mirror.stop() == 0, mirror.text()


def test_mm1_kill_minus_nine_loses_nothing(clusters, tmp_path):
    source, target = clusters
    create(source.bootstrap, ["clicks"])
    produce(source.bootstrap, "clicks", 0, 30_000)
    mirror = Mirror(tmp_path, source, target, "mm1-crash", ["--include", "clicks"])
    # Killed mid-stream, after some records arrived and at least one commit happened.
    wait_for(lambda: len(read(target.bootstrap, "clicks", 1, timeout=5)) >= 5_000, 90, "the first records")
    time.sleep(1.5)
    assert mirror.stop(signal.SIGKILL) == -signal.SIGKILL
    produce(source.bootstrap, "clicks", 30_000, 10_000)
    mirror.start()
    try:
        records = read(target.bootstrap, "clicks", 40_000)
        repeats = check_copy(records, 0, 40_000, "clicks")
        print(f"kill -9: {len(records)} records on the target for 40,000 written, {repeats} repeats")
        assert len(records) == 40_000 + repeats
    finally:
        assert mirror.stop() == 0, mirror.text()


def test_mm1_refuses_a_consumer_config_without_a_group(clusters, tmp_path):
    source, target = clusters
    (tmp_path / "c.properties").write_text(f"bootstrap.servers={source.bootstrap}\n")
    (tmp_path / "p.properties").write_text(f"bootstrap.servers={target.bootstrap}\n")
    result = subprocess.run([MIRROR, "--consumer.config", str(tmp_path / "c.properties"), "--producer.config",
                             str(tmp_path / "p.properties"), "--include", ".*"],
                            capture_output=True, text=True, timeout=30)
    assert result.returncode == 1
    assert "group.id" in result.stderr
    result = subprocess.run([MIRROR, "--consumer.config", str(tmp_path / "c.properties"), "--producer.config",
                             str(tmp_path / "p.properties")], capture_output=True, text=True, timeout=30)
    assert result.returncode != 0 and "--include is required" in result.stderr
