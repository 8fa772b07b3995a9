"""Partition reassignment and log directories through the admin API (KIP-455, issue 24), on three brokers, with
kafka-python 3.0.12's admin client (`alter_partition_reassignments`, `list_partition_reassignments`,
`describe_log_dirs`): a reassignment moves a partition's data to new brokers and is listed while in progress; a
target on a broker that is down stays in progress until it is cancelled, which reverts the partition; bad targets
get Kafka's errors; each broker describes its log directory with the partitions and their sizes."""
import json
import os
import signal
import time

import pytest
from confluent_kafka import Consumer, Producer
from confluent_kafka import TopicPartition as ConfluentPartition
from kafka import KafkaAdminClient, TopicPartition
from kafka.errors import InvalidReplicationAssignmentError, NoReassignmentInProgressError, UnknownTopicOrPartitionError

from conftest import wait_for
from replication_harness import Cluster


@pytest.fixture(scope="module")
def cluster():
    cluster = Cluster()
    try:
        yield cluster
    finally:
        cluster.close()


@pytest.fixture(scope="module")
def admin(cluster):
    client = KafkaAdminClient(bootstrap_servers=cluster.bootstrap)
    yield client
    client.close()


def assignment(cluster, topic):
    """{partition: replicas} and the adding/removing fields of the topic znode."""
    data = json.loads(cluster.zk.get(f"/brokers/topics/{topic}")[0])
    return ({int(p): r for p, r in data["partitions"].items()}, data.get("adding_replicas", {}),
            data.get("removing_replicas", {}))


def values(cluster, topic, partition):
    consumer = Consumer({"bootstrap.servers": cluster.bootstrap, "group.id": f"reader-{time.time()}",
                         "enable.auto.commit": False})
    end = consumer.get_watermark_offsets(ConfluentPartition(topic, partition), timeout=10)[1]
    consumer.assign([ConfluentPartition(topic, partition, 0)])
    out = []
    while len(out) < end:
        message = consumer.poll(10)
        assert message is not None and message.error() is None
        out.append(message.value().decode())
    consumer.close()
    return out


def test_a_reassignment_moves_the_data_and_is_listed_until_done(cluster, admin):
    topic = "moving"
    cluster.create_topic(topic, assignment=[[1], [2]], config={"min.insync.replicas": "1"})
    producer = Producer({"bootstrap.servers": cluster.bootstrap, "acks": "all"})
    for i in range(300):
        producer.produce(topic, value=f"v{i}".encode(), partition=i % 2)
    assert producer.flush(30) == 0
    before = values(cluster, topic, 0)

    results = admin.alter_partition_reassignments({TopicPartition(topic, 0): [2, 3],
                                                   TopicPartition(topic, 1): None})
    assert results[TopicPartition(topic, 0)] is None
    assert results[TopicPartition(topic, 1)] is NoReassignmentInProgressError
    wait_for(lambda: admin.list_partition_reassignments() == {}, 30, "the reassignment to finish")
    assert assignment(cluster, topic) == ({0: [2, 3], 1: [2]}, {}, {})
    state = cluster.states(topic)[0]
    assert sorted(state["isr"]) == [2, 3] and state["leader"] in (2, 3)
    assert values(cluster, topic, 0) == before
    wait_for(lambda: not os.path.exists(f"{cluster.brokers[1].directory}/logs/{topic}-0"), 30,
             "broker 1's replica to be deleted")
    assert cluster.replica_bytes(2, 0, topic) == cluster.replica_bytes(3, 0, topic)


