"""Topic deletion as running clients see it, on three brokers with auto topic creation off and on: every broker
forgets the topic (Metadata, Fetch and ListOffsets answer UNKNOWN_TOPIC_OR_PARTITION), subscribed consumers of
confluent-kafka and kafka-python lose its partitions in a rebalance and keep reading their other topic, a consumer
that stays subscribed while the topic is deleted and created again with fewer partitions reads exactly the new
topic's records, and a deletion with one replica's broker stopped finishes when that broker returns (Kafka's
TopicDeletionManager: the topic's znodes stay, and its name cannot be taken, until every replica is gone)."""
import os
import struct
import threading
import time
import uuid

import pytest
from confluent_kafka import Consumer, KafkaError, KafkaException, Producer
from confluent_kafka import TopicPartition as ConfluentPartition
from confluent_kafka.admin import AdminClient, NewTopic

from conftest import wait_for
from replication_harness import Cluster
from test_groups import Reader, request, string
from test_zk_tool import tool as zk_tool

UNKNOWN_TOPIC_OR_PARTITION = 3
LEADER_NOT_AVAILABLE = 5


@pytest.fixture(scope="module", params=["false", "true"], ids=["auto-create-off", "auto-create-on"])
def cluster(request):
    cluster = Cluster({"auto.create.topics.enable": request.param, "log.segment.delete.delay.ms": "1000"})
    cluster.auto_create = request.param == "true"
    try:
        yield cluster
    finally:
        cluster.close()


def unique(prefix):
    return f"{prefix}-{uuid.uuid4().hex[:6]}"


def metadata(port, topics, allow_auto_creation):
    """Metadata v4 for `topics` (None: all) from one broker: {topic: (error, {partition: error})}."""
    body = struct.pack(">i", -1) if topics is None else struct.pack(">i", len(topics)) + b"".join(map(string, topics))
    reader = Reader(request(port, 3, 4, body + struct.pack(">?", allow_auto_creation)))
    reader.int(">i")
    for _ in range(reader.int(">i")):
        reader.int(">i"), reader.string(), reader.int(">i"), reader.string()
    reader.string(), reader.int(">i")
    answer = {}
    for _ in range(reader.int(">i")):
        error, name, _internal = reader.int(">h"), reader.string(), reader.int(">b")
        partitions = {}
        for _ in range(reader.int(">i")):
            partition_error, index = reader.int(">h"), reader.int(">i")
            reader.int(">i")
            for _ in range(2):  # replicas, ISR
                [reader.int(">i") for _ in range(reader.int(">i"))]
            partitions[index] = partition_error
        answer[name] = (error, partitions)
    return answer


def list_offsets_error(port, topic, partition):
    """ListOffsets v1 (latest) for one partition: its error code."""
    body = struct.pack(">ii", -1, 1) + string(topic) + struct.pack(">iiq", 1, partition, -1)
    reader = Reader(request(port, 2, 1, body))
    assert reader.int(">i") == 1 and reader.string() == topic and reader.int(">i") == 1
    assert reader.int(">i") == partition
    return reader.int(">h")


def fetch_error(port, topic, partition):
    """Fetch v4 from offset 0 of one partition: its error code and how many record bytes came with it."""
    body = struct.pack(">iiiib", -1, 0, 1, 1 << 20, 0) + struct.pack(">i", 1) + string(topic)
    body += struct.pack(">iiqi", 1, partition, 0, 1 << 20)
    reader = Reader(request(port, 1, 4, body))
    reader.int(">i")
    assert reader.int(">i") == 1 and reader.string() == topic and reader.int(">i") == 1
    assert reader.int(">i") == partition
    error = reader.int(">h")
    reader.int(">q"), reader.int(">q")
    aborted = reader.int(">i")
    for _ in range(max(aborted, 0)):
        reader.int(">q"), reader.int(">q")
    size = reader.int(">i")
    return error, max(size, 0)


