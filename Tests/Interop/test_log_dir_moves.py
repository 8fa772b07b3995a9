"""Replicas moving between a broker's log directories (AlterReplicaLogDirs, issue 24), on two brokers with two
log directories each: `swiftkafka-admin reassign-partitions` with `log_dirs` moves every replica of topic `w` (leaders
and followers) to its broker's other directory while workload W writes; nothing acknowledged is lost, the replicas
stay identical, the old directories are removed, and a restart finds each partition where it moved. Kafka 2.8's
answers for directories and partitions it cannot move, and a partition created after it was asked for goes to the
directory named."""
import json
import os
import shutil
import struct
import tempfile

import pytest

from conftest import wait_for
from replication_harness import PARTITIONS, TOPIC, Cluster, Workload, read_all
from test_groups import request, string
from test_reassignment_api import tool

BROKERS = (1, 2)


@pytest.fixture(scope="module")
def cluster():
    base = tempfile.mkdtemp(prefix="swiftkafka-logdirs-")
    directories = {b: (f"{base}/broker{b}-a", f"{base}/broker{b}-b") for b in BROKERS}
    cluster = Cluster(broker_ids=BROKERS,
                      properties={"log.segment.bytes": "262144", "log.segment.delete.delay.ms": "300",
                                  "log.retention.check.interval.ms": "500"},
                      per_broker={b: {"log.dirs": ",".join(d)} for b, d in directories.items()})
    cluster.log_dirs = directories
    try:
        yield cluster
    finally:
        cluster.close()
        shutil.rmtree(base, ignore_errors=True)


def holder(cluster, broker, partition, topic=TOPIC):
    """The log directory of `broker` holding the partition, or None."""
    found = [d for d in cluster.log_dirs[broker] if os.path.isdir(f"{d}/{topic}-{partition}")]
    assert len(found) <= 1, f"{topic}-{partition} in two directories of broker {broker}: {found}"
    return found[0] if found else None


def other(cluster, broker, directory):
    return next(d for d in cluster.log_dirs[broker] if d != directory)


def log_bytes(directory):
    return b"".join(open(f"{directory}/{n}", "rb").read() for n in sorted(os.listdir(directory)) if n.endswith(".log"))


def test_every_replica_moves_to_its_other_directory_under_a_producer(cluster, tmp_path):
    cluster.create_topic(replication=2, config={"min.insync.replicas": "1"})
    replicas = {int(p): r for p, r in json.loads(cluster.zk.get(f"/brokers/topics/{TOPIC}")[0])["partitions"].items()}
    before = {(b, p): holder(cluster, b, p) for p in range(PARTITIONS) for b in replicas[p]}
    assert None not in before.values()
    assert {d for d in before.values()} == {d for b in BROKERS for d in cluster.log_dirs[b]}, "both directories used"
    targets = {key: other(cluster, key[0], d) for key, d in before.items()}
    plan = tmp_path / "plan.json"
    plan.write_text(json.dumps({"version": 1, "partitions": [
        {"topic": TOPIC, "partition": p, "replicas": replicas[p],
         "log_dirs": [targets[(b, p)] for b in replicas[p]]} for p in range(PARTITIONS)]}))

    workload = Workload(cluster, count=30_000).start()
    workload.wait_sent(0.25)
    executed = tool(cluster, "reassign-partitions", "--execute", "--reassignment-json-file", str(plan)).stdout
    moves = sorted(before, key=lambda key: (key[0], key[1]))
    assert executed.splitlines()[-1] == ("Successfully started log directory moves for: "
                                         + ",".join(f"{b}-{TOPIC}-{p}" for b, p in moves))

    def verified():
        result = tool(cluster, "reassign-partitions", "--verify", "--reassignment-json-file", str(plan), check=False)
        return result.returncode == 0 and result.stdout
    output = wait_for(verified, 60, "--verify to report every move complete")
    assert output.splitlines() == (["Status of partition reassignment:"]
                                   + [f"Reassignment of partition {TOPIC}-{p} is complete." for p in range(PARTITIONS)]
                                   + [f"Reassignment of replica {b}-{TOPIC}-{p} completed successfully."
                                      for b, p in moves])
    workload.finish()

    for (broker, partition), target in targets.items():
        assert holder(cluster, broker, partition) == target
    for broker in BROKERS:
        with open(f"{cluster.brokers[broker].directory}/broker.log") as f:
            log = f.read()
        assert log.count("Moved the replica to another log directory") == sum(1 for b, _ in moves if b == broker)
        assert "abandoned" not in log
    # The old directories are renamed -delete and removed after log.segment.delete.delay.ms.
    wait_for(lambda: not any(n.endswith(("-delete", "-future")) for b in BROKERS for d in cluster.log_dirs[b]
                             for n in os.listdir(d)), 30, "the moved replicas' old directories to be removed")
    records = read_all(cluster)
    lost = [v for v, position in workload.acked.items() if records.get(position) != v]
    values = list(records.values())
    print(f"figures: acked {len(workload.acked)}, failed {len(workload.failed)}, lost {len(lost)}, "
          f"duplicates {len(values) - len(set(values))}")
    assert len(workload.acked) == workload.count and lost == []
    assert len(values) == len(set(values))
    for partition in range(PARTITIONS):
        first, second = replicas[partition]
        wait_for(lambda: log_bytes(f"{targets[(first, partition)]}/{TOPIC}-{partition}")
                 == log_bytes(f"{targets[(second, partition)]}/{TOPIC}-{partition}"), 30,
                 f"the replicas of {TOPIC}-{partition} to be identical")

    # A restart finds every partition where it moved, with the same records.
    for broker in BROKERS:
        cluster.brokers[broker].restart()
    cluster.wait_fully_in_sync(60)
    assert read_all(cluster) == records
    for (broker, partition), target in targets.items():
        assert holder(cluster, broker, partition) == target