def test_a_stuck_reassignment_is_listed_and_cancelled(cluster, admin):
    """A partition on one broker is reassigned to the controller and a third broker that is stopped (SIGSTOP:
    registered but silent), so the reassignment stays in progress: listed with the full replica set (target, then
    original), adding and removing, and in the topic znode, until cancelled — which puts the partition back on its
    original replica with nothing left in progress."""
    topic = "stuck"
    controller = cluster.controller()
    original, stopped_id = [b for b in (1, 2, 3) if b != controller]
    cluster.create_topic(topic, assignment=[[original]], config={"min.insync.replicas": "1"})
    producer = Producer({"bootstrap.servers": cluster.bootstrap, "acks": "all"})
    for i in range(50):
        producer.produce(topic, value=f"v{i}".encode())
    assert producer.flush(30) == 0
    stopped = cluster.brokers[stopped_id].process
    os.kill(stopped.pid, signal.SIGSTOP)
    try:
        target = [controller, stopped_id]
        assert admin.alter_partition_reassignments({TopicPartition(topic, 0): target}) == {
            TopicPartition(topic, 0): None}
        time.sleep(2)
        listed = admin.list_partition_reassignments()
        assert listed == {TopicPartition(topic, 0): {"replicas": target + [original], "adding_replicas": target,
                                                      "removing_replicas": [original]}}
        assert admin.list_partition_reassignments([TopicPartition(topic, 0)]) == listed
        assert assignment(cluster, topic) == ({0: target + [original]}, {"0": target}, {"0": [original]})
        assert admin.alter_partition_reassignments({TopicPartition(topic, 0): None}) == {
            TopicPartition(topic, 0): None}
        wait_for(lambda: admin.list_partition_reassignments() == {}, 30, "the cancellation")
        assert assignment(cluster, topic) == ({0: [original]}, {}, {})
        assert cluster.states(topic)[0]["leader"] == original
        assert admin.alter_partition_reassignments({TopicPartition(topic, 0): None}) == {
            TopicPartition(topic, 0): NoReassignmentInProgressError}
    finally:
        os.kill(stopped.pid, signal.SIGCONT)
    assert values(cluster, topic, 0) == [f"v{i}" for i in range(50)]


def test_bad_targets_get_kafkas_errors(cluster, admin):
    topic = "targets"
    cluster.create_topic(topic, assignment=[[1, 2]], config={"min.insync.replicas": "1"})
    results = admin.alter_partition_reassignments({
        TopicPartition(topic, 0): [1, 1],
        TopicPartition(topic, 5): [1],
        TopicPartition("no-such-topic", 0): [1],
    })
    assert results == {TopicPartition(topic, 0): InvalidReplicationAssignmentError,
                       TopicPartition(topic, 5): UnknownTopicOrPartitionError,
                       TopicPartition("no-such-topic", 0): UnknownTopicOrPartitionError}
    assert admin.alter_partition_reassignments({TopicPartition(topic, 0): [1, 9]}) == {
        TopicPartition(topic, 0): InvalidReplicationAssignmentError}
    assert assignment(cluster, topic) == ({0: [1, 2]}, {}, {})


def test_each_broker_describes_its_log_directory(cluster, admin):
    topic = "described"
    cluster.create_topic(topic, assignment=[[1, 2], [2, 3]], config={"min.insync.replicas": "1"})
    producer = Producer({"bootstrap.servers": cluster.bootstrap, "acks": "all"})
    for i in range(100):
        producer.produce(topic, value=b"x" * 100, partition=i % 2)
    assert producer.flush(30) == 0
    answers = {entry["broker"]: entry["log_dirs"] for entry in admin.describe_log_dirs()}
    assert set(answers) == {1, 2, 3}
    for broker_id, log_dirs in answers.items():
        assert [d["log_dir"] for d in log_dirs] == [f"{cluster.brokers[broker_id].directory}/logs"]
        assert log_dirs[0]["error_code"] == 0
        described = {(t["name"], p["partition_index"]): p for t in log_dirs[0]["topics"] if t["name"] == topic
                     for p in t["partitions"]}
        expected = {(topic, p) for p, replicas in enumerate([[1, 2], [2, 3]]) if broker_id in replicas}
        assert set(described) == expected
        for (_, partition), entry in described.items():
            directory = f"{cluster.brokers[broker_id].directory}/logs/{topic}-{partition}"
            on_disk = sum(os.path.getsize(f"{directory}/{n}") for n in os.listdir(directory) if n.endswith(".log"))
            assert entry["partition_size"] == on_disk > 0
            assert entry["offset_lag"] == 0 and entry["is_future_key"] is False


def tool(cluster, *args, check=True):
    from test_admin_cli import admin as run_tool
    return run_tool(cluster, *args, check=check)


