"""Message formats v0 and v1 (issue 15 item 2, issue 24): clients that do not negotiate versions produce with
Produce v0-2 and fetch with Fetch v0-3, and Kafka 2.8 converts — up to RecordBatch v2 on append, down to the old
format on fetch. Real clients pinned to old versions (librdkafka with `api.version.request=false` and
`broker.version.fallback` 0.9.0 / 0.10.0, kafka-python with `api_version=(0, 10)`) write and read against one
broker, checked against what a current client reads back; raw requests check the byte-level rules (CRC, magic,
timestamps, size limits) and the conversion counters."""
import struct
import time
import zlib

import pytest
from confluent_kafka import TIMESTAMP_NOT_AVAILABLE, Consumer, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic

from conftest import single_broker
from test_metrics import scrape, value
from test_groups import Reader, request, string

CORRUPT_MESSAGE, INVALID_TIMESTAMP, INVALID_RECORD = 2, 32, 87


@pytest.fixture(scope="module")
def broker():
    yield from single_broker({"metrics.port": "0", "metrics.host": "127.0.0.1"})


def create(broker, topic, partitions=1, config=None):
    admin = AdminClient({"bootstrap.servers": broker.bootstrap})
    admin.create_topics([NewTopic(topic, partitions, 1, config=config or {})])[topic].result(30)


def old_client(broker, fallback, **extra):
    """librdkafka settings that skip ApiVersions and use the versions of Kafka `fallback`."""
    return {"bootstrap.servers": broker.bootstrap, "api.version.request": False,
            "broker.version.fallback": fallback, **extra}


def read_all(config, topic, partitions, expected):
    """(partition, offset, key, value, timestamp) of `expected` records, read by an assigned consumer."""
    consumer = Consumer({**config, "group.id": f"reader-{time.time()}", "enable.auto.commit": False})
    consumer.assign([TopicPartition(topic, p, 0) for p in range(partitions)])
    records = []
    deadline = time.time() + 30
    while len(records) < expected:
        assert time.time() < deadline, f"read {len(records)} of {expected} records"
        message = consumer.poll(0.5)
        if message is None:
            continue
        assert message.error() is None, message.error()
        records.append((message.partition(), message.offset(), message.key(), message.value(),
                        message.timestamp()[1]))
    consumer.close()
    return sorted(records)


def metric(broker, name, topic):
    """`kafka_server_brokertopicmetrics_<name>_total{topic=...}` from the broker's /metrics."""
    return value(scrape(broker)[0], f"kafka_server_brokertopicmetrics_{name}_total", topic=topic)


def old_producer(broker, client, codec):
    """(send, flush) of a producer that sends message format v0 (librdkafka with `broker.version.fallback=0.9.0`:
    Produce v1) or v1 (kafka-python with `api_version=(0, 10)`: Produce v2); send(topic, key, value, partition,
    timestamp). (librdkafka takes any fallback from 0.10 on as a reason to ask ApiVersions, so it cannot be held to
    format v1.)"""
    errors = []
    if client == "librdkafka":
        producer = Producer(old_client(broker, "0.9.0", **{"compression.codec": codec, "linger.ms": 20}))

        def flush():
            assert producer.flush(30) == 0 and errors == []
        return (lambda topic, key, value, partition, timestamp: producer.produce(
            topic, key=key, value=value, partition=partition, timestamp=timestamp,
            on_delivery=lambda error, _: error and errors.append(error))), flush
    from kafka import KafkaProducer
    producer = KafkaProducer(bootstrap_servers=broker.bootstrap, api_version=(0, 9) if client.endswith("0.9") else (0, 10),
                             linger_ms=20, compression_type=None if codec == "none" else codec)
    futures = []

    def flush():
        producer.flush(30)
        producer.close()
        assert all(future.succeeded() for future in futures)
    return (lambda topic, key, value, partition, timestamp: futures.append(producer.send(
        topic, key=key, value=value, partition=partition, timestamp_ms=timestamp))), flush


