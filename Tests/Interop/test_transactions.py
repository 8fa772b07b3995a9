"""Transactions at the broker (issue 16), with raw requests built by kafka-python's record builder and real
consumers reading the result.

- Producer state across restarts (item 4, transactions.md's `.snapshot`): an idempotent producer's batches are still
  recognised after a clean restart and after kill -9 of the broker, although every batch rolled a segment and the
  active segment holds none of them: a retry of its last batch is answered with the original offset and not written
  again, a sequence gap is refused with OUT_OF_ORDER_SEQUENCE_NUMBER, and a consumer then reads every record once.
- The partition side (item 3): transactional batches hold the last stable offset until WriteTxnMarkers writes their
  COMMIT or ABORT marker; read_committed consumers (confluent-kafka, kafka-python) read exactly the committed and
  non-transactional records, read_uncommitted ones all records and no marker; ListOffsets answers the last stable
  offset to read_committed.
"""
import struct
import time

import pytest
from confluent_kafka import Consumer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic
from kafka.record.default_records import DefaultRecordBatchBuilder

from conftest import single_broker, wait_for
from test_groups import Reader, request, string

OUT_OF_ORDER_SEQUENCE_NUMBER = 45
INVALID_PRODUCER_EPOCH = 47
INVALID_TXN_STATE = 48
RETRIABLE = {3, 5, 6, 15}  # unknown topic, leader not available, not leader, coordinator not available


@pytest.fixture(scope="module")
def broker():
    yield from single_broker()


def init_producer_id(port):
    """InitProducerId v0 without a transactional id: (producer id, epoch)."""
    reader = Reader(request(port, 22, 0, struct.pack(">hi", -1, 60000)))
    reader.int(">i")  # throttle
    assert reader.int(">h") == 0
    return reader.int(">q"), reader.int(">h")


def batch(prefix, first, producer_id=-1, epoch=-1, sequence=-1, count=3, transactional=False):
    """`count` records keyed `<prefix><first + n>`, each with a 200-byte value (one batch fills a segment)."""
    builder = DefaultRecordBatchBuilder(magic=2, compression_type=0, is_transactional=transactional,
                                        producer_id=producer_id,
                                        producer_epoch=epoch, base_sequence=sequence, batch_size=1 << 20)
    for index in range(count):
        builder.append(index, timestamp=int(time.time() * 1000), key=f"{prefix}{first + index}".encode(),
                       value=b"v" * 200, headers=[])
    return bytes(builder.build())


def produce(port, topic, records, transactional_id=None):
    """Produce v3 with acks=all of one batch to partition 0: (error code, base offset)."""
    body = (string(transactional_id) if transactional_id else struct.pack(">h", -1))
    body += struct.pack(">hi", -1, 30000) + struct.pack(">i", 1) + string(topic)
    body += struct.pack(">iii", 1, 0, len(records)) + records
    reader = Reader(request(port, 0, 3, body))
    assert reader.int(">i") == 1 and reader.string() == topic and reader.int(">i") == 1
    assert reader.int(">i") == 0
    return reader.int(">h"), reader.int(">q")


def produce_when_led(port, topic, records, transactional_id=None):
    """`produce`, retried while the restarted broker is still taking the partition's leadership."""
    answer = []

    def attempt():
        answer[:] = [produce(port, topic, records, transactional_id)]
        return answer[0][0] not in RETRIABLE

    wait_for(attempt, 60, f"a leader for {topic}")
    return answer[0]


def test_an_idempotent_producers_state_survives_a_clean_restart_and_kill_9(broker):
    topic = "producer-state"
    admin = AdminClient({"bootstrap.servers": broker.bootstrap})
    admin.create_topics([NewTopic(topic, 1, 1, config={"segment.bytes": "1000"})])[topic].result(30)
    port = broker.port
    producer_id, epoch = init_producer_id(port)

    def idempotent(sequence):
        return batch("p", sequence, producer_id, epoch, sequence)

    offsets = [produce_when_led(port, topic, idempotent(sequence)) for sequence in range(0, 15, 3)]
    assert offsets == [(0, offset) for offset in range(0, 15, 3)]
    # A producer without an id fills the next segment: the idempotent producer has no batch in the active one.
    assert produce(port, topic, batch("plain-a", 0)) == (0, 15)

    broker.restart()
    # The last batch retried: its original offset, nothing written.
    assert produce_when_led(port, topic, idempotent(12)) == (0, 12)
    assert produce(port, topic, idempotent(30))[0] == OUT_OF_ORDER_SEQUENCE_NUMBER
    assert produce(port, topic, idempotent(15)) == (0, 18)
    assert produce(port, topic, batch("plain-b", 0)) == (0, 21)

    broker.restart(crash=True)
    assert produce_when_led(port, topic, idempotent(15)) == (0, 18)
    assert produce(port, topic, idempotent(21))[0] == OUT_OF_ORDER_SEQUENCE_NUMBER
    assert produce(port, topic, idempotent(18)) == (0, 24)

    consumer = Consumer({"bootstrap.servers": broker.bootstrap, "group.id": "producer-state",
                         "enable.auto.commit": False})
    consumer.assign([TopicPartition(topic, 0, 0)])
    keys = []
    deadline = time.time() + 60
    while len(keys) < 27 and time.time() < deadline:
        message = consumer.poll(1)
        if message is not None and message.error() is None:
            keys.append((message.offset(), message.key().decode()))
    consumer.close()
    expected = [f"p{n}" for n in range(15)] + ["plain-a0", "plain-a1", "plain-a2"]
    expected += [f"p{n}" for n in range(15, 18)] + ["plain-b0", "plain-b1", "plain-b2"]
    expected += [f"p{n}" for n in range(18, 21)]
    assert keys == list(enumerate(expected))


