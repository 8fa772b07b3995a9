"""Message format conversion cost (issue 15 item 2) against one release SwiftKafka broker: librdkafka's
rdkafka_performance (as ../shared/bench/peer-bench builds it) producing and consuming 100 B records with current
versions (RecordBatch v2, no conversion) and with `api.version.request=false`, `broker.version.fallback=0.9.0`
(Produce v1 / Fetch v1 in message format v0: up-conversion on append, down-conversion on fetch), plain and gzip.
Rounds alternate; the median and range of each are printed as a table. A benchmark, not a test.

Usage: SWIFTKAFKA_BROKER=.build/release/swiftkafka-broker bench_conversion.py [--quick] [--rounds N]"""
import argparse
import os
import statistics
import subprocess
import sys
import time

from confluent_kafka.admin import AdminClient

from bench_client import WORK, load_peer_bench
from conftest import single_broker

OLD = ["api.version.request=false", "broker.version.fallback=0.9.0"]


def run(cmd, env):
    result = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=900)
    if result.returncode != 0:
        raise RuntimeError(f"{cmd[0]} failed: {(result.stdout + result.stderr)[-2000:]}")
    return result.stdout + result.stderr


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--rounds", type=int, default=3)
    options = parser.parse_args()
    count = 200_000 if options.quick else 1_000_000
    pb = load_peer_bench()
    rdkafka_performance = pb.ensure_rdkafka_performance(WORK)
    env = dict(os.environ, LD_LIBRARY_PATH=os.path.join(WORK, "lib"))
    results = {}
    for broker in single_broker():
        admin = AdminClient({"bootstrap.servers": broker.bootstrap})
        serial = iter(range(1000))
        for round_ in range(options.rounds):
            for codec in ("none", "gzip"):
                for label, extra in (("v2 (no conversion)", []), ("v0 (0.9.0 fallback)", OLD)):
                    topic = f"conv-{next(serial)}-{int(time.time())}"
                    pb.create_topic(admin, topic, 1, 1)
                    output = run(pb.gen_produce(rdkafka_performance, broker.bootstrap, topic, 100, count, 1, "1",
                                                extra=[f"compression.codec={codec}", *extra]), env)
                    produced = pb.parse_produce(output, count)["msg_s"]
                    results.setdefault((f"produce 100 B, {codec}", label), []).append(produced)
                    consume = [rdkafka_performance, "-C", "-t", topic, "-b", broker.bootstrap, "-o", "beginning",
                               "-c", str(count), "-p", "0"]
                    for x in extra:
                        consume += ["-X", x]
                    output = run(consume, env)
                    consumed = int(pb.CONS_RE.findall(output)[-1][3])
                    results.setdefault((f"consume 100 B, {codec}", label), []).append(consumed)
                    print(f"[bench-conversion] round {round_ + 1} {codec} {label}: produce {produced} msg/s, "
                          f"consume {consumed} msg/s", file=sys.stderr, flush=True)
    print(f"\n{count:,} records of 100 B per run, {options.rounds} alternated rounds, msg/s median [min-max]\n")
    print("| scenario | v2 (no conversion) | v0 (0.9.0 fallback) | v0/v2 |")
    print("|---|---|---|---|")
    for scenario in sorted({s for s, _ in results}, key=lambda s: (not s.startswith("produce"), s)):
        cells = []
        medians = []
        for label in ("v2 (no conversion)", "v0 (0.9.0 fallback)"):
            values = results[(scenario, label)]
            medians.append(statistics.median(values))
            cells.append(f"{statistics.median(values):,.0f} [{min(values):,}-{max(values):,}]")
        print(f"| {scenario} | {cells[0]} | {cells[1]} | {medians[1] / medians[0]:.0%} |")


if __name__ == "__main__":
    main()
