"""Schema registry benchmark (not a test): on one broker of its own and one registry, registrations per second
(1,000 subjects, one schema each, from 1 and from 8 client threads), lookups per second (POST /subjects/{s}) and the
latency of GET /schemas/ids/{id} (p50, p99) over those 1,000 schemas. Run through scripts/bench-schema-registry,
which builds the release binaries and sets up the Python environment."""
import argparse
import json
import threading
import time
import urllib.request

from conftest import single_broker
from test_schema_registry import Registry

CONTENT = {"Content-Type": "application/vnd.schemaregistry.v1+json"}


def post(url, path, body):
    request = urllib.request.Request(url + path, data=json.dumps(body).encode(), method="POST", headers=CONTENT)
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())


def get(url, path):
    with urllib.request.urlopen(url + path, timeout=30) as response:
        return json.loads(response.read())


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
    args = parser.parse_args()
    for broker in single_broker():
        registry = Registry(broker.bootstrap)
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
        finally:
            registry.close()


if __name__ == "__main__":
    main()
