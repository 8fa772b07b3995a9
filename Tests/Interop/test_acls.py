"""ACLs (issue 17) with real clients: confluent-kafka's admin client (CreateAcls/DescribeAcls/DeleteAcls v2),
kafka-python's admin client, swiftkafka-admin acls (kafka-acls' flags and output), and librdkafka and kcat being
refused with Kafka's errors until the ACLs they need exist.

One broker with Kafka's `AclAuthorizer`: the brokers' PLAINTEXT listener (`User:ANONYMOUS`, a super user) and a
SASL_PLAINTEXT listener where `admin` (a super user), `alice` and `bob` log in with PLAIN. A second fixture is
librdkafka's own test setup (tests 0115/0119): PLAINTEXT only, `allow.everyone.if.no.acl.found=true`, and a
`--deny-principal User:*` ACL that must refuse."""
import os
import subprocess
import tempfile
import time
import uuid

import pytest
from confluent_kafka import Consumer, KafkaError, KafkaException, Producer
from confluent_kafka.admin import (AclBinding, AclBindingFilter, AclOperation, AclPermissionType, AdminClient,
                                   NewTopic, ResourcePatternType, ResourceType)
from kazoo.client import KazooClient

from conftest import Broker, ZooKeeper, free_port, single_broker, stop, wait_for

ZK_TOOL = os.environ.get("SWIFTKAFKA_ZK_TOOL",
                         os.path.join(os.path.dirname(__file__), "../../.build/debug/swiftkafka-zk"))
ADMIN = os.environ.get("SWIFTKAFKA_ADMIN",
                       os.path.join(os.path.dirname(__file__), "../../.build/debug/swiftkafka-admin"))
JAAS = ('org.apache.kafka.common.security.plain.PlainLoginModule required '
        'user_admin="admin-secret" user_alice="alice-secret" user_bob="bob-secret";')


@pytest.fixture(scope="module")
def secured():
    directory = tempfile.mkdtemp(prefix="swiftkafka-acls-")
    zookeeper = ZooKeeper(f"{directory}/zk")
    plaintext, sasl = free_port(), free_port()
    properties = {
        "listeners": f"PLAINTEXT://127.0.0.1:{plaintext},SASL_PLAINTEXT://127.0.0.1:{sasl}",
        "inter.broker.listener.name": "PLAINTEXT",
        "sasl.enabled.mechanisms": "PLAIN",
        "listener.name.sasl_plaintext.plain.sasl.jaas.config": JAAS,
        "authorizer.class.name": "kafka.security.authorizer.AclAuthorizer",
        "super.users": "User:ANONYMOUS;User:admin",
        "offsets.topic.num.partitions": "1",
    }
    os.makedirs(f"{directory}/broker1")
    broker = None
    try:
        broker = Broker(1, zookeeper, f"{directory}/broker1", properties)
        broker.sasl = f"127.0.0.1:{sasl}"
        broker.zookeeper = zookeeper
        broker.directory = directory
        yield broker
    finally:
        if broker:
            stop(broker.process)
        stop(zookeeper.process)
        if os.environ.get("SWIFTKAFKA_KEEP_TEST_DIRS") is None:
            import shutil
            shutil.rmtree(directory, ignore_errors=True)


def config(broker, user):
    return {"bootstrap.servers": broker.sasl, "security.protocol": "SASL_PLAINTEXT", "sasl.mechanisms": "PLAIN",
            "sasl.username": user, "sasl.password": f"{user}-secret"}


def command_config(broker, user):
    path = f"{broker.directory}/{user}.properties"
    with open(path, "w") as f:
        f.write("security.protocol=SASL_PLAINTEXT\nsasl.mechanism=PLAIN\n"
                "sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required "
                f'username="{user}" password="{user}-secret";\n')
    return path


