"""Quota benchmark (not a test), issue 17's quota case: on one release broker, two confluent-kafka producers push
1 KiB records as fast as they can for --seconds (20 by default), side by side; one has `producer_byte_rate`
(--quota, 1 MiB/s by default, Kafka's 11 windows of 1 s), the other none. Prints each one's measured rate over the
run and over its last half (after the first burst the window allows), the limited one's ratio to its quota, the
throttle times librdkafka saw, and the unlimited one's rate beside a run of it alone.

Run through scripts/bench-quotas."""
import argparse
import json
import os
import subprocess
import threading
import time

from confluent_kafka import Producer
from confluent_kafka.admin import AdminClient, NewTopic

from conftest import single_broker

ADMIN = os.path.join(os.path.dirname(__file__), "../../.build/release/swiftkafka-admin")


def push(bootstrap, topic, client_id, seconds, results):
    """Produces as fast as the client allows; records (time, acked bytes) samples and librdkafka's throttle times."""
    throttles = []
    producer = Producer({"bootstrap.servers": bootstrap, "client.id": client_id, "linger.ms": 5,
                         "batch.size": 65536, "statistics.interval.ms": 1000,
                         "stats_cb": lambda s: throttles.append(max(
                             (b["throttle"]["max"] for b in json.loads(s)["brokers"].values() if b["nodeid"] >= 0),
                             default=0))})
    acked = [0]
    samples = []

    def delivered(err, msg):
        if err is None:
            acked[0] += len(msg.value())

    payload = b"x" * 1024
    started = time.time()
    next_sample = started
    while time.time() - started < seconds:
        try:
            producer.produce(topic, payload, on_delivery=delivered)
        except BufferError:
            producer.poll(0.01)
        producer.poll(0)
        if time.time() >= next_sample:
            samples.append((time.time() - started, acked[0]))
            next_sample += 0.5
    producer.purge()  # what was not acknowledged in time does not count
    producer.flush(10)
    samples.append((time.time() - started, acked[0]))
    results[client_id] = {"samples": samples, "throttle_max_ms": max(throttles, default=0)}


def rates(samples, seconds):
    total = samples[-1][1] / samples[-1][0]
    half = [s for s in samples if s[0] >= seconds / 2]
    late = (half[-1][1] - half[0][1]) / (half[-1][0] - half[0][0]) if len(half) > 1 else 0
    return total, late


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--quota", type=int, default=1048576)
    args = parser.parse_args()
    for broker in single_broker({"num.partitions": "1"}):
        admin = AdminClient({"bootstrap.servers": broker.bootstrap})
        for topic in ["limited", "unlimited", "alone"]:
            admin.create_topics([NewTopic(topic, 1, 1)])[topic].result(30)
        subprocess.run([ADMIN, "configs", "--bootstrap-server", broker.bootstrap, "--alter", "--add-config",
                        f"producer_byte_rate={args.quota}", "--entity-type", "clients", "--entity-name", "limited"],
                       check=True, capture_output=True)
        results = {}
        push(broker.bootstrap, "alone", "alone", args.seconds, results)
        threads = [threading.Thread(target=push, args=(broker.bootstrap, name, name, args.seconds, results))
                   for name in ["limited", "unlimited"]]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        print(f"{args.seconds:.0f} s, 1 KiB records, quota {args.quota} B/s on client.id=limited "
              "(quota.window.num=11, quota.window.size.seconds=1)")
        print("| producer | rate over the run (MiB/s) | rate over the second half (MiB/s) | vs quota | max throttle_time_ms |")
        print("|---|---|---|---|---|")
        for name in ["limited", "unlimited", "alone"]:
            total, late = rates(results[name]["samples"], args.seconds)
            ratio = f"{late / args.quota:.2f}×" if name == "limited" else ""
            print(f"| {name} | {total / 1048576:.2f} | {late / 1048576:.2f} | {ratio} | "
                  f"{results[name]['throttle_max_ms']} |")


if __name__ == "__main__":
    main()