def produce(bootstrap, topic, values):
    producer = Producer({"bootstrap.servers": bootstrap, "acks": "all", "linger.ms": 5})
    for value in values:
        producer.produce(topic, key=value.encode(), value=value.encode())
    assert producer.flush(60) == 0


def delete_topic(cluster, topic):
    admin = AdminClient({"bootstrap.servers": cluster.bootstrap})
    admin.delete_topics([topic])[topic].result(60)


def gone_everywhere(cluster, topic):
    """Whether no live broker lists `topic` and each answers UNKNOWN_TOPIC_OR_PARTITION when it is named."""
    for broker in cluster.brokers.values():
        if broker.process.poll() is not None:
            continue
        if topic in metadata(broker.port, None, False):
            return False
        if metadata(broker.port, [topic], False).get(topic, (None,))[0] != UNKNOWN_TOPIC_OR_PARTITION:
            return False
    return True


def test_a_deleted_topic_leaves_every_brokers_metadata(cluster):
    topic = unique("gone")
    cluster.create_topic(topic, partitions=4, replication=3)
    produce(cluster.bootstrap, topic, [f"v{i}" for i in range(100)])
    delete_topic(cluster, topic)
    started = time.time()
    wait_for(lambda: gone_everywhere(cluster, topic), 10, "every broker to forget the topic")
    print(f"metadata forgot the topic on every broker {time.time() - started:.2f} s after DeleteTopics answered")
    for broker in cluster.brokers.values():
        for partition in range(4):
            assert list_offsets_error(broker.port, topic, partition) == UNKNOWN_TOPIC_OR_PARTITION
            assert fetch_error(broker.port, topic, partition) == (UNKNOWN_TOPIC_OR_PARTITION, 0)
    # Named with auto-creation allowed: refused when the broker does not create topics, created again (as a new,
    # empty topic of num.partitions) when it does.
    port = cluster.brokers[1].port
    answer = metadata(port, [topic], True)[topic][0]
    if cluster.auto_create:
        assert answer == LEADER_NOT_AVAILABLE
        wait_for(lambda: metadata(port, [topic], False)[topic] == (0, {0: 0, 1: 0, 2: 0}), 30, "the new topic")
        consumer = Consumer({"bootstrap.servers": cluster.bootstrap, "group.id": unique("watermarks")})
        assert [consumer.get_watermark_offsets(ConfluentPartition(topic, p), timeout=10) for p in range(3)] == [
            (0, 0)] * 3, "the topic created again holds old records"
        consumer.close()
    else:
        assert answer == UNKNOWN_TOPIC_OR_PARTITION
        assert cluster.zk.exists(f"/brokers/topics/{topic}") is None


