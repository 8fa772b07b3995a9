"""Consumer group fault tests (reliability.md B6, tests 23 and 24): a group of three member processes
(group_member.py) works through topic `g`, committing after every batch, while its members are bounced (SIGTERM,
then kill -9) or the brokers are rolled under it. Every record is processed at least once; duplicates only where a
member died between processing and committing; rebalances as few and as quick as Kafka's."""
import collections
import os
import signal
import subprocess
import sys
import time

import pytest
from confluent_kafka import Producer
from confluent_kafka.admin import AdminClient

from conftest import register, stop, wait_for
from replication_harness import Cluster

RECORDS = 30_000
PARTITIONS = 6
MEMBER = os.path.join(os.path.dirname(__file__), "group_member.py")


@pytest.fixture
def cluster():
    c = Cluster()
    try:
        c.create_topic("g", partitions=PARTITIONS)
        producer = Producer({"bootstrap.servers": c.bootstrap, "acks": "all", "linger.ms": 5})
        for index in range(RECORDS):
            producer.produce("g", value=str(index).encode(), partition=index % PARTITIONS)
            if index % 5000 == 0:
                producer.poll(0)
        assert producer.flush(60) == 0
        yield c
    finally:
        c.close()


class Group:
    def __init__(self, cluster, directory, session_ms, delay):
        self.cluster, self.directory, self.session_ms = cluster, directory, session_ms
        self.delay_file = f"{directory}/delay"
        self.set_delay(delay)
        self.name = f"g-{time.time_ns()}"
        self.members, self.outputs = [], []

    def start_member(self):
        output = f"{self.directory}/member-{len(self.outputs)}.txt"
        with open(f"{output}.stderr", "w") as errors:  # librdkafka's log (MEMBER_DEBUG adds its debug lines)
            process = subprocess.Popen([sys.executable, MEMBER, self.cluster.bootstrap, self.name, "g", output,
                                        str(self.session_ms), self.delay_file], stdout=subprocess.DEVNULL,
                                       stderr=errors)
        register(process.pid)
        self.members.append(process)
        self.outputs.append(output)
        return process

    def set_delay(self, seconds):
        """The members' pause after each batch from their next batch on: long while the test disturbs the group
        (the work must outlast the disturbance), none once it has (the rest is done quickly)."""
        with open(f"{self.delay_file}.new", "w") as f:
            f.write(str(seconds))
        os.replace(f"{self.delay_file}.new", self.delay_file)

    def lines(self):
        for path in self.outputs:
            if os.path.exists(path):
                yield from open(path).read().splitlines()

    def processed(self):
        return [tuple(map(int, line.split())) for line in self.lines() if line[0].isdigit()]

    def description(self):
        admin = AdminClient({"bootstrap.servers": self.cluster.bootstrap})
        return admin.describe_consumer_groups([self.name])[self.name].result(30)

    def stable_with(self, count):
        """True once the group is Stable with `count` members that together hold every partition."""
        try:
            description = self.description()
        except Exception:
            return False
        held = sorted(tp.partition for m in description.members for tp in m.assignment.topic_partitions)
        return (description.state.name == "STABLE" and len(description.members) == count
                and held == list(range(PARTITIONS)))

    def committed(self):
        """The group's committed offset of each partition of `g` (0 where none is committed)."""
        admin = AdminClient({"bootstrap.servers": self.cluster.bootstrap})
        from confluent_kafka import ConsumerGroupTopicPartitions, TopicPartition
        request = ConsumerGroupTopicPartitions(self.name, [TopicPartition("g", p) for p in range(PARTITIONS)])
        offsets = admin.list_consumer_group_offsets([request])[self.name].result(30)
        return [max(tp.offset, 0) for tp in offsets.topic_partitions]

    def committed_all(self):
        return sum(self.committed())

    def working(self):
        """True once every partition has a committed offset: each member has found where to start and is past
        librdkafka's start-offset lookup (see test 24)."""
        try:
            return all(offset > 0 for offset in self.committed())
        except Exception:
            return False

    def stop(self):
        for process in self.members:
            if process.poll() is None:
                stop(process)


def tally(group):
    counts = collections.Counter(group.processed())
    seen = set(counts)
    per_partition = RECORDS // PARTITIONS
    lost = [(p, o) for p in range(PARTITIONS) for o in range(per_partition) if (p, o) not in seen]
    duplicates = sum(c - 1 for c in counts.values() if c > 1)
    return lost, duplicates


def duplicate_report(group):
    """Where the records processed twice were processed (member file, line numbers) and what else each member
    wrote (assignments, refused commits): printed when a test finds duplicates, to tell a rebalance from a rewind."""
    places = collections.defaultdict(list)
    report = []
    for path in group.outputs:
        if not os.path.exists(path):
            continue
        for number, line in enumerate(open(path).read().splitlines(), 1):
            if line[:1].isdigit():
                places[tuple(map(int, line.split()))].append(f"{os.path.basename(path)}:{number}")
            else:
                report.append(f"{os.path.basename(path)}:{number}: {line}")
    twice = sorted(record for record, where in places.items() if len(where) > 1)
    for partition in sorted({p for p, _ in twice}):
        offsets = [o for p, o in twice if p == partition]
        first = next(record for record in twice if record[0] == partition)
        report.append(f"partition {partition}: offsets {offsets[0]}..{offsets[-1]} ({len(offsets)}) processed at "
                      f"{', '.join(places[first])} (first of them)")
    return "\n".join(report)


