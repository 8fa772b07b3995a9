"""Fault test 14 (reliability.md B3): degraded links between brokers. Every broker has a second listener,
INTERNAL, for inter-broker traffic (`inter.broker.listener.name`), advertised at a userspace proxy that can add
100 ms of delay and hold each direction of a connection to 3 Mbit/s. While workload W and a latency probe run, the
links are degraded for SWIFTKAFKA_DEGRADED_SECONDS (15 by default; reliability.md asks 300): no ISR flaps (at most
one shrink per partition), the probe's p99 acks=all latency is back near its baseline within 10 s of healing, and
checker K finds nothing lost."""
import asyncio
import os
import threading
import time

from confluent_kafka import Producer

from conftest import free_port
from replication_harness import PARTITIONS, Cluster, Workload, check

SECONDS = float(os.environ.get("SWIFTKAFKA_DEGRADED_SECONDS", "15"))
DELAY_S = 0.1
BITS_PER_SECOND = 3_000_000


class DegradingProxy:
    """TCP proxies from each listen port to its target port on 127.0.0.1, in one asyncio loop on a thread of its
    own; while `degraded` is set, every chunk waits DELAY_S and each direction of a connection sends at most
    BITS_PER_SECOND."""

    def __init__(self, routes):
        self.routes, self.degraded = routes, False
        self.loop = asyncio.new_event_loop()
        self.ready = threading.Event()
        threading.Thread(target=self._run, daemon=True).start()
        self.ready.wait(10)

    def _run(self):
        asyncio.set_event_loop(self.loop)
        for listen, target in self.routes.items():
            self.loop.run_until_complete(asyncio.start_server(
                lambda r, w, t=target: self._connection(r, w, t), "127.0.0.1", listen))
        self.ready.set()
        self.loop.run_forever()

    async def _connection(self, reader, writer, target):
        try:
            upstream_reader, upstream_writer = await asyncio.open_connection("127.0.0.1", target)
        except OSError:
            writer.close()
            return
        await asyncio.gather(self._pump(reader, upstream_writer), self._pump(upstream_reader, writer),
                             return_exceptions=True)

    async def _pump(self, source, destination):
        queue = asyncio.Queue()

        async def send():
            while True:
                due, data = await queue.get()
                if data is None:
                    break
                wait = due - self.loop.time()
                if wait > 0:
                    await asyncio.sleep(wait)
                destination.write(data)
                await destination.drain()
                if self.degraded:
                    await asyncio.sleep(len(data) * 8 / BITS_PER_SECOND)

        sender = asyncio.ensure_future(send())
        try:
            while data := await source.read(65536):
                queue.put_nowait((self.loop.time() + (DELAY_S if self.degraded else 0), data))
        finally:
            queue.put_nowait((0, None))
            await sender
            destination.close()

    def stop(self):
        self.loop.call_soon_threadsafe(self.loop.stop)


class LatencyProbe(threading.Thread):
    """One acks=all message every 20 ms to topic `probe` (RF 3), each waited for: (send time, latency in s)."""

    def __init__(self, bootstrap):
        super().__init__(daemon=True)
        self.producer = Producer({"bootstrap.servers": bootstrap, "acks": "all", "linger.ms": 0})
        self.samples, self.stopping = [], threading.Event()

    def run(self):
        while not self.stopping.is_set():
            sent, done = time.time(), []
            self.producer.produce("probe", value=b"probe", on_delivery=lambda e, m: done.append(e))
            while not done:
                self.producer.poll(0.005)
            if done[0] is None:
                self.samples.append((sent, time.time() - sent))
            time.sleep(0.02)

    def p99(self, start, end):
        latencies = sorted(latency for sent, latency in self.samples if start <= sent < end)
        return latencies[int(len(latencies) * 0.99) - 1] if latencies else None


def test_14_degraded_links_between_brokers():
    client, internal, proxied = ({b: free_port() for b in (1, 2, 3)} for _ in range(3))
    per_broker = {b: {
        "listeners": f"PLAINTEXT://127.0.0.1:{client[b]},INTERNAL://127.0.0.1:{internal[b]}",
        "advertised.listeners": f"PLAINTEXT://127.0.0.1:{client[b]},INTERNAL://127.0.0.1:{proxied[b]}",
        "listener.security.protocol.map": "PLAINTEXT:PLAINTEXT,INTERNAL:PLAINTEXT",
        "inter.broker.listener.name": "INTERNAL",
    } for b in (1, 2, 3)}
    proxy = DegradingProxy({proxied[b]: internal[b] for b in (1, 2, 3)})
    cluster = Cluster(per_broker=per_broker)
    probe = None
    try:
        cluster.create_topic()
        cluster.create_topic("probe", partitions=1)
        workload = Workload(cluster, count=int(4000 * (SECONDS + 30)), rate=4000).start()
        probe = LatencyProbe(cluster.bootstrap)
        probe.start()
        time.sleep(8)
        shrinks, last_isr = {p: 0 for p in range(PARTITIONS)}, {p: 3 for p in range(PARTITIONS)}
        degraded_at = time.time()
        proxy.degraded = True
        while time.time() < degraded_at + SECONDS + 10:
            for partition, state in cluster.states().items():
                if len(state["isr"]) < last_isr[partition]:
                    shrinks[partition] += 1
                last_isr[partition] = len(state["isr"])
            if time.time() >= degraded_at + SECONDS:
                proxy.degraded = False
            time.sleep(0.5)
        healed = degraded_at + SECONDS
        time.sleep(max(0.0, healed + 20 - time.time()))
        probe.stopping.set()
        probe.join(30)
        baseline, during = probe.p99(degraded_at - 6, degraded_at), probe.p99(degraded_at + 2, healed)
        after = probe.p99(healed + 10, healed + 20)
        workload.finish()
        figures = check(cluster, workload)
        print(f"test 14: links degraded {SECONDS:.0f} s (+{DELAY_S * 1000:.0f} ms, {BITS_PER_SECOND / 1e6:.0f} Mbit/s): "
              f"ISR shrinks per partition {shrinks}; probe p99 {baseline * 1000:.1f} ms before, "
              f"{during * 1000:.1f} ms during, {after * 1000:.1f} ms 10-20 s after healing; {figures}")
        assert max(shrinks.values()) <= 1, "an ISR flapped on slow links"
        assert during > baseline, "the links were not slower (is inter-broker traffic going through the proxy?)"
        assert after <= max(3 * baseline, baseline + 0.03), "latency did not recover within 10 s of healing"
    finally:
        if probe:
            probe.stopping.set()
        cluster.close()
        proxy.stop()
