"""Consumer-group benchmark (not a test): for each offsets.storage mode, on one broker of its own, the synchronous
commits per second of a consumer committing 100 partitions per OffsetCommit, and how long a group of six
confluent-kafka members takes to form and to rebalance after one member leaves.
Run through scripts/bench-groups, which builds the release broker and sets up the Python environment."""
import argparse
import sys
import threading
import time

from confluent_kafka import Consumer
from confluent_kafka import TopicPartition as ConfluentPartition
from confluent_kafka.admin import AdminClient, NewTopic

from conftest import single_broker


def commits_per_second(bootstrap, seconds):
    topic = "bench-commits"
    admin = AdminClient({"bootstrap.servers": bootstrap})
    admin.create_topics([NewTopic(topic, 100, 1)])[topic].result(30)
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": "bench-commits", "enable.auto.commit": False})
    consumer.committed([ConfluentPartition(topic, 0)], timeout=60)  # waits for the coordinator
    commits, offset = 0, 0
    started = time.time()
    while time.time() - started < seconds:
        offset += 1
        consumer.commit(offsets=[ConfluentPartition(topic, p, offset) for p in range(100)], asynchronous=False)
        commits += 1
    elapsed = time.time() - started
    consumer.close()
    return commits / elapsed


def rebalance_times(bootstrap, members_count=6):
    topic = "bench-rebalance"
    admin = AdminClient({"bootstrap.servers": bootstrap})
    admin.create_topics([NewTopic(topic, 12, 1)])[topic].result(30)
    assignments = [set() for _ in range(members_count)]
    stopping = [threading.Event() for _ in range(members_count)]

    def member(index):
        consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": "bench-rebalance",
                             "enable.auto.commit": False, "session.timeout.ms": 6000, "heartbeat.interval.ms": 500})
        consumer.subscribe([topic])
        while not stopping[index].is_set():
            consumer.consume(100, timeout=0.05)
            assignments[index] = {tp.partition for tp in consumer.assignment()}
        consumer.close()
        assignments[index] = set()

    def settled(indexes):
        return sorted(p for i in indexes for p in assignments[i]) == list(range(12)) and all(
            assignments[i] for i in indexes)

    started = time.time()
    threads = [threading.Thread(target=member, args=(i,), daemon=True) for i in range(members_count)]
    for thread in threads:
        thread.start()
    while not settled(range(members_count)):
        time.sleep(0.01)
    formed = time.time() - started
    started = time.time()
    stopping[0].set()
    while not settled(range(1, members_count)):
        time.sleep(0.01)
    rebalanced = time.time() - started
    for event in stopping:
        event.set()
    for thread in threads:
        thread.join(30)
    return formed, rebalanced


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=10)
    arguments = parser.parse_args()
    for mode in ["kafka", "zookeeper"]:
        # single_broker() starts ZooKeeper and a broker and stops both when the loop body ends.
        for broker in single_broker({"offsets.storage": mode}):
            rate = commits_per_second(broker.bootstrap, arguments.seconds)
            formed, rebalanced = rebalance_times(broker.bootstrap)
            print(f"offsets.storage={mode}: {rate:.0f} commits/s of 100 partitions ({rate * 100:.0f} offsets/s); "
                  f"6-member group formed in {formed:.2f}s (group.initial.rebalance.delay.ms=3000), "
                  f"rebalanced after a leave in {rebalanced:.2f}s", flush=True)

if __name__ == "__main__":
    sys.exit(main())