@pytest.mark.parametrize("client", ["librdkafka", "kafka-python", "kafka-python-0.9"])
@pytest.mark.parametrize("codec", ["none", "gzip", "snappy", "lz4"])
def test_an_old_producer_writes_what_a_current_consumer_reads(broker, client, codec):
    """Message format v0 (librdkafka, fallback 0.9.0) or v1 (kafka-python 0.10), plain and compressed: the broker
    stores v2 batches whose records a current consumer reads with their keys and values, offsets assigned densely
    in order, and (v1) their timestamps — v0 messages have none (-1)."""
    topic = f"up-{client}-{codec}"
    create(broker, topic, partitions=2)
    send, flush = old_producer(broker, client, codec)
    sent = {}
    for i in range(200):
        key, value, timestamp = f"k{i}".encode(), f"value-{i}".encode() * (i % 7 + 1), 1_600_000_000_000 + i
        send(topic, key, value, i % 2, timestamp)
        sent[key] = (i % 2, value, timestamp)
    flush()
    records = read_all({"bootstrap.servers": broker.bootstrap}, topic, 2, 200)
    for partition in (0, 1):
        offsets = [offset for p, offset, *_ in records if p == partition]
        assert offsets == list(range(100)), "offsets are assigned densely from 0"
    for partition, _, key, value, timestamp in records:
        assert sent[key][:2] == (partition, value)
        assert timestamp == (sent[key][2] if client == "kafka-python" else -1)  # format v1 only


def test_an_old_consumer_reads_what_a_current_producer_wrote(broker):
    """A current producer writes v2 batches (zstd, which no old client knows, and headers, which old formats cannot
    carry); a librdkafka group member pinned to 0.9.0 (Fetch v1, message format v0) reads every record with its
    offset, key and value, commits, and a second member of the group resumes after the committed offsets."""
    fallback = "0.9.0"
    topic = "down-090"
    create(broker, topic, partitions=3)
    producer = Producer({"bootstrap.servers": broker.bootstrap, "compression.type": "zstd", "linger.ms": 20})
    for i in range(300):
        producer.produce(topic, key=f"k{i}".encode(), value=f"v{i}".encode(), partition=i % 3,
                         timestamp=1_700_000_000_000 + i, headers=[("h", b"dropped")])
    assert producer.flush(30) == 0
    expected = read_all({"bootstrap.servers": broker.bootstrap}, topic, 3, 300)

    group = f"old-group-{fallback}"
    config = old_client(broker, fallback, **{"group.id": group, "auto.offset.reset": "earliest",
                                             "enable.auto.commit": False})
    consumer = Consumer(config)
    consumer.subscribe([topic])
    records = []
    deadline = time.time() + 60
    while len(records) < 200:
        assert time.time() < deadline, f"the old consumer read {len(records)} records"
        message = consumer.poll(0.5)
        if message is None:
            continue
        assert message.error() is None, message.error()
        records.append((message.partition(), message.offset(), message.key(), message.value(),
                        message.timestamp()))
    consumer.commit(asynchronous=False)
    consumer.close()
    consumer = Consumer(config)
    consumer.subscribe([topic])
    deadline = time.time() + 60
    while len(records) < 300:
        assert time.time() < deadline, f"the second old consumer left the group at {len(records)} records"
        message = consumer.poll(0.5)
        if message is None or message.error():
            continue
        records.append((message.partition(), message.offset(), message.key(), message.value(),
                        message.timestamp()))
    consumer.close()
    # Format v0 has no timestamp: librdkafka reports TIMESTAMP_NOT_AVAILABLE with 0.
    assert sorted(records) == [(p, o, k, v, (TIMESTAMP_NOT_AVAILABLE, 0)) for p, o, k, v, _ in expected]