def alter_replica_log_dirs(port, directory, topic, partitions, version=1):
    """AlterReplicaLogDirs v1 for one directory and topic; returns [(partition, error code)]."""
    body = (struct.pack(">i", 1) + string(directory) + struct.pack(">i", 1) + string(topic)
            + struct.pack(">i", len(partitions)) + b"".join(struct.pack(">i", p) for p in partitions))
    answer = request(port, 34, version, body)
    throttle, topics = struct.unpack_from(">ii", answer)
    assert throttle == 0 and topics == 1
    length = struct.unpack_from(">h", answer, 8)[0]
    assert answer[10:10 + length].decode() == topic
    offset = 10 + length
    count = struct.unpack_from(">i", answer, offset)[0]
    return [struct.unpack_from(">ih", answer, offset + 4 + 6 * i) for i in range(count)]


def test_kafkas_answers_and_a_partition_created_after_it_was_placed(cluster, tmp_path):
    broker = cluster.brokers[1]
    a, b = cluster.log_dirs[1]
    cluster.create_topic("placed", assignment=[[1]], config={"min.insync.replicas": "1"})
    current = holder(cluster, 1, 0, "placed")
    assert alter_replica_log_dirs(broker.port, "/no/such/dir", "placed", [0]) == [(0, 57)]  # LOG_DIR_NOT_FOUND
    assert alter_replica_log_dirs(broker.port, os.path.relpath(a), "placed", [0]) == [(0, 57)]
    assert alter_replica_log_dirs(broker.port, current, "placed", [0]) == [(0, 0)]  # already there
    assert not any(n.endswith("-future") for n in os.listdir(other(cluster, 1, current)))
    # A replica the broker does not host: REPLICA_NOT_AVAILABLE, and the directory is remembered for it.
    assert alter_replica_log_dirs(broker.port, b, "later", [0]) == [(0, 9)]
    assert alter_replica_log_dirs(broker.port, a, "later", [1]) == [(1, 9)]
    cluster.create_topic("later", assignment=[[1], [1]], config={"min.insync.replicas": "1"})
    assert holder(cluster, 1, 0, "later") == b and holder(cluster, 1, 1, "later") == a

    plan = tmp_path / "bad.json"
    plan.write_text(json.dumps({"version": 1, "partitions": [
        {"topic": "placed", "partition": 0, "replicas": [1], "log_dirs": ["/no/such/dir"]}]}))
    bad = tool(cluster, "reassign-partitions", "--execute", "--reassignment-json-file", str(plan), check=False)
    assert bad.returncode == 1 and "Failed to alter dir for 1-placed-0" in bad.stderr
