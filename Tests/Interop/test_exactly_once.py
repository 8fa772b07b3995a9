"""Exactly-once consume-transform-produce under faults (issue 16), with real processes throughout: three brokers
(every topic RF 3, min.insync.replicas 2), 100,000 input records, and a confluent-kafka transform application
(`eos_transformer.py`) run as its own process. While it works:

1. the transform process is killed (SIGKILL) in the middle of a transaction whose records are already in the
   output log; a new instance with the same transactional id fences the old one and aborts its transaction;
2. the transaction coordinator's broker is killed (SIGKILL) and later started again;
3. the leader of an output partition is killed (SIGKILL) and later started again.

Then the output topic must hold each input record exactly once, transformed, in input order per key; the group's
committed offsets must be the input's ends; the killed instance's open transaction must be in the log but not
visible to read_committed; and `txn_checker` finds no anomaly over the instances' histories.

The test acts as the application's supervisor: an instance that reports itself stalled (no step for 45 s) is
replaced by a new instance, which fences it; the run says so. Seen in 5 of 28 runs while this test was written, and
caught with librdkafka's debug log (`EOS_TRANSFORMER_DEBUG=eos,broker,protocol,cgrp`): the killed broker, the group's
coordinator, leaves the metadata and librdkafka decommissions it ("Decommissioning this broker"); the next
send_offsets_to_transaction gets its AddOffsetsToTxn answered by the new transaction coordinator, then waits for the
group coordinator still cached as the decommissioned broker, whose handle only logs "Handle is terminating in state
TRY_CONNECT" (82,538 times in 90 s), never sends the TxnOffsetCommit and ignores the call's 60 s timeout. These are
librdkafka issues #5511 (a decommissioned broker stays cached as the group coordinator) and #5456 (a coordinator
request's timeout is never checked), open against librdkafka 2.14-2.16; the venv has 2.16.
"""
import json
import os
import signal
import subprocess
import sys
import time

from confluent_kafka import Consumer, Producer, TopicPartition

import txn_checker
from conftest import register, stop, wait_for
from replication_harness import Cluster
from test_transactions import java_partition

RECORDS = 100_000
PARTITIONS = 3
TRANSACTIONAL_ID = "eos-transformer"
GROUP = "eos-group"


def produce_input(cluster):
    """RECORDS records keyed `k<i mod 997>`, valued `<i>`, to `eos-in`: {partition: end offset}."""
    producer = Producer({"bootstrap.servers": cluster.bootstrap, "enable.idempotence": True, "linger.ms": 20})
    for index in range(RECORDS):
        while True:
            try:
                producer.produce("eos-in", key=f"k{index % 997}", value=f"{index}")
                break
            except BufferError:
                producer.poll(0.05)
    assert producer.flush(60) == 0
    consumer = Consumer({"bootstrap.servers": cluster.bootstrap, "group.id": "eos-ends"})
    ends = {p: consumer.get_watermark_offsets(TopicPartition("eos-in", p), timeout=30)[1] for p in range(PARTITIONS)}
    consumer.close()
    assert sum(ends.values()) == RECORDS
    return ends


class Transformer:
    """One instance of eos_transformer.py and its history file."""

    def __init__(self, cluster, name, ends):
        self.name = name
        self.history = f"{cluster.directory}/history-{name}.jsonl"
        self.hold = f"{cluster.directory}/hold"
        self.output = open(f"{cluster.directory}/transformer-{name}.log", "w")
        script = os.path.join(os.path.dirname(__file__), "eos_transformer.py")
        self.process = subprocess.Popen(
            [sys.executable, script, cluster.bootstrap, "eos-in", "eos-out", GROUP, TRANSACTIONAL_ID, name,
             self.history, self.hold, json.dumps(ends)], stdout=self.output, stderr=subprocess.STDOUT)
        register(self.process.pid)

    def events(self):
        if not os.path.exists(self.history):
            return []
        with open(self.history) as f:
            return [json.loads(line) for line in f if line.endswith("\n")]

    def committed(self):
        return sum(1 for event in self.events() if "committed" in event)

    def wait_committed(self, count, what):
        def progressed():
            assert self.process.poll() is None, f"transformer {self.name} exited: {self.process.returncode}"
            return self.committed() >= count
        try:
            wait_for(progressed, 180, f"{count} transactions committed by transformer {self.name} ({what})")
        except AssertionError:
            self.show_stack()
            raise
        return self.committed()

    def show_stack(self):
        """Prints where a stalled transformer is (its faulthandler answers SIGUSR1) and its last events."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGUSR1)
            time.sleep(1)
        with open(self.output.name, errors="replace") as f:
            print(f"transformer {self.name}'s output, last lines:\n" + "".join(f.readlines()[-30:]))
        print(f"transformer {self.name}'s last events: {[str(e)[:120] for e in self.events()[-4:]]}")

    def add_to(self, history):
        """Its events into the checker's history; transactions it asked to commit but never heard of are unknown."""
        for event in self.events():
            if "begin" in event:
                history.began((self.name, event["begin"]))
            elif "wrote" in event:
                for partition, key, value in event["records"]:
                    history.wrote((self.name, event["wrote"]), partition, key, value)
            elif "commit" in event:
                history.ended((self.name, event["commit"]), txn_checker.UNKNOWN)
            elif "committed" in event:
                history.ended((self.name, event["committed"]), txn_checker.COMMITTED)
            elif "aborted" in event:
                history.ended((self.name, event["aborted"]), txn_checker.ABORTED)


