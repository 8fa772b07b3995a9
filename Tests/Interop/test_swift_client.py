"""The Swift client library (issue 14) beside confluent-kafka (librdkafka) on a three-broker cluster, through
swiftkafka-admin's console-producer and console-consumer: the same key lands on the same partition whichever client
wrote it (Java's murmur2 partitioner; librdkafka's `murmur2_random`), records written by one client are read
intact by the other, and Swift and librdkafka consumers share one group's partitions without overlap."""
import os
import shutil
import signal
import subprocess
import tempfile
import threading
import time

import pytest
from confluent_kafka import Consumer, Producer

from conftest import register, stop, wait_for
from replication_harness import Cluster

TOOL = os.environ.get("SWIFTKAFKA_ADMIN_TOOL",
                      os.path.join(os.path.dirname(__file__), "../../.build/debug/swiftkafka-admin"))


@pytest.fixture(scope="module")
def cluster():
    c = Cluster()
    try:
        yield c
    finally:
        c.close()


def create_topic(cluster, name, partitions):
    cluster.create_topic(name, partitions=partitions, replication=3, config={})


def read_all(cluster, topic, count, timeout=60):
    """Every record of `topic` as (key, value, partition, offset), read by a librdkafka consumer."""
    consumer = Consumer({"bootstrap.servers": cluster.bootstrap, "group.id": f"reader-{topic}",
                         "auto.offset.reset": "earliest", "enable.auto.commit": False})
    consumer.subscribe([topic])
    records = []
    deadline = time.time() + timeout
    try:
        while len(records) < count and time.time() < deadline:
            for message in consumer.consume(1000, timeout=1):
                assert message.error() is None, message.error()
                records.append((message.key().decode(), message.value().decode(), message.partition(),
                                message.offset()))
    finally:
        consumer.close()
    return records


@pytest.mark.parametrize("codec", ["none", "gzip", "snappy", "lz4", "zstd"])
def test_both_clients_put_a_key_on_the_same_partition_and_read_each_other(cluster, codec):
    topic = f"keys-{codec}"
    create_topic(cluster, topic, 6)
    count = 100_000  # per client, as the issue asks: 200,000 records per codec
    lines = "".join(f"key-{i % 500}:swift-{i}\n" for i in range(count))
    result = subprocess.run([TOOL, "console-producer", "--bootstrap-server", cluster.bootstrap, "--topic", topic,
                             "--request-required-acks", "all", "--compression-codec", codec,
                             "--property", "parse.key=true", "key.separator=:"],
                            input=lines, capture_output=True, text=True, timeout=180)
    assert result.returncode == 0, result.stderr
    producer = Producer({"bootstrap.servers": cluster.bootstrap, "partitioner": "murmur2_random",
                         "compression.type": codec, "linger.ms": 5})
    for i in range(count):
        producer.produce(topic, key=f"key-{i % 500}", value=f"librdkafka-{i}")
        if i % 1000 == 0:
            producer.poll(0)
    assert producer.flush(60) == 0

    records = read_all(cluster, topic, 2 * count, timeout=120)
    assert len(records) == 2 * count
    values = [value for _, value, _, _ in records]
    assert sorted(values) == sorted([f"swift-{i}" for i in range(count)] + [f"librdkafka-{i}" for i in range(count)])
    partitions_of_key = {}
    for key, _, partition, _ in records:
        partitions_of_key.setdefault(key, set()).add(partition)
    assert len(partitions_of_key) == 500
    assert all(len(found) == 1 for found in partitions_of_key.values()), \
        {key: found for key, found in partitions_of_key.items() if len(found) > 1}
    # The keys spread over every partition, as a hash does.
    assert {next(iter(found)) for found in partitions_of_key.values()} == set(range(6))

    # The Swift consumer reads what both wrote: each partition in offset order, keys and values intact.
    result = subprocess.run([TOOL, "console-consumer", "--bootstrap-server", cluster.bootstrap, "--topic", topic,
                             "--from-beginning", "--max-messages", str(2 * count), "--timeout-ms", "30000",
                             "--property", "print.key=true", "print.partition=true", "print.offset=true"],
                            capture_output=True, text=True, timeout=180)
    assert result.returncode == 0, result.stderr
    assert f"Processed a total of {2 * count} messages" in result.stderr
    seen = []
    for line in result.stdout.splitlines():
        partition, offset, key, value = line.split("\t")
        seen.append((key, value, int(partition.removeprefix("Partition:")), int(offset.removeprefix("Offset:"))))
    assert sorted(seen, key=lambda r: (r[2], r[3])) == sorted(records, key=lambda r: (r[2], r[3]))


