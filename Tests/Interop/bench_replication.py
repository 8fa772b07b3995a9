"""Replication benchmark (issues 6 and 22): peer-bench against a three-broker cluster with replication factor 3
(beside Tansu, peer-bench's single-broker peer, in the same invocation) and against one SwiftKafka broker with
replication factor 1; then the linger-0 latency run (a paced producer, one record per request, acks=all) at 2k, 5k
and 10k msg/s on both, with the brokers' CPU-µs per request. Prints each figure, the replicated/unreplicated ratio,
the CPU-seconds per GB of payload of each broker and each broker's RSS. A benchmark, not a test: run it through
scripts/bench-replication (release broker).

On a virtual machine whose kernel hands free pages back to the hypervisor (free page reporting, virtio-balloon), the
first write into such a page, page cache included, faults on the host: here ~2.4 CPU-s per GB of fresh page cache
against ~0.45 warm (`dd` of 3 GB), which the replicated runs (three copies of every byte) pay three times and the
unreplicated ones, running right after the replicated cluster freed its pages, hardly at all. The state is printed;
HOLD_PAGE_REPORTING=1 (root) stops the reporting for the invocation, touches the free memory once so the host backs
it, and restores the setting at the end, so that both sides run on memory the host has backed, as on a machine
without a balloon."""
import json
import os
import re
import subprocess
import sys
import time

from confluent_kafka.admin import AdminClient, NewTopic

from replication_harness import Cluster

PEER_BENCH = os.path.join(os.path.dirname(__file__), "../../../shared/bench/peer-bench")
SCENARIOS = os.environ.get("SCENARIOS", "produce-1KiB-6p-acksall,produce-100B-6p-acksall,produce-1KiB-6p-acks1,"
                                        "produce-100B-6p-acks1,rtt-100B-sync-acksall,latency-100B-1p-10k/s-linger5")
PACED_RATES = [int(r) for r in os.environ.get("PACED_RATES", "2000,5000,10000").split(",") if r]
PACED_SECONDS = 5
LINE = re.compile(r"^(\S+)\s+(\S+)\s+n=\s*([\d,]+)\s+([\d,]+) msg/s(?:.*?p99 ([\d.]+) ms)?")
PROPERTIES = {"log.segment.bytes": str(1 << 30), "zookeeper.session.timeout.ms": "18000"}
TICKS = os.sysconf("SC_CLK_TCK")
PAGE_REPORTING = "/sys/module/page_reporting/parameters"
NO_REPORTING_ORDER = "11"  # above the buddy allocator's largest order (10 on x86-64): no free block qualifies

# The paced producer (peer-bench's method): sleeps between sends, a second thread serves the delivery reports;
# latency is produce() to delivery report, per record.
PACED = r"""
import json, sys, threading, time
from confluent_kafka import Producer
bs, topic, n, rate = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
p = Producer({"bootstrap.servers": bs, "acks": "all", "linger.ms": 0})
lat, errs = [], [0]
def dr(err, msg, t0):
    if err is None: lat.append(time.perf_counter() - t0)
    else: errs[0] += 1
p.list_topics(topic, timeout=10)
done = threading.Event()
def poller():
    while not done.is_set(): p.poll(0.05)
th = threading.Thread(target=poller, daemon=True); th.start()
start = time.perf_counter()
for i in range(n):
    d = start + i / rate - time.perf_counter()
    if d > 0: time.sleep(d)
    t0 = time.perf_counter()
    p.produce(topic, b"x" * 100, partition=0, on_delivery=lambda e, m, t0=t0: dr(e, m, t0))
p.flush(120); done.set(); th.join()
el = time.perf_counter() - start
lat.sort()
q = lambda f: round(lat[min(len(lat) - 1, int(f * len(lat)))] * 1000, 2) if lat else None
print(json.dumps(dict(msgs=len(lat), errors=errs[0], msg_s=int(len(lat) / el), p50=q(0.5), p99=q(0.99))))
"""


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def rss_mib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def payload_bytes(scenario, count):
    size = 1024 if "1KiB" in scenario else 100
    return count * size


