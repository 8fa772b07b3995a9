"""Kafka Connect benchmark (not a test): one release worker on one release broker of its own. The file pipeline
(FileStreamSource -> a one-partition topic -> FileStreamSink) with StringConverter and with JsonConverter
(schemas.enable, Kafka's envelope): records/s and MB/s of lines from the first line in the sink's file to the last
(the worker's start and the sink's group join left out; the records column counts the lines in that span), and the
worker's CPU seconds for the whole run; the JDBC sink (SQLite, upsert by key, auto.create) over records
produced beforehand: rows/s from the first row in the table to the last. Run through scripts/bench-connect, which builds the
release binaries and sets up the Python environment."""
import argparse
import json
import os
import shutil
import sqlite3
import tempfile
import time

from confluent_kafka import Producer

from conftest import single_broker
from test_connect import Worker, create_topic, lines_of


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


def jdbc_sink(broker, rows, directory):
    topic = "bench-rows"
    create_topic(broker.bootstrap, topic, partitions=3)
    key_schema = {"type": "struct", "fields": [{"type": "int64", "optional": False, "field": "id"}], "optional": False}
    value_schema = {"type": "struct", "optional": False, "fields": [
        {"type": "int64", "optional": False, "field": "id"}, {"type": "string", "optional": False, "field": "name"},
        {"type": "double", "optional": True, "field": "score"}]}
    producer = Producer({"bootstrap.servers": broker.bootstrap, "linger.ms": 20})
    for i in range(rows):
        producer.produce(topic, key=json.dumps({"schema": key_schema, "payload": {"id": i}}).encode(),
                         value=json.dumps({"schema": value_schema,
                                           "payload": {"id": i, "name": f"row {i}", "score": i / 4}}).encode())
        if i % 10000 == 0:
            producer.poll(0)
    assert producer.flush(120) == 0
    database = f"{directory}/rows.db"
    sink = {"name": "bench-jdbc", "connector.class": "io.confluent.connect.jdbc.JdbcSinkConnector",
            "topics": topic, "connection.url": f"jdbc:sqlite:{database}", "insert.mode": "upsert",
            "pk.mode": "record_key", "auto.create": "true"}
    started = time.time()
    worker = Worker(broker.bootstrap, [sink], {"offset.flush.interval.ms": "5000"})

    def count():
        try:
            with sqlite3.connect(database, timeout=10) as connection:
                return connection.execute('SELECT count(*) FROM "bench-rows"').fetchone()[0]
        except sqlite3.OperationalError:
            return 0
    try:
        elapsed, counted = from_first_to_last(count, rows, started, 0.2)
        cpu = cpu_seconds(worker.process.pid)
    finally:
        worker.close()
    return elapsed, cpu, counted


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--rows", type=int, default=200_000)
    args = parser.parse_args()
    directory = tempfile.mkdtemp(prefix="swiftkafka-bench-connect-")
    brokers = single_broker()
    broker = next(brokers)
    try:
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
    finally:
        try:
            next(brokers)
        except StopIteration:
            pass
        shutil.rmtree(directory, ignore_errors=True)


if __name__ == "__main__":
    main()
