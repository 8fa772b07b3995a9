"""Rack awareness (KIP-36) and fetching from followers (KIP-392), issue 15 item 6: brokers with `broker.rack`
register it and Metadata reports it; topic creation spreads each partition's replicas over the racks (Kafka's
rack-aware assignment); with `replica.selector.class=...RackAwareReplicaSelector`, a confluent-kafka consumer with
`client.rack` reads a partition from the replica in its rack (the follower's bytes-out counter moves, the leader's
does not), and one in the leader's rack reads from the leader."""
import json

import pytest
from confluent_kafka import Consumer, Producer
from confluent_kafka import TopicPartition as ConfluentPartition
from confluent_kafka.admin import AdminClient, NewTopic

from replication_harness import Cluster
from test_metrics import scrape, value

SELECTOR = "org.apache.kafka.common.replica.RackAwareReplicaSelector"
RACKS = {1: "rack-a", 2: "rack-a", 3: "rack-b", 4: "rack-b"}


@pytest.fixture(scope="module")
def cluster():
    cluster = Cluster({"replica.selector.class": SELECTOR, "metrics.port": "0", "metrics.host": "127.0.0.1"},
                      broker_ids=(1, 2, 3, 4), per_broker={b: {"broker.rack": r} for b, r in RACKS.items()})
    try:
        yield cluster
    finally:
        cluster.close()


def test_racks_are_registered_and_in_metadata(cluster):
    for broker_id, rack in RACKS.items():
        registration = json.loads(cluster.zk.get(f"/brokers/ids/{broker_id}")[0])
        assert registration["rack"] == rack
    admin = AdminClient({"bootstrap.servers": cluster.bootstrap})  # kept until the result is in
    nodes = admin.describe_cluster().result(30).nodes
    assert {node.id: node.rack for node in nodes} == RACKS


def test_new_topics_spread_replicas_over_the_racks(cluster):
    """Two racks of two brokers: every partition of a replication-factor-2 topic has one replica in each rack (a
    rack-unaware assignment over brokers 1-4 would put some partitions on 1 and 2, or 3 and 4), and leaders are
    spread over all four brokers."""
    admin = AdminClient({"bootstrap.servers": cluster.bootstrap})
    admin.create_topics([NewTopic("spread", 8, 2)])["spread"].result(30)
    assignment = json.loads(cluster.zk.get("/brokers/topics/spread")[0])["partitions"]
    assert len(assignment) == 8
    for replicas in assignment.values():
        assert sorted(RACKS[b] for b in replicas) == ["rack-a", "rack-b"], replicas
    assert {replicas[0] for replicas in assignment.values()} == {1, 2, 3, 4}


def bytes_out(cluster, broker_id, topic):
    return value(scrape(cluster.brokers[broker_id])[0], "kafka_server_brokertopicmetrics_bytesout_total",
                 topic=topic)


def read(cluster, topic, count, rack):
    consumer = Consumer({"bootstrap.servers": cluster.bootstrap, "group.id": f"reader-{rack}",
                         "client.rack": rack, "auto.offset.reset": "earliest", "enable.auto.commit": False})
    consumer.assign([ConfluentPartition(topic, 0, 0)])
    values = []
    while len(values) < count:
        message = consumer.poll(10)
        assert message is not None, f"read {len(values)} of {count}"
        assert message.error() is None, message.error()
        values.append(message.value())
    consumer.close()
    return values


def test_a_consumer_reads_from_the_replica_in_its_rack(cluster):
    topic = "follower-reads"
    admin = AdminClient({"bootstrap.servers": cluster.bootstrap})
    admin.create_topics([NewTopic(topic, 1, replica_assignment=[[1, 3]])])[topic].result(30)
    producer = Producer({"bootstrap.servers": cluster.bootstrap, "acks": "all"})
    sent = [f"v{i}".encode() * 20 for i in range(500)]
    for v in sent:
        producer.produce(topic, value=v, partition=0)
    assert producer.flush(30) == 0

    # rack-b: broker 3 (a follower) serves the records; the leader (broker 1) only points the consumer there.
    before = {b: bytes_out(cluster, b, topic) for b in (1, 3)}
    assert read(cluster, topic, len(sent), "rack-b") == sent
    served = {b: bytes_out(cluster, b, topic) - before[b] for b in (1, 3)}
    assert served[3] >= sum(map(len, sent)) and served[1] == 0, served
    print(f"rack-b consumer: {served[3]} bytes from the follower, {served[1]} from the leader")

    # rack-a: the leader is in the consumer's rack, so it reads there.
    before = {b: bytes_out(cluster, b, topic) for b in (1, 3)}
    assert read(cluster, topic, len(sent), "rack-a") == sent
    served = {b: bytes_out(cluster, b, topic) - before[b] for b in (1, 3)}
    assert served[1] >= sum(map(len, sent)) and served[3] == 0, served


def test_reassign_partitions_generate_is_rack_aware(cluster, tmp_path):
    """`swiftkafka-admin reassign-partitions --generate`, as kafka-reassign-partitions, proposes a rack-aware
    assignment from the brokers' racks in Metadata (and a plain one with --disable-rack-aware)."""
    from test_admin_cli import admin as tool
    admin = AdminClient({"bootstrap.servers": cluster.bootstrap})
    admin.create_topics([NewTopic("to-move", 8, 2)])["to-move"].result(30)
    topics = tmp_path / "topics.json"
    topics.write_text(json.dumps({"topics": [{"topic": "to-move"}], "version": 1}))
    output = tool(cluster, "reassign-partitions", "--generate", "--topics-to-move-json-file", str(topics),
                  "--broker-list", "1,2,3,4").stdout.splitlines()
    proposed = json.loads(output[4])["partitions"]
    assert len(proposed) == 8
    for partition in proposed:
        assert sorted(RACKS[b] for b in partition["replicas"]) == ["rack-a", "rack-b"], partition
