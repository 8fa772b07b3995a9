"""The Swift client library beside librdkafka against one release SwiftKafka broker, in one run (issue 14's
targets): producer msg/s for 100 B and 1 KiB records with acks=1 and acks=all (linger 5 ms), consumer msg/s reading
3,000,000 100 B records, producer p99 latency at 10k msg/s with linger 0, and each client's peak RSS. librdkafka is
the `rdkafka_performance` (and paced confluent-kafka producer) that ../shared/bench/peer-bench builds and uses; the
Swift side is swiftkafka-admin's producer-perf-test and consumer-perf-test. A benchmark, not a test.

Usage: bench_client.py [--quick]   (--quick: a tenth of the records)"""
import argparse
import gc
import importlib.machinery
import json
import os
import re
import subprocess
import sys
import time
import types

from confluent_kafka.admin import AdminClient

from conftest import single_broker

HERE = os.path.dirname(os.path.abspath(__file__))
PEER_BENCH = os.path.join(HERE, "../../../shared/bench/peer-bench")
TOOL = os.path.join(HERE, "../../.build/release/swiftkafka-admin")
WORK = "/tmp/peer-bench"


def load_peer_bench():
    loader = importlib.machinery.SourceFileLoader("peer_bench", PEER_BENCH)
    module = types.ModuleType(loader.name)
    loader.exec_module(module)
    return module


def timed(cmd, env=None, timeout=900):
    """Runs `cmd` under GNU time; returns (stdout+stderr, peak RSS in MiB)."""
    result = subprocess.run(["/usr/bin/time", "-f", "PEAK_RSS_KB=%M", *cmd], capture_output=True, text=True,
                            env=env, timeout=timeout)
    output = result.stdout + result.stderr
    if result.returncode != 0:
        raise RuntimeError(f"{cmd[0]} failed ({result.returncode}): {output[-2000:]}")
    rss = int(re.findall(r"PEAK_RSS_KB=(\d+)", output)[-1]) / 1024
    return output, rss


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    options = parser.parse_args()
    scale = 10 if options.quick else 1
    pb = load_peer_bench()
    pb.setup(types.SimpleNamespace(workdir=WORK, physical=False, no_install=False))
    rdkafka_performance = pb.ensure_rdkafka_performance(WORK)
    env = dict(os.environ, LD_LIBRARY_PATH=os.path.join(WORK, "lib"))
    rows = []
    for broker in single_broker():
        bootstrap = broker.bootstrap
        admin = AdminClient({"bootstrap.servers": bootstrap})
        serial = iter(range(1000))

        def topic(partitions=1):
            name = f"bench-{next(serial)}-{int(time.time())}"
            pb.create_topic(admin, name, partitions, 1)
            return name

        for size, count in ((100, 3_000_000 // scale), (1024, 1_000_000 // scale)):
            for acks in ("1", "all"):
                output, rss = timed(pb.gen_produce(rdkafka_performance, bootstrap, topic(), size, count, 1, acks),
                                    env)
                librdkafka = pb.parse_produce(output, count)["msg_s"]
                output, swift_rss = timed([TOOL, "producer-perf-test", "--topic", topic(), "--num-records",
                                           str(count), "--record-size", str(size), "--throughput", "-1",
                                           "--producer-props", f"bootstrap.servers={bootstrap}", f"acks={acks}",
                                           "linger.ms=5", "batch.size=1000000"])
                summary = re.findall(r"(\d+) records sent, ([\d.]+) records/sec", output)[-1]
                assert int(summary[0]) == count, output[-1000:]
                swift = float(summary[1])
                print(f"[bench-client] produce {size} B acks={acks}: librdkafka {librdkafka} msg/s, Swift {swift} msg/s",
                      file=sys.stderr, flush=True)
                rows.append((f"produce {size} B, acks={acks}, linger 5 ms ({count:,} records)", "msg/s",
                             librdkafka, swift, rss, swift_rss))

        count = 3_000_000 // scale
        consumed = topic()
        output, _ = timed(pb.gen_produce(rdkafka_performance, bootstrap, consumed, 100, count, 1, "1"), env)
        pb.parse_produce(output, count)
        output, rss = timed([rdkafka_performance, "-C", "-t", consumed, "-b", bootstrap, "-o", "beginning",
                             "-c", str(count), "-p", "0"], env)
        librdkafka = int(pb.CONS_RE.findall(output)[-1][3])
        output, swift_rss = timed([TOOL, "consumer-perf-test", "--bootstrap-server", bootstrap, "--topic", consumed,
                                   "--messages", str(count), "--hide-header"])
        summary = [line for line in output.splitlines() if line.count(",") == 9][-1]
        fields = [f.strip() for f in summary.split(",")]
        assert int(fields[4]) == count, output[-1000:]
        rows.append((f"consume 100 B ({count:,} records; Swift: fetch.nMsg.sec, after joining its group)", "msg/s",
                     librdkafka, float(fields[9]), rss, swift_rss))

        count = 50_000 // scale
        latency_topic = topic()
        output, rss = timed([sys.executable, "-c", pb.LATENCY_PY, bootstrap, latency_topic, "100", str(count),
                             "10000", "all", "0"], env)
        librdkafka = json.loads([line for line in output.splitlines() if line.startswith("{")][-1])
        output, swift_rss = timed([TOOL, "producer-perf-test", "--topic", topic(), "--num-records", str(count),
                                   "--record-size", "100", "--throughput", "10000", "--producer-props",
                                   f"bootstrap.servers={bootstrap}", "acks=all", "linger.ms=0",
                                   "--latency-microseconds"])
        p99 = int(re.findall(r"(\d+) us 99th", output)[-1]) / 1000
        rows.append((f"produce p99 latency at 10k msg/s, linger 0, acks=all ({count:,} records)", "ms",
                     librdkafka["p99_ms"], p99, rss, swift_rss))
        del admin  # before the broker stops, so that it does not log reconnect failures
        gc.collect()

    print("| scenario | unit | librdkafka | Swift | Swift / librdkafka | librdkafka RSS MiB | Swift RSS MiB |")
    print("|---|---|---:|---:|---:|---:|---:|")
    for name, unit, theirs, ours, their_rss, our_rss in rows:
        ratio = (ours / theirs) if theirs else float("nan")
        print(f"| {name} | {unit} | {theirs:,.0f} | {ours:,.0f} | {ratio:.2f}x | {their_rss:.0f} | {our_rss:.0f} |"
              if unit == "msg/s" else
              f"| {name} | {unit} | {theirs} | {ours} | {ratio:.2f}x | {their_rss:.0f} | {our_rss:.0f} |")


if __name__ == "__main__":
    main()
