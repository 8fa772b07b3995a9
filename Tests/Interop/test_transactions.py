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
- The coordinator (items 1-2) with real transactional producers (confluent-kafka, kafka-python, aiokafka): committed
  and aborted transactions as read_committed and read_uncommitted consumers see them, a second producer with the same
  transactional id fencing the first, a transaction left open past its timeout aborted by the coordinator, and the
  coordinator's state surviving a restart of the broker (and its metrics, by Kafka's names).
The runs with several transactions hand what the producers did and what read_committed read to `txn_checker`.
Killed brokers and a killed application under a 100,000-record consume-transform-produce run: test_exactly_once.py.
"""
import struct
import time

import pytest
from confluent_kafka import Consumer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic
from kafka.record.default_records import DefaultRecordBatchBuilder

import txn_checker
from conftest import single_broker, wait_for
from test_groups import Reader, request, string

OUT_OF_ORDER_SEQUENCE_NUMBER = 45
INVALID_PRODUCER_EPOCH = 47
INVALID_TXN_STATE = 48
RETRIABLE = {3, 5, 6, 15}  # unknown topic, leader not available, not leader, coordinator not available


@pytest.fixture(scope="module")
def broker():
    # Timed-out transactions are looked for every 0.5 s instead of 10 s.
    yield from single_broker({"transaction.abort.timed.out.transaction.cleanup.interval.ms": "500",
                              "metrics.port": "0", "metrics.host": "127.0.0.1"})


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


def create_topic(broker, topic, partitions=1):
    admin = AdminClient({"bootstrap.servers": broker.bootstrap})
    admin.create_topics([NewTopic(topic, partitions, 1)])[topic].result(30)


def read_all(broker, topics, isolation_level, partitions=1):
    """Every record's (topic, partition, key) in the partitions, read to their end at an isolation level."""
    consumer = Consumer({"bootstrap.servers": broker.bootstrap, "group.id": f"read-{isolation_level}",
                         "enable.auto.commit": False, "isolation.level": isolation_level,
                         "enable.partition.eof": True})
    assigned = [TopicPartition(topic, p, 0) for topic in topics for p in range(partitions)]
    consumer.assign(assigned)
    records, ended, deadline = [], set(), time.time() + 30
    while len(ended) < len(assigned) and time.time() < deadline:
        message = consumer.poll(0.5)
        if message is None:
            continue
        if message.error():
            ended.add((message.topic(), message.partition()))
            continue
        records.append((message.topic(), message.partition(), message.key().decode()))
    consumer.close()
    assert len(ended) == len(assigned), "the consumer did not reach the end of every partition"
    return records


def transactional_producer(broker, transactional_id, **extra):
    from confluent_kafka import Producer
    return Producer({"bootstrap.servers": broker.bootstrap, "transactional.id": transactional_id,
                     "linger.ms": 5, **extra})


def test_confluent_kafka_commits_and_aborts(broker):
    create_topic(broker, "txn-out", partitions=2)
    producer = transactional_producer(broker, "committer")
    producer.init_transactions(30)
    sent = {"commit": [], "abort": []}
    history = txn_checker.History()
    for round_number, outcome in enumerate(["commit", "abort", "commit", "abort", "commit"]):
        producer.begin_transaction()
        history.began(round_number)
        for index in range(20):
            key = f"{outcome}-{round_number}-{index}"
            producer.produce("txn-out", key=key, value=b"v", partition=index % 2)
            sent[outcome].append(("txn-out", index % 2, key))
            history.wrote(round_number, index % 2, key, "v")
        producer.flush(30)  # the records reach the log before the outcome is decided
        if outcome == "commit":
            producer.commit_transaction(30)
        else:
            producer.abort_transaction(30)
        history.ended(round_number, txn_checker.COMMITTED if outcome == "commit" else txn_checker.ABORTED)
    committed = read_all(broker, ["txn-out"], "read_committed", partitions=2)
    txn_checker.assert_valid(txn_checker.check(history, as_reads(committed)))
    everything = read_all(broker, ["txn-out"], "read_uncommitted", partitions=2)
    by_partition = lambda records, p: [r for r in records if r[1] == p]
    for partition in range(2):
        assert by_partition(committed, partition) == by_partition(sent["commit"], partition)
        # read_uncommitted: every record in the order sent, no marker.
        in_order = [r for round_number in range(5) for r in (sent["commit"] + sent["abort"])
                    if r[2].split("-")[1] == str(round_number)]
        assert by_partition(everything, partition) == by_partition(in_order, partition)
    print(f"committed {len(sent['commit'])}, aborted {len(sent['abort'])}: read_committed {len(committed)}, "
          f"read_uncommitted {len(everything)}")


