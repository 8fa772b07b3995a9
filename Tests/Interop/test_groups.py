"""Consumer groups against a SwiftKafka broker, once per offsets.storage mode (kafka, zookeeper): confluent-kafka
and kafka-python consumers share a topic in one group with manual commits; a killed member's partitions move to the
others; committed offsets survive broker restarts; and the stored offsets are read back independently of the broker,
from the `__consumer_offsets` records (decoded here from Kafka's format description) or from the znodes of the old
consumer layout (read with kazoo)."""
import collections
import os
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import threading
import time
import uuid

import pytest

from confluent_kafka import Consumer, KafkaError, KafkaException, Producer
from confluent_kafka import TopicPartition as ConfluentPartition
from confluent_kafka.admin import AdminClient, NewTopic

from conftest import commit_when_ready, register, stop, wait_for

COUNT = 100_000
PARTITIONS = 6


def create_topic(bootstrap, topic, partitions=PARTITIONS):
    admin = AdminClient({"bootstrap.servers": bootstrap})
    admin.create_topics([NewTopic(topic, partitions, 1)])[topic].result(30)


def produce(bootstrap, topic, count):
    producer = Producer({"bootstrap.servers": bootstrap, "linger.ms": 5, "acks": "all"})
    for i in range(count):
        while True:
            try:
                producer.produce(topic, key=f"key-{i}".encode(), value=str(i).encode())
                break
            except BufferError:
                producer.poll(0.1)
    assert producer.flush(60) == 0


def commit_groups(bootstrap, topic, prefix, count, step):
    """Groups `<prefix>-0` … each commit a distinct offset per partition (step * index + partition + 1);
    returns {group: {partition: offset}}."""
    expected = {}
    for index in range(count):
        group = f"{prefix}-{index}"
        offsets = {p: step * index + p + 1 for p in range(PARTITIONS)}
        consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": group, "enable.auto.commit": False})
        commit_when_ready(consumer, [ConfluentPartition(topic, p, o) for p, o in offsets.items()])
        consumer.close()
        expected[group] = offsets
    return expected


def end_offsets(bootstrap, topic, partitions=PARTITIONS):
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": "end-offsets"})
    ends = {p: consumer.get_watermark_offsets(ConfluentPartition(topic, p), timeout=10)[1] for p in range(partitions)}
    consumer.close()
    return ends


def committed(bootstrap, group, topic, partitions=PARTITIONS):
    """The group's committed offsets as the broker reports them (OffsetFetch), from a consumer that does not join;
    None while the coordinator is not ready (NOT_COORDINATOR, COORDINATOR_LOAD_IN_PROGRESS right after a restart)."""
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": group, "enable.auto.commit": False})
    try:
        result = consumer.committed([ConfluentPartition(topic, p) for p in range(partitions)], timeout=30)
    except KafkaException as error:
        print(f"committed(): {error}")
        return None
    finally:
        consumer.close()
    return {tp.partition: tp.offset for tp in result}


# What OffsetCommit answers a member whose commit crossed a rebalance (GroupCoordinator.handleCommitOffsets).
REBALANCE_COMMIT_ERRORS = (KafkaError.ILLEGAL_GENERATION, KafkaError.REBALANCE_IN_PROGRESS,
                           KafkaError.UNKNOWN_MEMBER_ID)