class Member(threading.Thread):
    """One consumer of group `group` subscribed to `topics` with confluent-kafka or kafka-python, polling in its own
    thread; records the value of every record and each assignment it is given, with the time."""

    def __init__(self, kind, bootstrap, group, topics, strategy="range,roundrobin", auto_commit=True):
        super().__init__(daemon=True)
        self.kind, self.bootstrap, self.group, self.topics = kind, bootstrap, group, topics
        self.strategy, self.auto_commit = strategy, auto_commit
        self.values = []
        # (time, partition, offset, value) of each record and (time, [(partition, offset, error)]) of each commit:
        # what a failing test prints (confluent members).
        self.records = []
        self.commits = []
        self.assignments = []
        self.stopping = threading.Event()
        self.error = None

    @property
    def assignment(self):
        return self.assignments[-1][1] if self.assignments else set()

    def assigned(self, partitions):
        self.assignments.append((time.time(), {(p.topic, p.partition) for p in partitions}))

    def run(self):
        try:
            self.run_confluent() if self.kind == "confluent" else self.run_kafka_python()
        except Exception as error:  # reported by the test
            self.error = error

    def run_confluent(self):
        consumer = Consumer({
            "bootstrap.servers": self.bootstrap, "group.id": self.group, "auto.offset.reset": "earliest",
            "enable.auto.commit": self.auto_commit, "session.timeout.ms": 10000, "heartbeat.interval.ms": 500,
            # How often a subscribed consumer looks for changed topics (the default is five minutes).
            "topic.metadata.refresh.interval.ms": 1000, "partition.assignment.strategy": self.strategy,
            "on_commit": lambda error, partitions: self.commits.append(
                (time.time(), [(p.partition, p.offset, str(p.error or error or "")) for p in partitions])),
        })
        # A list of names, or one regex subscription ("^...").
        consumer.subscribe(self.topics)
        try:
            while not self.stopping.is_set():
                message = consumer.poll(0.2)
                # Eager or incremental (cooperative) changes alike: the consumer's whole assignment after each poll.
                current = {(p.topic, p.partition) for p in consumer.assignment()}
                if current != self.assignment:
                    self.assigned(consumer.assignment())
                if message is None:
                    continue
                if message.error():
                    # A deleted topic is reported to the application; the consumer goes on.
                    if message.error().code() not in (KafkaError.UNKNOWN_TOPIC_OR_PART, KafkaError._UNKNOWN_PARTITION):
                        print(f"consumer error: {message.error()}")
                    continue
                self.values.append((message.topic(), message.value().decode()))
                self.records.append((time.time(), message.partition(), message.offset(), message.value().decode()))
        finally:
            consumer.close()

    def run_kafka_python(self):
        from kafka import KafkaConsumer
        from kafka.consumer.subscription_state import ConsumerRebalanceListener
        member = self

        class Listener(ConsumerRebalanceListener):
            def on_partitions_revoked(self, revoked):
                member.assigned([])

            def on_partitions_assigned(self, assigned):
                member.assigned(assigned)

        # Manual commits: kafka-python's auto-commit before a rebalance retries the deleted topic's offsets, which
        # Kafka 2.8 refuses with UNKNOWN_TOPIC_OR_PARTITION as this broker does, for as long as each poll lasts.
        consumer = KafkaConsumer(bootstrap_servers=self.bootstrap, group_id=self.group, auto_offset_reset="earliest",
                                 allow_auto_create_topics=False, enable_auto_commit=False, session_timeout_ms=10000,
                                 heartbeat_interval_ms=500, metadata_max_age_ms=1000)
        consumer.subscribe(self.topics, listener=Listener())
        try:
            while not self.stopping.is_set():
                # A long poll: kafka-python 3.0.12 loses a rebalance whose JoinGroup outlives the poll that started
                # it when the leader's own metadata changed (need_rejoin() turns false once the leader has
                # assigned, so the finished join is never applied), whichever broker answers.
                for records in consumer.poll(3000).values():
                    self.values += [(r.topic, r.value.decode()) for r in records]
        finally:
            consumer.close()

    def stop(self):
        self.stopping.set()
        self.join(60)


@pytest.mark.parametrize("kind", ["confluent", "kafka-python"])
def test_subscribed_consumers_lose_a_deleted_topic_and_keep_the_other(cluster, kind):
    """Two members of one group (eager range assignment) subscribed to two topics; one topic is deleted: the group
    rebalances within 10 s, the deleted topic's partitions are revoked, the other's stay assigned and its records
    still arrive."""
    doomed, kept = unique("doomed"), unique("kept")
    cluster.create_topic(doomed, partitions=3, replication=3)
    cluster.create_topic(kept, partitions=3, replication=3)
    members = [Member(kind, cluster.bootstrap, unique("group"), [doomed, kept])]
    members.append(Member(kind, cluster.bootstrap, members[0].group, [doomed, kept]))
    for member in members:
        member.start()
    try:
        everything = {(t, p) for t in (doomed, kept) for p in range(3)}
        wait_for(lambda: set().union(*(m.assignment for m in members)) == everything
                 and all(m.assignment for m in members), 60, "both topics assigned across the two members")
        produce(cluster.bootstrap, doomed, [f"d{i}" for i in range(30)])
        produce(cluster.bootstrap, kept, [f"k{i}" for i in range(30)])
        received = lambda: {v for m in members for v in m.values}
        wait_for(lambda: len(received()) == 60, 30, "the first records of both topics")

        delete_topic(cluster, doomed)
        started = time.time()
        if cluster.auto_create and kind == "kafka-python":
            # kafka-python 3.0.12 asks for auto-creation in every Metadata request (its allow_auto_create_topics is
            # not passed on), so Kafka 2.8, and this broker, create the deleted topic again, empty.
            wait_for(lambda: cluster.zk.exists(f"/brokers/topics/{doomed}"), 10, "the topic created again")
        else:
            wait_for(lambda: set().union(*(m.assignment for m in members)) == {(kept, p) for p in range(3)}, 10,
                     "the deleted topic's partitions to be revoked and the other topic's to stay assigned")
            print(f"{kind}: the group lost the deleted topic {time.time() - started:.2f} s after DeleteTopics answered")
        produce(cluster.bootstrap, kept, [f"k{i}" for i in range(30, 60)])
        wait_for(lambda: {v for t, v in received() if t == kept} == {f"k{i}" for i in range(60)}, 30,
                 "the kept topic's later records")
        assert [m.error for m in members] == [None, None]
    finally:
        for member in members:
            member.stop()