def test_swiftkafka_admin_reassign_partitions_and_log_dirs(cluster, tmp_path):
    """`reassign-partitions` as kafka-reassign-partitions: --generate proposes an assignment over the broker list,
    --execute prints the current one and starts the move, --verify reports it complete, --list finds nothing in
    progress; the data follow; `log-dirs --describe` prints Kafka's JSON with the moved partition's sizes."""
    topic = "cli-moved"
    cluster.create_topic(topic, assignment=[[1], [1]], config={"min.insync.replicas": "1"})
    producer = Producer({"bootstrap.servers": cluster.bootstrap, "acks": "all"})
    for i in range(100):
        producer.produce(topic, value=f"v{i}".encode(), partition=i % 2)
    assert producer.flush(30) == 0

    to_move = tmp_path / "topics.json"
    to_move.write_text(json.dumps({"topics": [{"topic": topic}], "version": 1}))
    generated = tool(cluster, "reassign-partitions", "--generate", "--topics-to-move-json-file", str(to_move),
                     "--broker-list", "2,3").stdout.splitlines()
    assert generated[0] == "Current partition replica assignment"
    assert json.loads(generated[1]) == {"version": 1, "partitions": [
        {"topic": topic, "partition": p, "replicas": [1], "log_dirs": ["any"]} for p in (0, 1)]}
    assert generated[2:4] == ["", "Proposed partition reassignment configuration"]
    proposed = json.loads(generated[4])
    assert sorted(p["partition"] for p in proposed["partitions"]) == [0, 1]
    assert {p["replicas"][0] for p in proposed["partitions"]} == {2, 3}, "leaders spread over the broker list"

    plan = tmp_path / "plan.json"
    plan.write_text(json.dumps({"version": 1, "partitions": [
        {"topic": topic, "partition": 0, "replicas": [2, 3], "log_dirs": ["any", "any"]},
        {"topic": topic, "partition": 1, "replicas": [3], "log_dirs": ["any"]}]}))
    executed = tool(cluster, "reassign-partitions", "--execute", "--reassignment-json-file", str(plan)).stdout
    assert executed.splitlines()[0:2] == ["Current partition replica assignment", ""]
    assert json.loads(executed.splitlines()[2])["partitions"][0]["replicas"] == [1]
    assert "Save this to use as the --reassignment-json-file option during rollback" in executed
    assert executed.splitlines()[-1] == f"Successfully started partition reassignments for {topic}-0,{topic}-1"

    def verified():
        result = tool(cluster, "reassign-partitions", "--verify", "--reassignment-json-file", str(plan), check=False)
        return result.returncode == 0 and result.stdout
    output = wait_for(verified, 30, "--verify to report the reassignment complete")
    assert output.splitlines() == ["Status of partition reassignment:",
                                   f"Reassignment of partition {topic}-0 is complete.",
                                   f"Reassignment of partition {topic}-1 is complete."]
    assert tool(cluster, "reassign-partitions", "--list").stdout == "No partition reassignments found.\n"
    assert assignment(cluster, topic)[0] == {0: [2, 3], 1: [3]}
    assert values(cluster, topic, 1) == [f"v{i}" for i in range(1, 100, 2)]
    cancelled = tool(cluster, "reassign-partitions", "--cancel", "--reassignment-json-file", str(plan), check=False)
    assert cancelled.returncode == 1 and cancelled.stderr.splitlines() == [
        "Error: Unable to cancel partition reassignments:",
        f"{topic}-0: No reassignment in progress for partition {topic}-0.",
        f"{topic}-1: No reassignment in progress for partition {topic}-1."]

    described = tool(cluster, "log-dirs", "--describe", "--topic-list", topic).stdout.splitlines()
    assert described[0] == "Querying brokers for log directories information"
    assert described[1] == "Received log directory information from brokers 1,2,3"
    brokers = {b["broker"]: b["logDirs"] for b in json.loads(described[2])["brokers"]}
    assert [d["logDir"] for d in brokers[3]] == [f"{cluster.brokers[3].directory}/logs"]
    held = {b: sorted(p["partition"] for d in dirs for p in d["partitions"]) for b, dirs in brokers.items()}
    wait_for(lambda: not os.path.exists(f"{cluster.brokers[1].directory}/logs/{topic}-0"), 30, "broker 1's copies")
    assert held[2] == [f"{topic}-0"] and held[3] == [f"{topic}-0", f"{topic}-1"]
    sizes = {p["partition"]: p["size"] for p in brokers[3][0]["partitions"]}
    assert sizes[f"{topic}-1"] == cluster.replica_bytes(3, 1, topic).__len__() > 0