def write_txn_markers(port, markers):
    """WriteTxnMarkers v0 of `(producer id, epoch, commit?, topic, partitions, coordinator epoch)` markers: the
    error code of each marker's partitions, in order."""
    body = struct.pack(">i", len(markers))
    for producer_id, epoch, commit, topic, partitions, coordinator_epoch in markers:
        body += struct.pack(">qhbi", producer_id, epoch, commit, 1) + string(topic)
        body += struct.pack(">i", len(partitions)) + b"".join(struct.pack(">i", p) for p in partitions)
        body += struct.pack(">i", coordinator_epoch)
    reader = Reader(request(port, 27, 0, body))
    answers = []
    for _ in range(reader.int(">i")):
        reader.int(">q")
        assert reader.int(">i") == 1
        reader.string()
        answers.append([(reader.int(">i"), reader.int(">h"))[1] for _ in range(reader.int(">i"))])
    return answers


def list_latest(port, topic, isolation_level):
    """ListOffsets v2 LATEST for partition 0 at an isolation level: (error code, offset)."""
    body = struct.pack(">ib", -1, isolation_level) + struct.pack(">i", 1) + string(topic)
    body += struct.pack(">iiq", 1, 0, -1)
    reader = Reader(request(port, 2, 2, body))
    reader.int(">i")  # throttle
    assert reader.int(">i") == 1 and reader.string() == topic and reader.int(">i") == 1
    assert reader.int(">i") == 0
    error = reader.int(">h")
    reader.int(">q")  # timestamp
    return error, reader.int(">q")


def confluent_keys(bootstrap, topic, isolation_level, expected):
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": f"txn-{isolation_level}",
                         "enable.auto.commit": False, "isolation.level": isolation_level,
                         "enable.partition.eof": True})
    consumer.assign([TopicPartition(topic, 0, 0)])
    keys = []
    deadline = time.time() + 30
    while time.time() < deadline:
        message = consumer.poll(1)
        if message is None:
            continue
        if message.error():
            if len(keys) >= expected:
                break  # the end of the partition, with everything read
            continue
        keys.append(message.key().decode())
    consumer.close()
    return keys


def test_markers_decide_what_read_committed_consumers_see(broker):
    topic = "txn-markers"
    admin = AdminClient({"bootstrap.servers": broker.bootstrap})
    admin.create_topics([NewTopic(topic, 1, 1)])[topic].result(30)
    port = broker.port
    (committer, epoch_a), (aborter, epoch_b) = init_producer_id(port), init_producer_id(port)
    assert produce_when_led(port, topic, batch("a", 0, committer, epoch_a, 0, transactional=True), "t-a") == (0, 0)
    assert produce(port, topic, batch("b", 0, aborter, epoch_b, 0, transactional=True), "t-b") == (0, 3)
    assert produce(port, topic, batch("plain", 0)) == (0, 6)
    # Both transactions are open: read_committed sees nothing past the first one's start.
    assert list_latest(port, topic, 1) == (0, 0)
    assert list_latest(port, topic, 0) == (0, 9)
    # A non-transactional write from a producer with an open transaction.
    assert produce(port, topic, batch("a", 3, committer, epoch_a, 3))[0] == INVALID_TXN_STATE
    assert produce(port, topic, batch("a", 3, committer, epoch_a, 3, transactional=True), "t-a") == (0, 9)

    assert write_txn_markers(port, [(committer, epoch_a, True, topic, [0], 0)]) == [[0]]
    # The commit marker at 12: the aborter's transaction (from 3) still holds the last stable offset.
    assert list_latest(port, topic, 1) == (0, 3)
    # The second marker names a partition that does not exist: UNKNOWN_TOPIC_OR_PARTITION for it alone.
    assert write_txn_markers(port, [(aborter, epoch_b, False, topic, [0], 0),
                                    (aborter, epoch_b, False, topic, [7], 0)]) == [[0], [3]]
    # A marker from an older producer epoch is fenced.
    assert write_txn_markers(port, [(aborter, epoch_b + 1, False, topic, [0], 0)]) == [[0]]
    assert write_txn_markers(port, [(aborter, epoch_b, False, topic, [0], 0)]) == [[INVALID_PRODUCER_EPOCH]]
    assert list_latest(port, topic, 1) == list_latest(port, topic, 0) == (0, 15)

    committed = ["a0", "a1", "a2", "plain0", "plain1", "plain2", "a3", "a4", "a5"]
    everything = ["a0", "a1", "a2", "b0", "b1", "b2", "plain0", "plain1", "plain2", "a3", "a4", "a5"]
    assert confluent_keys(broker.bootstrap, topic, "read_committed", len(committed)) == committed
    assert confluent_keys(broker.bootstrap, topic, "read_uncommitted", len(everything)) == everything

    from kafka import KafkaConsumer
    from kafka import TopicPartition as KafkaTopicPartition
    consumer = KafkaConsumer(bootstrap_servers=broker.bootstrap, isolation_level="read_committed",
                             enable_auto_commit=False)
    consumer.assign([KafkaTopicPartition(topic, 0)])
    consumer.seek(KafkaTopicPartition(topic, 0), 0)
    keys = []
    deadline = time.time() + 30
    while time.time() < deadline and len(keys) < len(committed):
        for records in consumer.poll(timeout_ms=500).values():
            keys += [record.key.decode() for record in records]
    for records in consumer.poll(timeout_ms=1000).values():  # nothing more
        keys += [record.key.decode() for record in records]
    consumer.close()
    assert keys == committed
