#!/usr/bin/env python3
"""Captures golden request bytes from real Kafka clients, once; the fixtures are committed.

Each client talks to librdkafka's mock broker (hosted by confluent-kafka in this process) while tcpdump records
the loopback traffic; the client-to-broker stream of every connection is cut into request frames, written as
one line per frame: "<ApiKey> v<version> <hex of the frame without its size prefix>".

Run (as root, with kcat, tcpdump and a venv holding confluent-kafka 2.16.1, kafka-python 3.0.12,
aiokafka 0.14.0 and the codec packages lz4, python-snappy, zstandard, cramjam):
    python capture.py golden/
kafka-python is pinned to api_version=(2, 3): the mock answers ApiVersions v3 with a flexible error body that
kafka-python cannot read (reference/protocol.md §1), and (2, 3) makes it ask with v2.
Every scenario produces the same three records to topic "golden": key "key-<i>", value "value-<i>", header
("trace", "golden"); the tests check exactly that. Everything goes to partition 0: librdkafka sends a batch
uncompressed when compressing does not make it smaller, which happens to one-record batches spread over partitions.
"""
import asyncio
import os
import struct
import subprocess
import sys
import time

import confluent_kafka

API_NAMES = {0: "Produce", 1: "Fetch", 2: "ListOffsets", 3: "Metadata", 8: "OffsetCommit", 9: "OffsetFetch",
             10: "FindCoordinator", 11: "JoinGroup", 12: "Heartbeat", 13: "LeaveGroup", 14: "SyncGroup",
             18: "ApiVersions", 19: "CreateTopics", 22: "InitProducerId"}
RECORDS = [(f"key-{i}", f"value-{i}") for i in range(3)]
HEADERS = [("trace", b"golden")]


def read_pcap(path):
    """Client-to-server payloads per connection (keyed by client port), reassembled by sequence number."""
    with open(path, "rb") as f:
        data = f.read()
    magic = struct.unpack("<I", data[:4])[0]
    endian = "<" if magic in (0xA1B2C3D4, 0xA1B23C4D) else ">"
    linktype = struct.unpack(endian + "I", data[20:24])[0]
    offset = 24
    streams = {}
    while offset + 16 <= len(data):
        _, _, caplen, _ = struct.unpack(endian + "IIII", data[offset:offset + 16])
        packet = data[offset + 16:offset + 16 + caplen]
        offset += 16 + caplen
        link = 14 if linktype == 1 else 16 if linktype == 113 else 0
        ip = packet[link:]
        if len(ip) < 20 or ip[0] >> 4 != 4 or ip[9] != 6:
            continue
        ihl = (ip[0] & 0xF) * 4
        total = struct.unpack(">H", ip[2:4])[0]
        tcp = ip[ihl:total]
        sport, dport, seq = struct.unpack(">HHI", tcp[:8])
        payload = tcp[(tcp[12] >> 4) * 4:]
        if payload:
            streams.setdefault((sport, dport), {})[seq] = payload
    return streams


def frames(stream):
    data = b"".join(payload for _, payload in sorted(stream.items()))
    offset = 0
    while offset + 4 <= len(data):
        size = struct.unpack(">i", data[offset:offset + 4])[0]
        if offset + 4 + size > len(data):
            break
        yield data[offset + 4:offset + 4 + size]
        offset += 4 + size


