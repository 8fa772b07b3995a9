"""Kafka Connect benchmark (not a test): one release worker on one release broker of its own. The file pipeline
(FileStreamSource -> a one-partition topic -> FileStreamSink) with StringConverter and with JsonConverter
(schemas.enable, Kafka's envelope): records/s and MB/s of lines from the first line in the sink's file to the last
(the worker's start and the sink's group join left out; the records column counts the lines in that span), and the
worker's CPU seconds for the whole run; the JDBC sink (SQLite with JsonConverter and with AvroConverter through the
schema registry, and PostgreSQL on Debian's server; upsert by key, auto.create) over records produced beforehand: rows/s from the first row in the table to the last; and distributed
mode's failover: two workers (the incremental cooperative protocol with scheduled.rebalance.max.delay.ms=0, and
EAGER), the worker running a FileStreamSource task killed with SIGKILL, seconds until the task is RUNNING on the
other worker and until new lines flow again, with session.timeout.ms=6000. Run through scripts/bench-connect, which
builds the release binaries and sets up the Python environment."""
import argparse
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import tempfile
import time
import uuid

from confluent_kafka import Producer

from conftest import single_broker
from test_connect import Worker, call, create_topic, lines_of
from test_connect_distributed import distributed_worker, running_on


def cpu_seconds(pid):
    """User and system CPU seconds a process has used (/proc/PID/stat fields 14 and 15)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def from_first_to_last(progress, total, started, interval):
    """Polls `progress()` every `interval` s until it reaches `total`: the seconds from the first progress seen (the
    worker started, the sink joined its group) to the last, and how many arrived in that span (`started` and all of
    them when the first poll already saw some)."""
    first = None
    while (done := progress()) < total:
        if first is None and done > 0:
            first = (time.time(), done)
        time.sleep(interval)
    first = first or (started, 0)
    return time.time() - first[0], total - first[1]


def file_pipeline(broker, lines, converter, directory):
    topic = f"bench-lines-{converter.rsplit('.', 1)[1].lower()}"
    create_topic(broker.bootstrap, topic)
    text = "".join(f"{i:010d} " + "x" * 89 + "\n" for i in range(lines))  # 100-byte lines
    with open(f"{directory}/{topic}.in", "w") as f:
        f.write(text)
    source = {"name": f"{topic}-source", "connector.class": "FileStreamSource", "file": f"{directory}/{topic}.in",
              "topic": topic}
    sink = {"name": f"{topic}-sink", "connector.class": "FileStreamSink", "file": f"{directory}/{topic}.out",
            "topics": topic}
    started = time.time()
    worker = Worker(broker.bootstrap, [source, sink], {"key.converter": converter, "value.converter": converter,
                                                      "offset.flush.interval.ms": "5000"})
    try:
        elapsed, counted = from_first_to_last(lambda: len(lines_of(f"{directory}/{topic}.out")), lines, started, 0.05)
        cpu = cpu_seconds(worker.process.pid)
    finally:
        worker.close()
    return elapsed, cpu, len(text) * counted // lines, counted


def produce_avro(broker, topic, rows, registry):
    """`rows` records written by confluent-kafka's AvroSerializer through the registry (keys as strings)."""
    from confluent_kafka import SerializingProducer
    from confluent_kafka.schema_registry import SchemaRegistryClient
    from confluent_kafka.schema_registry.avro import AvroSerializer
    from confluent_kafka.serialization import StringSerializer
    schema = {"type": "record", "name": "Row", "fields": [{"name": "id", "type": "long"},
                                                          {"name": "name", "type": "string"},
                                                          {"name": "score", "type": ["null", "double"]}]}
    producer = SerializingProducer({
        "bootstrap.servers": broker.bootstrap, "linger.ms": 20, "key.serializer": StringSerializer(),
        "value.serializer": AvroSerializer(SchemaRegistryClient({"url": registry.url}), json.dumps(schema))})
    for i in range(rows):
        producer.produce(topic, key=str(i), value={"id": i, "name": f"row {i}", "score": i / 4})
        if i % 10000 == 0:
            producer.poll(0)
    producer.flush(120)


