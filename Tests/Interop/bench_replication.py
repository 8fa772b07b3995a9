"""Replication benchmark (issue 6): peer-bench against a three-broker cluster with replication factor 3 (beside
Tansu, peer-bench's single-broker peer, in the same invocation) and against one SwiftKafka broker with replication
factor 1; prints each scenario's figures and the replicated/unreplicated ratio. A benchmark, not a test: run it
through scripts/bench-replication (release broker)."""
import json
import os
import re
import subprocess
import sys

from replication_harness import Cluster

PEER_BENCH = os.path.join(os.path.dirname(__file__), "../../../shared/bench/peer-bench")
SCENARIOS = os.environ.get("SCENARIOS", "produce-1KiB-6p-acksall,produce-100B-6p-acksall,produce-1KiB-6p-acks1,"
                                        "produce-100B-6p-acks1,rtt-100B-sync-acksall,latency-100B-1p-10k/s-linger5")
LINE = re.compile(r"^(\S+)\s+(\S+)\s+n=\s*[\d,]+\s+([\d,]+) msg/s(?:.*?p99 ([\d.]+) ms)?")
PROPERTIES = {"log.segment.bytes": str(1 << 30), "zookeeper.session.timeout.ms": "18000"}


def bench(bootstrap, pids, replication, name, runs, with_tansu):
    """Runs peer-bench; returns {(target, scenario): (msg/s, p99 ms or None)} from its output lines."""
    command = [PEER_BENCH, "--bootstrap", bootstrap, "--no-compat", "--replication-factor", str(replication),
               "--scenarios", SCENARIOS, "--runs", str(runs), "--target-name", name]
    if not with_tansu:
        command.append("--skip-tansu")
    for pid in pids:
        command += ["--broker-pid", str(pid)]
    print("$ " + " ".join(command), flush=True)
    output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    print(output, flush=True)
    figures = {}
    for line in output.splitlines():
        match = LINE.match(line)
        if match:
            figures[(match[1], match[2])] = (int(match[3].replace(",", "")), match[4] and float(match[4]))
    return figures


def main():
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 3
    figures = {}
    cluster = Cluster(PROPERTIES)
    try:
        figures.update(bench(cluster.bootstrap, [b.process.pid for b in cluster.brokers.values()], 3, "rf3", runs,
                             with_tansu=True))
    finally:
        cluster.close()
    single = Cluster(PROPERTIES, broker_ids=(1,))
    try:
        figures.update(bench(single.bootstrap, [b.process.pid for b in single.brokers.values()], 1, "rf1", runs,
                             with_tansu=False))
    finally:
        single.close()
    print(f"{'scenario':34} {'3 brokers RF 3':>16} {'1 broker RF 1':>16} {'ratio':>7} {'Tansu':>12}")
    for scenario in SCENARIOS.split(","):
        rf3, rf1, tansu = (figures.get((target, scenario)) for target in ("rf3", "rf1", "tansu"))
        if not rf3 or not rf1:
            continue
        if scenario.startswith("latency"):
            print(f"{scenario:34} {'p99 %.2f ms' % rf3[1]:>16} {'p99 %.2f ms' % rf1[1]:>16} {'':>7} "
                  f"{('p99 %.2f ms' % tansu[1]) if tansu else '-':>12}")
        else:
            print(f"{scenario:34} {rf3[0]:>12,} msg/s {rf1[0]:>12,} msg/s {rf3[0] / rf1[0]:>6.0%} "
                  f"{format(tansu[0], ',') if tansu else '-':>12}")
    with open(os.environ.get("BENCH_JSON", "/tmp/bench-replication.json"), "w") as f:
        json.dump({f"{t}/{s}": v for (t, s), v in figures.items()}, f, indent=1)


if __name__ == "__main__":
    main()
