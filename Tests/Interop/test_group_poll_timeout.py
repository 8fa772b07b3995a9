"""A consumer over max.poll.interval.ms (issue 15 item 4(b)), with librdkafka on both sides: the busy member leaves
the group (librdkafka's LeaveGroup when its poll timer runs out) and rejoins at its next poll, asked for a member id
first (MEMBER_ID_REQUIRED, KIP-394). The other member, heartbeating every 5 s, learns of the rebalance only after
both happened, and the coordinator waits for the member it expects: the other member goes through one rebalance
(one revocation, one assignment), as with Kafka 2.8, not one without the busy member and another with it. The case
where the other member rejoins between the two JoinGroups of the busy one is `GroupCoordinatorTests`'."""
import threading
import time

import pytest
from confluent_kafka import Consumer, KafkaError, Producer
from confluent_kafka.admin import AdminClient, NewTopic

from conftest import single_broker, wait_for

TOPIC = "busy"


@pytest.fixture(scope="module")
def broker():
    # group.min.session.timeout.ms lowered so that the busy member's max.poll.interval.ms (which librdkafka wants at
    # least its session timeout) can be 2 s.
    yield from single_broker({"group.min.session.timeout.ms": "1000", "group.initial.rebalance.delay.ms": "0"})


def test_a_member_over_max_poll_interval_costs_the_others_one_rebalance(broker):
    admin = AdminClient({"bootstrap.servers": broker.bootstrap})
    admin.create_topics([NewTopic(TOPIC, 4, 1)])[TOPIC].result(30)
    producer = Producer({"bootstrap.servers": broker.bootstrap})
    for index in range(40):
        producer.produce(TOPIC, value=str(index).encode(), partition=index % 4)
    assert producer.flush(30) == 0

    events = []
    common = {"bootstrap.servers": broker.bootstrap, "group.id": "busy-group", "auto.offset.reset": "earliest",
              "partition.assignment.strategy": "range"}

    def callbacks(name):
        return (lambda _, parts: events.append((name, "assign", sorted(p.partition for p in parts))),
                lambda _, parts: events.append((name, "revoke", sorted(p.partition for p in parts))))

    stop = threading.Event()
    other = Consumer(dict(common, **{"client.id": "other", "session.timeout.ms": 15000,
                                     "heartbeat.interval.ms": 5000}))

    def run_other():
        on_assign, on_revoke = callbacks("other")
        other.subscribe([TOPIC], on_assign=on_assign, on_revoke=on_revoke)
        while not stop.is_set():
            other.poll(0.05)
    thread = threading.Thread(target=run_other)
    thread.start()
    # The other member first, alone (all four partitions), then the busy one joins: the same order every run.
    wait_for(lambda: [e for e in events if e[:2] == ("other", "assign") and len(e[2]) == 4], 30,
             "the other member alone in the group")
    busy = Consumer(dict(common, **{"client.id": "busy", "session.timeout.ms": 2000,
                                    "heartbeat.interval.ms": 500, "max.poll.interval.ms": 2000}))
    try:
        on_assign, on_revoke = callbacks("busy")
        busy.subscribe([TOPIC], on_assign=on_assign, on_revoke=on_revoke)
        def current(name):
            """A member's partitions: its last assignment (eager protocol: each assignment is the whole set)."""
            assigned = [e[2] for e in events if e[0] == name and e[1] == "assign"]
            return assigned[-1] if assigned else []
        # Both members in one generation (the first to join may have had all four partitions alone before).
        deadline = time.time() + 30
        while not (current("busy") and current("other") and sorted(current("busy") + current("other")) == [0, 1, 2, 3]):
            assert time.time() < deadline, f"both members assigned: {events}"
            busy.poll(0.05)
        before = list(events)

        # Busy in the application until the coordinator has seen it leave, then back to polling at once.
        def left():
            description = admin.describe_consumer_groups(["busy-group"])["busy-group"].result(10)
            return [m.client_id for m in description.members] == ["other"]
        wait_for(left, 10, "the busy member to leave the group after max.poll.interval.ms")
        errors = []
        deadline = time.time() + 20
        while time.time() < deadline and not [e for e in events[len(before):] if e[:2] == ("busy", "assign")]:
            message = busy.poll(0.05)
            if message is not None and message.error():
                errors.append(message.error().code())
        assert KafkaError._MAX_POLL_EXCEEDED in errors
        wait_for(lambda: [e for e in events[len(before):] if e[:2] == ("other", "assign")], 30,
                 "the other member's assignment")
        # One more heartbeat interval of the other member (and polls of the busy one): no second rebalance.
        quiet = time.time() + 6
        while time.time() < quiet:
            busy.poll(0.05)
        observed = events[len(before):]
    finally:
        stop.set()
        thread.join(30)
        other.close()
        busy.close()
    # Eager range: the other member gives back its two partitions once and gets two back once; the busy member
    # (revoked when it left) gets two.
    assert [(name, kind, len(parts)) for name, kind, parts in observed if name == "other"] == [
        ("other", "revoke", 2), ("other", "assign", 2)], observed
    assert [(kind, len(parts)) for name, kind, parts in observed if name == "busy"][-1] == ("assign", 2), observed