class Supervisor:
    """Keeps one transformer instance running after the first, as an application's supervisor does: an instance
    that reports itself stalled (exit 4: no step for eos_transformer.STALL_SECONDS) is replaced by a new one with
    the same transactional id, which fences it. Any other exit fails the test."""

    def __init__(self, cluster, ends, transformers):
        self.cluster, self.ends, self.transformers = cluster, ends, transformers
        self.instances = []
        self.start()

    def start(self):
        name = chr(ord("b") + len(self.instances))
        self.instances.append(Transformer(self.cluster, name, self.ends))
        self.transformers.append(self.instances[-1])

    @property
    def current(self):
        return self.instances[-1]

    def committed(self):
        return sum(instance.committed() for instance in self.instances)

    def running(self):
        """Restarts a stalled instance; True while the current one runs, False once it finished (exit 0)."""
        code = self.current.process.poll()
        if code == 4:
            print(f"transformer {self.current.name} stalled: {[str(e)[:100] for e in self.current.events()[-3:]]}")
            self.start()
            return True
        assert code in (None, 0), f"transformer {self.current.name} exited: {code}"
        return code is None

    def wait_committed(self, count, what):
        def progressed():
            assert self.running(), "the transformer finished early"
            return self.committed() >= count
        try:
            wait_for(progressed, 240, f"{count} transactions committed after the first instance ({what})")
        except AssertionError:
            self.current.show_stack()
            raise

    def wait_finished(self):
        try:
            wait_for(lambda: not self.running(), 400, "the transformer to read the input to its end")
        except AssertionError:
            self.current.show_stack()
            raise
        assert "done" in self.current.events()[-1]


def read_output(cluster, isolation_level):
    """{partition: [(key, value)]} of `eos-out`, read to its end at an isolation level."""
    consumer = Consumer({"bootstrap.servers": cluster.bootstrap, "group.id": f"eos-read-{isolation_level}",
                         "enable.auto.commit": False, "isolation.level": isolation_level,
                         "enable.partition.eof": True})
    consumer.assign([TopicPartition("eos-out", p, 0) for p in range(PARTITIONS)])
    records, ended, deadline = {p: [] for p in range(PARTITIONS)}, set(), time.time() + 120
    try:
        while len(ended) < PARTITIONS:
            assert time.time() < deadline, "the output could not be read to its end"
            for message in consumer.consume(1000, 0.5):
                if message.error():
                    ended.add(message.partition())
                else:
                    records[message.partition()].append((message.key().decode(), message.value().decode()))
    finally:
        consumer.close()
    return records


def committed_offsets(cluster):
    consumer = Consumer({"bootstrap.servers": cluster.bootstrap, "group.id": GROUP})
    try:
        wanted = [TopicPartition("eos-in", p) for p in range(PARTITIONS)]
        return {p.partition: p.offset for p in consumer.committed(wanted, 30)}
    finally:
        consumer.close()