class Member(threading.Thread):
    """One group member in a thread: consumes, records every message, commits synchronously after each poll."""

    def __init__(self, kind, bootstrap, group, topic, processed, instance_id=None, settings=None):
        super().__init__(daemon=True)
        self.instance_id = instance_id
        self.extra_settings = settings or {}
        self.assign_calls = 0
        self.kind, self.bootstrap, self.group, self.topic, self.processed = kind, bootstrap, group, topic, processed
        self.assignment = set()
        self.stopping = threading.Event()
        self.error = None
        self.commit_refusals = []

    def run(self):
        try:
            self.run_confluent() if self.kind == "confluent" else self.run_kafka_python()
        except Exception as error:  # surfaced by the test
            self.error = error

    def run_confluent(self):
        settings = {"bootstrap.servers": self.bootstrap, "group.id": self.group,
                    "enable.auto.commit": False, "auto.offset.reset": "earliest",
                    "session.timeout.ms": 6000, "heartbeat.interval.ms": 500}
        if self.instance_id:
            settings.update({"group.instance.id": self.instance_id, "session.timeout.ms": 30000})
        settings.update(self.extra_settings)

        def assigned(consumer, partitions):
            self.assign_calls += 1

        consumer = Consumer(settings)
        try:  # closed on every path: a consumer left open outlives its cluster and blocks whoever collects it
            consumer.subscribe([self.topic], on_assign=assigned)
            while not self.stopping.is_set():
                messages = [m for m in consumer.consume(2000, timeout=0.2) if m.error() is None]
                for message in messages:
                    self.processed.append((message.partition(), message.offset(), int(message.value())))
                if messages:
                    try:
                        consumer.commit(asynchronous=False)
                    except KafkaException as error:
                        # Kafka 2.8's coordinator refuses a commit that races a rebalance (sent with the generation
                        # the member had, answered after the group moved on); the messages are delivered again to
                        # whoever owns the partition next. Any other refusal is a failure.
                        if error.args[0].code() not in REBALANCE_COMMIT_ERRORS:
                            raise
                        self.commit_refusals.append(error.args[0].name())
                self.assignment = {tp.partition for tp in consumer.assignment()}
        finally:
            consumer.close()

    def run_kafka_python(self):
        from kafka import KafkaConsumer
        from kafka.errors import CommitFailedError, RebalanceInProgressError
        consumer = KafkaConsumer(self.topic, bootstrap_servers=self.bootstrap, group_id=self.group,
                                 enable_auto_commit=False, auto_offset_reset="earliest",
                                 session_timeout_ms=6000, heartbeat_interval_ms=500)
        try:
            while not self.stopping.is_set():
                batches = consumer.poll(timeout_ms=200, max_records=2000)
                for records in batches.values():
                    for record in records:
                        self.processed.append((record.partition, record.offset, int(record.value)))
                if batches:
                    try:
                        consumer.commit()
                    except (CommitFailedError, RebalanceInProgressError) as error:  # as for librdkafka above
                        self.commit_refusals.append(type(error).__name__)
                self.assignment = {tp.partition for tp in consumer.assignment()}
        finally:
            consumer.close()


class Reader:
    """Big-endian reads of Kafka's non-flexible encoding: int16-length strings (-1 null), int32-length bytes."""

    def __init__(self, data):
        self.data, self.position = data, 0

    def int(self, fmt):
        (value,) = struct.unpack_from(fmt, self.data, self.position)
        self.position += struct.calcsize(fmt)
        return value

    def string(self):
        length = self.int(">h")
        if length < 0:
            return None
        self.position += length
        return self.data[self.position - length:self.position].decode()

    def bytes(self):
        length = self.int(">i")
        self.position += max(length, 0)
        return self.data[self.position - length:self.position] if length >= 0 else None


def decode_group_value(value):
    """Group metadata value version 3 (KIP-345): header, then members with group_instance_id after member_id."""
    reader = Reader(value)
    assert reader.int(">h") == 3, "group metadata values are written at version 3"
    group = {"protocol_type": reader.string(), "generation": reader.int(">i"), "protocol": reader.string(),
             "leader": reader.string(), "state_timestamp": reader.int(">q"), "members": []}
    for _ in range(reader.int(">i")):
        group["members"].append({"member_id": reader.string(), "group_instance_id": reader.string(),
                                 "client_id": reader.string(), "client_host": reader.string(),
                                 "rebalance_timeout": reader.int(">i"), "session_timeout": reader.int(">i"),
                                 "subscription": reader.bytes(), "assignment": reader.bytes()})
    assert reader.position == len(value)
    return group


def read_offsets_topic(bootstrap, groups=None):
    """Every record of __consumer_offsets, decoded here from Kafka's format: key version 0/1 = offset commit
    (group, topic, partition); value version 0-3 = offset [+ leader epoch in v3], metadata, commit timestamp
    [+ expire timestamp in v1]; key version 2 = group metadata. Returns {(group, topic, partition): offset} with the
    last record per key winning (a tombstone deletes), and fills `groups` with {group: decoded value}."""
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": "offsets-reader", "enable.auto.commit": False})
    partitions = consumer.list_topics("__consumer_offsets", timeout=10).topics["__consumer_offsets"].partitions
    assignment = [ConfluentPartition("__consumer_offsets", p, 0) for p in partitions]
    ends = {p: consumer.get_watermark_offsets(ConfluentPartition("__consumer_offsets", p), timeout=10)[1]
            for p in partitions}
    consumer.assign(assignment)
    positions = {p: 0 for p in partitions}
    latest = {}
    deadline = time.time() + 60
    while any(positions[p] < ends[p] for p in partitions) and time.time() < deadline:
        for message in consumer.consume(1000, timeout=0.5):
            if message.error():
                continue
            positions[message.partition()] = message.offset() + 1
            key = message.key()
            (key_version,) = struct.unpack_from(">h", key, 0)
            if key_version == 2:
                name = Reader(key[2:]).string()
                if groups is not None:
                    if message.value() is None:
                        groups.pop(name, None)
                    else:
                        groups[name] = decode_group_value(message.value())
                continue
            assert key_version in (0, 1), f"key version {key_version}"
            position = 2
            fields = []
            for _ in range(2):
                (length,) = struct.unpack_from(">h", key, position)
                fields.append(key[position + 2:position + 2 + length].decode())
                position += 2 + length
            (partition,) = struct.unpack_from(">i", key, position)
            value = message.value()
            if value is None:
                latest.pop((fields[0], fields[1], partition), None)
                continue
            (value_version, offset) = struct.unpack_from(">hq", value, 0)
            assert value_version in (1, 3), f"offset value version {value_version} (never 2)"
            latest[(fields[0], fields[1], partition)] = offset
    consumer.close()
    return latest