def test_swift_and_librdkafka_consumers_share_a_group_without_overlap(cluster):
    topic = "mixed"
    create_topic(cluster, topic, 12)
    group = "mixed-group"
    workdir = tempfile.mkdtemp(prefix="swiftkafka-mixed-")
    swift = []
    for index in range(2):
        output = open(f"{workdir}/swift{index}.out", "w")
        process = subprocess.Popen([TOOL, "console-consumer", "--bootstrap-server", cluster.bootstrap, "--topic", topic,
                                    "--group", group, "--property", "print.partition=true", "print.offset=true",
                                    "--consumer-property", "heartbeat.interval.ms=500", "session.timeout.ms=6000",
                                    "auto.offset.reset=earliest"],
                                   stdout=output, stderr=subprocess.DEVNULL)
        register(process.pid)
        swift.append((process, output))

    def swift_records():
        records = []
        for _, output in swift:
            with open(output.name) as read:
                records.append([line.split("\t") for line in read.read().splitlines()])
        return records

    stop_polling = threading.Event()
    received = [[], []]
    assignments = [set(), set()]

    def run(index):
        consumer = Consumer({"bootstrap.servers": cluster.bootstrap, "group.id": group,
                             "auto.offset.reset": "earliest", "heartbeat.interval.ms": 500,
                             "partition.assignment.strategy": "range"})

        def assigned(_, partitions):
            assignments[index] = {p.partition for p in partitions}

        def revoked(_, partitions):
            assignments[index] = set()

        consumer.subscribe([topic], on_assign=assigned, on_revoke=revoked)
        try:
            while not stop_polling.is_set():
                for message in consumer.consume(500, timeout=0.2):
                    if message.error() is None:
                        received[index].append((message.partition(), message.offset(), message.value().decode()))
        finally:
            consumer.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    try:
        # Four members, 12 partitions, range: three each once the group settled.
        wait_for(lambda: len(assignments[0]) == 3 and len(assignments[1]) == 3, 90,
                 "the librdkafka consumers to own three partitions each")
        time.sleep(2)
        producer = Producer({"bootstrap.servers": cluster.bootstrap, "linger.ms": 5})
        total = 6_000
        for i in range(total):
            producer.produce(topic, key=f"k{i}", value=f"m-{i}")
        assert producer.flush(60) == 0

        def everything_read():
            return sum(len(r) for r in received) + sum(len(r) for r in swift_records()) >= total

        wait_for(everything_read, 60, "every message to be read by one of the four consumers")
        time.sleep(1)
        first_phase = [len(lines) for lines in swift_records()] + [len(r) for r in received]
        first_shares = ([{int(fields[0].removeprefix("Partition:")) for fields in lines} for lines in swift_records()]
                        + [{p for p, _, _ in r} for r in received])

        # A Swift member is killed: after its session times out its partitions go to the other three, which read
        # every later message exactly once (the revoking members commit before they rejoin).
        killed, _ = swift[0]
        killed.send_signal(signal.SIGKILL)
        killed.wait()
        wait_for(lambda: len(assignments[0]) + len(assignments[1]) > 6, 90,
                 "the killed member's partitions to be reassigned")
        time.sleep(2)
        for i in range(total):
            producer.produce(topic, key=f"k{i}", value=f"n-{i}")
        assert producer.flush(60) == 0

        def later_read():
            later = [f for lines in swift_records()[1:] for f in lines if f[2].startswith("n-")]
            return len(later) + sum(1 for r in received for _, _, v in r if v.startswith("n-")) >= total

        wait_for(later_read, 60, "every later message to be read by the three members left")
        time.sleep(1)
    finally:
        stop_polling.set()
        for thread in threads:
            thread.join(30)
        for process, output in swift:
            stop(process, sig=signal.SIGTERM)
            output.close()
        swift_lines = swift_records()

    shutil.rmtree(workdir, ignore_errors=True)
    # Before the kill: every consumer got a share, no partition was read by two of them, each message once.
    assert sum(first_phase) == total, "each message read exactly once"
    assert all(len(share) == 3 for share in first_shares), first_shares
    assert set().union(*first_shares) == set(range(12))
    values = [fields[2] for lines in swift_lines for fields in lines] + [v for r in received for _, _, v in r]
    assert {v for v in values if v.startswith("m-")} == {f"m-{i}" for i in range(total)}
    # After it: the later messages once each, the killed member's partitions read by the others.
    later = [v for v in values if v.startswith("n-")]
    assert sorted(later) == sorted(f"n-{i}" for i in range(total))
    later_partitions = ({int(f[0].removeprefix("Partition:")) for f in swift_lines[1] if f[2].startswith("n-")}
                        | {p for r in received for p, _, v in r if v.startswith("n-")})
    assert later_partitions == set(range(12))


