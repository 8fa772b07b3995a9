"""Producer state across broker restarts (issue 16 item 4, transactions.md's `.snapshot`): an idempotent producer's
batches, sent as raw Produce v3 requests built with kafka-python's record builder, are still recognised after a
clean restart and after kill -9 of the broker, although every batch rolled a segment and the active segment holds
none of them: a retry of its last batch is answered with the original offset and not written again, a sequence gap
is refused with OUT_OF_ORDER_SEQUENCE_NUMBER, and a consumer then reads every record exactly once."""
import struct
import time

import pytest
from confluent_kafka import Consumer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic
from kafka.record.default_records import DefaultRecordBatchBuilder

from conftest import single_broker, wait_for
from test_groups import Reader, request, string

OUT_OF_ORDER_SEQUENCE_NUMBER = 45
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


def batch(prefix, first, producer_id=-1, epoch=-1, sequence=-1, count=3):
    """`count` records keyed `<prefix><first + n>`, each with a 200-byte value (one batch fills a segment)."""
    builder = DefaultRecordBatchBuilder(magic=2, compression_type=0, is_transactional=False, producer_id=producer_id,
                                        producer_epoch=epoch, base_sequence=sequence, batch_size=1 << 20)
    for index in range(count):
        builder.append(index, timestamp=int(time.time() * 1000), key=f"{prefix}{first + index}".encode(),
                       value=b"v" * 200, headers=[])
    return bytes(builder.build())


def produce(port, topic, records):
    """Produce v3 with acks=all of one batch to partition 0: (error code, base offset)."""
    body = struct.pack(">hhi", -1, -1, 30000) + struct.pack(">i", 1) + string(topic)
    body += struct.pack(">iii", 1, 0, len(records)) + records
    reader = Reader(request(port, 0, 3, body))
    assert reader.int(">i") == 1 and reader.string() == topic and reader.int(">i") == 1
    assert reader.int(">i") == 0
    return reader.int(">h"), reader.int(">q")


def produce_when_led(port, topic, records):
    """`produce`, retried while the restarted broker is still taking the partition's leadership."""
    answer = []

    def attempt():
        answer[:] = [produce(port, topic, records)]
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