def test_six_members_consume_exactly_once(offsets_cluster):
    bootstrap = offsets_cluster.bootstrap
    topic = f"group-{uuid.uuid4().hex[:6]}"
    group = f"six-{uuid.uuid4().hex[:6]}"
    create_topic(bootstrap, topic)
    processed = collections.deque()
    members = [Member(kind, bootstrap, group, topic, processed)
               for kind in ["confluent"] * 3 + ["kafka-python"] * 3]
    for member in members:
        member.start()
    try:
        # Every member holds one partition before anything is produced, so no rebalance runs while consuming.
        wait_for(lambda: sorted(p for m in members for p in m.assignment) == list(range(PARTITIONS)), 90,
                 "six members with one partition each")
        produce(bootstrap, topic, COUNT)
        wait_for(lambda: len(processed) >= COUNT or any(m.error for m in members), 180, f"{COUNT} messages")
        time.sleep(1)  # a duplicate delivered late would show here
    finally:
        for member in members:
            member.stopping.set()
        for member in members:
            member.join(60)
    assert [m.error for m in members] == [None] * 6
    values = collections.Counter(value for _, _, value in processed)
    assert len(values) == COUNT and set(values) == set(range(COUNT))
    assert [v for v, n in values.items() if n > 1] == []
    ends = end_offsets(bootstrap, topic)
    assert sum(ends.values()) == COUNT
    assert committed(bootstrap, group, topic) == ends

    if offsets_cluster.mode == "kafka":
        stored = read_offsets_topic(bootstrap)
        assert {p: stored.get((group, topic, p)) for p in range(PARTITIONS)} == ends
    else:
        from kazoo.client import KazooClient
        zk = KazooClient(hosts=f"127.0.0.1:{offsets_cluster.zookeeper.port}")
        zk.start(timeout=30)
        try:
            base = f"/kafka/consumers/{group}/offsets/{topic}"
            assert sorted(zk.get_children(base)) == [str(p) for p in range(PARTITIONS)]
            assert {p: int(zk.get(f"{base}/{p}")[0].decode("ascii")) for p in range(PARTITIONS)} == ends
        finally:
            zk.stop()

    # Committed offsets survive a clean restart and a crash of the broker.
    offsets_cluster.restart()
    wait_for(lambda: committed(bootstrap, group, topic) == ends, 60, "committed offsets after a restart")
    offsets_cluster.restart(crash=True)
    wait_for(lambda: committed(bootstrap, group, topic) == ends, 90, "committed offsets after a crash")


MEMBER_SCRIPT = """
import sys
from confluent_kafka import Consumer
settings = {"bootstrap.servers": sys.argv[1], "group.id": sys.argv[2], "enable.auto.commit": False,
            "auto.offset.reset": "earliest", "session.timeout.ms": 6000, "heartbeat.interval.ms": 500}
if len(sys.argv) > 4:
    settings.update({"group.instance.id": sys.argv[4], "session.timeout.ms": 30000})
consumer = Consumer(settings)
consumer.subscribe([sys.argv[3]])
while True:
    messages = consumer.consume(100, timeout=0.2)
    print(sorted(tp.partition for tp in consumer.assignment()), flush=True)
"""


def test_killed_member_partitions_move(offsets_cluster):
    bootstrap = offsets_cluster.bootstrap
    topic = f"kill-{uuid.uuid4().hex[:6]}"
    group = f"kill-{uuid.uuid4().hex[:6]}"
    create_topic(bootstrap, topic)
    victim = subprocess.Popen([sys.executable, "-c", MEMBER_SCRIPT, bootstrap, group, topic],
                              stdout=subprocess.PIPE, text=True)
    register(victim.pid)
    survivor = Member("confluent", bootstrap, group, topic, collections.deque())
    survivor.start()
    try:
        assigned = []
        while True:
            line = victim.stdout.readline()
            assert line, "the victim member exited"
            assigned = eval(line)
            if assigned and len(survivor.assignment) + len(assigned) == PARTITIONS:
                break
        os.kill(victim.pid, signal.SIGKILL)
        victim.wait()
        killed = time.time()
        wait_for(lambda: survivor.assignment == set(range(PARTITIONS)), 60, "the survivor to take every partition")
        print(f"partitions moved {time.time() - killed:.1f}s after kill -9 (session timeout 6s)")
    finally:
        stop(victim, signal.SIGKILL)
        survivor.stopping.set()
        survivor.join(60)
    assert survivor.error is None