def as_reads(records):
    """read_all's records as the checker's reads (each record's value is "v"; keys are unique)."""
    reads = {}
    for _, partition, key in records:
        reads.setdefault(partition, []).append((key, "v"))
    return reads


def test_a_second_instance_fences_the_first(broker):
    from confluent_kafka import KafkaException
    create_topic(broker, "txn-fenced")
    history = txn_checker.History()
    zombie = transactional_producer(broker, "fenced-id")
    zombie.init_transactions(30)
    zombie.begin_transaction()
    history.began("zombie")
    zombie.produce("txn-fenced", key="zombie-0", value=b"v")
    history.wrote("zombie", 0, "zombie-0", "v")
    zombie.flush(30)
    successor = transactional_producer(broker, "fenced-id")
    successor.init_transactions(30)  # aborts the zombie's open transaction
    successor.begin_transaction()
    history.began("successor")
    successor.produce("txn-fenced", key="successor-0", value=b"v")
    history.wrote("successor", 0, "successor-0", "v")
    successor.commit_transaction(30)
    history.ended("successor", txn_checker.COMMITTED)
    zombie.produce("txn-fenced", key="zombie-1", value=b"v")
    history.wrote("zombie", 0, "zombie-1", "v")
    with pytest.raises(KafkaException) as failure:
        zombie.commit_transaction(30)
    assert failure.value.args[0].fatal() or failure.value.args[0].txn_requires_abort()
    history.ended("zombie", txn_checker.ABORTED)  # fenced: its commit failed
    committed = read_all(broker, ["txn-fenced"], "read_committed")
    assert [r[2] for r in committed] == ["successor-0"]
    report = txn_checker.check(history, as_reads(committed))
    txn_checker.assert_valid(report)
    assert report["aborted_records"] == 2


def test_a_transaction_open_past_its_timeout_is_aborted(broker):
    create_topic(broker, "txn-timeout")
    producer = transactional_producer(broker, "slow-id", **{"transaction.timeout.ms": 2000})
    producer.init_transactions(30)
    producer.begin_transaction()
    producer.produce("txn-timeout", key="late", value=b"v")
    producer.flush(30)
    port = broker.port
    assert list_latest(port, "txn-timeout", 1) == (0, 0)  # held by the open transaction
    from test_metrics import scrape, value
    lag = lambda: value(scrape(broker)[0], "kafka_cluster_partition_laststableoffsetlag", topic="txn-timeout",
                        partition="0")
    assert lag() == 1  # Kafka's LastStableOffsetLag: the high watermark (1) minus the last stable offset (0)
    # The coordinator aborts it (within the timeout and one 0.5 s check): the last stable offset passes the marker.
    wait_for(lambda: list_latest(port, "txn-timeout", 1) == (0, 2), 30, "the timed-out transaction's abort")
    assert lag() == 0
    assert read_all(broker, ["txn-timeout"], "read_committed") == []
    assert [r[2] for r in read_all(broker, ["txn-timeout"], "read_uncommitted")] == ["late"]


def find_transaction_coordinator(port, transactional_id):
    """FindCoordinator v1 with key type 1: the error code."""
    reader = Reader(request(port, 10, 1, string(transactional_id) + struct.pack(">b", 1)))
    reader.int(">i")
    return reader.int(">h")


