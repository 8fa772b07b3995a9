"""Burrow 1.2.1 (Debian's package, LinkedIn's consumer-lag checker) against a broker: it reads the brokers' end
offsets with ListOffsets v0 and a group's committed offsets from ZooKeeper (`kafka_zk`, offsets.storage=zookeeper,
Burrow's sample client profile kafka-version 0.10.0) or from `__consumer_offsets` (`kafka`, offsets.storage=kafka,
kafka-version 2.0.0, and 0.10.0, with which it reads `__consumer_offsets` by Fetch v2 in message format v1), and its
HTTP API must report every partition's end offset, committed offset and lag exactly."""
import json
import os
import shutil
import subprocess
import time
import urllib.request

import pytest
from confluent_kafka import Consumer, KafkaException, Producer
from confluent_kafka import TopicPartition as ConfluentPartition
from confluent_kafka.admin import AdminClient, NewTopic

from conftest import free_port, register, single_broker, stop, wait_for

BURROW = shutil.which("Burrow") or "/usr/bin/Burrow"
PARTITIONS = 6
END = 100


@pytest.fixture(scope="module", params=[("zookeeper", "kafka_zk", "0.10.0"), ("kafka", "kafka", "2.0.0"),
                                        ("kafka", "kafka", "0.10.0")],
                ids=["zookeeper-offsets", "kafka-offsets", "kafka-offsets-0.10"])
def setup(request):
    for broker in single_broker({"offsets.storage": request.param[0]}):
        broker.consumer_module, broker.kafka_version = request.param[1:]
        yield broker


def burrow_config(directory, broker, http_port):
    zookeeper = f"127.0.0.1:{broker.zookeeper.port}"
    if broker.consumer_module == "kafka_zk":
        consumer = (f'class-name="kafka_zk"\ncluster="local"\nservers=["{zookeeper}"]\n'
                    'zookeeper-path="/kafka"\nzookeeper-timeout=30\n')
    else:
        consumer = f'class-name="kafka"\ncluster="local"\nservers=["{broker.bootstrap}"]\nclient-profile="profile"\n'
    return f'''[general]
pidfile="{directory}/burrow.pid"
[logging]
filename="{directory}/burrow.log"
level="info"
[zookeeper]
servers=["{zookeeper}"]
timeout=6
root-path="/burrow"
[client-profile.profile]
client-id="burrow"
kafka-version="{broker.kafka_version}"
[cluster.local]
class-name="kafka"
servers=["{broker.bootstrap}"]
client-profile="profile"
topic-refresh=10
offset-refresh=2
[consumer.local]
{consumer}
[httpserver.default]
address="127.0.0.1:{http_port}"
[storage.default]
class-name="inmemory"
workers=2
intervals=10
expire-group=604800
min-distance=1
'''


def get(port, path):
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=5) as response:
            return json.loads(response.read())
    except Exception:
        return None


def test_burrow_reports_every_partitions_lag(setup):
    broker = setup
    topic, group = "lagged", "watched"
    admin = AdminClient({"bootstrap.servers": broker.bootstrap})
    admin.create_topics([NewTopic(topic, PARTITIONS, 1)])[topic].result(30)
    producer = Producer({"bootstrap.servers": broker.bootstrap})
    for i in range(END * PARTITIONS):
        producer.produce(topic, value=b"v", partition=i % PARTITIONS)
    assert producer.flush(30) == 0
    committed = {p: 10 * (p + 1) for p in range(PARTITIONS)}
    consumer = Consumer({"bootstrap.servers": broker.bootstrap, "group.id": group, "enable.auto.commit": False})

    def commit():
        try:
            consumer.commit(offsets=[ConfluentPartition(topic, p, o) for p, o in committed.items()],
                            asynchronous=False)
            return True
        except KafkaException:
            return None
    wait_for(commit, 60, "the commit")
    consumer.close()

    directory = f"{broker.directory}/burrow"
    os.makedirs(directory)
    http_port = free_port()
    with open(f"{directory}/burrow.toml", "w") as f:
        f.write(burrow_config(directory, broker, http_port))
    with open(f"{directory}/out.log", "w") as out:
        burrow = subprocess.Popen([BURROW, "--config-dir", directory], stdout=out, stderr=subprocess.STDOUT,
                                  stdin=subprocess.DEVNULL)
    register(burrow.pid)
    try:
        offsets = wait_for(lambda: (get(http_port, f"/v3/kafka/local/topic/{topic}") or {}).get("offsets"), 60,
                           "Burrow's view of the topic's end offsets")
        assert offsets == [END] * PARTITIONS

        def lag():
            status = (get(http_port, f"/v3/kafka/local/consumer/{group}/lag") or {}).get("status") or {}
            return status if len(status.get("partitions") or []) == PARTITIONS else None
        status = wait_for(lag, 60, "Burrow's lag of the group")
        by_partition = {p["partition"]: p for p in status["partitions"]}
        assert {p: by_partition[p]["end"]["offset"] for p in range(PARTITIONS)} == committed
        assert {p: by_partition[p]["current_lag"] for p in range(PARTITIONS)} == {
            p: END - o for p, o in committed.items()}
        assert status["totallag"] == sum(END - o for o in committed.values())
        print(f"{broker.consumer_module} (kafka-version {broker.kafka_version}): total lag {status['totallag']}, "
              f"per partition {[by_partition[p]['current_lag'] for p in range(PARTITIONS)]}")
    finally:
        stop(burrow)