def acls(broker, *args, user="admin", check=True):
    result = subprocess.run([ADMIN, "acls", "--bootstrap-server", broker.sasl, "--command-config",
                             command_config(broker, user), *args], capture_output=True, text=True, timeout=60)
    if check:
        assert result.returncode == 0, result.stderr
    return result


def create_topic(broker, name, partitions=1):
    admin = AdminClient(config(broker, "admin"))
    admin.create_topics([NewTopic(name, partitions, 1)])[name].result(30)


def produce_one(broker, user, topic):
    """The delivery error of one record alice's producer sends (None: delivered)."""
    producer = Producer({**config(broker, user), "message.timeout.ms": 10000})
    outcome = []
    producer.produce(topic, b"value", on_delivery=lambda err, msg: outcome.append(err))
    producer.flush(20)
    return outcome[0] if outcome else "no delivery report"


def test_confluent_kafka_admin_creates_describes_and_deletes_acls(secured):
    admin = AdminClient(config(secured, "admin"))
    bindings = [
        AclBinding(ResourceType.TOPIC, "orders", ResourcePatternType.LITERAL, "User:alice", "*",
                   AclOperation.READ, AclPermissionType.ALLOW),
        AclBinding(ResourceType.TOPIC, "tenant-b.", ResourcePatternType.PREFIXED, "User:bob", "*",
                   AclOperation.WRITE, AclPermissionType.ALLOW),
        AclBinding(ResourceType.GROUP, "billing", ResourcePatternType.LITERAL, "User:alice", "10.1.2.3",
                   AclOperation.READ, AclPermissionType.DENY),
    ]
    for future in admin.create_acls(bindings).values():
        assert future.result(30) is None
    everything = AclBindingFilter(ResourceType.ANY, None, ResourcePatternType.ANY, None, None, AclOperation.ANY,
                                  AclPermissionType.ANY)
    described = admin.describe_acls(everything).result(30)
    assert sorted(map(str, described)) == sorted(map(str, bindings))
    # MATCH: the ACLs that apply to topic tenant-b.payments are the prefixed one only.
    match = AclBindingFilter(ResourceType.TOPIC, "tenant-b.payments", ResourcePatternType.MATCH, None, None,
                             AclOperation.ANY, AclPermissionType.ANY)
    assert [b.name for b in admin.describe_acls(match).result(30)] == ["tenant-b."]
    # A non-super user may not change ACLs: CLUSTER_AUTHORIZATION_FAILED.
    alice = AdminClient(config(secured, "alice"))
    with pytest.raises(KafkaException) as refused:
        list(alice.create_acls(bindings[:1]).values())[0].result(30)
    assert refused.value.args[0].code() == KafkaError.CLUSTER_AUTHORIZATION_FAILED
    # Delete by a filter: the group's deny; what is left is the two topic ACLs.
    groups = AclBindingFilter(ResourceType.GROUP, None, ResourcePatternType.ANY, None, None, AclOperation.ANY,
                              AclPermissionType.ANY)
    deleted = list(admin.delete_acls([groups]).values())[0].result(30)
    assert [str(b) for b in deleted] == [str(bindings[2])]
    assert sorted(map(str, admin.describe_acls(everything).result(30))) == sorted(map(str, bindings[:2]))
    for future in admin.delete_acls([everything]).values():
        future.result(30)
    assert admin.describe_acls(everything).result(30) == []


