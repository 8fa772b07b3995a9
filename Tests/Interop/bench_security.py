"""Security benchmark (not a test), issue 17's "Measure": on one release broker with PLAINTEXT, SSL, SASL_PLAINTEXT
(SCRAM-SHA-256) and SASL_SSL (SCRAM-SHA-256) listeners, in one run:

- produce and consume throughput of 1 KiB records per listener with librdkafka's C load generator
  (`rdkafka_performance`, as peer-bench builds it, against the librdkafka 2.16 of the confluent-kafka wheel), the
  broker's CPU seconds beside each run, and each listener's ratio to PLAINTEXT;
- the cost of a new connection: 1,000 connections made one after another, each with its TLS handshake and SCRAM
  exchange (SaslHandshake v1, two SaslAuthenticate) or, on PLAINTEXT, an ApiVersions request: wall time per
  connection (p50/p99, as the client sees it) and the broker's CPU per connection.

Run through scripts/bench-security."""
import argparse
import base64
import hashlib
import hmac
import os
import re
import secrets
import socket
import ssl
import statistics
import struct
import subprocess
import tempfile
import time

from kazoo.client import KazooClient

from bench_schema_registry import cpu_seconds
from conftest import free_port, single_broker
from security_harness import Certificates, set_scram_user

PASSWORD = "bench-password"
PROD_RE = re.compile(r"(\d+) msgs/s and ([\d.]+) MB/s")
CONS_RE = re.compile(r"(\d+) msgs/s \(([\d.]+) MB/s\)")


def client_settings(listener, certificates):
    settings = []
    if listener in ("SSL", "SASL_SSL"):
        settings += [f"ssl.ca.location={certificates.ca}"]
    if listener.startswith("SASL"):
        settings += ["sasl.mechanisms=SCRAM-SHA-256", "sasl.username=bench", f"sasl.password={PASSWORD}"]
    return [f"security.protocol={listener.lower()}"] + settings


def performance(tool, libdir, args, settings):
    command = [tool, *args]
    for setting in settings:
        command += ["-X", setting]
    out = subprocess.run(command, capture_output=True, text=True, timeout=600,
                         env=dict(os.environ, LD_LIBRARY_PATH=libdir))
    return out.stdout + out.stderr


def throughput(broker, tool, libdir, listener, certificates, count):
    topic = f"bench-{listener.lower()}-{secrets.token_hex(3)}"
    settings = client_settings(listener, certificates)
    bootstrap = f"127.0.0.1:{broker.ports[listener]}"
    before = cpu_seconds(broker.process.pid)
    # peer-bench's produce and consume scenarios, with the listener's security settings added.
    produced = performance(tool, libdir, ["-P", "-t", topic, "-b", bootstrap, "-s", "1024", "-c", str(count), "-p", "0",
                                          "-X", "acks=1", "-X", "linger.ms=5", "-X", "batch.size=1000000",
                                          "-X", "batch.num.messages=100000", "-X", "compression.codec=none"], settings)
    produce_cpu = cpu_seconds(broker.process.pid) - before
    match = PROD_RE.findall(produced)
    before = cpu_seconds(broker.process.pid)
    consumed = performance(tool, libdir, ["-C", "-t", topic, "-b", bootstrap, "-o", "beginning", "-c", str(count),
                                          "-p", "0"], settings)
    consume_cpu = cpu_seconds(broker.process.pid) - before
    consumed_match = CONS_RE.findall(consumed)
    if not match or not consumed_match:
        raise SystemExit(f"rdkafka_performance failed on {listener}:\n{produced[-2000:]}\n{consumed[-2000:]}")
    return int(match[-1][0]), produce_cpu, int(consumed_match[-1][0]), consume_cpu


def read_frame(sock):
    def exactly(n):
        data = b""
        while len(data) < n:
            chunk = sock.recv(n - len(data))
            if not chunk:
                raise ConnectionError("closed")
            data += chunk
        return data
    return exactly(struct.unpack(">i", exactly(4))[0])


def request(sock, api_key, version, body, correlation=1):
    header = struct.pack(">hhi", api_key, version, correlation) + struct.pack(">h", 5) + b"bench"
    sock.sendall(struct.pack(">i", len(header) + len(body)) + header + body)
    return read_frame(sock)[4:]


