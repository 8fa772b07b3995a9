"""Bad input against one live broker while a producer writes (reliability.md B7, tests 25 and 26), with exact
figures: how fast each bad socket is closed, the broker's RSS and open descriptors against their baseline, the
exact error code of each bad request, and the log end offset after every refused produce."""
import resource
import socket
import struct
import threading
import time

import pytest
from confluent_kafka import Consumer, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic
from kafka.record.default_records import DefaultRecordBatchBuilder
from kafka.record.util import calc_crc32c

from conftest import single_broker, wait_for

IDLE_MS = 5000
# 1000 idle connections need as many descriptors here and in the broker (which inherits the limit).
_soft, _hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (min(_hard, 65536) if _hard != resource.RLIM_INFINITY else 65536, _hard))


@pytest.fixture(scope="module")
def broker():
    yield from single_broker({"connections.max.idle.ms": str(IDLE_MS)})


def rss_kib(pid):
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1])


def open_fds(pid):
    import os
    return len(os.listdir(f"/proc/{pid}/fd"))


def closed_within(port, data, wait=5.0, shutdown_write=False):
    """Sends `data` on a new connection; returns (seconds until the broker closed it or None, bytes received)."""
    with socket.create_connection(("127.0.0.1", port), timeout=wait) as connection:
        connection.sendall(data)
        if shutdown_write:
            connection.shutdown(socket.SHUT_WR)
        start, received = time.time(), b""
        try:
            while True:
                chunk = connection.recv(65536)
                if not chunk:
                    return time.time() - start, received
                received += chunk
        except socket.timeout:
            return None, received
        except ConnectionResetError:
            return time.time() - start, received


class SteadyProducer(threading.Thread):
    """Workload W in small: an idempotent acks=all producer writing until told to stop."""

    def __init__(self, bootstrap):
        super().__init__(daemon=True)
        self.producer = Producer({"bootstrap.servers": bootstrap, "acks": "all", "enable.idempotence": True,
                                  "linger.ms": 5})
        self.acked, self.failed, self.sent = 0, 0, 0
        self.stopping = threading.Event()

    def delivered(self, error, _):
        if error is None:
            self.acked += 1
        else:
            self.failed += 1

    def run(self):
        while not self.stopping.is_set():
            self.producer.produce("steady", value=str(self.sent).encode(), on_delivery=self.delivered)
            self.sent += 1
            self.producer.poll(0.002)
        self.producer.flush(60)


def test_25_bad_framing_is_closed_fast_and_costs_nothing(broker):
    pid, port = broker.process.pid, broker.port
    writer = SteadyProducer(broker.bootstrap)
    writer.start()
    wait_for(lambda: writer.acked > 500, 30, "the producer to get going")
    rss_before, fds_before = rss_kib(pid), open_fds(pid)
    figures = {}
    for name, data in [("size 0x7fffffff", struct.pack(">i", 0x7FFFFFFF) + b"x" * 10),
                       ("size 200 MiB", struct.pack(">i", 200 << 20) + b"x" * 10),
                       ("negative size", struct.pack(">i", -5)),
                       ("HTTP request", b"GET / HTTP/1.1\r\nHost: broker\r\n\r\n")]:
        seconds, answer = closed_within(port, data)
        figures[name] = seconds
        assert seconds is not None and seconds <= 1.0 and answer == b"", f"{name}: closed after {seconds} s"
    # Half a frame, then the client's end of the stream: the broker closes its side at once.
    seconds, _ = closed_within(port, struct.pack(">i", 100) + b"abc", shutdown_write=True)
    figures["half a frame + EOF"] = seconds
    assert seconds is not None and seconds <= 1.0
    # One byte per second keeps a connection alive, as with Kafka; once the bytes stop it is idle and goes.
    with socket.create_connection(("127.0.0.1", port), timeout=IDLE_MS / 1000 + 5) as slow:
        slow.sendall(struct.pack(">i", 50))
        for _ in range(5):
            time.sleep(1)
            slow.sendall(b"\x00")
        stopped = time.time()
        assert slow.recv(16) == b""
        figures["1 byte/s, then silence (idle timeout 5 s)"] = time.time() - stopped
    assert IDLE_MS / 1000 - 0.5 <= figures["1 byte/s, then silence (idle timeout 5 s)"] <= IDLE_MS / 1000 + 1.5
    # A thousand idle connections: held until connections.max.idle.ms, then every one closed.
    idle = [socket.create_connection(("127.0.0.1", port), timeout=IDLE_MS / 1000 + 10) for _ in range(1000)]
    opened = time.time()
    fds_peak = open_fds(pid)
    while time.time() < opened + 2:
        fds_peak = max(fds_peak, open_fds(pid))
        time.sleep(0.1)
    assert fds_peak >= fds_before + 900, f"the broker held {fds_peak - fds_before} of the idle connections"
    for connection in idle:
        assert connection.recv(16) == b""
    figures["1000 idle connections all closed after (s)"] = time.time() - opened
    for connection in idle:
        connection.close()
    wait_for(lambda: open_fds(pid) <= fds_before + 2, 10, "the broker's descriptors back to their baseline")
    writer.stopping.set()
    writer.join(90)
    rss_after, fds_after = rss_kib(pid), open_fds(pid)
    figures.update({"rss before (KiB)": rss_before, "rss after (KiB)": rss_after, "fds before": fds_before,
                    "fds with 1000 idle": fds_peak, "fds after": fds_after, "producer acked": writer.acked,
                    "producer failed": writer.failed})
    print(f"test 25 figures: {figures}")
    assert broker.process.poll() is None
    assert rss_after - rss_before <= 16 * 1024, "RSS grew by more than 16 MiB"
    assert writer.failed == 0 and writer.acked == writer.sent