def init_transactional_producer(port, transactional_id):
    """InitProducerId v1 with a transactional id, retried while the coordinator loads: (error, id, epoch)."""
    answer = []

    def attempt():
        if find_transaction_coordinator(port, transactional_id) != 0:
            return False
        reader = Reader(request(port, 22, 1, string(transactional_id) + struct.pack(">i", 60000)))
        reader.int(">i")
        answer[:] = [(reader.int(">h"), reader.int(">q"), reader.int(">h"))]
        return answer[0][0] not in (14, 15, 16, 51)

    wait_for(attempt, 60, "the transaction coordinator")
    return answer[0]


def test_the_coordinators_state_survives_a_restart(broker):
    error, producer_id, epoch = init_transactional_producer(broker.port, "durable-id")
    assert error == 0
    assert init_transactional_producer(broker.port, "durable-id") == (0, producer_id, epoch + 1)
    # A clean restart (kill -9 of a coordinator's broker: test_exactly_once.py).
    broker.restart()
    # Loaded from __transaction_state: the same producer id, the next epoch.
    assert init_transactional_producer(broker.port, "durable-id") == (0, producer_id, epoch + 2)
    # The coordinator's metrics (Kafka's names): the loads just made are timed (NaN when none in the last 30 s),
    # and no marker or completion waits.
    from test_metrics import scrape
    samples = scrape(broker)[0]
    gauge = lambda name: samples[(f"kafka_{name}", frozenset())]
    load_max = gauge("server_transaction_coordinator_metrics_partition_load_time_max")
    load_avg = gauge("server_transaction_coordinator_metrics_partition_load_time_avg")
    assert 0 <= load_avg <= load_max < 60_000, (load_avg, load_max)
    assert gauge("coordinator_transaction_transactionmarkerchannelmanager_unknowndestinationqueuesize") == 0
    assert gauge("coordinator_transaction_transactionmarkerchannelmanager_logappendretryqueuesize") == 0


def test_kafka_python_and_aiokafka_transactional_producers(broker):
    import asyncio
    from kafka import KafkaProducer
    from aiokafka import AIOKafkaProducer
    create_topic(broker, "txn-python")
    producer = KafkaProducer(bootstrap_servers=broker.bootstrap, transactional_id="kafka-python-id")
    producer.init_transactions()
    producer.begin_transaction()
    producer.send("txn-python", key=b"kp-commit", value=b"v")
    producer.commit_transaction()
    producer.begin_transaction()
    producer.send("txn-python", key=b"kp-abort", value=b"v").get(30)
    producer.abort_transaction()
    producer.close()

    async def aiokafka_transactions():
        producer = AIOKafkaProducer(bootstrap_servers=broker.bootstrap, transactional_id="aiokafka-id")
        await producer.start()
        try:
            async with producer.transaction():
                await producer.send_and_wait("txn-python", key=b"aio-commit", value=b"v")
            await producer.begin_transaction()
            await producer.send_and_wait("txn-python", key=b"aio-abort", value=b"v")
            await producer.abort_transaction()
        finally:
            await producer.stop()

    asyncio.run(aiokafka_transactions())
    assert [r[2] for r in read_all(broker, ["txn-python"], "read_committed")] == ["kp-commit", "aio-commit"]
    assert [r[2] for r in read_all(broker, ["txn-python"], "read_uncommitted")] == [
        "kp-commit", "kp-abort", "aio-commit", "aio-abort"]


