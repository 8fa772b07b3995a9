"""ZooKeeper ACLs (issue 17, `zookeeper.set.acl=true`): the brokers authenticate with the username and password of
the JAAS `Client` section that KAFKA_OPTS names, as Kafka's do, and every znode they create is theirs to change
and the world's only to read — except credentials and broker configs under /config/users and /config/brokers,
which the world cannot even read, and the old consumers' /consumers, which stays open. Checked from outside with
kazoo, unauthenticated and authenticated, on a two-broker cluster that elects, replicates and stores SCRAM users."""
import json
import os
import shutil
import subprocess
import tempfile
import uuid

import pytest
from confluent_kafka import Producer
from confluent_kafka.admin import AdminClient, NewTopic
from kazoo.client import KazooClient
from kazoo.exceptions import NoAuthError
from kazoo.security import make_digest_acl_credential

from conftest import Broker, ZooKeeper, stop, wait_for

ADMIN = os.environ.get("SWIFTKAFKA_ADMIN",
                       os.path.join(os.path.dirname(__file__), "../../.build/debug/swiftkafka-admin"))
JAAS = """KafkaServer {
  org.apache.kafka.common.security.plain.PlainLoginModule required username="unused" password="unused";
};
Client {
  org.apache.zookeeper.server.auth.DigestLoginModule required
  username="kafka"
  password="zk-secret";
};
"""


@pytest.fixture(scope="module")
def secured_zk():
    directory = tempfile.mkdtemp(prefix="swiftkafka-zkacl-")
    zookeeper = ZooKeeper(f"{directory}/zk")
    with open(f"{directory}/jaas.conf", "w") as f:
        f.write(JAAS)
    env = {"KAFKA_OPTS": f"-Xmx1G -Djava.security.auth.login.config={directory}/jaas.conf"}
    brokers = []
    try:
        for broker_id in (1, 2):
            os.makedirs(f"{directory}/broker{broker_id}")
            brokers.append(Broker(broker_id, zookeeper, f"{directory}/broker{broker_id}",
                                  {"zookeeper.set.acl": "true", "offsets.topic.replication.factor": "2",
                                   # The ACL store's znodes too (the brokers talk as User:ANONYMOUS: super users).
                                   "authorizer.class.name": "kafka.security.authorizer.AclAuthorizer",
                                   "super.users": "User:ANONYMOUS"}, env=env))
        yield zookeeper, brokers, directory
    finally:
        for broker in brokers:
            stop(broker.process)
        stop(zookeeper.process)
        if os.environ.get("SWIFTKAFKA_KEEP_TEST_DIRS") is None:
            shutil.rmtree(directory, ignore_errors=True)


def kazoo(zookeeper, auth=None):
    client = KazooClient(hosts=zookeeper.connect, timeout=10, auth_data=auth)
    client.start()
    return client