def bench(cluster, replication, name, runs, with_tansu):
    """Runs peer-bench once per scenario; returns {(target, scenario): figures} where figures has msg/s, p99 ms and,
    for SwiftKafka, each broker's CPU-seconds per GB of payload."""
    pids = {broker_id: b.process.pid for broker_id, b in cluster.brokers.items()}
    figures = {}
    for scenario in SCENARIOS.split(","):
        command = [PEER_BENCH, "--bootstrap", cluster.bootstrap, "--no-compat", "--replication-factor",
                   str(replication), "--scenarios", scenario, "--runs", str(runs), "--target-name", name]
        if not with_tansu:
            command.append("--skip-tansu")
        for pid in pids.values():
            command += ["--broker-pid", str(pid)]
        # The earlier scenarios' dirty pages (gigabytes with three replicas on this one disk) are written back first,
        # so each scenario starts with the kernel's writeback behind it (within a scenario its runs follow each other
        # as peer-bench runs them).
        os.sync()
        time.sleep(1)
        before = {broker_id: cpu_seconds(pid) for broker_id, pid in pids.items()}
        print("$ " + " ".join(command), flush=True)
        output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
        after = {broker_id: cpu_seconds(pid) for broker_id, pid in pids.items()}
        print(output, flush=True)
        for line in output.splitlines():
            match = LINE.match(line)
            if not match:
                continue
            target, count = match[1], int(match[3].replace(",", ""))
            entry = {"msg_s": int(match[4].replace(",", "")), "p99": match[5] and float(match[5])}
            if target == name:
                # CPU over every run of the scenario (peer-bench's topic setup included), per GB of all runs' payload.
                gigabytes = payload_bytes(scenario, count) * runs / 1e9
                entry["cpu_per_gb"] = {b: round((after[b] - before[b]) / gigabytes, 2) for b in pids}
            figures[(target, scenario)] = entry
    for rate in PACED_RATES:
        figures[(name, f"paced-linger0-{rate // 1000}k/s")] = paced(cluster, replication, rate)
    figures[(name, "rss")] = {b: round(rss_mib(pid)) for b, pid in pids.items()}
    return figures


def paced(cluster, replication, rate):
    """One record per request (linger 0, acks=all) at `rate` msg/s for PACED_SECONDS on a new one-partition topic.
    The page cache's dirty pages (gigabytes after the throughput runs) are written back first, so the kernel's
    writeback does not run inside the latency figures. Also returns the brokers' CPU-µs per acknowledged record
    (one record per request: per acks=all request), summed over brokers."""
    topic = f"paced-{rate}-rf{replication}"
    admin = AdminClient({"bootstrap.servers": cluster.bootstrap})
    admin.create_topics([NewTopic(topic, 1, replication)])[topic].result(30)
    os.sync()
    time.sleep(1)
    pids = [broker.process.pid for broker in cluster.brokers.values()]
    before = sum(cpu_seconds(pid) for pid in pids)
    python = sys.executable
    result = subprocess.run([python, "-c", PACED, cluster.bootstrap, topic, str(rate * PACED_SECONDS), str(rate)],
                            check=True, capture_output=True, text=True, timeout=600)
    spent = sum(cpu_seconds(pid) for pid in pids) - before
    figures = json.loads(result.stdout.strip().splitlines()[-1])
    figures["cpu_us"] = round(spent * 1e6 / max(figures["msgs"], 1))
    print(f"paced linger 0, RF {replication}, {rate:,} msg/s asked: {figures}", flush=True)
    return {"msg_s": figures["msg_s"], "p50": figures["p50"], "p99": figures["p99"], "errors": figures["errors"],
            "cpu_us": figures["cpu_us"]}


def page_reporting(name):
    try:
        with open(f"{PAGE_REPORTING}/{name}") as f:
            return int(f.read())
    except (OSError, ValueError):
        return None


def hold_page_reporting():
    """Stops free page reporting (`NO_REPORTING_ORDER`) and touches all but 2 GiB of the available memory once, so the host backs it; returns how to restore the order."""
    order = page_reporting("page_reporting_order")

    def restore():
        with open(f"{PAGE_REPORTING}/page_reporting_order", "w") as f:
            f.write(str(order))
        print(f"free page reporting restored (order {order})", flush=True)

    with open(f"{PAGE_REPORTING}/page_reporting_order", "w") as f:
        f.write(NO_REPORTING_ORDER)
    try:
        with open("/proc/meminfo") as f:
            available = next(int(line.split()[1]) * 1024 for line in f if line.startswith("MemAvailable:"))
        size = max(available - (2 << 30), 0)
        started = time.monotonic()
        subprocess.run([sys.executable, "-c", "import mmap, sys\nn = int(sys.argv[1])\nm = mmap.mmap(-1, n)\n"
                        "for i in range(0, n, 4096): m[i] = 1", str(size)], check=True)
    except BaseException:
        restore()
        raise
    print(f"free page reporting held (order {order} -> {NO_REPORTING_ORDER}); {size / 2**30:.1f} GiB touched in "
          f"{time.monotonic() - started:.0f} s", flush=True)
    return restore