def frame(api_key, version, body, correlation_id=11, flexible_header=False):
    header = struct.pack(">hhi", api_key, version, correlation_id) + struct.pack(">h", 4) + b"bad!"
    header += b"\x00" if flexible_header else b""  # header v2's tagged fields
    return struct.pack(">i", len(header) + len(body)) + header + body


def exchange(port, data):
    """The response body to one request, or None when the broker closes the connection instead."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as connection:
        connection.sendall(data)
        received = b""
        while len(received) < 4 or len(received) < 4 + struct.unpack_from(">i", received)[0]:
            chunk = connection.recv(65536)
            if not chunk:
                return None
            received += chunk
        return received[8:]  # size and correlation id


def batch(value=b"v", count=1):
    builder = DefaultRecordBatchBuilder(magic=2, compression_type=0, is_transactional=False, producer_id=-1,
                                        producer_epoch=-1, base_sequence=-1, batch_size=1 << 22)
    for index in range(count):
        builder.append(index, timestamp=int(time.time() * 1000), key=None, value=value, headers=[])
    return bytearray(builder.build())


def with_crc(data):
    data[17:21] = struct.pack(">I", calc_crc32c(bytes(data[21:])))
    return data


def produce_v3(topic, records, acks=-1):
    string = struct.pack(">h", len(topic)) + topic.encode()
    return (struct.pack(">hhi", -1, acks, 30000) + struct.pack(">i", 1) + string + struct.pack(">i", 1)
            + struct.pack(">i", 0) + struct.pack(">i", len(records)) + bytes(records))


def produce_error(body):
    """The error code of the one partition in a Produce v3 response."""
    name_length = struct.unpack_from(">h", body, 4)[0]
    return struct.unpack_from(">h", body, 4 + 2 + name_length + 4 + 4)[0]


def log_end(broker, topic):
    consumer = Consumer({"bootstrap.servers": broker.bootstrap, "group.id": "ends"})
    try:
        return consumer.get_watermark_offsets(TopicPartition(topic, 0), timeout=30)[1]
    finally:
        consumer.close()


def test_26_bad_requests_get_kafkas_exact_answers(broker):
    admin = AdminClient({"bootstrap.servers": broker.bootstrap})
    admin.create_topics([NewTopic("bad", 1, 1)])["bad"].result(30)
    port = broker.port
    assert exchange(port, frame(32767, 0, b"")) is None, "an unknown API key must close the connection"
    answer = exchange(port, frame(18, 127, b"\x00\x00", flexible_header=True))
    assert struct.unpack_from(">h", answer)[0] == 35 and struct.unpack_from(">i", answer, 2)[0] > 0
    assert produce_error(exchange(port, frame(0, 3, produce_v3("bad", batch())))) == 0
    end = log_end(broker, "bad")
    bad_crc = batch()
    bad_crc[-1] ^= 0xFF
    magic_3 = batch()
    magic_3[16] = 3
    count_mismatch = batch(count=2)
    count_mismatch[57:61] = struct.pack(">i", 3)
    codes = {
        "bad CRC": (produce_v3("bad", bad_crc), 2),  # CORRUPT_MESSAGE
        "magic 3": (produce_v3("bad", with_crc(magic_3)), 87),  # INVALID_RECORD, as Kafka 2.8's validateRecords
        "record count mismatch": (produce_v3("bad", with_crc(count_mismatch)), 87),  # INVALID_RECORD
        "batch over max.message.bytes": (produce_v3("bad", batch(value=b"x" * (1100 << 10))), 10),  # TOO_LARGE
        "acks=2": (produce_v3("bad", batch(), acks=2), 21),  # INVALID_REQUIRED_ACKS
    }
    for name, (body, expected) in codes.items():
        code = produce_error(exchange(port, frame(0, 3, body)))
        assert code == expected, f"{name}: error {code}, Kafka answers {expected}"
        assert log_end(broker, "bad") == end, f"{name}: the log end offset moved"
    # Lengths that lie: a -2 array count, a string longer than the request; the connection is closed.
    assert exchange(port, frame(3, 1, struct.pack(">i", -2))) is None
    assert exchange(port, frame(3, 1, struct.pack(">i", 1) + struct.pack(">h", 500) + b"short")) is None
    assert exchange(port, frame(3, 1, struct.pack(">i", 0x7FFFFFFF))) is None
    assert broker.process.poll() is None
    print(f"test 26: every answer as Kafka 2.8's; log end offset {end} unchanged after {len(codes)} refused produces")