def test_consume_transform_produce_commits_output_and_offsets_together(broker):
    """confluent-kafka's exactly-once loop: each transaction writes transformed records and the input offsets
    (send_offsets_to_transaction); one aborted transaction in the middle is redone from the committed offsets. The
    output holds each input once, and the group's committed offsets are the input's ends — also after a restart
    of the broker (the offsets partition's markers replayed)."""
    create_topic(broker, "ctp-in", partitions=2)
    create_topic(broker, "ctp-out", partitions=2)
    from confluent_kafka import Producer
    source = Producer({"bootstrap.servers": broker.bootstrap, "enable.idempotence": True})
    for index in range(1000):
        source.produce("ctp-in", key=f"k{index}", value=f"{index}", partition=index % 2)
    source.flush(30)
    consumer = Consumer({"bootstrap.servers": broker.bootstrap, "group.id": "ctp", "enable.auto.commit": False,
                         "auto.offset.reset": "earliest", "isolation.level": "read_committed"})
    consumer.subscribe(["ctp-in"])
    producer = transactional_producer(broker, "ctp-transformer")
    producer.init_transactions(30)
    transformed, aborted_once, deadline = 0, False, time.time() + 90
    while transformed < 1000 and time.time() < deadline:
        messages = [m for m in consumer.consume(100, 1) if m.error() is None]
        if not messages:
            continue
        producer.begin_transaction()
        for message in messages:
            producer.produce("ctp-out", key=message.key(), value=b"t" + message.value(), partition=message.partition())
        producer.send_offsets_to_transaction(consumer.position(consumer.assignment()),
                                             consumer.consumer_group_metadata(), 30)
        if not aborted_once and transformed >= 300:
            producer.flush(30)
            producer.abort_transaction(30)
            aborted_once = True
            # Back to what the group committed: the aborted batch is read and transformed again.
            for partition in consumer.committed(consumer.assignment(), 30):
                consumer.seek(partition if partition.offset >= 0 else TopicPartition(partition.topic, partition.partition, 0))
            continue
        producer.commit_transaction(30)
        transformed += len(messages)
    assert transformed == 1000 and aborted_once
    consumer.close()
    output = read_all(broker, ["ctp-out"], "read_committed", partitions=2)
    assert sorted(r[2] for r in output) == sorted(f"k{index}" for index in range(1000))

    def committed_offsets():
        """The group's committed offsets, asked until the (restarted) broker coordinates the group again."""
        from confluent_kafka import KafkaException
        reader_consumer = Consumer({"bootstrap.servers": broker.bootstrap, "group.id": "ctp"})
        answer = []

        def attempt():
            try:
                wanted = [TopicPartition("ctp-in", 0), TopicPartition("ctp-in", 1)]
                answer[:] = [p.offset for p in reader_consumer.committed(wanted, 10)]
                return True
            except KafkaException as error:
                assert error.args[0].retriable() or error.args[0].code() == 16, error  # NOT_COORDINATOR
                return False

        try:
            wait_for(attempt, 60, "the group's coordinator")
        finally:
            reader_consumer.close()
        return answer

    assert committed_offsets() == [500, 500]
    broker.restart()
    assert committed_offsets() == [500, 500]


def java_partition(text, partitions):
    """Kafka's `Utils.abs(text.hashCode()) % partitions` (Java's String.hashCode over UTF-16 units)."""
    value = 0
    for unit in text.encode("utf-16-be").hex(" ", 2).split():
        value = (31 * value + int(unit, 16)) & 0xFFFFFFFF
    value = value - (1 << 32) if value >= 1 << 31 else value
    return (0 if value == -(1 << 31) else abs(value)) % partitions


def table(output):
    """Kafka's prettyPrintTable output: rows of cells (padding stripped, the trailing tab dropped)."""
    return [[cell.strip() for cell in line.split("\t")[:-1]] for line in output.splitlines() if line]