def main():
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 3
    reported = page_reporting("reported_kib")  # this VM kernel's count; absent from upstream kernels
    order = page_reporting("page_reporting_order")
    restore = None
    if order is None:
        print("free page reporting: none in this kernel", flush=True)
    elif os.environ.get("HOLD_PAGE_REPORTING") == "1":
        restore = hold_page_reporting()
    else:
        print(f"free page reporting: on (order {order}); freed memory goes back to the hypervisor and fresh page "
              "cache costs host faults (HOLD_PAGE_REPORTING=1 holds it)", flush=True)
    try:
        figures = measure(runs)
    finally:
        if restore:
            restore()
    if reported is not None:
        print(f"memory handed back to the hypervisor during the invocation: "
              f"{(page_reporting('reported_kib') - reported) / 2**20:.1f} GiB")
    report(figures)


def measure(runs):
    figures = {}
    cluster = Cluster(PROPERTIES)
    try:
        figures.update(bench(cluster, 3, "rf3", runs, with_tansu=True))
    finally:
        cluster.close()
    single = Cluster(PROPERTIES, broker_ids=(1,))
    try:
        figures.update(bench(single, 1, "rf1", runs, with_tansu=False))
    finally:
        single.close()
    return figures


def report(figures):
    print(f"\n{'scenario':34} {'3 brokers RF 3':>16} {'1 broker RF 1':>16} {'ratio':>7} {'Tansu':>12}")
    for scenario in SCENARIOS.split(","):
        rf3, rf1, tansu = (figures.get((target, scenario)) for target in ("rf3", "rf1", "tansu"))
        if not rf3 or not rf1:
            continue
        if scenario.startswith(("latency", "rtt")):
            print(f"{scenario:34} {'p99 %.2f ms' % rf3['p99']:>16} {'p99 %.2f ms' % rf1['p99']:>16} {'':>7} "
                  f"{('p99 %.2f ms' % tansu['p99']) if tansu else '-':>12}")
        else:
            print(f"{scenario:34} {rf3['msg_s']:>12,} msg/s {rf1['msg_s']:>12,} msg/s "
                  f"{rf3['msg_s'] / rf1['msg_s']:>6.0%} {format(tansu['msg_s'], ',') if tansu else '-':>12}")
    for rate in PACED_RATES:
        scenario = f"paced-linger0-{rate // 1000}k/s"
        rf3, rf1 = figures[("rf3", scenario)], figures[("rf1", scenario)]
        print(f"{scenario:34} {'%s/s p99 %s ms' % (format(rf3['msg_s'], ','), rf3['p99']):>16} "
              f"{'%s/s p99 %s ms' % (format(rf1['msg_s'], ','), rf1['p99']):>16}"
              f"   CPU-µs per request (all brokers): RF 3 {rf3['cpu_us']}, RF 1 {rf1['cpu_us']}")
    print("\nCPU-seconds per GB of payload, per broker (sum)")
    for scenario in (s for s in SCENARIOS.split(",") if s.startswith("produce")):
        sums = {}
        for target in ("rf3", "rf1"):
            per = figures.get((target, scenario), {}).get("cpu_per_gb")
            if per:
                sums[target] = sum(per.values())
                print(f"{scenario:34} {target}: " + " ".join(f"broker {b} {v:.2f}" for b, v in per.items())
                      + f"  (sum {sums[target]:.2f})")
        if len(sums) == 2:
            print(f"{scenario:34} RF 3 / RF 1: {sums['rf3'] / sums['rf1']:.1f}x")
    for target in ("rf3", "rf1"):
        print(f"RSS at the end, {target}: " + " ".join(f"broker {b} {v} MiB" for b, v in figures[(target, "rss")].items()))
    with open(os.environ.get("BENCH_JSON", "/tmp/bench-replication.json"), "w") as f:
        json.dump({f"{t}/{s}": v for (t, s), v in figures.items()}, f, indent=1)


if __name__ == "__main__":
    main()
