"""MirrorMaker 2 benchmark (not a test): two release brokers, each with its own ZooKeeper, and a release
`swiftkafka-mirror mm2.properties` copying A to B. For 100 B and 1 KiB records: the plain produce throughput to
the target (confluent-kafka, the same records, in the same run) beside the mirror's throughput with one task and
with three (records produced to A beforehand; from the first record on B to the last, the mirror's start left
out), and the offset-preserving link's (a `mirror.link` topic on B, fetched by B's broker). Then the end-to-end
latency at 1,000 records/s: p50/p99 from a record's production on A to its consumption on B through the mirror and
through the link, and from a heartbeat's timestamp to its consumption on B (`A.heartbeats`); the latency clients
disable Nagle's algorithm (librdkafka leaves it on, which with delayed ACKs adds up to 40 ms). Run through
scripts/bench-mirror, which builds the release binaries."""
import argparse
import os
import struct
import subprocess
import tempfile
import threading
import time

from confluent_kafka import Consumer, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic

from conftest import BROKER, register, single_broker, stop

MIRROR = os.path.join(os.path.dirname(BROKER), "swiftkafka-mirror")
SETTINGS = {
    "replication.factor": "1", "offset-syncs.topic.replication.factor": "1",
    "heartbeats.topic.replication.factor": "1", "checkpoints.topic.replication.factor": "1",
    "config.storage.replication.factor": "1", "offset.storage.replication.factor": "1",
    "status.storage.replication.factor": "1", "refresh.topics.interval.seconds": "2",
    "offset.flush.interval.ms": "5000",
}


def start_mirror(directory, source, target, settings):
    values = {"clusters": "A, B", "A.bootstrap.servers": source.bootstrap, "B.bootstrap.servers": target.bootstrap,
              "A->B.enabled": "true", **SETTINGS, **settings}
    with open(f"{directory}/mm2.properties", "w") as f:
        f.write("".join(f"{k} = {v}\n" for k, v in values.items()))
    log = open(f"{directory}/mirror.log", "a")
    process = subprocess.Popen([MIRROR, f"{directory}/mm2.properties"], stdout=log, stderr=subprocess.STDOUT)
    register(process.pid)
    return process


def produce(bootstrap, topic, count, size):
    producer = Producer({"bootstrap.servers": bootstrap, "linger.ms": 5, "batch.size": 262_144,
                         "queue.buffering.max.messages": 1_000_000})
    value = b"x" * size
    started = time.time()
    for i in range(count):
        while True:
            try:
                producer.produce(topic, value=value, key=str(i).encode())
                break
            except BufferError:
                producer.poll(0.01)
        if i % 10_000 == 0:
            producer.poll(0)
    producer.flush(120)
    return time.time() - started


def end_offsets(bootstrap, topic, partitions):
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": "bench-watermarks"})
    try:
        return sum(consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=10)[1] for p in range(partitions))
    except Exception:
        return 0
    finally:
        consumer.close()


def mirror_throughput(directory, source, target, topic, count, tasks):
    process = start_mirror(directory, source, target, {"A->B.topics": topic, "tasks.max": str(tasks)})
    first = None
    try:
        while (done := end_offsets(target.bootstrap, f"A.{topic}", 6)) < count:
            if first is None and done > 0:
                first = (time.time(), done)
            time.sleep(0.2)
    finally:
        stop(process)
    return time.time() - first[0], count - first[1]


def link_throughput(target, topic, count):
    """Seconds from the first record of the mirror topic on B to the last, and the records in between (from the
    mirror's creation, its start included, when all came at once)."""
    created = time.time()
    create(target.bootstrap, [topic], config={"mirror.link": "src"})
    first = None
    while (done := end_offsets(target.bootstrap, topic, 6)) < count:
        if first is None and done > 0:
            first = (time.time(), done)
        time.sleep(0.05)
    return (time.time() - first[0], count - first[1]) if first else (time.time() - created, count)


def link_latency(source, target, seconds):
    """Records produced on A at 1,000/s, consumed from the mirror topic on B: each one's delay, sorted."""
    create(source.bootstrap, ["linkload"])
    create(target.bootstrap, ["linkload"], config={"mirror.link": "src"})
    delays = []
    stopping = threading.Event()

    def consume():
        consumer = Consumer({"bootstrap.servers": target.bootstrap, "group.id": "bench-link-latency",
                             "auto.offset.reset": "latest", "fetch.wait.max.ms": 5, "socket.nagle.disable": True})
        consumer.subscribe(["linkload"])
        while not stopping.is_set():
            # poll, not consume(n): consume waits for n records or its whole timeout.
            m = consumer.poll(0.1)
            if m is not None and not m.error():
                delays.append(time.time() * 1000 - float(m.value().decode()))
        consumer.close()

    reader = threading.Thread(target=consume)
    reader.start()
    time.sleep(5)
    producer = Producer({"bootstrap.servers": source.bootstrap, "linger.ms": 0, "socket.nagle.disable": True})
    delays.clear()
    started, sent = time.time(), 0
    while time.time() - started < seconds:
        while sent < int((time.time() - started) * 1000):
            producer.produce("linkload", value=f"{time.time() * 1000:.3f}".encode())
            sent += 1
        producer.poll(0)
        time.sleep(0.001)
    producer.flush(30)
    time.sleep(3)
    stopping.set()
    reader.join()
    return sorted(delays)