def test_cooperative_sticky_members_lose_a_deleted_topic_and_keep_the_rest(cluster):
    """The incremental protocol (confluent-kafka, cooperative-sticky): one of two subscribed topics is deleted; the
    members revoke only its partitions and finish the rebalance, the other topic stays assigned and is read on."""
    doomed, kept = unique("doomed"), unique("kept")
    cluster.create_topic(doomed, partitions=3, replication=3)
    cluster.create_topic(kept, partitions=3, replication=3)
    group = unique("group")
    members = [Member("confluent", cluster.bootstrap, group, [doomed, kept], "cooperative-sticky") for _ in range(2)]
    for member in members:
        member.start()
    try:
        owned = lambda: set().union(*(m.assignment for m in members))
        wait_for(lambda: owned() == {(t, p) for t in (doomed, kept) for p in range(3)}
                 and all(m.assignment for m in members), 60, "both topics assigned across the two members")
        produce(cluster.bootstrap, kept, [f"k{i}" for i in range(30)])
        received = lambda: {v for m in members for t, v in m.values if t == kept}
        wait_for(lambda: len(received()) == 30, 30, "the kept topic's first records")

        delete_topic(cluster, doomed)
        started = time.time()
        wait_for(lambda: owned() == {(kept, p) for p in range(3)}, 10,
                 "the deleted topic's partitions revoked and the kept topic's assigned")
        print(f"cooperative-sticky: the group lost the deleted topic {time.time() - started:.2f} s after DeleteTopics")
        produce(cluster.bootstrap, kept, [f"k{i}" for i in range(30, 60)])
        wait_for(lambda: received() == {f"k{i}" for i in range(60)}, 30, "the kept topic's later records")
        assert [m.error for m in members] == [None, None]
    finally:
        for member in members:
            member.stop()


@pytest.mark.parametrize("strategy", ["range,roundrobin", "cooperative-sticky"])
def test_a_regex_subscription_follows_topics_created_and_deleted(cluster, strategy):
    """A group subscribed by regex (confluent-kafka, eager and cooperative): a matching topic created later is
    assigned and read; a matching topic deleted is dropped while the other stays assigned."""
    prefix = unique("rx")
    first, second = f"{prefix}-a", f"{prefix}-b"
    cluster.create_topic(first, partitions=3, replication=3)
    member = Member("confluent", cluster.bootstrap, unique("group"), [f"^{prefix}-.*"], strategy)
    member.start()
    try:
        wait_for(lambda: member.assignment == {(first, p) for p in range(3)}, 60, "the first topic assigned")
        cluster.create_topic(second, partitions=2, replication=3)
        started = time.time()
        wait_for(lambda: member.assignment == {(t, p) for t in (first, second) for p in range(3 if t == first else 2)},
                 10, "the new matching topic assigned")
        print(f"{strategy}: a new matching topic assigned {time.time() - started:.2f} s after it was created")
        produce(cluster.bootstrap, second, [f"b{i}" for i in range(20)])
        wait_for(lambda: {v for t, v in member.values if t == second} == {f"b{i}" for i in range(20)}, 30,
                 "the new topic's records")
        delete_topic(cluster, first)
        started = time.time()
        wait_for(lambda: member.assignment == {(second, p) for p in range(2)}, 10, "the deleted topic dropped")
        print(f"{strategy}: a deleted matching topic dropped {time.time() - started:.2f} s after DeleteTopics")
        assert member.error is None
    finally:
        member.stop()


