"""Console page timings on a big cluster (scripts/bench-console): three release brokers, N topics of P partitions
(replication factor 1, spread over the brokers), a release swiftkafka-console with ZooKeeper; each page fetched as
HTML `rounds` times after one warm-up, median and max printed beside the issue's targets (overview 200 ms, topics
300 ms, 1,000 messages 500 ms)."""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

from confluent_kafka import Producer
from confluent_kafka.admin import AdminClient, NewTopic

from conftest import BROKER, free_port, register, stop, wait_for
from replication_harness import Cluster

CONSOLE = os.path.join(os.path.dirname(BROKER), "swiftkafka-console")


def timed(url, accept="text/html"):
    started = time.perf_counter()
    with urllib.request.urlopen(urllib.request.Request(url, headers={"Accept": accept}), timeout=120) as answer:
        body = answer.read()
        assert answer.status == 200
    return (time.perf_counter() - started) * 1000, body


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--topics", type=int, default=1000)
    parser.add_argument("--partitions", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--hold", action="store_true", help="keep the cluster and console running afterwards")
    args = parser.parse_args()
    cluster = Cluster(properties={"offsets.topic.replication.factor": "1", "num.partitions": "1"})
    directory = tempfile.mkdtemp(prefix="swiftkafka-bench-console-")
    console = None
    try:
        admin = AdminClient({"bootstrap.servers": cluster.bootstrap})
        started = time.time()
        for first in range(0, args.topics, 50):
            batch = time.time()
            names = [f"topic-{i:04d}" for i in range(first, min(first + 50, args.topics))]
            futures = admin.create_topics([NewTopic(n, args.partitions, 1) for n in names], request_timeout=600)
            for future in futures.values():
                future.result(600)
            print(f"topics {first}-{first + len(names) - 1}: {time.time() - batch:.1f} s", file=sys.stderr, flush=True)
        wait_for(lambda: len(admin.list_topics(timeout=60).topics) >= args.topics, 300, "every topic's metadata")
        print(f"created {args.topics} topics x {args.partitions} partitions in {time.time() - started:.0f} s",
              file=sys.stderr)
        producer = Producer({"bootstrap.servers": cluster.bootstrap, "linger.ms": 5})
        for i in range(5000):
            producer.produce("topic-0000", key=f"k{i % 100}", value=json.dumps({"n": i, "pad": "x" * 100}))
        producer.flush(60)
        port = free_port()
        with open(f"{directory}/console.properties", "w") as f:
            f.write(f"listeners=http://127.0.0.1:{port}\nbootstrap.servers={cluster.bootstrap}\n"
                    f"zookeeper.connect={cluster.zookeeper.connect}\nconsole.data.dir={directory}/data\n")
        console = subprocess.Popen([CONSOLE, f"{directory}/console.properties"], stdout=subprocess.DEVNULL,
                                   stderr=open(f"{directory}/console.log", "w"))
        register(console.pid)
        base = f"http://127.0.0.1:{port}"
        wait_for(lambda: _up(base), 60, "the console")
        pages = [("overview", "/", 200), ("topics", "/topics", 300),
                 ("1,000 messages", "/topics/topic-0000/messages?limit=1000", 500)]
        print(f"{'page':<16}{'median ms':>10}{'max ms':>9}{'target ms':>11}{'bytes':>10}")
        for name, path, target in pages:
            timed(base + path)
            times = []
            size = 0
            for _ in range(args.rounds):
                elapsed, body = timed(base + path)
                times.append(elapsed)
                size = len(body)
            print(f"{name:<16}{statistics.median(times):>10.1f}{max(times):>9.1f}{target:>11}{size:>10}")
        _, body = timed(base + "/topics/topic-0000/messages?limit=1000", "application/json")
        assert len(json.loads(body)["messages"]) == 1000
        if args.hold:
            print(f"holding: console {base}, bootstrap {cluster.bootstrap}", flush=True)
            time.sleep(3600)
    finally:
        if console:
            stop(console)
        cluster.close()


def _up(base):
    try:
        return timed(base + "/health")[0] >= 0
    except OSError:
        return False


if __name__ == "__main__":
    main()
