"""Transactions benchmark (not a test), issue 16's "Measure": on one broker and on three (RF 3, min.insync 2), in one
run, a confluent-kafka producer's throughput writing 100-byte records as a plain idempotent producer and as a
transactional one with 100 and with 1,000 records per transaction (commit latency p50/p99: the wall time of
commit_transaction, which includes flushing the transaction's last records), then a consumer's throughput reading
the transactional topic (every tenth transaction aborted) read_committed and read_uncommitted. Brokers' CPU seconds
per run are printed beside. Run through scripts/bench-transactions (release broker)."""
import argparse
import statistics
import time

from confluent_kafka import Consumer, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic

from bench_schema_registry import cpu_seconds
from conftest import single_broker
from replication_harness import Cluster

VALUE = b"v" * 100


def create(bootstrap, topic, replication):
    admin = AdminClient({"bootstrap.servers": bootstrap})
    admin.create_topics([NewTopic(topic, 6, replication, config={"min.insync.replicas": str(min(2, replication))})])[
        topic].result(30)


def idempotent_run(bootstrap, topic, count):
    producer = Producer({"bootstrap.servers": bootstrap, "enable.idempotence": True, "linger.ms": 5,
                         "queue.buffering.max.messages": 1_000_000})
    start = time.time()
    for index in range(count):
        while True:
            try:
                producer.produce(topic, key=str(index).encode(), value=VALUE)
                break
            except BufferError:
                producer.poll(0.01)
    producer.flush(120)
    return count / (time.time() - start), []


def transactional_run(bootstrap, topic, count, per_transaction, name, abort_every=0):
    producer = Producer({"bootstrap.servers": bootstrap, "transactional.id": name, "linger.ms": 5,
                         "queue.buffering.max.messages": 1_000_000})
    producer.init_transactions(60)
    commits = []
    start = time.time()
    for number in range(count // per_transaction):
        producer.begin_transaction()
        for index in range(per_transaction):
            while True:
                try:
                    producer.produce(topic, key=str(index).encode(), value=VALUE)
                    break
                except BufferError:
                    producer.poll(0.01)
        began = time.time()
        if abort_every and number % abort_every == abort_every - 1:
            producer.flush(60)
            producer.abort_transaction(60)
        else:
            producer.commit_transaction(60)
            commits.append((time.time() - began) * 1000)
    return count / (time.time() - start), commits


def consume_run(bootstrap, topic, isolation_level):
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": f"bench-{isolation_level}-{time.time()}",
                         "isolation.level": isolation_level, "enable.partition.eof": True,
                         "auto.offset.reset": "earliest", "enable.auto.commit": False})
    consumer.assign([TopicPartition(topic, p, 0) for p in range(6)])
    read, ended, start = 0, set(), time.time()
    while len(ended) < 6:
        for message in consumer.consume(10_000, 1):
            if message.error():
                ended.add(message.partition())
            else:
                read += 1
    elapsed = time.time() - start
    consumer.close()
    return read, read / elapsed


def percentile(values, fraction):
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def measure(label, bootstrap, pids, replication, count):
    rows = []

    def timed(name, body):
        before = sum(cpu_seconds(pid) for pid in pids)
        rate, commits = body()
        cpu = sum(cpu_seconds(pid) for pid in pids) - before
        rows.append((label, name, f"{rate:,.0f} msg/s",
                     f"commit p50 {percentile(commits, 0.5):.1f} ms, p99 {percentile(commits, 0.99):.1f} ms"
                     if commits else "", f"{cpu:.1f} CPU-s"))

    create(bootstrap, "idem", replication)
    create(bootstrap, "txn100", replication)
    create(bootstrap, "txn1000", replication)
    timed("idempotent", lambda: idempotent_run(bootstrap, "idem", count))
    timed("transactional, 100/txn", lambda: transactional_run(bootstrap, "txn100", count, 100, f"{label}-100"))
    timed("transactional, 1000/txn (every 10th aborted)",
          lambda: transactional_run(bootstrap, "txn1000", count, 1000, f"{label}-1000", abort_every=10))
    for isolation in ("read_uncommitted", "read_committed"):
        read, rate = consume_run(bootstrap, "txn1000", isolation)
        rows.append((label, f"consumer {isolation}", f"{rate:,.0f} msg/s", f"{read:,} records", ""))
    return rows


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--records", type=int, default=200_000)
    arguments = parser.parse_args()
    rows = []
    for broker in single_broker():
        rows += measure("1 broker", broker.bootstrap, [broker.process.pid], 1, arguments.records)
    cluster = Cluster({"transaction.state.log.replication.factor": "3", "transaction.state.log.min.isr": "2"})
    try:
        pids = [b.process.pid for b in cluster.brokers.values()]
        rows += measure("3 brokers, RF 3", cluster.bootstrap, pids, 3, arguments.records)
    finally:
        cluster.close()
    print("| setup | run | throughput | latency / records | brokers' CPU |")
    print("|---|---|---|---|---|")
    for row in rows:
        print("| " + " | ".join(row) + " |")


if __name__ == "__main__":
    main()