def read_topic(bootstrap, topic, partitions):
    """Every record value of `topic`, read from the beginning by an assigned consumer (no group)."""
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": unique("reader"), "enable.auto.commit": False})
    ends = {p: consumer.get_watermark_offsets(ConfluentPartition(topic, p), timeout=10)[1] for p in range(partitions)}
    consumer.assign([ConfluentPartition(topic, p, 0) for p in range(partitions)])
    values, positions = [], {p: 0 for p in range(partitions)}
    deadline = time.time() + 60
    while any(positions[p] < ends[p] for p in range(partitions)):
        assert time.time() < deadline, "timed out reading the topic back"
        message = consumer.poll(0.5)
        if message is None or message.error():
            continue
        values.append(message.value().decode())
        positions[message.partition()] = message.offset() + 1
    consumer.close()
    return values


def test_a_topic_created_again_with_fewer_partitions_is_read_from_its_beginning(cluster):
    """Delete and create again (10 partitions → 3) under a subscribed consumer and a running producer: after the
    re-creation the consumer receives exactly the records of the new topic, none of the old topic again, none of
    the new one missed; the old topic's extra partitions answer errors, never data.

    The member commits nothing: Kafka 2.8 keys committed offsets by topic name, so a commit of the old topic's
    positions that reaches the coordinator after the re-creation (librdkafka's auto-commit on revocation) is stored
    for the new topic's partitions of the same numbers, by Kafka as by this broker, and the member resumes there
    (seen once in CI: the revocation's commit came 0.5 s after auto-creation, and the member read the new
    partition 0 from 48, the old partition 0's end, skipping 48 new records). Only topic ids in OffsetCommit
    (Kafka 3.x) tell the two incarnations apart."""
    topic = unique("again")
    cluster.create_topic(topic, partitions=10, replication=3)
    member = Member("confluent", cluster.bootstrap, unique("group"), [topic], auto_commit=False)
    member.start()
    producer = Producer({"bootstrap.servers": cluster.bootstrap, "acks": "all", "linger.ms": 5,
                         "message.timeout.ms": 60000})
    try:
        wait_for(lambda: len(member.assignment) == 10, 60, "the ten partitions assigned")
        old = [f"old-{i}" for i in range(500)]
        for value in old:
            producer.produce(topic, key=value.encode(), value=value.encode())
        assert producer.flush(60) == 0
        wait_for(lambda: len(member.values) == len(old), 30, "the old topic read to its end")

        delete_topic(cluster, topic)
        deleted = time.time()
        # The producer keeps sending while the topic is gone and after it is back; what it sends meanwhile either
        # fails or (auto-creation on) creates the topic again with num.partitions (3).
        acknowledged = set()

        def delivered(error, message):
            if error is None:
                acknowledged.add(message.value().decode())
        for i in range(100):
            producer.produce(topic, value=f"between-{i}".encode(), on_delivery=delivered)
            producer.poll(0.01)
        admin = AdminClient({"bootstrap.servers": cluster.bootstrap})
        try:
            admin.create_topics([NewTopic(topic, 3, 3)])[topic].result(60)
        except KafkaException as error:
            # Auto-creation was quicker (the producer's own Metadata request made the topic).
            assert cluster.auto_create and error.args[0].code() == KafkaError.TOPIC_ALREADY_EXISTS, error
        wait_for(lambda: len(cluster.states(topic)) == 3, 30, "the new topic's partitions")
        for i in range(300):
            producer.produce(topic, key=f"new-{i}".encode(), value=f"new-{i}".encode(), on_delivery=delivered)
            producer.poll(0.005)
        producer.flush(60)
        new = read_topic(cluster.bootstrap, topic, 3)
        assert {v for v in acknowledged if v.startswith("new-")} - set(new) == set(), "acknowledged records missing"
        assert len(acknowledged) > 250
        try:
            wait_for(lambda: len(member.values) >= len(old) + len(new), 60, "the new topic's records at the consumer")
        except AssertionError:
            print(f"deleted at {deleted:.3f}")
            for entry in member.assignments + member.commits:
                print(entry)
            for record in member.records[len(old) - 5:]:
                print(record)
            raise
        resumed = min(t for t, a in member.assignments if a and max(p for _, p in a) < 3)
        print(f"re-created topic assigned to the consumer {resumed - deleted:.2f} s after the deletion")
        after = [v for _, v in member.values[len(old):]]
        assert sorted(after) == sorted(new), "the consumer's records after re-creation differ from the new topic"
        for broker in cluster.brokers.values():
            for partition in (3, 9):
                assert list_offsets_error(broker.port, topic, partition) == UNKNOWN_TOPIC_OR_PARTITION
                assert fetch_error(broker.port, topic, partition) == (UNKNOWN_TOPIC_OR_PARTITION, 0)
        assert member.error is None
    finally:
        member.stop()