def test_admin_lists_describes_and_deletes_groups(offsets_cluster):
    from confluent_kafka import ConsumerGroupState
    bootstrap = offsets_cluster.bootstrap
    topic = f"admin-{uuid.uuid4().hex[:6]}"
    group = f"admin-{uuid.uuid4().hex[:6]}"
    create_topic(bootstrap, topic)
    produce(bootstrap, topic, 600)
    processed = collections.deque()
    member = Member("confluent", bootstrap, group, topic, processed)
    member.start()
    admin = AdminClient({"bootstrap.servers": bootstrap})
    try:
        wait_for(lambda: len(processed) == 600 and member.assignment == set(range(PARTITIONS)), 60,
                 "one member with every partition")
        listed = admin.list_consumer_groups().result(30)
        assert [(g.group_id, g.state) for g in listed.valid if g.group_id == group] == [
            (group, ConsumerGroupState.STABLE)]
        described = admin.describe_consumer_groups([group])[group].result(30)
        assert described.state == ConsumerGroupState.STABLE and described.partition_assignor == "range"
        assert len(described.members) == 1
        assert sorted(tp.partition for tp in described.members[0].assignment.topic_partitions) == list(
            range(PARTITIONS))
        member_id = described.members[0].member_id
        # A group with members cannot be deleted.
        try:
            admin.delete_consumer_groups([group])[group].result(30)
            raise AssertionError("deleting a group with members succeeded")
        except KafkaException as error:
            assert error.args[0].name() == "NON_EMPTY_GROUP"
        if offsets_cluster.mode == "kafka":
            groups = {}
            read_offsets_topic(bootstrap, groups)
            record = groups[group]
            assert (record["protocol_type"], record["protocol"], record["leader"]) == ("consumer", "range", member_id)
            assert [m["member_id"] for m in record["members"]] == [member_id]
            assert record["members"][0]["session_timeout"] == 6000
    finally:
        member.stopping.set()
        member.join(60)
    assert member.error is None
    assert committed(bootstrap, group, topic) == end_offsets(bootstrap, topic)
    admin.delete_consumer_groups([group])[group].result(30)
    assert set(committed(bootstrap, group, topic).values()) == {-1001}  # OFFSET_INVALID: nothing committed
    if offsets_cluster.mode == "kafka":
        groups = {}
        stored = read_offsets_topic(bootstrap, groups)
        assert group not in groups
        assert [key for key in stored if key[0] == group] == []


def request(port, api_key, version, body):
    """One request with header v1 (client id "interop") on a fresh connection; returns the response body."""
    import socket
    header = struct.pack(">hhi", api_key, version, 7) + struct.pack(">h", 7) + b"interop"
    frame = header + body
    with socket.create_connection(("127.0.0.1", port), timeout=30) as connection:
        connection.sendall(struct.pack(">i", len(frame)) + frame)
        data = b""
        while len(data) < 4 or len(data) < 4 + struct.unpack_from(">i", data)[0]:
            chunk = connection.recv(65536)
            assert chunk, "the broker closed the connection"
            data += chunk
    assert struct.unpack_from(">i", data, 4)[0] == 7
    return data[8:]


def string(text):
    return struct.pack(">h", len(text)) + text.encode()


def test_offset_commit_and_fetch_v0_use_zookeeper(offsets_cluster):
    """OffsetCommit v0 and OffsetFetch v0 go to /consumers/<group>/offsets in both modes (Kafka's rule)."""
    from kazoo.client import KazooClient
    group = f"v0-{uuid.uuid4().hex[:6]}"
    topic = "legacy"
    create_topic(offsets_cluster.bootstrap, topic, partitions=2)
    body = string(group) + struct.pack(">i", 1) + string(topic) + struct.pack(">i", 2)
    body += struct.pack(">iq", 0, 11) + string("") + struct.pack(">iq", 1, 12) + string("m")
    reader = Reader(request(offsets_cluster.port, 8, 0, body))
    assert reader.int(">i") == 1 and reader.string() == topic and reader.int(">i") == 2
    assert [(reader.int(">i"), reader.int(">h")) for _ in range(2)] == [(0, 0), (1, 0)]

    zk = KazooClient(hosts=f"127.0.0.1:{offsets_cluster.zookeeper.port}")
    zk.start(timeout=30)
    try:
        base = f"/kafka/consumers/{group}/offsets/{topic}"
        assert {p: zk.get(f"{base}/{p}")[0] for p in ("0", "1")} == {"0": b"11", "1": b"12"}
    finally:
        zk.stop()

    body = string(group) + struct.pack(">i", 1) + string(topic) + struct.pack(">iiii", 3, 0, 1, 2)
    reader = Reader(request(offsets_cluster.port, 9, 0, body))
    assert reader.int(">i") == 1 and reader.string() == topic and reader.int(">i") == 3
    fetched = [(reader.int(">i"), reader.int(">q"), reader.string(), reader.int(">h")) for _ in range(3)]
    # Partition 2 does not exist: Kafka's OffsetFetch v0 answers it as nothing committed, without an error.
    assert fetched == [(0, 11, "", 0), (1, 12, "", 0), (2, -1, "", 0)]