@pytest.mark.parametrize("api_version", [(0, 9), (0, 10)], ids=["0.9", "0.10"])
def test_kafka_python_pinned_to_an_old_version_consumes_in_a_group(broker, api_version):
    """kafka-python with `api_version=(0, 10)` (Fetch v2: message format v1, OffsetCommit v2) or `(0, 9)` (Fetch
    v1: format v0, without timestamps) reads zstd batches with headers written by a current producer and commits
    them."""
    from kafka import KafkaConsumer, TopicPartition as KafkaTopicPartition
    topic = f"kafka-python-{api_version[0]}{api_version[1]}"
    create(broker, topic, partitions=2)
    producer = Producer({"bootstrap.servers": broker.bootstrap, "compression.type": "zstd", "linger.ms": 20})
    for i in range(100):
        producer.produce(topic, key=f"k{i}".encode(), value=f"v{i}".encode(), partition=i % 2,
                         timestamp=1_650_000_000_000 + i, headers=[("h", b"dropped")])
    assert producer.flush(30) == 0
    consumer = KafkaConsumer(topic, bootstrap_servers=broker.bootstrap, api_version=api_version, group_id=topic,
                             auto_offset_reset="earliest", enable_auto_commit=False, consumer_timeout_ms=10000)
    records = sorted((r.partition, r.offset, r.key, r.value, r.timestamp) for r in consumer)
    consumer.commit()
    committed = [consumer.committed(KafkaTopicPartition(topic, p)) for p in (0, 1)]
    consumer.close()
    assert [r[:4] for r in records] == [r[:4] for r in read_all({"bootstrap.servers": broker.bootstrap}, topic, 2,
                                                                  100)]
    for partition, offset, key, value, timestamp in records:
        i = int(key[1:])
        # Format v0 has no timestamp: kafka-python gives None.
        expected_timestamp = 1_650_000_000_000 + i if api_version == (0, 10) else None
        assert (partition, offset, value, timestamp) == (i % 2, i // 2, f"v{i}".encode(), expected_timestamp)
    assert committed == [50, 50]


# Raw requests: message sets built here byte by byte.

def message(magic, key, value, timestamp=None, offset=0, attributes=0):
    body = struct.pack(">bb", magic, attributes)
    if magic == 1:
        body += struct.pack(">q", timestamp)
    for field in (key, value):
        body += struct.pack(">i", -1) if field is None else struct.pack(">i", len(field)) + field
    body = struct.pack(">I", zlib.crc32(body)) + body
    return struct.pack(">qi", offset, len(body)) + body


def produce(port, version, topic, message_set, acks=1):
    """Error code and base offset of one partition's Produce v0-2."""
    body = struct.pack(">hii", acks, 10000, 1) + string(topic) + struct.pack(">ii", 1, 0)
    body += struct.pack(">i", len(message_set)) + message_set
    reader = Reader(request(port, 0, version, body))
    assert reader.int(">i") == 1 and reader.string() == topic and reader.int(">i") == 1
    assert reader.int(">i") == 0
    return reader.int(">h"), reader.int(">q")


def fetch(port, version, topic, offset, partition_max_bytes, max_bytes=None):
    """Error code, high watermark and message set of partition 0 by Fetch v0-3."""
    body = struct.pack(">iii", -1, 100, 0) + (struct.pack(">i", max_bytes or 1 << 30) if version >= 3 else b"")
    body += struct.pack(">i", 1) + string(topic) + struct.pack(">iiqi", 1, 0, offset, partition_max_bytes)
    reader = Reader(request(port, 1, version, body))
    if version >= 1:
        reader.int(">i")  # throttle time
    assert reader.int(">i") == 1 and reader.string() == topic and reader.int(">i") == 1
    assert reader.int(">i") == 0
    error, high_watermark = reader.int(">h"), reader.int(">q")
    return error, high_watermark, reader.bytes()


def messages_of(message_set):
    """(offset, magic, timestamp, key, value) of each whole message, checking each CRC; a partial last one is
    left out, as old clients do."""
    out = []
    while len(message_set) >= 12:
        offset, size = struct.unpack(">qi", message_set[:12])
        if len(message_set) < 12 + size:
            break
        body = message_set[12:12 + size]
        assert struct.unpack(">I", body[:4])[0] == zlib.crc32(body[4:])
        magic = body[4]
        position, timestamp = 6, -1
        if magic == 1:
            timestamp = struct.unpack(">q", body[6:14])[0]
            position = 14
        fields = []
        for _ in range(2):
            length = struct.unpack(">i", body[position:position + 4])[0]
            position += 4
            fields.append(None if length < 0 else body[position:position + length])
            position += max(length, 0)
        out.append((offset, magic, timestamp, *fields))
        message_set = message_set[12 + size:]
    return out


def test_raw_produce_v0_to_v2_and_fetch_v0_to_v3(broker):
    """Byte-level: a v0 and a v1 message set are appended at the next offsets (what the producer put in the offset
    field does not matter), a gzip wrapper of v1 messages with relative inner offsets too; Fetch v0/v1 answer in
    format v0 and v2/v3 in v1 with the absolute offsets and the v1 timestamps; the conversion counters move."""
    topic = "raw-formats"
    create(broker, topic)
    port = broker.port
    assert produce(port, 0, topic, message(0, b"a", b"first", offset=77)) == (0, 0)
    assert produce(port, 1, topic, message(0, None, b"second") + message(0, b"c", None)) == (0, 1)
    inner = b"".join(message(1, f"z{i}".encode(), f"zipped-{i}".encode(), 1_000 + i, offset=i) for i in range(3))
    wrapper = message(1, None, gzip_bytes(inner), 1_002, offset=2, attributes=1)
    assert produce(port, 2, topic, wrapper) == (0, 3)
    assert produce(port, 2, topic, message(1, b"t", b"timed", 1_234)) == (0, 6)
    expected = [(0, b"a", b"first", -1), (1, None, b"second", -1), (2, b"c", None, -1),
                (3, b"z0", b"zipped-0", 1_000), (4, b"z1", b"zipped-1", 1_001), (5, b"z2", b"zipped-2", 1_002),
                (6, b"t", b"timed", 1_234)]
    for version in range(4):
        error, high_watermark, message_set = fetch(port, version, topic, 0, 1 << 20)
        assert (error, high_watermark) == (0, 7)
        magic = 0 if version < 2 else 1
        assert messages_of(message_set) == [(o, magic, t if magic == 1 else -1, k, v) for o, k, v, t in expected]
    # From an offset inside a batch: the earlier records of that batch are not sent.
    assert [m[0] for m in messages_of(fetch(port, 2, topic, 4, 1 << 20)[2])] == [4, 5, 6]
    assert metric(broker, "producemessageconversions", topic) == 7
    assert metric(broker, "fetchmessageconversions", topic) == 4 * 7 + 3


def gzip_bytes(data):
    compressor = zlib.compressobj(wbits=31)
    return compressor.compress(data) + compressor.flush()


def test_raw_produce_refuses_what_kafka_refuses(broker):
    """A CRC that does not match is CORRUPT_MESSAGE, a truncated message set too; a v2 batch in Produce v2 and a
    magic 2 byte in a message are INVALID_RECORD; nothing of a refused request is appended."""
    topic = "raw-refused"
    create(broker, topic)
    port = broker.port
    good = message(1, b"k", b"v", 5)
    corrupt = good[:-1] + bytes([good[-1] ^ 0xFF])
    assert produce(port, 2, topic, corrupt)[0] == CORRUPT_MESSAGE
    assert produce(port, 2, topic, good + good[:20])[0] == CORRUPT_MESSAGE
    magic2 = bytearray(message(1, b"k", b"v", 5))
    magic2[16] = 2
    magic2[12:16] = struct.pack(">I", zlib.crc32(bytes(magic2[16:])))
    assert produce(port, 2, topic, bytes(magic2))[0] == INVALID_RECORD
    assert fetch(port, 3, topic, 0, 1 << 20)[1] == 0, "a refused message set appended something"
    assert produce(port, 2, topic, good) == (0, 0)


def test_fetch_size_limits_follow_the_version(broker):
    """Fetch v0-2: partition_max_bytes is a hard limit — whole messages up to it, and a first message larger than
    it is sent cut short (the old clients' "message too large"); Fetch v3 (KIP-74) sends a larger first message
    whole and stops the response at max_bytes. The five messages are one stored batch, so the limits cut inside
    the conversion."""
    topic = "raw-limits"
    create(broker, topic)
    port = broker.port
    message_set = b"".join(message(1, None, bytes([65 + i]) * 100, 7) for i in range(5))
    assert produce(port, 2, topic, message_set) == (0, 0)
    one = len(message(1, None, b"x" * 100, 7))
    for version in (0, 1, 2):
        size = one if version == 2 else len(message(0, None, b"x" * 100))
        message_set = fetch(port, version, topic, 0, 2 * size + 10)[2]
        assert [m[0] for m in messages_of(message_set)] == [0, 1] and len(message_set) == 2 * size
    message_set = fetch(port, 2, topic, 0, 50)[2]
    assert len(message_set) == 50 and messages_of(message_set) == []
    message_set = fetch(port, 3, topic, 0, 50)[2]
    assert [m[0] for m in messages_of(message_set)] == [0] and len(message_set) == one
    message_set = fetch(port, 3, topic, 1, 1 << 20, max_bytes=3 * one)[2]
    assert [m[0] for m in messages_of(message_set)] == [1, 2, 3] and len(message_set) == 3 * one


def test_timestamp_difference_is_enforced(broker):
    """`message.timestamp.difference.max.ms`: a CreateTime timestamp further from the broker's clock is
    INVALID_TIMESTAMP, for an old producer's v1 message and a current producer's v2 batch alike; v0 messages
    (no timestamp) pass."""
    topic = "raw-timestamps"
    create(broker, topic, config={"message.timestamp.difference.max.ms": "60000"})
    port = broker.port
    now = int(time.time() * 1000)
    assert produce(port, 2, topic, message(1, b"k", b"old", now - 3_600_000))[0] == INVALID_TIMESTAMP
    assert produce(port, 2, topic, message(1, b"k", b"future", now + 3_600_000))[0] == INVALID_TIMESTAMP
    assert produce(port, 2, topic, message(1, b"k", b"now", now)) == (0, 0)
    assert produce(port, 0, topic, message(0, b"k", b"untimed")) == (0, 1)
    producer = Producer({"bootstrap.servers": broker.bootstrap})
    errors = []
    producer.produce(topic, value=b"stale", timestamp=now - 3_600_000,
                     on_delivery=lambda error, _: errors.append(error))
    producer.flush(30)
    assert errors[0] is not None and errors[0].code() == INVALID_TIMESTAMP


def test_a_compacted_topic_refuses_keyless_records_with_both_record_checks_on(broker):
    """The record-level checks share one decode of the batch: on a compacted topic that also limits timestamps, a
    keyless record is INVALID_RECORD, a keyed record too far in the past INVALID_TIMESTAMP, a keyed current one
    goes in — in format v2 and v1 alike."""
    topic = "compacted-checks"
    create(broker, topic, config={"cleanup.policy": "compact", "message.timestamp.difference.max.ms": "60000"})
    port = broker.port
    now = int(time.time() * 1000)
    assert produce(port, 2, topic, message(1, None, b"keyless", now))[0] == INVALID_RECORD
    assert produce(port, 2, topic, message(1, b"k", b"stale", now - 3_600_000))[0] == INVALID_TIMESTAMP
    assert produce(port, 2, topic, message(1, b"k", b"fine", now)) == (0, 0)
    producer = Producer({"bootstrap.servers": broker.bootstrap})
    errors = []
    # One batch each (a refused record refuses its whole batch, as in Kafka).
    producer.produce(topic, value=b"keyless", on_delivery=lambda error, _: errors.append(error))
    producer.flush(30)
    producer.produce(topic, key=b"k", value=b"fine", on_delivery=lambda error, _: errors.append(error))
    producer.flush(30)
    assert [e.code() if e else None for e in errors] == [INVALID_RECORD, None]