def test_deletion_with_a_replica_broker_stopped_finishes_when_it_returns(cluster):
    """Broker 3 is stopped, then the topic (a replica on every broker) is deleted: the others drop it at once and
    no broker lists it, but the topic stays marked for deletion (its name cannot be taken) until broker 3 is back
    and has deleted its replica too; then no directory of it is left on any broker."""
    topic = unique("partial")
    cluster.create_topic(topic, partitions=3, replication=3)
    produce(cluster.bootstrap, topic, [f"v{i}" for i in range(60)])
    stopped = cluster.brokers[3]
    from conftest import stop
    stop(stopped.process)
    try:
        wait_for(lambda: 3 not in cluster.registered(), 30, "broker 3 to deregister")
        live = ",".join(b.bootstrap for i, b in cluster.brokers.items() if i != 3)
        admin = AdminClient({"bootstrap.servers": live})
        admin.delete_topics([topic])[topic].result(60)
        wait_for(lambda: gone_everywhere(cluster, topic), 10, "the live brokers to forget the topic")
        logs = lambda broker_id: [n for n in os.listdir(f"{cluster.brokers[broker_id].directory}/logs")
                                  if n.startswith(f"{topic}-")]
        wait_for(lambda: logs(1) == [] and logs(2) == [], 30, "the live brokers' replicas and -delete directories")
        assert len(logs(3)) == 3
        time.sleep(2)
        assert cluster.zk.exists(f"/admin/delete_topics/{topic}") is not None, "deletion finished without broker 3"
        assert cluster.zk.exists(f"/brokers/topics/{topic}") is not None
        try:
            admin.create_topics([NewTopic(topic, 1, 2)])[topic].result(30)
            raise AssertionError("a topic marked for deletion was created again")
        except KafkaException as error:
            assert error.args[0].code() == KafkaError.TOPIC_ALREADY_EXISTS
    finally:
        stopped.start()
    started = time.time()
    wait_for(lambda: cluster.zk.exists(f"/admin/delete_topics/{topic}") is None
             and cluster.zk.exists(f"/brokers/topics/{topic}") is None, 30, "the deletion to finish")
    print(f"deletion finished {time.time() - started:.2f} s after broker 3 started again")
    wait_for(lambda: logs(3) == [], 30, "broker 3's replicas and -delete directories")
    wait_for(lambda: gone_everywhere(cluster, topic), 10, "every broker to forget the topic")
    wait_for(lambda: 3 in cluster.registered(), 30, "broker 3 registered")
    wait_for(lambda: zk_tool(cluster, "check", check=False).stdout.startswith("ok:"), 30,
             "swiftkafka-zk check to report a healthy cluster with no stale deletion node")