def capture(name, port, action, out_dir):
    pcap = f"/tmp/golden-{name}.pcap"
    dump = subprocess.Popen(["tcpdump", "-i", "lo", "-U", "-s", "0", "-w", pcap, f"tcp port {port}"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(1.0)
    try:
        action()
    finally:
        time.sleep(1.0)
        dump.terminate()
        dump.wait()
    lines = []
    for (sport, dport), stream in sorted(read_pcap(pcap).items()):
        if dport != port:
            continue
        for frame in frames(stream):
            key, version = struct.unpack(">hh", frame[:4])
            lines.append(f"{API_NAMES.get(key, key)} v{version} {frame.hex()}")
    os.remove(pcap)
    with open(os.path.join(out_dir, f"{name}.txt"), "w") as f:
        f.write("\n".join(lines) + "\n")
    print(f"{name}: {len(lines)} frames")


def kcat_produce(bootstrap, codec, idempotent=False):
    def run():
        payload = "".join(f"{k}\t{v}\n" for k, v in RECORDS)
        args = ["kcat", "-b", bootstrap, "-P", "-t", "golden", "-p", "0", "-K", "\t", "-z", codec, "-H", "trace=golden"]
        if idempotent:
            args += ["-X", "enable.idempotence=true"]
        subprocess.run(args, input=payload.encode(), check=True, timeout=30)
    return run


def kcat_consume(bootstrap):
    def run():
        subprocess.run(["kcat", "-b", bootstrap, "-C", "-t", "golden", "-p", "0", "-o", "beginning", "-e"],
                       check=True, timeout=30, stdout=subprocess.DEVNULL)
    return run


def confluent_produce(bootstrap, codec):
    def run():
        producer = confluent_kafka.Producer({"bootstrap.servers": bootstrap, "compression.type": codec,
                                             "enable.idempotence": True, "linger.ms": 50})
        for key, value in RECORDS:
            producer.produce("golden", key=key, value=value, headers=HEADERS, partition=0)
        assert producer.flush(30) == 0
    return run


def confluent_group(bootstrap):
    def run():
        consumer = confluent_kafka.Consumer({"bootstrap.servers": bootstrap, "group.id": "golden-group",
                                             "auto.offset.reset": "earliest", "enable.auto.commit": False})
        consumer.subscribe(["golden"])
        seen = 0
        deadline = time.time() + 30
        while seen < 3 and time.time() < deadline:
            message = consumer.poll(1.0)
            if message is not None and not message.error():
                seen += 1
        consumer.commit(asynchronous=False)
        consumer.close()
    return run


def kafka_python_produce(bootstrap, codec):
    def run():
        from kafka import KafkaProducer
        producer = KafkaProducer(bootstrap_servers=bootstrap, compression_type=None if codec == "none" else codec,
                                 api_version=(2, 3), linger_ms=50)
        for key, value in RECORDS:
            producer.send("golden", key=key.encode(), value=value.encode(), headers=HEADERS, partition=0)
        producer.flush(30)
        producer.close()
    return run


def aiokafka_produce(bootstrap, codec):
    def run():
        from aiokafka import AIOKafkaProducer

        async def main():
            producer = AIOKafkaProducer(bootstrap_servers=bootstrap,
                                        compression_type=None if codec == "none" else codec,
                                        enable_idempotence=True, linger_ms=50)
            await producer.start()
            try:
                batch = producer.create_batch()
                for key, value in RECORDS:
                    batch.append(key=key.encode(), value=value.encode(), timestamp=None, headers=HEADERS)
                await (await producer.send_batch(batch, "golden", partition=0))
            finally:
                await producer.stop()
        asyncio.run(main())
    return run


def aiokafka_group(bootstrap):
    def run():
        from aiokafka import AIOKafkaConsumer

        async def main():
            consumer = AIOKafkaConsumer("golden", bootstrap_servers=bootstrap, group_id="golden-aio",
                                        auto_offset_reset="earliest", enable_auto_commit=False)
            await consumer.start()
            try:
                seen = 0
                while seen < 3:
                    batches = await consumer.getmany(timeout_ms=1000)
                    seen += sum(len(records) for records in batches.values())
                await consumer.commit()
            finally:
                await consumer.stop()
        asyncio.run(main())
    return run


def main():
    out_dir = sys.argv[1]
    os.makedirs(out_dir, exist_ok=True)
    mock = confluent_kafka.Producer({"test.mock.num.brokers": 1})
    broker = next(iter(mock.list_topics(timeout=10).brokers.values()))
    bootstrap, port = f"{broker.host}:{broker.port}", broker.port
    mock.list_topics("golden", timeout=10)  # the mock creates the topic on first mention
    codecs = ["none", "gzip", "snappy", "lz4", "zstd"]
    for codec in codecs:
        capture(f"kcat-produce-{codec}", port, kcat_produce(bootstrap, codec), out_dir)
    capture("kcat-produce-idempotent-lz4", port, kcat_produce(bootstrap, "lz4", idempotent=True), out_dir)
    capture("kcat-consume", port, kcat_consume(bootstrap), out_dir)
    for codec in codecs:
        capture(f"confluent-produce-{codec}", port, confluent_produce(bootstrap, codec), out_dir)
    capture("confluent-group", port, confluent_group(bootstrap), out_dir)
    for codec in codecs:
        capture(f"kafka-python-produce-{codec}", port, kafka_python_produce(bootstrap, codec), out_dir)
    for codec in codecs:
        capture(f"aiokafka-produce-{codec}", port, aiokafka_produce(bootstrap, codec), out_dir)
    capture("aiokafka-group", port, aiokafka_group(bootstrap), out_dir)


if __name__ == "__main__":
    main()
