"""A live mutation fuzzer against a running broker (issue 15 item 8, reliability.md test 25's companion): while an
idempotent acks=all producer writes, other connections send the golden client captures mutated (bits flipped,
bytes set, cut, grown, spliced, versions and sizes changed) and read what comes back. The broker must stay up and
keep serving, and the producer must lose nothing: every acknowledged message is read back at its offset.

SWIFTKAFKA_LIVE_FUZZ_SECONDS sets how long the fuzzing runs (12 s by default; the long run is 600)."""
import glob
import os
import random
import socket
import struct
import threading
import time

import pytest
from confluent_kafka import Consumer, Producer, TopicPartition

from conftest import single_broker, wait_for

SECONDS = float(os.environ.get("SWIFTKAFKA_LIVE_FUZZ_SECONDS", "12"))
GOLDEN = os.path.join(os.path.dirname(__file__), "../KafkaProtocolTests/Fixtures/golden")
# Requests an unauthenticated client may legitimately use to remove data (Kafka 2.8 without an authorizer obeys
# them too): a mutation never turns a frame into one of these, so a loss can only be the broker's fault.
DESTRUCTIVE = {4, 5, 6, 7, 20, 21, 43, 45}


def golden_frames():
    frames = []
    for path in sorted(glob.glob(f"{GOLDEN}/*.txt")):
        for line in open(path):
            frames.append(bytes.fromhex(line.split()[2]))
    return frames


def mutate(frame, rng):
    data = bytearray(frame)
    for _ in range(rng.randint(1, 6)):
        choice = rng.randrange(8)
        index = rng.randrange(len(data)) if data else 0
        if choice == 0 and data:
            data[index] ^= 1 << rng.randrange(8)
        elif choice == 1 and data:
            data[index] = rng.choice([0x00, 0x7F, 0x80, 0xFF])
        elif choice == 2:
            del data[rng.randrange(len(data) + 1):]
        elif choice == 3:
            data[index:index] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 64)))
        elif choice == 4 and len(data) > 8:
            start = rng.randrange(len(data) - 4)
            data[index:index] = data[start:start + rng.randint(1, 32)]
        elif choice == 5 and len(data) >= 4:
            data[2:4] = struct.pack(">h", rng.choice([-1, 0, 1, 3, 7, 12, 13, 99, 0x7FFF]))  # the API version
        elif choice == 6 and len(data) >= 4:
            position = rng.randrange(len(data) - 3)
            data[position:position + 4] = struct.pack(">i", rng.choice([-1, 0, 1, 0x7FFFFFFF, -0x80000000, 1 << 20]))
        elif choice == 7 and len(data) >= 2:
            data[0:2] = struct.pack(">h", rng.choice([k for k in range(0, 62) if k not in DESTRUCTIVE] + [-1, 999]))
    if len(data) >= 2 and struct.unpack(">h", bytes(data[0:2]))[0] in DESTRUCTIVE:
        data[0:2] = struct.pack(">h", 18)
    return bytes(data)


class Fuzzer(threading.Thread):
    def __init__(self, port, frames, seed, deadline):
        super().__init__(daemon=True)
        self.port, self.frames, self.rng, self.deadline = port, frames, random.Random(seed), deadline
        self.sent = self.answered = self.closed = self.refused = 0

    def run(self):
        while time.time() < self.deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1) as connection:
                    connection.settimeout(0.3)
                    for _ in range(self.rng.randint(1, 4)):
                        body = mutate(self.rng.choice(self.frames), self.rng)
                        size = len(body) if self.rng.random() < 0.9 else self.rng.choice([0, len(body) + 7, -5])
                        connection.sendall(struct.pack(">i", size) + body)
                        self.sent += 1
                        try:
                            answer = connection.recv(65536)
                        except socket.timeout:
                            continue
                        if not answer:
                            self.closed += 1
                            break
                        self.answered += 1
            except ConnectionRefusedError:
                self.refused += 1  # the broker is not listening: it is down, which the test reports
                time.sleep(0.1)
            except OSError:
                self.closed += 1


@pytest.fixture
def broker():
    yield from single_broker({"auto.create.topics.enable": "true"})


def test_mutated_client_requests_never_stop_the_broker_or_lose_a_message(broker):
    frames = golden_frames()
    acked, failed = {}, []
    producer = Producer({"bootstrap.servers": broker.bootstrap, "acks": "all", "enable.idempotence": True,
                         "linger.ms": 5})

    def delivered(error, message):
        if error is None:
            acked[message.value().decode()] = message.offset()
        else:
            failed.append(error)

    deadline = time.time() + SECONDS
    fuzzers = [Fuzzer(broker.port, frames, seed, deadline) for seed in range(3)]
    for fuzzer in fuzzers:
        fuzzer.start()
    sent = 0
    while time.time() < deadline:
        producer.produce("steady", value=str(sent).encode(), partition=0, on_delivery=delivered)
        sent += 1
        producer.poll(0.001)
        assert broker.process.poll() is None, f"the broker exited ({broker.process.returncode}) under fuzzing"
    for fuzzer in fuzzers:
        fuzzer.join(10)
    assert producer.flush(60) == 0
    assert broker.process.poll() is None, "the broker exited under fuzzing"
    requests = sum(f.sent for f in fuzzers)
    print(f"live fuzzing {SECONDS:.0f} s: {requests} mutated requests, {sum(f.answered for f in fuzzers)} answered,"
          f" {sum(f.closed for f in fuzzers)} connections closed by the broker; producer {sent} sent,"
          f" {len(acked)} acknowledged, {len(failed)} failed")
    assert sum(f.refused for f in fuzzers) == 0, "the broker stopped listening"
    assert requests > 100 * SECONDS / 20
    assert not failed, failed[:5]
    assert len(acked) == sent

    # Every acknowledged message, at its offset.
    consumer = Consumer({"bootstrap.servers": broker.bootstrap, "group.id": "live-fuzz-check",
                         "enable.auto.commit": False})
    consumer.assign([TopicPartition("steady", 0, 0)])
    found = {}
    try:
        wait_for(lambda: [found.__setitem__(m.value().decode(), m.offset())
                          for m in consumer.consume(5000, timeout=0.5) if m.error() is None] is not None
                 and len(found) >= len(acked), 120, "every acknowledged message")
    finally:
        consumer.close()
    missing = [value for value, offset in acked.items() if found.get(value) != offset]
    assert not missing, f"{len(missing)} acknowledged messages missing or moved, e.g. {missing[:5]}"