def commit_request(group, offsets):
    """OffsetCommit v2 outside any generation (an admin commit): offsets maps topic to {partition: offset}."""
    body = string(group) + struct.pack(">i", -1) + string("") + struct.pack(">q", -1) + struct.pack(">i", len(offsets))
    for topic, partitions in offsets.items():
        body += string(topic) + struct.pack(">i", len(partitions))
        for partition, offset in partitions.items():
            body += struct.pack(">iq", partition, offset) + string("")
    return body


def read_commit_answer(data):
    reader = Reader(data)
    answer = {}
    for _ in range(reader.int(">i")):
        topic = reader.string()
        answer[topic] = {reader.int(">i"): reader.int(">h") for _ in range(reader.int(">i"))}
    return answer


@pytest.mark.parametrize("version", [0, 2])
def test_offset_commit_for_a_missing_topic_or_partition_is_refused_and_not_stored(offsets_cluster, version):
    """Kafka's handleOffsetCommitRequest: a partition the broker does not know is answered
    UNKNOWN_TOPIC_OR_PARTITION (3) and nothing is stored for it; the request's known partitions are committed."""
    group = f"missing-{version}-{uuid.uuid4().hex[:6]}"
    topic = f"present-{version}-{uuid.uuid4().hex[:6]}"
    create_topic(offsets_cluster.bootstrap, topic, partitions=2)
    offsets = {topic: {0: 5, 1: 6, 7: 8}, "absent-topic": {0: 9}}
    if version == 0:
        body = string(group) + struct.pack(">i", len(offsets))
        for name, partitions in offsets.items():
            body += string(name) + struct.pack(">i", len(partitions))
            for partition, offset in partitions.items():
                body += struct.pack(">iq", partition, offset) + string("")
    else:
        body = commit_request(group, offsets)
    # As a client does, FindCoordinator first (it makes __consumer_offsets); until that is loaded the coordinator
    # answers COORDINATOR_LOAD_IN_PROGRESS, COORDINATOR_NOT_AVAILABLE or NOT_COORDINATOR, and the commit repeats.
    deadline = time.time() + 30
    while True:
        request(offsets_cluster.port, 10, 0, string(group))
        answer = read_commit_answer(request(offsets_cluster.port, 8, version, body))
        if not {14, 15, 16} & {code for codes in answer.values() for code in codes.values()} or time.time() > deadline:
            break
        time.sleep(0.2)
    assert answer == {topic: {0: 0, 1: 0, 7: 3}, "absent-topic": {0: 3}}

    # Only the known partitions were stored (OffsetFetch of the same version family: v0 reads ZooKeeper).
    fetch_version = 0 if version == 0 else 1
    body = string(group) + struct.pack(">i", 2) + string(topic) + struct.pack(">iiii", 3, 0, 1, 7)
    body += string("absent-topic") + struct.pack(">ii", 1, 0)
    reader = Reader(request(offsets_cluster.port, 9, fetch_version, body))
    fetched = {}
    for _ in range(reader.int(">i")):
        name = reader.string()
        for _ in range(reader.int(">i")):
            partition, offset, _, _ = reader.int(">i"), reader.int(">q"), reader.string(), reader.int(">h")
            fetched[(name, partition)] = offset
    assert fetched == {(topic, 0): 5, (topic, 1): 6, (topic, 7): -1, ("absent-topic", 0): -1}

    # A commit with only unknown partitions stores nothing and creates no group.
    only_absent = f"only-absent-{version}-{uuid.uuid4().hex[:6]}"
    body = commit_request(only_absent, {"absent-topic": {0: 1}})
    assert read_commit_answer(request(offsets_cluster.port, 8, 2, body)) == {"absent-topic": {0: 3}}
    assert only_absent not in empty_groups(offsets_cluster.bootstrap)