def kill_and_restart(cluster, broker_id, transformer, what):
    """SIGKILL a broker, let the transformer commit ten more transactions without it, start it again and wait
    until it is back in every output partition's ISR."""
    stop(cluster.brokers[broker_id].process, signal.SIGKILL)
    transformer.wait_committed(transformer.committed() + 10, f"with {what} {broker_id} killed")
    cluster.brokers[broker_id].start()
    wait_for(lambda: all(len(s["isr"]) == 3 for s in cluster.states("eos-out").values()), 90,
             f"broker {broker_id} back in the output's ISRs")


def test_consume_transform_produce_survives_kills_of_the_transformer_the_coordinator_and_an_output_leader():
    cluster = Cluster({"transaction.state.log.replication.factor": "3", "transaction.state.log.min.isr": "2",
                       "transaction.state.log.num.partitions": "3", "group.initial.rebalance.delay.ms": "0"})
    transformers = []
    try:
        cluster.create_topic("eos-in", partitions=PARTITIONS, replication=3)
        cluster.create_topic("eos-out", partitions=PARTITIONS, replication=3)
        ends = produce_input(cluster)

        # 1. The first instance, killed while it holds a transaction open with its records in the output log.
        first = Transformer(cluster, "a", ends)
        transformers.append(first)
        first.wait_committed(20, "before it is killed")
        open(first.hold, "w").close()
        wait_for(lambda: first.events() and "holding" in first.events()[-1], 120, "transformer a holding")
        held = [(p, key, value) for event in first.events() if event.get("wrote") == first.events()[-1]["holding"]
                for p, key, value in event["records"]]
        stop(first.process, signal.SIGKILL)
        os.remove(first.hold)

        # 2. Its successor (same transactional id) fences it, then the coordinator's broker is killed.
        second = Supervisor(cluster, ends, transformers)
        second.wait_committed(20, "after taking over")
        coordinator = cluster.leader(java_partition(TRANSACTIONAL_ID, 3), "__transaction_state")
        kill_and_restart(cluster, coordinator, second, "the coordinator's broker")

        # 3. The leader of an output partition.
        output_leader = cluster.leader(0, "eos-out")
        kill_and_restart(cluster, output_leader, second, "the output leader")

        second.wait_finished()

        committed, everything = read_output(cluster, "read_committed"), read_output(cluster, "read_uncommitted")
        offsets = committed_offsets(cluster)
        # The histories, read before the cluster's directory (which holds them) is removed.
        history = txn_checker.History()
        for transformer in transformers:
            transformer.add_to(history)
        aborts = [(t.name, e["abort"], e["error"][:120]) for t in transformers for e in t.events() if "abort" in e]
    finally:
        for transformer in transformers:
            stop(transformer.process, signal.SIGKILL)
        cluster.close()

    report = txn_checker.check(history, committed)

    # Each input record once in the output, at the input's partition, in input order per key.
    inputs = {}
    for partition, records in committed.items():
        for key, value in records:
            source, offset, _ = value.split("|")[0].split(":", 2)
            assert int(source) == partition
            inputs[(partition, int(offset))] = inputs.get((partition, int(offset)), 0) + 1
    expected = {(p, o) for p in range(PARTITIONS) for o in range(ends[p])}
    missing = expected - set(inputs)
    duplicated = [i for i, times in inputs.items() if times > 1]
    visible = {(p, value) for p, records in committed.items() for _, value in records}
    in_log = {(p, value) for p, records in everything.items() for _, value in records}
    held_visible = [record for record in held if (record[0], record[2]) in visible]
    held_in_log = [record for record in held if (record[0], record[2]) in in_log]
    print(f"aborted by the transformers (abortable errors): {aborts}; instances after the first: "
          f"{[t.name for t in transformers[1:]]} (each beyond b replaced a stalled one)")
    print(f"coordinator broker {coordinator} and output leader {output_leader} killed; inputs {RECORDS}, "
          f"transformed once {sum(1 for t in inputs.values() if t == 1)}, missing {len(missing)}, "
          f"duplicated {len(duplicated)}; the killed instance's open transaction: {len(held)} records, "
          f"{len(held_in_log)} in the log, {len(held_visible)} visible to read_committed; "
          f"records in the log {sum(map(len, everything.values()))}, committed offsets {offsets}")
    txn_checker.assert_valid(report)
    assert not missing and not duplicated, (sorted(missing)[:5], duplicated[:5])
    assert held and len(held_in_log) == len(held) and not held_visible
    assert offsets == ends
    assert report["aborted_transactions"] >= 1 and report["committed_transactions"] >= 40
    assert report["read"] == RECORDS
