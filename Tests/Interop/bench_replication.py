"""Replication benchmark (issue 6): peer-bench against a three-broker cluster with replication factor 3 and, in the
same invocation, against a single broker with replication factor 1; prints both and the acks=all ratio. A
benchmark, not a test: run it through scripts/bench-replication (release broker)."""
import json
import os
import subprocess
import sys
import tempfile

from replication_harness import Cluster

PEER_BENCH = os.path.join(os.path.dirname(__file__), "../../../shared/bench/peer-bench")
SCENARIOS = os.environ.get("SCENARIOS", "produce-1KiB-6p-acksall,produce-100B-6p-acksall,produce-1KiB-6p-acks1,"
                                        "latency-100B-1p-10k/s-linger5")
PROPERTIES = {"log.segment.bytes": str(1 << 30), "zookeeper.session.timeout.ms": "18000"}


def bench(bootstrap, pids, replication, name, runs):
    out = tempfile.mktemp(suffix=".json")
    command = [PEER_BENCH, "--bootstrap", bootstrap, "--skip-tansu", "--no-compat", "--replication-factor",
               str(replication), "--scenarios", SCENARIOS, "--runs", str(runs), "--target-name", name, "--json", out]
    for pid in pids:
        command += ["--broker-pid", str(pid)]
    print("$ " + " ".join(command), flush=True)
    subprocess.run(command, check=True)
    with open(out) as f:
        return json.load(f)


def main():
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 3
    results = {}
    cluster = Cluster(PROPERTIES)
    try:
        results["rf3"] = bench(cluster.bootstrap, [b.process.pid for b in cluster.brokers.values()], 3,
                               "swiftkafka-3-brokers-rf3", runs)
    finally:
        cluster.close()
    single = Cluster(PROPERTIES, broker_ids=(1,))
    try:
        results["rf1"] = bench(single.bootstrap, [b.process.pid for b in single.brokers.values()], 1,
                               "swiftkafka-1-broker-rf1", runs)
    finally:
        single.close()
    with open(os.environ.get("BENCH_JSON", "/tmp/bench-replication.json"), "w") as f:
        json.dump(results, f, indent=1)


if __name__ == "__main__":
    main()