def test_kafka_python_admin_reads_and_writes_acls(secured):
    from kafka.admin import (ACL, ACLFilter, ACLOperation, ACLPermissionType, KafkaAdminClient, ResourcePattern,
                             ResourcePatternFilter)
    from kafka.admin import ACLResourcePatternType, ResourceType as KafkaPythonResourceType
    client = KafkaAdminClient(bootstrap_servers=secured.sasl, security_protocol="SASL_PLAINTEXT",
                              sasl_mechanism="PLAIN", sasl_plain_username="admin",
                              sasl_plain_password="admin-secret")
    try:
        acl = ACL(principal="User:carol", host="*", operation=ACLOperation.DESCRIBE,
                  permission_type=ACLPermissionType.ALLOW,
                  resource_pattern=ResourcePattern(KafkaPythonResourceType.TOPIC, "kp-topic"))
        result = client.create_acls([acl])
        assert result["failed"] == [] and len(result["succeeded"]) == 1
        found, error = client.describe_acls(ACLFilter(
            principal="User:carol", host=None, operation=ACLOperation.ANY, permission_type=ACLPermissionType.ANY,
            resource_pattern=ResourcePatternFilter(KafkaPythonResourceType.TOPIC, "kp-topic",
                                                   ACLResourcePatternType.LITERAL)))
        assert error.errno == 0 and [(a.principal, a.operation) for a in found] == [("User:carol", ACLOperation.DESCRIBE)]
        deleted = client.delete_acls([ACLFilter(
            principal="User:carol", host=None, operation=ACLOperation.ANY, permission_type=ACLPermissionType.ANY,
            resource_pattern=ResourcePatternFilter(KafkaPythonResourceType.TOPIC, "kp-topic",
                                                   ACLResourcePatternType.LITERAL))])
        assert len(deleted[0][1]) == 1
    finally:
        client.close()


def test_clients_are_refused_until_swiftkafka_admin_grants_the_producer_and_consumer_acls(secured):
    topic = f"payments-{uuid.uuid4().hex[:6]}"
    group = f"payments-reader-{uuid.uuid4().hex[:6]}"
    create_topic(secured, topic)
    error = produce_one(secured, "alice", topic)
    assert error is not None and error.code() == KafkaError.TOPIC_AUTHORIZATION_FAILED, error
    # kcat (Debian's librdkafka 2.0.2) says the same.
    kcat = subprocess.run(["kcat", "-b", secured.sasl, "-X", "security.protocol=SASL_PLAINTEXT",
                           "-X", "sasl.mechanisms=PLAIN", "-X", "sasl.username=alice", "-X", "sasl.password=alice-secret",
                           "-P", "-t", topic, "-p", "0"], input="x\n", capture_output=True, text=True, timeout=60)
    assert "Topic authorization failed" in kcat.stderr, kcat.stderr

    acls(secured, "--add", "--allow-principal", "User:alice", "--producer", "--topic", topic)
    acls(secured, "--add", "--allow-principal", "User:alice", "--consumer", "--topic", topic, "--group", group)
    assert produce_one(secured, "alice", topic) is None
    consumer = Consumer({**config(secured, "alice"), "group.id": group, "auto.offset.reset": "earliest"})
    consumer.subscribe([topic])
    try:
        deadline = time.time() + 30
        message = None
        while time.time() < deadline:
            message = consumer.poll(0.5)
            if message is not None and message.error() is None:
                break
        assert message is not None and message.error() is None and message.value() == b"value"
        consumer.commit(message=message, asynchronous=False)
    finally:
        consumer.close()
    # bob has none of these: his consumer in alice's group is refused the group.
    errors = []
    bob = Consumer({**config(secured, "bob"), "group.id": group, "error_cb": errors.append})
    bob.subscribe([topic])
    try:
        deadline = time.time() + 20
        seen = None
        while time.time() < deadline and seen is None:
            message = bob.poll(0.5)
            if message is not None and message.error() is not None:
                seen = message.error()
            elif errors:
                seen = errors[0]
        assert seen is not None and seen.code() in (KafkaError.GROUP_AUTHORIZATION_FAILED,
                                                    KafkaError.TOPIC_AUTHORIZATION_FAILED), seen
    finally:
        bob.close()