def test_the_admin_tool_describes_transactions_and_aborts_a_hanging_one(broker):
    """swiftkafka-admin transactions (Kafka 3.0's kafka-transactions): describe-producers and find-hanging at the
    partition leader (DescribeProducers), abort (WriteTxnMarkers) of a transaction no coordinator knows — written by a
    producer that never asked one (KIP-890's hanging transaction) — and list / describe of the coordinators' state."""
    from test_admin_cli import admin
    create_topic(broker, "txn-hanging")
    port = broker.port
    producer_id, epoch = init_producer_id(port)
    before = int(time.time() * 1000)
    hanging = batch("h", 0, producer_id, epoch, 0, transactional=True)
    assert produce_when_led(port, "txn-hanging", hanging, "ghost") == (0, 0)
    assert produce(port, "txn-hanging", batch("plain", 0)) == (0, 3)
    assert list_latest(port, "txn-hanging", 1) == (0, 0)  # held by the hanging transaction

    rows = table(admin(broker, "transactions", "describe-producers", "--topic", "txn-hanging", "--partition", "0").stdout)
    assert rows[0] == ["ProducerId", "ProducerEpoch", "LatestCoordinatorEpoch", "LastSequence", "LastTimestamp",
                       "CurrentTransactionStartOffset"]
    assert len(rows) == 2 and rows[1][:4] == [str(producer_id), str(epoch), "-1", "2"] and rows[1][5] == "0"
    assert before <= int(rows[1][4]) <= int(time.time() * 1000)
    rows = table(admin(broker, "transactions", "find-hanging", "--topic", "txn-hanging",
                       "--max-transaction-timeout", "0").stdout)
    assert rows[0] == ["Topic", "Partition", "ProducerId", "ProducerEpoch", "CoordinatorEpoch", "StartOffset",
                       "LastTimestamp", "Duration(min)"]
    assert [row[:6] for row in rows[1:]] == [["txn-hanging", "0", str(producer_id), str(epoch), "-1", "0"]]
    # Younger than the default 15 minutes: not reported.
    assert table(admin(broker, "transactions", "find-hanging", "--topic", "txn-hanging").stdout)[1:] == []
    admin(broker, "transactions", "abort", "--topic", "txn-hanging", "--partition", "0", "--start-offset", "0")
    assert list_latest(port, "txn-hanging", 1) == (0, 7)  # past the ABORT marker at 6
    assert [r[2] for r in read_all(broker, ["txn-hanging"], "read_committed")] == ["plain0", "plain1", "plain2"]
    assert table(admin(broker, "transactions", "find-hanging", "--topic", "txn-hanging",
                       "--max-transaction-timeout", "0").stdout)[1:] == []

    # The coordinators' state: one finished transaction, one open.
    create_topic(broker, "txn-listed")
    finished = transactional_producer(broker, "listed-finished")
    finished.init_transactions(30)
    finished.begin_transaction()
    finished.produce("txn-listed", key="f", value=b"v")
    finished.commit_transaction(30)
    open_one = transactional_producer(broker, "listed-open")
    open_one.init_transactions(30)
    open_one.begin_transaction()
    open_one.produce("txn-listed", key="o", value=b"v")
    open_one.flush(30)

    def listed():
        rows = table(admin(broker, "transactions", "list").stdout)
        return {row[0]: row for row in rows[1:]}

    wait_for(lambda: listed().get("listed-finished", [None] * 4)[3] == "CompleteCommit", 30, "the commit's completion")
    assert listed()["listed-open"][1:] == ["1", listed()["listed-open"][2], "Ongoing"]
    rows = table(admin(broker, "transactions", "list", "--duration-filter", "0").stdout)
    assert "listed-open" in [row[0] for row in rows[1:]] and "listed-finished" not in [row[0] for row in rows[1:]]
    rows = table(admin(broker, "transactions", "describe", "--transactional-id", "listed-open").stdout)
    assert rows[0] == ["CoordinatorId", "TransactionalId", "ProducerId", "ProducerEpoch", "TransactionState",
                       "TransactionTimeoutMs", "CurrentTransactionStartTimeMs", "TransactionDurationMs",
                       "TopicPartitions"]
    assert rows[1][0:2] == ["1", "listed-open"] and rows[1][4:6] == ["Ongoing", "60000"]
    assert rows[1][8] == "txn-listed-0"
    missing = admin(broker, "transactions", "describe", "--transactional-id", "no-such-id", check=False)
    assert missing.returncode == 1 and "no-such-id" in missing.stderr
    open_one.abort_transaction(30)
