"""Where the replicated path spends its time (issue 22, deliverable 1): three release brokers (replication factor 3)
and, for comparison, one (replication factor 1), each driven by one peer-bench scenario while `perf record` samples
every broker process with call graphs; prints each broker's CPU seconds and the top symbols (self time, all brokers
together) per scenario, and keeps the perf data under the output directory. A profile, not a test: run it through
scripts/profile-replication.

    profile_replication.py [--scenario ID]... [--out DIR] [--top N]"""
import argparse
import os
import subprocess
import time

from replication_harness import Cluster

PEER_BENCH = os.path.join(os.path.dirname(__file__), "../../../shared/bench/peer-bench")
PROPERTIES = {"log.segment.bytes": str(1 << 30), "zookeeper.session.timeout.ms": "18000"}


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def profile(cluster, replication, scenario, out, top):
    pids = [b.process.pid for b in cluster.brokers.values()]
    name = f"rf{replication}-{scenario.replace('/', '_')}"
    data = os.path.join(out, f"{name}.perf.data")
    before = {pid: cpu_seconds(pid) for pid in pids}
    recorder = subprocess.Popen(["perf", "record", "-q", "-F", "499", "-g", "-o", data, "-p", ",".join(map(str, pids))],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(1)
    command = [PEER_BENCH, "--bootstrap", cluster.bootstrap, "--skip-tansu", "--no-compat", "--no-install",
               "--replication-factor", str(replication), "--scenarios", scenario, "--runs", "1",
               "--target-name", f"rf{replication}"] + [arg for pid in pids for arg in ("--broker-pid", str(pid))]
    output = subprocess.run(command, capture_output=True, text=True).stdout
    recorder.send_signal(2)
    recorder.wait(60)
    spent = {pid: cpu_seconds(pid) - before[pid] for pid in pids}
    print(f"== {name}", flush=True)
    print("\n".join(line for line in output.splitlines() if scenario in line))
    print("broker CPU s: " + ", ".join(f"{pid}: {seconds:.1f}" for pid, seconds in spent.items()))
    report = subprocess.run(["perf", "report", "-i", data, "--no-children", "--sort", "dso,sym", "--stdio", "-g",
                             "none", "--percent-limit", "0.7"], capture_output=True, text=True).stdout
    lines = [line for line in report.splitlines() if line.strip() and not line.startswith("#")]
    print("\n".join(lines[:top]), flush=True)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--scenario", action="append",
                        default=None, help="peer-bench scenario ids (default: 1 KiB acks=all 6p and linger-0 10k/s)")
    parser.add_argument("--out", default="/tmp/swiftkafka-profile")
    parser.add_argument("--top", type=int, default=30)
    args = parser.parse_args()
    scenarios = args.scenario or ["produce-1KiB-6p-acksall", "latency-100B-1p-10k/s-linger0"]
    os.makedirs(args.out, exist_ok=True)
    for broker_ids, replication in (((1, 2, 3), 3), ((1,), 1)):
        for scenario in scenarios:
            cluster = Cluster(PROPERTIES, broker_ids=broker_ids)
            try:
                profile(cluster, replication, scenario, args.out, args.top)
            finally:
                cluster.close()


if __name__ == "__main__":
    main()