def jdbc_sink(broker, rows, directory, postgres=None, registry=None):
    """SQLite, or PostgreSQL when a server is given; records in JsonConverter's envelope, or Confluent's Avro
    through AvroConverter when a registry is given."""
    topic = f"bench-rows-{uuid.uuid4().hex[:6]}"
    create_topic(broker.bootstrap, topic, partitions=3)
    if registry:
        produce_avro(broker, topic, rows, registry)
    key_schema = {"type": "struct", "fields": [{"type": "int64", "optional": False, "field": "id"}], "optional": False}
    value_schema = {"type": "struct", "optional": False, "fields": [
        {"type": "int64", "optional": False, "field": "id"}, {"type": "string", "optional": False, "field": "name"},
        {"type": "double", "optional": True, "field": "score"}]}
    producer = Producer({"bootstrap.servers": broker.bootstrap, "linger.ms": 20})
    for i in range(0 if registry else rows):
        producer.produce(topic, key=json.dumps({"schema": key_schema, "payload": {"id": i}}).encode(),
                         value=json.dumps({"schema": value_schema,
                                           "payload": {"id": i, "name": f"row {i}", "score": i / 4}}).encode())
        if i % 10000 == 0:
            producer.poll(0)
    assert producer.flush(120) == 0
    database = f"{directory}/rows-{uuid.uuid4().hex[:6]}.db"
    sink = {"name": "bench-jdbc", "connector.class": "io.confluent.connect.jdbc.JdbcSinkConnector",
            "topics": topic, "connection.url": f"jdbc:sqlite:{database}", "insert.mode": "upsert",
            "pk.mode": "record_key", "auto.create": "true", "table.name.format": "rows"}
    if postgres:
        postgres.psql("CREATE DATABASE bench")
        sink.update({"connection.url": postgres.url("bench"), "connection.user": "postgres", "tasks.max": "3"})
    properties = {"offset.flush.interval.ms": "5000"}
    if registry:
        sink.update({"pk.mode": "record_value", "pk.fields": "id"})
        properties.update({"key.converter": "org.apache.kafka.connect.storage.StringConverter",
                           "value.converter": "io.confluent.connect.avro.AvroConverter",
                           "value.converter.schema.registry.url": registry.url})
    started = time.time()
    worker = Worker(broker.bootstrap, [sink], properties)

    def count():
        try:
            if postgres:
                return int(postgres.psql("SELECT count(*) FROM rows", database="bench")[0][0])
            with sqlite3.connect(database, timeout=10) as connection:
                return connection.execute("SELECT count(*) FROM rows").fetchone()[0]
        except (sqlite3.OperationalError, subprocess.CalledProcessError):
            return 0
    try:
        elapsed, counted = from_first_to_last(count, rows, started, 0.2)
        cpu = cpu_seconds(worker.process.pid)
    finally:
        worker.close()
    return elapsed, cpu, counted