def test_znodes_belong_to_the_brokers_and_the_world_may_only_read(secured_zk):
    zookeeper, brokers, _ = secured_zk
    topic = f"acl-{uuid.uuid4().hex[:6]}"
    admin = AdminClient({"bootstrap.servers": brokers[0].bootstrap})
    admin.create_topics([NewTopic(topic, 2, 2)])[topic].result(30)
    producer = Producer({"bootstrap.servers": brokers[0].bootstrap, "acks": "all"})
    producer.produce(topic, b"v", partition=0)
    assert producer.flush(30) == 0
    # A SCRAM user through the brokers' own API: stored under the sensitive /config/users.
    result = subprocess.run([ADMIN, "configs", "--bootstrap-server", brokers[0].bootstrap, "--alter",
                             "--add-config", "SCRAM-SHA-256=[password=pw]", "--entity-type", "users",
                             "--entity-name", "alice"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr

    owner = make_digest_acl_credential("kafka", "zk-secret")  # "kafka:<base64 sha1>"
    paths = ["/brokers/ids/1", "/brokers/topics/" + topic, f"/brokers/topics/{topic}/partitions/0/state",
             "/controller", "/cluster/id", "/config/topics/" + topic]
    # The brokers' identity sees the exact ACL (ZooKeeper shows others a digest id's hash as "x").
    trusted = kazoo(zookeeper, auth=[("digest", "kafka:zk-secret")])
    try:
        for path in paths:
            acls, _ = trusted.get_acls(path)
            assert sorted((a.id.scheme, a.id.id, a.perms) for a in acls) == [
                ("digest", owner, 31), ("world", "anyone", 1)], (path, acls)
        # Credentials: the brokers' only. The old consumers' path: open.
        acls, _ = trusted.get_acls("/config/users/alice")
        assert [(a.id.scheme, a.id.id, a.perms) for a in acls] == [("digest", owner, 31)]
        acls, _ = trusted.get_acls("/consumers")
        assert [(a.id.scheme, a.id.id, a.perms) for a in acls] == [("world", "anyone", 31)]
    finally:
        trusted.stop()
    anonymous = kazoo(zookeeper)
    try:
        for path in paths:
            anonymous.get(path)  # readable by anyone
        with pytest.raises(NoAuthError):
            anonymous.set(f"/brokers/topics/{topic}", b'{"version":2,"partitions":{}}')
        with pytest.raises(NoAuthError):
            anonymous.delete("/controller")
        with pytest.raises(NoAuthError):
            anonymous.create(f"/admin/delete_topics/{topic}")
        # Nobody grants themselves ACLs by writing the store.
        with pytest.raises(NoAuthError):
            anonymous.create("/kafka-acl/Topic/" + topic, b'{"version":1,"acls":[]}')
        with pytest.raises(NoAuthError):
            anonymous.create("/kafka-acl-changes/acl_changes_", b"TOPIC:" + topic.encode(), sequence=True)
        # Credentials cannot be read by the world; /consumers can be written by anyone.
        with pytest.raises(NoAuthError):
            anonymous.get("/config/users/alice")
        anonymous.create("/consumers/legacy-group/owners", makepath=True)
    finally:
        anonymous.stop()
    # With the brokers' credentials the same znodes can be read and changed, as Kafka's tools with the JAAS file.
    trusted = kazoo(zookeeper, auth=[("digest", "kafka:zk-secret")])
    try:
        assert b"SCRAM-SHA-256" in trusted.get("/config/users/alice")[0]
        trusted.create(f"/admin/delete_topics/{topic}")
        wait_for(lambda: not trusted.exists(f"/brokers/topics/{topic}"), 30, "the topic deleted by the controller")
    finally:
        trusted.stop()


def test_the_controller_moves_and_writes_under_its_own_acls(secured_zk):
    """Killing the controller: the other broker, with the same identity, takes over the znodes the first created."""
    zookeeper, brokers, _ = secured_zk
    observer = kazoo(zookeeper)
    try:
        controller = int(json.loads(observer.get("/controller")[0])["brokerid"])
        first = brokers[controller - 1]
        stop(first.process)
        wait_for(lambda: observer.exists("/controller") and
                 int(json.loads(observer.get("/controller")[0])["brokerid"]) != controller,
                 30, "a new controller")
        first.start()
        topic = f"after-{uuid.uuid4().hex[:6]}"
        survivor = brokers[2 - controller]
        admin = AdminClient({"bootstrap.servers": survivor.bootstrap})
        admin.create_topics([NewTopic(topic, 1, 2)])[topic].result(30)
        acls, _ = observer.get_acls(f"/brokers/topics/{topic}")
        assert {a.id.scheme for a in acls} == {"digest", "world"}
    finally:
        observer.stop()


def test_a_broker_without_credentials_refuses_to_start_with_set_acl(tmp_path):
    zookeeper = ZooKeeper(str(tmp_path / "zk"))
    try:
        os.makedirs(tmp_path / "broker")
        with open(tmp_path / "broker" / "server.properties", "w") as f:
            f.write(f"broker.id=1\nlisteners=PLAINTEXT://127.0.0.1:0\nlog.dirs={tmp_path}/broker/logs\n"
                    f"zookeeper.connect={zookeeper.connect}\nzookeeper.set.acl=true\n")
        from conftest import BROKER
        env = {k: v for k, v in os.environ.items() if k != "KAFKA_OPTS"}
        result = subprocess.run([BROKER, str(tmp_path / "broker" / "server.properties")], capture_output=True,
                                text=True, timeout=60, env=env)
        assert result.returncode != 0
        assert "zookeeper.set.acl is true, but the broker has no ZooKeeper credentials" in result.stdout + result.stderr
    finally:
        stop(zookeeper.process)
