"""One instance of an exactly-once consume-transform-produce application (confluent-kafka), run as its own process by
test_exactly_once.py so that the test can kill it with SIGKILL.

    eos_transformer.py BOOTSTRAP INPUT OUTPUT GROUP TRANSACTIONAL_ID INSTANCE HISTORY_FILE HOLD_FILE ENDS_JSON

It reads INPUT (read_committed, group GROUP) and, per transaction, writes each record to OUTPUT's partition of the
same number, keyed as the input, valued `<input partition>:<input offset>:<input value>|<instance>|<transaction>`
(unique: a record processed again after an abort is written with its new transaction's number), and commits the
input positions with send_offsets_to_transaction. It appends what it does to HISTORY_FILE, one JSON object per line
(flushed before the step it announces is taken): {"begin": n}, {"wrote": n, "records": [[partition, key, value]]},
{"commit": n}, {"committed": n}, {"abort": n, "error": ...}, {"aborted": n}, {"holding": n}. While HOLD_FILE exists
it stops in the middle of its next transaction, after its records were delivered to the output partitions (they are
in the log, uncommitted), announces {"holding": n} and waits to be killed. It exits 0 once the group's positions reach
ENDS_JSON ({"partition": end offset}) on every input partition and the last transaction is committed; a fatal error
(fenced) exits 3; an instance with no step for STALL_SECONDS exits 4 after {"stalled": n}. EOS_TRANSFORMER_DEBUG, when set, is the producer's librdkafka `debug` setting (e.g. `eos,protocol`).
"""
import faulthandler
import json
import os
import signal
import sys
import threading
import time

from confluent_kafka import Consumer, KafkaException, Producer, TopicPartition


def main():
    bootstrap, source, sink, group, transactional_id, instance, history_path, hold_path, ends = sys.argv[1:]
    ends = {int(p): o for p, o in json.loads(ends).items()}
    faulthandler.register(signal.SIGUSR1)  # the test asks for the stack of a transformer that stopped progressing
    history = open(history_path, "a")
    last_step = [time.time()]
    lock = threading.Lock()

    def log(**event):
        with lock:
            history.write(json.dumps(event) + "\n")
            history.flush()
            last_step[0] = time.time()

    def watchdog():
        while time.time() - last_step[0] < STALL_SECONDS:
            time.sleep(1)
        faulthandler.dump_traceback()
        log(stalled=number)
        os._exit(4)

    number = 0
    threading.Thread(target=watchdog, daemon=True).start()

    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": group, "enable.auto.commit": False,
                         "auto.offset.reset": "earliest", "isolation.level": "read_committed",
                         "session.timeout.ms": 6000, "heartbeat.interval.ms": 1000,
                         "partition.assignment.strategy": "range"})
    debug = {"debug": os.environ["EOS_TRANSFORMER_DEBUG"]} if os.environ.get("EOS_TRANSFORMER_DEBUG") else {}
    producer = Producer({"bootstrap.servers": bootstrap, "transactional.id": transactional_id, "linger.ms": 5,
                         "transaction.timeout.ms": 60000, **debug})
    producer.init_transactions(120)
    consumer.subscribe([source])
    while not finished(consumer, ends):
        messages = consumer.consume(500, 0.5)
        failed = [m for m in messages if m.error() is not None]
        assert not failed, [m.error() for m in failed]
        if not messages:
            continue
        number += 1
        log(begin=number)
        producer.begin_transaction()
        records = []
        for message in messages:
            key = message.key().decode()
            value = f"{message.partition()}:{message.offset()}:{message.value().decode()}|{instance}|{number}"
            records.append([message.partition(), key, value])
            produce(producer, sink, key, value, message.partition())
        log(wrote=number, records=records)
        try:
            positions = [p for p in consumer.position(consumer.assignment()) if p.offset >= 0]
            producer.send_offsets_to_transaction(positions, consumer.consumer_group_metadata(), 60)
            if os.path.exists(hold_path):
                assert producer.flush(60) == 0
                log(holding=number)
                while True:
                    time.sleep(1)
            log(commit=number)
            commit(producer)
            log(committed=number)
        except KafkaException as failure:
            error = failure.args[0]
            if error.fatal() or not error.txn_requires_abort():
                log(fatal=number, error=str(error))
                sys.exit(3)
            log(abort=number, error=str(error))
            producer.abort_transaction(60)
            log(aborted=number)
            rewind(consumer)
    log(done=number)
    consumer.close()


# An application's liveness check: no step logged for this long (a client call blocked far past its timeout, as
# librdkafka's send_offsets_to_transaction can after the group's coordinator dies: librdkafka #5456, #5511) and the
# process reports {"stalled": n} and exits 4, for its supervisor (the test) to start another instance.
# A step takes well under a second, at most a session timeout (6 s) and an election during the kills; the
# librdkafka stall of test_exactly_once's docstring never ends on its own.
STALL_SECONDS = 45


def finished(consumer, ends):
    """Whether every input partition is assigned here and read to its end. A partition with nothing consumed since
    it was assigned has no position yet: it starts at the group's committed offset, which is then asked."""
    assignment = consumer.assignment()
    if len(assignment) != len(ends):
        return False
    positions = {p.partition: p.offset for p in consumer.position(assignment)}
    if any(offset < 0 for offset in positions.values()):
        try:
            for partition in consumer.committed(assignment, 30):
                positions[partition.partition] = max(positions[partition.partition], partition.offset)
        except KafkaException:
            return False  # the group's coordinator is moving: ask again at the next turn
    return all(positions[p] >= ends[p] for p in positions)


def produce(producer, topic, key, value, partition):
    while True:
        try:
            producer.produce(topic, key=key, value=value, partition=partition)
            return
        except BufferError:
            producer.poll(0.05)


def commit(producer):
    """commit_transaction, asked again on a retriable error (librdkafka's advice); anything else is raised."""
    while True:
        try:
            producer.commit_transaction(60)
            return
        except KafkaException as failure:
            if not failure.args[0].retriable():
                raise


def rewind(consumer):
    """After an abort: back to the group's committed offsets, so that the aborted records are processed again."""
    assignment = consumer.assignment()
    for partition in consumer.committed(assignment, 60):
        consumer.seek(partition if partition.offset >= 0 else TopicPartition(partition.topic, partition.partition, 0))


if __name__ == "__main__":
    main()