def test_static_member_returns_without_a_rebalance(offsets_cluster):
    """KIP-345: a static member killed and restarted within its session timeout gets its partitions back, and the
    other member's assignment is never revoked."""
    bootstrap = offsets_cluster.bootstrap
    topic = f"static-{uuid.uuid4().hex[:6]}"
    group = f"static-{uuid.uuid4().hex[:6]}"
    create_topic(bootstrap, topic)
    survivor = Member("confluent", bootstrap, group, topic, collections.deque(), instance_id="instance-b")
    survivor.start()
    processes = []

    def start_static_member():
        process = subprocess.Popen([sys.executable, "-c", MEMBER_SCRIPT, bootstrap, group, topic, "instance-a"],
                                   stdout=subprocess.PIPE, text=True)
        register(process.pid)
        processes.append(process)
        return process

    def assignment_of(process):
        while True:
            line = process.stdout.readline()
            assert line, "the static member exited"
            assigned = eval(line)
            if assigned and len(survivor.assignment) + len(assigned) == PARTITIONS:
                return assigned

    try:
        first = start_static_member()
        before = assignment_of(first)
        survivor_before = set(survivor.assignment)
        calls_before = survivor.assign_calls
        os.kill(first.pid, signal.SIGKILL)
        first.wait()
        second = start_static_member()
        assert assignment_of(second) == before
        time.sleep(2)
        assert survivor.assignment == survivor_before
        assert survivor.assign_calls == calls_before, "the other member went through a rebalance"
    finally:
        for process in processes:
            stop(process, signal.SIGKILL)
        survivor.stopping.set()
        survivor.join(60)
    assert survivor.error is None


