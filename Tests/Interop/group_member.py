#!/usr/bin/env python3
"""One consumer group member as a process of its own, for the group fault tests (test_group_faults.py):

    group_member.py BOOTSTRAP GROUP TOPIC OUTPUT SESSION_TIMEOUT_MS BATCH_DELAY_S

BATCH_DELAY_S is the pause after each batch in seconds, or a file holding it.

It consumes with confluent-kafka (eager range assignment, manual commits), appends "<partition> <offset>" for every
record it processed to OUTPUT and flushes before it commits the batch synchronously, and writes "assigned <n>" at
every assignment. SIGTERM ends it cleanly (the current batch committed, the group left); kill -9 does not."""
import os
import signal
import sys
import time

from confluent_kafka import Consumer, KafkaException

bootstrap, group, topic, output, session_ms, delay = sys.argv[1:7]
stopping = False


def terminate(*_):
    global stopping
    stopping = True


signal.signal(signal.SIGTERM, terminate)
out = open(output, "a", buffering=1)
consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": group, "enable.auto.commit": False,
                     "auto.offset.reset": "earliest", "session.timeout.ms": int(session_ms),
                     "heartbeat.interval.ms": max(500, int(session_ms) // 10),
                     **({"debug": os.environ["MEMBER_DEBUG"]} if os.environ.get("MEMBER_DEBUG") else {})})
consumer.subscribe([topic], on_assign=lambda c, ps: out.write(f"assigned {len(ps)}\n"))
while not stopping:
    messages = [m for m in consumer.consume(200, timeout=0.2) if m.error() is None]
    if not messages:
        continue
    out.write("".join(f"{m.partition()} {m.offset()}\n" for m in messages))
    out.flush()
    os.fsync(out.fileno())
    try:
        consumer.commit(asynchronous=False)
    except KafkaException as error:
        out.write(f"commit refused {error.args[0].name()}\n")  # a commit that crossed a rebalance
    # The pause after each batch: BATCH_DELAY_S, or the number in the file BATCH_DELAY_S names (read at every
    # batch, so a test can slow the group down while it disturbs it and let it finish quickly afterwards).
    time.sleep(float(open(delay).read()) if os.path.exists(delay) else float(delay))
consumer.close()
out.write("closed\n")