def test_cooperative_sticky_members_keep_their_partitions_when_a_member_joins(cluster):
    topic = "cooperative"
    create_topic(cluster, topic, 6)
    group = "cooperative-group"
    workdir = tempfile.mkdtemp(prefix="swiftkafka-cooperative-")
    output = open(f"{workdir}/swift.out", "w")
    swift = subprocess.Popen([TOOL, "console-consumer", "--bootstrap-server", cluster.bootstrap, "--topic", topic,
                              "--group", group, "--property", "print.partition=true",
                              "--consumer-property", "heartbeat.interval.ms=500", "auto.offset.reset=earliest",
                              "partition.assignment.strategy=cooperative-sticky"],
                             stdout=output, stderr=subprocess.DEVNULL)
    register(swift.pid)
    stop_polling = [threading.Event(), threading.Event()]
    owned = [set(), set()]
    revoked = [[], []]
    received = [[], []]

    def run(index):
        consumer = Consumer({"bootstrap.servers": cluster.bootstrap, "group.id": group,
                             "auto.offset.reset": "earliest", "heartbeat.interval.ms": 500,
                             "partition.assignment.strategy": "cooperative-sticky"})

        def assigned(_, partitions):
            owned[index] |= {p.partition for p in partitions}

        def lost_or_revoked(_, partitions):
            revoked[index].append({p.partition for p in partitions})
            owned[index] -= {p.partition for p in partitions}

        consumer.subscribe([topic], on_assign=assigned, on_revoke=lost_or_revoked, on_lost=lost_or_revoked)
        try:
            while not stop_polling[index].is_set():
                for message in consumer.consume(500, timeout=0.2):
                    if message.error() is None:
                        received[index].append(message.value().decode())
        finally:
            consumer.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
    try:
        threads[0].start()
        wait_for(lambda: len(owned[0]) == 3, 90, "the Swift and librdkafka members to own three partitions each")
        before = set(owned[0])
        threads[1].start()
        wait_for(lambda: len(owned[0]) == 2 and len(owned[1]) == 2, 90, "three members with two partitions each")
        time.sleep(2)
        # The first librdkafka member gave up one partition and kept the other two all along.
        assert owned[0] <= before
        assert all(len(r) <= 1 for r in revoked[0]) and sum(len(r) for r in revoked[0]) == 1, revoked[0]

        producer = Producer({"bootstrap.servers": cluster.bootstrap, "linger.ms": 5})
        total = 3_000
        for i in range(total):
            producer.produce(topic, key=f"k{i}", value=f"c-{i}")
        assert producer.flush(60) == 0

        def swift_values():
            with open(output.name) as read:
                return [line.split("\t")[1] for line in read.read().splitlines()]

        wait_for(lambda: len(swift_values()) + len(received[0]) + len(received[1]) >= total, 60,
                 "every message to be read")
        time.sleep(1)
        values = swift_values() + received[0] + received[1]
        assert sorted(values) == sorted(f"c-{i}" for i in range(total)), "each message read exactly once"
        assert swift_values() and received[0] and received[1], "every member read a share"
    finally:
        for event in stop_polling:
            event.set()
        for thread in threads:
            if thread.is_alive() or thread.ident:
                thread.join(30)
        stop(swift, sig=signal.SIGTERM)
        output.close()
        shutil.rmtree(workdir, ignore_errors=True)
