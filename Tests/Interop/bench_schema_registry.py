"""Schema registry benchmark (not a test): on one broker of its own and one registry, registrations per second
(1,000 subjects, one schema each, from 1 and from 8 client threads), lookups per second (POST /subjects/{s}), the
latency of GET /schemas/ids/{id} (p50, p99) over those 1,000 schemas, and the produce throughput of 1 KiB
schema-framed values (one confluent-kafka producer, acks=1) into a topic with broker-side schema validation on and
into one with it off, in the same run, with the broker's CPU time per record (the cost of validation when the
producer, not the broker, is the bottleneck). peer-bench cannot measure this: its values are not schema-framed. Run through scripts/bench-schema-registry, which builds the release binaries
and sets up the Python environment."""
import argparse
import json
import os
import threading
import time
import urllib.request

from confluent_kafka import Producer
from confluent_kafka.admin import AdminClient, NewTopic

from conftest import free_port, single_broker
from test_schema_registry import Registry

CONTENT = {"Content-Type": "application/vnd.schemaregistry.v1+json"}


def post(url, path, body):
    request = urllib.request.Request(url + path, data=json.dumps(body).encode(), method="POST", headers=CONTENT)
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())


def get(url, path):
    with urllib.request.urlopen(url + path, timeout=30) as response:
        return json.loads(response.read())


def cpu_seconds(pid):
    """User and system CPU seconds a process has used (/proc/PID/stat fields 14 and 15)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def schema(n):
    return json.dumps({"type": "record", "name": f"R{n}", "fields": [{"name": "f", "type": "int"}]})


def run_threads(count, threads, work):
    """Runs work(i) for i in range(count) over `threads` threads; returns the seconds taken."""
    next_index = [0]
    lock = threading.Lock()

    def worker():
        while True:
            with lock:
                index = next_index[0]
                next_index[0] += 1
            if index >= count:
                return
            work(index)
    started = time.time()
    pool = [threading.Thread(target=worker) for _ in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    return time.time() - started


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--subjects", type=int, default=1000)
    parser.add_argument("--messages", type=int, default=200_000)
    args = parser.parse_args()
    port = free_port()
    for broker in single_broker({"confluent.schema.registry.url": f"http://127.0.0.1:{port}"}):
        registry = Registry(broker.bootstrap, port=port)
        try:
            url, count = registry.url, args.subjects
            ids = {}
            sequential = run_threads(count // 2, 1, lambda i: ids.__setitem__(i, post(url, f"/subjects/s{i}/versions",
                                                                                       {"schema": schema(i)})["id"]))
            half = count // 2
            concurrent = run_threads(count - half, 8, lambda i: ids.__setitem__(
                half + i, post(url, f"/subjects/s{half + i}/versions", {"schema": schema(half + i)})["id"]))
            assert len(set(ids.values())) == count, "every schema got its own id"
            lookups = run_threads(count, 8, lambda i: post(url, f"/subjects/s{i}", {"schema": schema(i)}))
            latencies = []

            def fetch(i):
                started = time.perf_counter()
                get(url, f"/schemas/ids/{ids[i]}")
                latencies.append(time.perf_counter() - started)
            run_threads(count, 1, fetch)
            latencies.sort()
            print(f"registrations: {half / sequential:.0f}/s from 1 thread, {(count - half) / concurrent:.0f}/s from 8 threads")
            print(f"lookups: {count / lookups:.0f}/s from 8 threads")
            print(f"GET /schemas/ids/{{id}}: p50 {latencies[len(latencies) // 2] * 1000:.2f} ms, "
                  f"p99 {latencies[int(len(latencies) * 0.99) - 1] * 1000:.2f} ms")
            schema_id = post(url, "/subjects/bench-validated-value/versions", {"schema": '"bytes"'})["id"]
            value = b"\x00" + schema_id.to_bytes(4, "big") + bytes(1019)
            admin = AdminClient({"bootstrap.servers": broker.bootstrap})
            for future in admin.create_topics([
                    NewTopic("bench-validated", 6, 1, config={"confluent.value.schema.validation": "true"}),
                    NewTopic("bench-plain", 6, 1)]).values():
                future.result(30)
            for _ in range(2):
                for topic in ("bench-plain", "bench-validated"):
                    producer = Producer({"bootstrap.servers": broker.bootstrap, "acks": "1", "linger.ms": 5,
                                         "batch.size": 1 << 20, "compression.type": "none"})
                    failures = []
                    cpu = cpu_seconds(broker.process.pid)
                    started = time.time()
                    for n in range(args.messages):
                        while True:
                            try:
                                producer.produce(topic, value=value, on_delivery=lambda e, m: e and failures.append(e))
                                break
                            except BufferError:
                                producer.poll(0.01)
                    producer.flush(120)
                    elapsed = time.time() - started
                    used = cpu_seconds(broker.process.pid) - cpu
                    assert not failures, failures[:3]
                    print(f"produce 1 KiB framed values, {topic}: {args.messages / elapsed:,.0f} msg/s, "
                          f"broker CPU {used / args.messages * 1e6:.2f} µs per record")
        finally:
            registry.close()


if __name__ == "__main__":
    main()