def scram_exchange(sock):
    """SaslHandshake v1 and SCRAM-SHA-256 over SaslAuthenticate v1, as a client does it."""
    mechanism = b"SCRAM-SHA-256"
    assert request(sock, 17, 1, struct.pack(">h", len(mechanism)) + mechanism)[:2] == b"\x00\x00"
    nonce = secrets.token_hex(12)
    first_bare = f"n=bench,r={nonce}"
    answer = request(sock, 36, 1, struct.pack(">i", len(first_bare) + 3) + b"n,," + first_bare.encode())
    assert answer[:2] == b"\x00\x00", answer
    (message_length,) = struct.unpack(">h", answer[2:4])
    offset = 4 + max(message_length, 0)
    (length,) = struct.unpack(">i", answer[offset:offset + 4])
    server_first = answer[offset + 4:offset + 4 + length].decode()
    fields = dict(item.split("=", 1) for item in server_first.split(","))
    salted = hashlib.pbkdf2_hmac("sha256", PASSWORD.encode(), base64.b64decode(fields["s"]), int(fields["i"]))
    client_key = hmac.new(salted, b"Client Key", "sha256").digest()
    without_proof = f"c=biws,r={fields['r']}"
    auth_message = f"{first_bare},{server_first},{without_proof}".encode()
    signature = hmac.new(hashlib.sha256(client_key).digest(), auth_message, "sha256").digest()
    proof = base64.b64encode(bytes(a ^ b for a, b in zip(client_key, signature))).decode()
    final = f"{without_proof},p={proof}".encode()
    assert request(sock, 36, 1, struct.pack(">i", len(final)) + final)[:2] == b"\x00\x00"


def connections(broker, listener, certificates, count):
    context = ssl.create_default_context(cafile=certificates.ca)
    times = []
    before = cpu_seconds(broker.process.pid)
    for _ in range(count):
        start = time.perf_counter()
        sock = socket.create_connection(("127.0.0.1", broker.ports[listener]))
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # as Kafka clients do
        if listener in ("SSL", "SASL_SSL"):
            sock = context.wrap_socket(sock, server_hostname="localhost")
        if listener.startswith("SASL"):
            scram_exchange(sock)
        else:
            assert request(sock, 18, 0, b"")[:2] == b"\x00\x00"
        times.append((time.perf_counter() - start) * 1000)
        sock.close()
    cpu = cpu_seconds(broker.process.pid) - before
    times.sort()
    return times[len(times) // 2], times[int(len(times) * 0.99)], cpu / count * 1000


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--connections", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=3, help="throughput runs per listener (medians shown)")
    parser.add_argument("--tool", default="/tmp/peer-bench/bin/rdkafka_performance")
    parser.add_argument("--libdir", default="/tmp/peer-bench/lib")
    args = parser.parse_args()
    directory = tempfile.mkdtemp(prefix="swiftkafka-bench-security-")
    certificates = Certificates(f"{directory}/certs")
    listeners = ["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"]
    ports = {name: free_port() for name in listeners}
    properties = {
        "listeners": ",".join(f"{name}://127.0.0.1:{port}" for name, port in ports.items()),
        "inter.broker.listener.name": "PLAINTEXT",
        "sasl.enabled.mechanisms": "SCRAM-SHA-256",
        "ssl.keystore.type": "PEM", "ssl.keystore.location": certificates.broker["pem"],
        "num.partitions": "1",
    }
    for broker in single_broker(properties):
        broker.ports = ports
        zk = KazooClient(hosts=broker.zookeeper.connect, timeout=10)
        zk.start()
        set_scram_user(zk, "bench", PASSWORD, ["SCRAM-SHA-256"])
        zk.stop()
        time.sleep(1)
        print(f"{args.records:,} records of 1 KiB per run (one partition, acks=1), median of {args.runs} runs with "
              "the listeners interleaved; rdkafka_performance (librdkafka 2.16); release broker")
        print("| listener | produce msg/s | × PLAINTEXT | broker CPU s | consume msg/s | × PLAINTEXT | broker CPU s |")
        print("|---|---|---|---|---|---|---|")
        results = {listener: [] for listener in listeners}
        for _ in range(args.runs):
            for listener in listeners:
                results[listener].append(throughput(broker, args.tool, args.libdir, listener, certificates,
                                                    args.records))
        medians = {listener: [statistics.median(run[i] for run in runs) for i in range(4)]
                   for listener, runs in results.items()}
        base = medians["PLAINTEXT"]
        for listener in listeners:
            produce, produce_cpu, consume, consume_cpu = medians[listener]
            print(f"| {listener} | {produce:,.0f} | {produce / base[0]:.2f} | {produce_cpu:.1f} | {consume:,.0f} | "
                  f"{consume / base[2]:.2f} | {consume_cpu:.1f} |")
        print(f"\n{args.connections:,} new connections, one after another (Python client: TLS handshake, then "
              "SaslHandshake + SCRAM-SHA-256, or ApiVersions on PLAINTEXT)")
        print("| listener | p50 ms | p99 ms | broker CPU ms per connection |")
        print("|---|---|---|---|")
        for listener in listeners:
            p50, p99, cpu = connections(broker, listener, certificates, args.connections)
            print(f"| {listener} | {p50:.2f} | {p99:.2f} | {cpu:.2f} |")


if __name__ == "__main__":
    main()