def failover(broker, directory, protocol):
    """Seconds from the SIGKILL of the worker running a FileStreamSource task to the task RUNNING on the other
    worker, and to the first line written after the kill arriving in the topic's sink file."""
    suffix = uuid.uuid4().hex[:6]
    topics = (f"bench-configs-{suffix}", f"bench-offsets-{suffix}", f"bench-status-{suffix}")
    topic = f"bench-failover-{suffix}"
    create_topic(broker.bootstrap, topic)
    source_file, sink_file = f"{directory}/{suffix}.in", f"{directory}/{suffix}.out"
    open(source_file, "w").close()
    workers = [distributed_worker(broker.bootstrap, f"bench-{suffix}", topics, protocol,
                                  extra={"scheduled.rebalance.max.delay.ms": "0"}) for _ in range(2)]
    try:
        for name, config in (("source", {"connector.class": "FileStreamSource", "file": source_file, "topic": topic}),
                             ("sink", {"connector.class": "FileStreamSink", "file": sink_file, "topics": topic})):
            deadline = time.time() + 60
            while call(workers[0].url, "POST", "/connectors", {"name": name, "config": config})[0] != 201:
                assert time.time() < deadline, f"cannot create {name}"
                time.sleep(0.2)
        while not running_on(workers, "source"):
            time.sleep(0.1)
        with open(source_file, "a") as f:
            f.write("before\n")
        while b"before" not in lines_of(sink_file):
            time.sleep(0.05)
        owner = running_on(workers, "source")
        victim = next(w for w in workers if owner.endswith(f":{w.port}"))
        survivor = next(w for w in workers if w is not victim)
        killed = time.time()
        victim.stop(signal.SIGKILL)
        with open(source_file, "a") as f:
            f.write("after\n")
        moved = None
        while b"after" not in lines_of(sink_file):
            if moved is None and running_on([survivor], "source") == f"127.0.0.1:{survivor.port}":
                moved = time.time() - killed
            time.sleep(0.05)
        flowing = time.time() - killed
        return moved if moved is not None else flowing, flowing
    finally:
        for worker in workers:
            worker.close()


def failover_table(broker, directory):
    print("| distributed failover (session.timeout.ms=6000) | task RUNNING on the survivor, s | "
          "lines flowing again, s |")
    print("|---|---|---|")
    for protocol in ("compatible", "eager"):
        moved, flowing = failover(broker, directory, protocol)
        print(f"| {protocol} | {moved:.1f} | {flowing:.1f} |", flush=True)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--failover-only", action="store_true")
    args = parser.parse_args()
    directory = tempfile.mkdtemp(prefix="swiftkafka-bench-connect-")
    brokers = single_broker()
    broker = next(brokers)
    try:
        if args.failover_only:
            return failover_table(broker, directory)
        print(f"| run | records | seconds | records/s | MB/s | worker CPU s |")
        print(f"|---|---|---|---|---|---|")
        for converter in ("org.apache.kafka.connect.storage.StringConverter",
                          "org.apache.kafka.connect.json.JsonConverter"):
            elapsed, cpu, size, measured = file_pipeline(broker, args.lines, converter, directory)
            print(f"| file -> topic -> file, {converter.rsplit('.', 1)[1]} | {measured} | {elapsed:.1f} | "
                  f"{measured / elapsed:,.0f} | {size / elapsed / 1e6:.1f} | {cpu:.1f} |", flush=True)
        elapsed, cpu, measured = jdbc_sink(broker, args.rows, directory)
        print(f"| topic -> JDBC sink (SQLite upsert), JsonConverter | {measured} | {elapsed:.1f} | "
              f"{measured / elapsed:,.0f} | — | {cpu:.1f} |", flush=True)
        from test_schema_registry import Registry
        registry = Registry(broker.bootstrap)
        try:
            elapsed, cpu, measured = jdbc_sink(broker, args.rows, directory, registry=registry)
        finally:
            registry.close()
        print(f"| topic -> JDBC sink (SQLite upsert), AvroConverter | {measured} | {elapsed:.1f} | "
              f"{measured / elapsed:,.0f} | — | {cpu:.1f} |", flush=True)
        from postgres_harness import Postgres
        postgres = Postgres()
        try:
            elapsed, cpu, measured = jdbc_sink(broker, args.rows, directory, postgres)
        finally:
            postgres.close()
        print(f"| topic -> JDBC sink (PostgreSQL upsert, 3 tasks), JsonConverter | {measured} | {elapsed:.1f} | "
              f"{measured / elapsed:,.0f} | — | {cpu:.1f} |", flush=True)
        print()
        failover_table(broker, directory)
    finally:
        try:
            next(brokers)
        except StopIteration:
            pass
        shutil.rmtree(directory, ignore_errors=True)


if __name__ == "__main__":
    main()