def test_swiftkafka_admin_acls_prints_what_kafka_acls_prints(secured):
    topic = f"audit-{uuid.uuid4().hex[:6]}"
    added = acls(secured, "--add", "--allow-principal", "User:bob", "--operation", "Read", "--operation", "Describe",
                 "--topic", topic)
    pattern = f"ResourcePattern(resourceType=TOPIC, name={topic}, patternType=LITERAL)"
    read = "(principal=User:bob, host=*, operation=READ, permissionType=ALLOW)"
    describe = "(principal=User:bob, host=*, operation=DESCRIBE, permissionType=ALLOW)"
    assert added.stdout == (f"Adding ACLs for resource `{pattern}`: \n \t{describe}\n\t{read} \n\n"
                            f"Current ACLs for resource `{pattern}`: \n \t{describe}\n\t{read} \n\n")
    listed = acls(secured, "--list", "--topic", topic)
    assert listed.stdout == f"Current ACLs for resource `{pattern}`: \n \t{describe}\n\t{read} \n\n"
    # The znode, as Kafka writes it.
    zk = KazooClient(hosts=secured.zookeeper.connect, timeout=10)
    zk.start()
    try:
        import json
        value = json.loads(zk.get(f"/kafka-acl/Topic/{topic}")[0])
        assert value["version"] == 1
        assert sorted((a["principal"], a["operation"], a["permissionType"], a["host"]) for a in value["acls"]) == [
            ("User:bob", "Describe", "Allow", "*"), ("User:bob", "Read", "Allow", "*")]
    finally:
        zk.stop()
    # swiftkafka-zk reads the same ACLs straight from ZooKeeper and prints them the same way.
    from_zk = subprocess.run([ZK_TOOL, "acls", "--zookeeper", secured.zookeeper.connect], capture_output=True,
                             text=True, timeout=60)
    assert from_zk.returncode == 0, from_zk.stderr
    assert listed.stdout in from_zk.stdout
    removed = acls(secured, "--remove", "--force", "--allow-principal", "User:bob", "--operation", "Read",
                   "--topic", topic)
    assert removed.stdout == f"Current ACLs for resource `{pattern}`: \n \t{describe} \n\n"
    # Operations a resource type cannot have, and a non-super user, are refused.
    wrong = acls(secured, "--add", "--allow-principal", "User:bob", "--operation", "IdempotentWrite",
                 "--topic", topic, check=False)
    assert wrong.returncode != 0 and "ResourceType TOPIC only supports operations" in wrong.stderr
    refused = acls(secured, "--add", "--allow-principal", "User:bob", "--topic", topic, user="alice", check=False)
    assert refused.returncode == 1 and "Error while executing ACL command" in refused.stderr


@pytest.fixture(scope="module")
def open_by_default():
    """librdkafka's tests 0115/0119 expect a PLAINTEXT broker whose ACLs are open unless denied."""
    yield from single_broker({"authorizer.class.name": "kafka.security.authorizer.AclAuthorizer",
                              "allow.everyone.if.no.acl.found": "true"})


def test_a_deny_for_every_principal_refuses_librdkafka_on_plaintext(open_by_default):
    broker = open_by_default
    topic = f"denied-{uuid.uuid4().hex[:6]}"
    plain = {"bootstrap.servers": broker.bootstrap}
    admin = AdminClient(plain)
    admin.create_topics([NewTopic(topic, 1, 1)])[topic].result(30)
    producer = Producer({**plain, "message.timeout.ms": 10000})
    outcome = []
    producer.produce(topic, b"before", on_delivery=lambda err, msg: outcome.append(err))
    producer.flush(20)
    assert outcome == [None]
    result = subprocess.run([ADMIN, "acls", "--bootstrap-server", broker.bootstrap, "--add", "--deny-principal",
                             "User:*", "--operation", "Write", "--topic", topic], capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 0, result.stderr
    outcome.clear()
    producer.produce(topic, b"after", on_delivery=lambda err, msg: outcome.append(err))
    producer.flush(20)
    assert len(outcome) == 1 and outcome[0] is not None
    assert outcome[0].code() == KafkaError.TOPIC_AUTHORIZATION_FAILED