def latency(directory, source, target, seconds):
    create(source.bootstrap, ["load"])
    process = start_mirror(directory, source, target, {"A->B.topics": "load, heartbeats", "B->A.enabled": "false"})
    records, beats = [], []
    stopping = threading.Event()

    def consume():
        consumer = Consumer({"bootstrap.servers": target.bootstrap, "group.id": "bench-latency",
                             "auto.offset.reset": "latest", "fetch.wait.max.ms": 5, "socket.nagle.disable": True,
                             "topic.metadata.refresh.interval.ms": 1000})
        consumer.subscribe(["A.load", "A.heartbeats"])
        while not stopping.is_set():
            m = consumer.poll(0.1)
            if m is None or m.error():
                continue
            now = time.time() * 1000
            if m.topic() == "A.load":
                records.append(now - float(m.value().decode()))
            else:
                beats.append(now - struct.unpack(">hq", m.value())[1])
        consumer.close()

    reader = threading.Thread(target=consume)
    reader.start()
    time.sleep(10)  # the mirror's start and the consumer's assignment
    producer = Producer({"bootstrap.servers": source.bootstrap, "linger.ms": 0, "socket.nagle.disable": True})
    records.clear()
    beats.clear()
    started = time.time()
    sent = 0
    while time.time() - started < seconds:
        due = int((time.time() - started) * 1000)
        while sent < due:
            producer.produce("load", value=f"{time.time() * 1000:.3f}".encode())
            sent += 1
        producer.poll(0)
        time.sleep(0.001)
    producer.flush(30)
    time.sleep(3)
    stopping.set()
    reader.join()
    stop(process)
    return sent, sorted(records), sorted(beats)


def percentile(values, p):
    return values[min(len(values) - 1, int(len(values) * p / 100))] if values else float("nan")


def create(bootstrap, topics, partitions=6, config=None):
    admin = AdminClient({"bootstrap.servers": bootstrap})
    for future in admin.create_topics([NewTopic(t, partitions, 1, config=config or {}) for t in topics]).values():
        future.result()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--records", type=int, default=200_000)
    parser.add_argument("--latency-seconds", type=int, default=20)
    args = parser.parse_args()
    source_fixture = single_broker()
    source = next(source_fixture)
    target_fixture = single_broker({"cluster.link.src.bootstrap.servers": source.bootstrap})
    target = next(target_fixture)
    directory = tempfile.mkdtemp(prefix="swiftkafka-bench-mirror-")
    rows = []
    try:
        for size in (100, 1024):
            create(target.bootstrap, [f"plain-{size}"])
            elapsed = produce(target.bootstrap, f"plain-{size}", args.records, size)
            rows.append((f"plain produce to B, {size} B", args.records / elapsed, args.records * size / elapsed))
            for tasks in (1, 3):
                topic = f"mirror-{size}-{tasks}"
                create(source.bootstrap, [topic])
                produce(source.bootstrap, topic, args.records, size)
                elapsed, counted = mirror_throughput(directory, source, target, topic, args.records, tasks)
                rows.append((f"mirror A->B, {size} B, {tasks} task(s)", counted / elapsed, counted * size / elapsed))
            topic = f"link-{size}"
            create(source.bootstrap, [topic])
            produce(source.bootstrap, topic, args.records, size)
            elapsed, counted = link_throughput(target, topic, args.records)
            rows.append((f"link A->B (mirror.link), {size} B", counted / elapsed, counted * size / elapsed))
        sent, records, beats = latency(directory, source, target, args.latency_seconds)
        linked = link_latency(source, target, args.latency_seconds)
    finally:
        target_fixture.close()
        source_fixture.close()
    print(f"| run ({args.records:,} records) | records/s | MB/s |\n|---|---|---|")
    for name, rate, volume in rows:
        print(f"| {name} | {rate:,.0f} | {volume / 1e6:.1f} |")
    print(f"\nLatency at 1,000 records/s for {args.latency_seconds} s ({sent:,} records; {len(records):,} seen on B):")
    print(f"| path | p50 ms | p99 ms |\n|---|---|---|")
    print(f"| record produced on A -> consumed on B | {percentile(records, 50):.1f} | {percentile(records, 99):.1f} |")
    print(f"| record produced on A -> consumed from the link's mirror on B ({len(linked):,}) | "
          f"{percentile(linked, 50):.1f} | {percentile(linked, 99):.1f} |")
    print(f"| heartbeat timestamp -> consumed on B ({len(beats)}) | {percentile(beats, 50):.1f} | "
          f"{percentile(beats, 99):.1f} |")


if __name__ == "__main__":
    main()