def test_23_consumer_bounces(cluster, tmp_path):
    """Five rolling SIGTERMs of the group's members (each replaced), then kill -9 of one: clean bounces cause no
    duplicate; the killed member's uncommitted batch at most is processed again; nothing is lost; each rebalance
    after a kill completes within session.timeout.ms + 5 s."""
    session_ms = 6000
    group = Group(cluster, tmp_path, session_ms, delay=0.8)  # 40 s of work at least: the bounces end before it
    try:
        for _ in range(3):
            group.start_member()
        wait_for(lambda: group.stable_with(3), 60, "three members sharing the partitions")
        rebalances = []
        for bounce in range(5):
            victim = group.members[bounce % 3] if bounce < 3 else group.members[-1]
            stop(victim, signal.SIGTERM)
            assert victim.returncode == 0
            group.start_member()
            started = time.time()
            wait_for(lambda: group.stable_with(3), 60, f"the group stable after bounce {bounce + 1}")
            rebalances.append(time.time() - started)
        clean_duplicates = tally(group)[1]
        refusals_before_kill = sum(1 for line in group.lines() if line.startswith("commit refused"))
        assert group.committed_all() < RECORDS, "the work was over before the kill"
        live = [m for m in group.members if m.poll() is None]
        stop(live[0], signal.SIGKILL)
        killed = time.time()
        wait_for(lambda: group.stable_with(2), session_ms / 1000 + 30, "the group stable without the killed member")
        after_kill = time.time() - killed
        group.set_delay(0)
        wait_for(lambda: group.committed_all() >= RECORDS, 240, "every record committed")
    finally:
        group.stop()
    lost, duplicates = tally(group)
    print(f"test 23: 5 clean bounces (rebalances {', '.join(f'{s:.1f}' for s in rebalances)} s), "
          f"{clean_duplicates} duplicates after them ({refusals_before_kill} commits refused); kill -9: group stable "
          f"{after_kill:.1f} s later, {duplicates - clean_duplicates} records processed again; {len(lost)} lost")
    if duplicates:
        print(duplicate_report(group))
    assert lost == []
    assert clean_duplicates == 0, "a clean bounce made a record be processed twice"
    assert duplicates - clean_duplicates <= 200, "more processed again than the killed member's last batch"
    assert after_kill <= session_ms / 1000 + 5


def test_24_broker_rolling_bounce_under_a_group(cluster, tmp_path):
    """The three brokers restarted one at a time (SIGTERM, back in every ISR before the next) while the group
    works, with session.timeout.ms=30000: no member is reassigned (the coordinator moves with
    __consumer_offsets, members find it again), committed offsets survive, nothing is lost or processed twice.

    The roll starts once every partition has a committed offset. Started earlier, while a member still looks up
    its partitions' BEGINNING offset, it can meet a librdkafka bug (2.16, `rd_kafka_toppar_handle_Offset`): a
    ListOffsets answered by the old leader after the partition already fetches from the new one is "outdated",
    and librdkafka then restarts the offset lookup anyway, fetches the partition from offset 0 a second time under
    the same fetch version and hands the records to the application twice (seen here: a fast-restarted broker
    answered the retried request; the member processed 400 records of one partition twice, librdkafka's stored
    offset never moved back)."""
    group = Group(cluster, tmp_path, 30000, delay=1.5)  # 75 s of work at least: the roll ends before it
    try:
        for _ in range(3):
            group.start_member()
        wait_for(lambda: group.stable_with(3), 90, "three members sharing the partitions")
        wait_for(group.working, 60, "a committed offset on every partition")
        assignments_before = sum(1 for line in group.lines() if line.startswith("assigned"))
        for broker in cluster.brokers.values():
            stop(broker.process)
            broker.start()
            wait_for(lambda: cluster.fully_in_sync("g") and cluster.fully_in_sync("__consumer_offsets"), 60,
                     "g and __consumer_offsets fully in sync")
        assignments_after = sum(1 for line in group.lines() if line.startswith("assigned"))
        assert group.committed_all() < RECORDS, "the work was over before the roll ended"
        group.set_delay(0)
        wait_for(lambda: group.committed_all() >= RECORDS, 300, "every record committed")
    finally:
        group.stop()
    lost, duplicates = tally(group)
    print(f"test 24: rolling bounce of 3 brokers: {assignments_after - assignments_before} reassignments, "
          f"{duplicates} duplicates, {len(lost)} lost")
    if duplicates:
        print(duplicate_report(group))
    assert lost == [] and duplicates == 0
    assert assignments_after == assignments_before, "a broker bounce made the group rebalance"