def test_kcat_balanced_consumer(offsets_cluster):
    """Debian's kcat (librdkafka 2.0.2) as a balanced consumer (-G): it joins, reads every message, and commits."""
    bootstrap = offsets_cluster.bootstrap
    topic = f"kcat-{uuid.uuid4().hex[:6]}"
    group = f"kcat-{uuid.uuid4().hex[:6]}"
    create_topic(bootstrap, topic)
    produce(bootstrap, topic, 3000)
    result = subprocess.run(
        ["kcat", "-b", bootstrap, "-G", group, "-o", "beginning", "-e", "-q", "-f", "%p %o %s\\n",
         "-X", "enable.auto.commit=true", "-X", "auto.commit.interval.ms=100", topic],
        capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    values = sorted(int(line.split()[2]) for line in result.stdout.splitlines())
    assert values == list(range(3000))
    assert committed(bootstrap, group, topic) == end_offsets(bootstrap, topic)


def offsets_partition(group, partitions):
    """abs(String.hashCode) % partitions, with Java's hash over UTF-16 code units and Utils.abs(MIN_VALUE) = 0."""
    h = 0
    for unit in struct.unpack(f">{len(group.encode('utf-16-be')) // 2}H", group.encode("utf-16-be")):
        h = (31 * h + unit) & 0xFFFFFFFF
    h = h - (1 << 32) if h >= 1 << 31 else h
    return 0 if h == -(1 << 31) else abs(h) % partitions


def test_three_broker_cluster_restart_keeps_committed_offsets():
    """Ten groups whose coordinators spread over three brokers (clients follow FindCoordinator to each) commit
    offsets; after every broker is stopped and started again, and again after every broker is killed, each group
    reads back exactly what it committed. Both offsets.storage modes."""
    from conftest import Broker, ZooKeeper
    for mode in ["kafka", "zookeeper"]:
        directory = tempfile.mkdtemp(prefix="swiftkafka-interop-")
        zookeeper = ZooKeeper(f"{directory}/zk")
        brokers = []
        try:
            for broker_id in (1, 2, 3):
                os.makedirs(f"{directory}/broker{broker_id}")
                brokers.append(Broker(broker_id, zookeeper, f"{directory}/broker{broker_id}",
                                      {"offsets.storage": mode, "offsets.topic.num.partitions": "6"}))
            bootstrap = ",".join(b.bootstrap for b in brokers)
            topic = "restart"
            create_topic(bootstrap, topic)
            expected = commit_groups(bootstrap, topic, f"restart-{mode}", 10, step=1000)
            for group in expected:
                assert committed(bootstrap, group, topic) == expected[group]
            # The coordinators really are spread: the leaders of the groups' offsets partitions (Kafka's rule).
            consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": "metadata"})
            offsets_topic = consumer.list_topics("__consumer_offsets", timeout=10).topics["__consumer_offsets"]
            consumer.close()
            leaders = {offsets_topic.partitions[offsets_partition(group, 6)].leader for group in expected}
            assert len(leaders) > 1, leaders
            for crash in (False, True):
                for broker in brokers:
                    stop(broker.process, signal.SIGKILL if crash else signal.SIGTERM)
                for broker in brokers:
                    broker.start()
                for group, offsets in expected.items():
                    wait_for(lambda: committed(bootstrap, group, topic) == offsets, 120,
                             f"{group}'s offsets after {'a crash' if crash else 'a restart'} of the cluster")
                if mode == "kafka":
                    # Groups with offsets and no group record come back as Empty groups (Kafka's loader).
                    assert set(expected) <= empty_groups(bootstrap)
        finally:
            for broker in brokers:
                stop(broker.process)
            stop(zookeeper.process)
            shutil.rmtree(directory, ignore_errors=True)


def empty_groups(bootstrap):
    """The ids of the groups ListGroups reports in state Empty."""
    admin = AdminClient({"bootstrap.servers": bootstrap})  # kept alive until the answer is in
    listed = admin.list_consumer_groups().result(30)
    assert not listed.errors, listed.errors
    return {group.group_id for group in listed.valid if group.state.name == "EMPTY"}


def test_a_commit_outside_group_management_makes_an_empty_group(offsets_cluster):
    """Kafka's handleCommitOffsets: an OffsetCommit with generation -1 for a group nobody joined creates the group
    in state Empty, so ListGroups and DescribeGroups show it (kafka-consumer-groups --list does), and it can be
    deleted; a commit with a generation for an unknown group is ILLEGAL_GENERATION and creates nothing."""
    bootstrap = offsets_cluster.bootstrap
    topic = f"standalone-{uuid.uuid4().hex[:6]}"
    create_topic(bootstrap, topic)
    group = f"standalone-{uuid.uuid4().hex[:6]}"
    assert group not in empty_groups(bootstrap)
    expected = commit_groups(bootstrap, topic, group, 1, step=10)
    [name] = expected
    assert name in empty_groups(bootstrap)
    admin = AdminClient({"bootstrap.servers": bootstrap})
    description = admin.describe_consumer_groups([name])[name].result(30)
    assert description.state.name == "EMPTY" and description.members == []

    # A generation the coordinator never gave: refused, and no group appears.
    ghost = f"ghost-{uuid.uuid4().hex[:6]}"
    request(offsets_cluster.port, 10, 0, string(ghost))
    body = string(ghost) + struct.pack(">i", 3) + string("someone") + struct.pack(">q", -1) + struct.pack(">i", 1)
    body += string(topic) + struct.pack(">i", 1) + struct.pack(">iq", 0, 1) + string("")
    deadline = time.time() + 30
    while True:
        answer = read_commit_answer(request(offsets_cluster.port, 8, 2, body))
        if answer[topic][0] not in (14, 15, 16) or time.time() > deadline:
            break
        time.sleep(0.2)
    assert answer == {topic: {0: 22}}  # ILLEGAL_GENERATION
    assert ghost not in empty_groups(bootstrap)

    admin.delete_consumer_groups([name])[name].result(30)
    assert name not in empty_groups(bootstrap)


def test_cooperative_sticky_members_keep_their_partitions(offsets_cluster):
    """The coordinator relays protocols and assignments untouched, so librdkafka's cooperative-sticky assignor works:
    when a third member joins, the first two give up partitions incrementally and keep the rest."""
    bootstrap = offsets_cluster.bootstrap
    topic = f"coop-{uuid.uuid4().hex[:6]}"
    group = f"coop-{uuid.uuid4().hex[:6]}"
    create_topic(bootstrap, topic)
    processed = collections.deque()
    settings = {"partition.assignment.strategy": "cooperative-sticky"}
    members = [Member("confluent", bootstrap, group, topic, processed, settings=settings) for _ in range(3)]
    try:
        for member in members[:2]:
            member.start()
        wait_for(lambda: sorted(p for m in members[:2] for p in m.assignment) == list(range(PARTITIONS))
                 and all(m.assignment for m in members[:2]), 90, "two members sharing the partitions")
        before = [set(m.assignment) for m in members[:2]]
        produce(bootstrap, topic, 3000)
        members[2].start()
        wait_for(lambda: sorted(p for m in members for p in m.assignment) == list(range(PARTITIONS))
                 and all(len(m.assignment) == 2 for m in members), 90, "three members with two partitions each")
        for member, owned in zip(members[:2], before):
            assert member.assignment <= owned, "a cooperative member was given a partition it did not own"
        wait_for(lambda: {value for _, _, value in processed} == set(range(3000)), 60, "every message")
    finally:
        for member in members:
            member.stopping.set()
        for member in members:
            if member.is_alive() or member.ident:
                member.join(60)
    assert [m.error for m in members] == [None] * 3


def test_deleting_a_topic_removes_its_committed_offsets(offsets_cluster):
    """Kafka mode: when a topic is deleted, every group's offsets for it get tombstones (Kafka's
    handleDeletedPartitions); the group's offsets of other topics stay. ZooKeeper mode: the znodes stay, as Kafka left
    the old consumer layout alone."""
    bootstrap = offsets_cluster.bootstrap
    doomed, kept = f"doomed-{uuid.uuid4().hex[:6]}", f"kept-{uuid.uuid4().hex[:6]}"
    group = f"deleted-{uuid.uuid4().hex[:6]}"
    create_topic(bootstrap, doomed)
    create_topic(bootstrap, kept)
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": group, "enable.auto.commit": False})
    offsets = [ConfluentPartition(t, p, 5) for t in (doomed, kept) for p in range(PARTITIONS)]
    commit_when_ready(consumer, offsets)
    consumer.close()
    assert set(committed(bootstrap, group, doomed).values()) == {5}
    admin = AdminClient({"bootstrap.servers": bootstrap})
    admin.delete_topics([doomed])[doomed].result(30)
    if offsets_cluster.mode == "kafka":
        wait_for(lambda: [k for k in read_offsets_topic(bootstrap) if k[0] == group and k[1] == doomed] == [], 60,
                 "tombstones for the deleted topic's offsets")
    else:
        from kazoo.client import KazooClient
        wait_for(lambda: doomed not in admin.list_topics(timeout=10).topics, 60, "the topic to be deleted")
        zk = KazooClient(hosts=f"127.0.0.1:{offsets_cluster.zookeeper.port}")
        zk.start(timeout=30)
        try:
            base = f"/kafka/consumers/{group}/offsets/{doomed}"
            assert {p: zk.get(f"{base}/{p}")[0] for p in map(str, range(PARTITIONS))} == {
                str(p): b"5" for p in range(PARTITIONS)}
        finally:
            zk.stop()
    assert committed(bootstrap, group, kept) == {p: 5 for p in range(PARTITIONS)}


def test_coordinator_failover_serves_the_same_offsets():
    """Three brokers, the offsets topic replicated three ways: groups commit through their coordinators, then
    the broker coordinating the first group is killed with -9. The offsets partition gets a new leader from its
    ISR, which loads it and serves exactly the offsets committed before (both offsets.storage modes)."""
    from conftest import Broker, ZooKeeper
    for mode in ["kafka", "zookeeper"]:
        directory = tempfile.mkdtemp(prefix="swiftkafka-interop-")
        zookeeper = ZooKeeper(f"{directory}/zk")
        brokers = {}
        try:
            for broker_id in (1, 2, 3):
                os.makedirs(f"{directory}/broker{broker_id}")
                brokers[broker_id] = Broker(broker_id, zookeeper, f"{directory}/broker{broker_id}", {
                    "offsets.storage": mode, "offsets.topic.num.partitions": "6",
                    "offsets.topic.replication.factor": "3", "zookeeper.session.timeout.ms": "4000"})
            bootstrap = ",".join(b.bootstrap for b in brokers.values())
            topic = "failover"
            admin = AdminClient({"bootstrap.servers": bootstrap})
            admin.create_topics([NewTopic(topic, PARTITIONS, 3)])[topic].result(30)
            expected = commit_groups(bootstrap, topic, f"failover-{mode}", 6, step=100)
            first = next(iter(expected))
            consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": "metadata"})
            offsets_topic = consumer.list_topics("__consumer_offsets", timeout=10).topics["__consumer_offsets"]
            consumer.close()
            coordinator = offsets_topic.partitions[offsets_partition(first, 6)].leader
            assert sorted(offsets_topic.partitions[offsets_partition(first, 6)].isrs) == [1, 2, 3]
            stop(brokers[coordinator].process, signal.SIGKILL)
            survivors = ",".join(b.bootstrap for i, b in brokers.items() if i != coordinator)
            killed = time.time()
            for group, offsets in expected.items():
                wait_for(lambda: committed(survivors, group, topic) == offsets, 60,
                         f"{group}'s offsets from the new coordinator")
            print(f"{mode}: coordinator {coordinator} killed; every group's offsets served again after "
                  f"{time.time() - killed:.1f} s")
            consumer = Consumer({"bootstrap.servers": survivors, "group.id": "metadata"})
            offsets_topic = consumer.list_topics("__consumer_offsets", timeout=10).topics["__consumer_offsets"]
            consumer.close()
            assert offsets_topic.partitions[offsets_partition(first, 6)].leader not in (coordinator, -1)
        finally:
            for broker in brokers.values():
                stop(broker.process)
            stop(zookeeper.process)
            shutil.rmtree(directory, ignore_errors=True)
