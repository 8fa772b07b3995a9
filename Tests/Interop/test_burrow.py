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


def test_the_shipped_burrow_config_watches_both_offset_stores_on_three_brokers(tmp_path):
    """conf/burrow.toml as docker/burrow-entrypoint.sh (the Burrow image's entrypoint, also what `scripts/run
    --burrow` renders) fills it in, against three brokers: a group committing to __consumer_offsets and one
    committing with OffsetCommit v0 (ZooKeeper, /consumers in the chroot) are both reported with their exact lag."""
    from replication_harness import Cluster
    from test_groups import Reader, request, string
    import struct
    cluster = Cluster()
    burrow = None
    try:
        topic = "watched-by-burrow"
        cluster.create_topic(topic, partitions=PARTITIONS, replication=3)
        producer = Producer({"bootstrap.servers": cluster.bootstrap, "acks": "all"})
        for i in range(END * PARTITIONS):
            producer.produce(topic, value=b"v", partition=i % PARTITIONS)
        assert producer.flush(30) == 0
        in_kafka = {p: 10 * (p + 1) for p in range(PARTITIONS)}
        consumer = Consumer({"bootstrap.servers": cluster.bootstrap, "group.id": "kafka-group",
                             "enable.auto.commit": False})
        wait_for(lambda: consumer.commit(offsets=[ConfluentPartition(topic, p, o) for p, o in in_kafka.items()],
                                         asynchronous=False) or True, 60, "the commit to __consumer_offsets")
        consumer.close()
        in_zookeeper = {p: 5 + 3 * p for p in range(PARTITIONS)}
        body = string("zk-group") + struct.pack(">i", 1) + string(topic) + struct.pack(">i", PARTITIONS)
        for p, o in in_zookeeper.items():
            body += struct.pack(">iq", p, o) + string("")
        reader = Reader(request(cluster.brokers[1].port, 8, 0, body))
        assert reader.int(">i") == 1 and reader.string() == topic and reader.int(">i") == PARTITIONS
        assert all(reader.int(">i") >= 0 and reader.int(">h") == 0 for _ in range(PARTITIONS))

        http_port = free_port()
        root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "../..")
        environment = dict(os.environ, SWIFTKAFKA_BOOTSTRAP=cluster.bootstrap,
                           SWIFTKAFKA_ZOOKEEPER=f"127.0.0.1:{cluster.zookeeper.port}", SWIFTKAFKA_CHROOT="/kafka",
                           SWIFTKAFKA_BURROW_HTTP=f"127.0.0.1:{http_port}", SWIFTKAFKA_BURROW_DIR=str(tmp_path), SWIFTKAFKA_BURROW_BINARY=BURROW)
        with open(tmp_path / "out.log", "w") as out:
            burrow = subprocess.Popen([f"{root}/docker/burrow-entrypoint.sh"], env=environment, stdout=out,
                                      stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        register(burrow.pid)
        for group, committed in (("kafka-group", in_kafka), ("zk-group", in_zookeeper)):
            def lag():
                status = (get(http_port, f"/v3/kafka/local/consumer/{group}/lag") or {}).get("status") or {}
                partitions = status.get("partitions") or []
                return status if len(partitions) == PARTITIONS and all(p.get("end") for p in partitions) else None
            status = wait_for(lag, 90, f"Burrow's lag of {group}")
            by_partition = {p["partition"]: p for p in status["partitions"]}
            assert {p: by_partition[p]["end"]["offset"] for p in range(PARTITIONS)} == committed
            assert {p: by_partition[p]["current_lag"] for p in range(PARTITIONS)} == {
                p: END - o for p, o in committed.items()}
            print(f"{group}: total lag {status['totallag']}")
        config = (tmp_path / "burrow.toml").read_text()
        assert f'servers=["{cluster.bootstrap.replace(",", chr(34) + "," + chr(34))}"]' in config
        assert not [line for line in config.splitlines() if "@" in line and not line.startswith("#")]
    finally:
        if burrow:
            stop(burrow)
        cluster.close()
