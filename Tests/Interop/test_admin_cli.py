"""swiftkafka-admin (issue 8) against a live three-broker cluster: every action's output is compared with what
confluent-kafka's clients see (topics, partitions, leaders, replicas, ISRs, configs, groups, committed offsets,
log end offsets, lag, members); Kafka's output layouts and error lines; under-replicated partitions after a broker
is killed."""
import json
import os
import re
import signal
import subprocess
import time

import pytest
from confluent_kafka import OFFSET_BEGINNING, Consumer, KafkaException, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, ConfigResource

from conftest import stop, wait_for
from replication_harness import Cluster

TOOL = os.environ.get("SWIFTKAFKA_ADMIN_TOOL",
                      os.path.join(os.path.dirname(__file__), "../../.build/debug/swiftkafka-admin"))
PARTITION_LINE = re.compile(r"^\tTopic: (\S+)\tPartition: (\d+)\tLeader: (\S+)\tReplicas: ([\d,]*)\tIsr: ([\d,]*)"
                            r"(?:\tOffline: ([\d,]+))?$")


def admin(cluster, *args, check=True):
    result = subprocess.run([TOOL, *args, "--bootstrap-server", cluster.bootstrap], capture_output=True, text=True,
                            timeout=120)
    if check:
        assert result.returncode == 0, result.stderr
    return result


def client_topics(cluster):
    return AdminClient({"bootstrap.servers": cluster.bootstrap}).list_topics(timeout=30).topics


def client_config_entries(cluster, topic):
    admin_client = AdminClient({"bootstrap.servers": cluster.bootstrap})
    resource = ConfigResource(ConfigResource.Type.TOPIC, topic)
    return admin_client.describe_configs([resource])[resource].result(30)


def client_configs(cluster, topic):
    return {name: entry.value for name, entry in client_config_entries(cluster, topic).items()}


@pytest.fixture(scope="module")
def cluster():
    c = Cluster()
    try:
        yield c
    finally:
        c.close()


def test_create_list_describe_alter_match_the_clients(cluster):
    created = admin(cluster, "topics", "--create", "--topic", "orders", "--partitions", "4",
                    "--replication-factor", "3", "--config", "retention.ms=3600000", "--config",
                    "cleanup.policy=compact")
    assert created.stdout == "Created topic orders.\n"
    wait_for(lambda: "orders" in client_topics(cluster), 30, "orders in the metadata")
    topic = client_topics(cluster)["orders"]
    assert len(topic.partitions) == 4 and all(len(p.replicas) == 3 for p in topic.partitions.values())
    configs = client_configs(cluster, "orders")
    assert configs["retention.ms"] == "3600000" and configs["cleanup.policy"] == "compact"

    again = admin(cluster, "topics", "--create", "--topic", "orders", "--partitions", "1", check=False)
    assert again.returncode == 1
    assert again.stderr.startswith("Error while executing topic command : ") and "already exists" in again.stderr
    assert admin(cluster, "topics", "--create", "--topic", "orders", "--if-not-exists").stdout == ""
    admin(cluster, "topics", "--create", "--topic", "plain", "--partitions", "2", "--replication-factor", "2")
    wait_for(lambda: "plain" in client_topics(cluster), 30, "plain in the metadata")

    listed = admin(cluster, "topics", "--list").stdout.split()
    assert listed == sorted(client_topics(cluster))
    assert "plain" in listed and "orders" in listed

    # Wait until the ISRs are complete, so that the text and the client's metadata describe one state.
    wait_for(lambda: all(len(p.isrs) == len(p.replicas) for t in ("orders", "plain")
                         for p in client_topics(cluster)[t].partitions.values()), 30, "full ISRs")
    text = admin(cluster, "topics", "--describe", "--topic", "orders").stdout.splitlines()
    # Configs: what is not Kafka's default, as kafka-topics shows it: the two overrides and the harness brokers'
    # log.segment.bytes (a static broker config).
    not_default = sorted(f"{name}={entry.value}" for name, entry in client_config_entries(cluster, "orders").items()
                         if not entry.is_default)
    assert not_default == ["cleanup.policy=compact", "retention.ms=3600000", "segment.bytes=1048576"]
    # The topic id (Kafka 2.8 prints it) is the one the controller wrote into the topic's znode.
    topic_id = json.loads(cluster.zk.get("/brokers/topics/orders")[0])["topic_id"]
    assert text[0] == (f"Topic: orders\tTopicId: {topic_id}\tPartitionCount: 4\tReplicationFactor: 3\tConfigs: "
                       + ",".join(not_default))
    metadata = client_topics(cluster)["orders"].partitions
    assert len(text) == 5
    for line in text[1:]:
        topic_name, partition, leader, replicas, isr, offline = PARTITION_LINE.match(line).groups()
        expected = metadata[int(partition)]
        assert topic_name == "orders" and offline is None
        assert int(leader) == expected.leader
        assert [int(r) for r in replicas.split(",")] == list(expected.replicas)
        assert sorted(int(r) for r in isr.split(",")) == sorted(expected.isrs)

    # A regular expression selects topics, as kafka-topics' --topic does; --topics-with-overrides only headers.
    both = admin(cluster, "topics", "--describe", "--topic", "orders|plain").stdout
    assert both.count("PartitionCount") == 2
    overrides = admin(cluster, "topics", "--describe", "--topics-with-overrides").stdout.splitlines()
    assert [line.split("\t")[0] for line in overrides] == ["Topic: orders"]

    assert admin(cluster, "topics", "--alter", "--topic", "orders", "--partitions", "6").stdout == ""
    wait_for(lambda: len(client_topics(cluster)["orders"].partitions) == 6, 30, "six partitions")
    missing = admin(cluster, "topics", "--describe", "--topic", "nothing-here", check=False)
    assert missing.returncode == 1 and "Topic 'nothing-here' does not exist as expected" in missing.stderr


def test_configs_alter_and_describe_match_the_clients(cluster):
    changed = admin(cluster, "configs", "--alter", "--entity-type", "topics", "--entity-name", "orders",
                    "--add-config", "retention.ms=7200000,max.message.bytes=2000000",
                    "--delete-config", "cleanup.policy")
    assert changed.stdout == "Completed updating config for topic orders.\n"
    wait_for(lambda: client_configs(cluster, "orders")["retention.ms"] == "7200000", 30, "the new retention")
    configs = client_configs(cluster, "orders")
    assert configs["max.message.bytes"] == "2000000"
    assert configs["cleanup.policy"] == "delete"  # back to the default
    described = admin(cluster, "configs", "--describe", "--entity-type", "topics", "--entity-name", "orders").stdout
    assert described.splitlines() == [
        "Dynamic configs for topic orders are:",
        "  max.message.bytes=2000000 sensitive=false synonyms={DYNAMIC_TOPIC_CONFIG:max.message.bytes=2000000}",
        "  retention.ms=7200000 sensitive=false synonyms={DYNAMIC_TOPIC_CONFIG:retention.ms=7200000}",
    ]
    everything = admin(cluster, "configs", "--describe", "--entity-type", "topics", "--entity-name", "orders",
                       "--all").stdout.splitlines()
    shown = dict(re.match(r"  ([^=]+)=(\S*) ", line).groups() for line in everything[1:])
    assert shown == configs
    broker = admin(cluster, "configs", "--describe", "--entity-type", "brokers", "--entity-name", "2",
                   "--all").stdout
    # Set in the harness's server.properties: static; left alone: Kafka's default.
    assert "  broker.id=2 sensitive=false synonyms={STATIC_BROKER_CONFIG:broker.id=2}" in broker
    assert "  log.segment.bytes=1048576 sensitive=false synonyms={STATIC_BROKER_CONFIG:" in broker
    assert "  min.insync.replicas=1 sensitive=false synonyms={DEFAULT_CONFIG:min.insync.replicas=1}" in broker
    assert admin(cluster, "configs", "--describe", "--entity-type", "brokers", "--entity-name", "2").stdout == \
        "Dynamic configs for broker 2 are:\n"
    refused = admin(cluster, "configs", "--alter", "--entity-type", "brokers", "--entity-name", "2",
                    "--add-config", "num.partitions=3", check=False)
    assert refused.returncode == 1 and "static" in refused.stderr


def subscribed_consumer(cluster, group, topic, at_least):
    """A consumer of `group` subscribed to `topic` that has read at least `at_least` messages (batches of 50) and
    committed; returns it, still a member, and the number read."""
    consumer = Consumer({"bootstrap.servers": cluster.bootstrap, "group.id": group,
                         "auto.offset.reset": "earliest", "enable.auto.commit": False})
    consumer.subscribe([topic])
    seen = 0
    deadline = time.time() + 60
    while seen < at_least and time.time() < deadline:
        seen += sum(1 for m in consumer.consume(50, 1) if m.error() is None)
    consumer.commit(asynchronous=False)
    return consumer, seen


def test_consumer_groups_list_and_describe_match_the_clients(cluster):
    producer = Producer({"bootstrap.servers": cluster.bootstrap, "acks": "all"})
    for i in range(300):
        producer.produce("orders", key=str(i), value=b"v")
    assert producer.flush(30) == 0
    consumer, seen = subscribed_consumer(cluster, "billing", "orders", at_least=200)
    try:
        listed = admin(cluster, "consumer-groups", "--list").stdout.split()
        admin_client = AdminClient({"bootstrap.servers": cluster.bootstrap})
        client_groups = admin_client.list_consumer_groups().result(30)
        assert client_groups.errors == []
        assert listed == sorted(g.group_id for g in client_groups.valid)
        # The members as the admin client describes them.
        description = admin_client.describe_consumer_groups(["billing"])["billing"].result(30)
        owners = {(tp.topic, tp.partition): (m.member_id, m.host, m.client_id)
                  for m in description.members for tp in m.assignment.topic_partitions}
        assert "billing" in listed

        text = admin(cluster, "consumer-groups", "--describe", "--group", "billing").stdout
        lines = text.splitlines()
        assert lines[0] == "" and lines[-1] == ""
        header = lines[1].split()
        assert header == ["GROUP", "TOPIC", "PARTITION", "CURRENT-OFFSET", "LOG-END-OFFSET", "LAG", "CONSUMER-ID",
                          "HOST", "CLIENT-ID"]
        rows = [line.split() for line in lines[2:-1]]
        assert [int(r[2]) for r in rows] == list(range(6))  # every partition of orders, in order
        committed = {tp.partition: tp.offset for tp in
                     consumer.committed([TopicPartition("orders", p) for p in range(6)], timeout=30)}
        for group, topic, partition, current, end, lag, member, host, client_id in rows:
            partition = int(partition)
            low, high = consumer.get_watermark_offsets(TopicPartition("orders", partition), timeout=30)
            assert (group, topic) == ("billing", "orders")
            assert int(end) == high
            if committed[partition] >= 0:
                assert int(current) == committed[partition] and int(lag) == high - committed[partition]
            else:
                assert current == "-" and lag == "-"
            assert member == consumer.memberid() and host == "/127.0.0.1" and client_id == "rdkafka"
            assert owners[("orders", partition)] == (member, host, client_id)
        assert sum(int(r[3]) for r in rows if r[3] != "-") == seen

        # --members [--verbose] and --state, against the admin client's description.
        members = admin(cluster, "consumer-groups", "--describe", "--group", "billing", "--members",
                        "--verbose").stdout.splitlines()
        assert members[0] == ""
        assert members[1].split() == ["GROUP", "CONSUMER-ID", "HOST", "CLIENT-ID", "#PARTITIONS", "ASSIGNMENT"]
        (member_line,) = members[2:]
        assert member_line.split() == ["billing", consumer.memberid(), "/127.0.0.1", "rdkafka", "6",
                                       "orders(0,1,2,3,4,5)"]
        plain = admin(cluster, "consumer-groups", "--describe", "--group", "billing", "--members").stdout
        assert plain.splitlines()[2].split() == member_line.split()[:5]
        state = admin(cluster, "consumer-groups", "--describe", "--group", "billing", "--state").stdout.splitlines()
        assert state[1].split() == ["GROUP", "COORDINATOR", "(ID)", "ASSIGNMENT-STRATEGY", "STATE", "#MEMBERS"]
        node = description.coordinator
        assert state[2].split() == ["billing", f"{node.host}:{node.port}", f"({node.id})",
                                    description.partition_assignor, "Stable", "1"]
        assert str(description.state).endswith("STABLE")
        states = admin(cluster, "consumer-groups", "--list", "--state").stdout.splitlines()
        assert states[0].split() == ["GROUP", "STATE"] and ["billing", "Stable"] in [s.split() for s in states]
        stable = admin(cluster, "consumer-groups", "--list", "--state", "stable").stdout.splitlines()
        assert [s.split() for s in stable[1:]] == [["billing", "Stable"]]
        assert admin(cluster, "consumer-groups", "--list", "--state", "Empty,dead").stdout.split()[2:].count(
            "billing") == 0
        bad = admin(cluster, "consumer-groups", "--list", "--state", "sleepy", check=False)
        assert bad.returncode == 64 and "Invalid state list 'sleepy'" in bad.stderr
    finally:
        consumer.close()
    empty = admin(cluster, "consumer-groups", "--describe", "--group", "billing")
    # As Kafka: the notice on standard error, the table on standard output.
    assert empty.stderr == "\nConsumer group 'billing' has no active members.\n"
    rows = [line.split() for line in empty.stdout.splitlines() if line.startswith("billing")]
    assert rows and all(r[6:] == ["-", "-", "-"] for r in rows)
    no_members = admin(cluster, "consumer-groups", "--describe", "--group", "billing", "--members")
    assert no_members.stdout == "" and "has no active members" in no_members.stderr
    empty_state = admin(cluster, "consumer-groups", "--describe", "--group", "billing", "--state").stdout
    assert empty_state.splitlines()[2].split()[-2:] == ["Empty", "0"]
    unknown = admin(cluster, "consumer-groups", "--describe", "--group", "nobody", check=False)
    assert unknown.returncode == 1 and unknown.stderr == "Error: Consumer group 'nobody' does not exist.\n"


def committed(cluster, group, topic, partitions):
    consumer = Consumer({"bootstrap.servers": cluster.bootstrap, "group.id": group})
    try:
        return {tp.partition: tp.offset for tp in
                consumer.committed([TopicPartition(topic, p) for p in range(partitions)], timeout=30)}
    finally:
        consumer.close()


def reset_rows(result):
    lines = result.stdout.splitlines()
    assert lines[0] == "" and lines[1].split() == ["GROUP", "TOPIC", "PARTITION", "NEW-OFFSET"]
    return {int(r[2]): int(r[3]) for r in (line.split() for line in lines[2:])}


def test_consumer_groups_reset_offsets_and_delete(cluster):
    cluster.create_topic("ledger", partitions=3, replication=2)
    # 30 messages per partition, a second apart in CreateTime, starting an hour ago.
    base = int(time.time() * 1000) - 3_600_000
    producer = Producer({"bootstrap.servers": cluster.bootstrap, "acks": "all"})
    for p in range(3):
        for i in range(30):
            producer.produce("ledger", value=b"v", partition=p, timestamp=base + i * 1000)
    assert producer.flush(30) == 0
    consumer, seen = subscribed_consumer(cluster, "audit", "ledger", at_least=90)
    assert seen == 90
    try:
        # A group with members can be neither reset nor deleted.
        busy = admin(cluster, "consumer-groups", "--reset-offsets", "--group", "audit", "--topic", "ledger",
                     "--to-earliest", "--execute", check=False)
        assert busy.returncode == 1
        assert busy.stderr == ("Error: Assignments can only be reset if the group 'audit' is inactive, but the "
                               "current state is Stable.\n")
        kept = admin(cluster, "consumer-groups", "--delete", "--group", "audit", check=False)
        assert kept.returncode == 1
        assert kept.stderr == ("Error: Deletion of some consumer groups failed:\n* Group 'audit' could not be "
                               "deleted due to: org.apache.kafka.common.errors.GroupNotEmptyException: The group "
                               "is not empty.\n")
    finally:
        consumer.close()
    assert committed(cluster, "audit", "ledger", 3) == {0: 30, 1: 30, 2: 30}

    # Dry run (the default): the plan is printed, nothing committed.
    dry = admin(cluster, "consumer-groups", "--reset-offsets", "--group", "audit", "--topic", "ledger",
                "--to-earliest")
    assert reset_rows(dry) == {0: 0, 1: 0, 2: 0}
    assert "--execute option is missing" in dry.stderr
    assert all(line.startswith("audit" + " " * 26 + "ledger") for line in dry.stdout.splitlines()[2:])
    assert committed(cluster, "audit", "ledger", 3) == {0: 30, 1: 30, 2: 30}
    twice = admin(cluster, "consumer-groups", "--reset-offsets", "--group", "audit", "--topic", "ledger",
                  "--topic", "ledger:0", "--to-earliest", "--dry-run")
    assert reset_rows(twice) == {0: 0, 1: 0, 2: 0} and len(twice.stdout.splitlines()) == 5

    # Some partitions to an offset, then every committed partition shifted back.
    executed = admin(cluster, "consumer-groups", "--reset-offsets", "--group", "audit", "--topic", "ledger:0,1",
                     "--to-offset", "10", "--execute")
    assert reset_rows(executed) == {0: 10, 1: 10}
    assert committed(cluster, "audit", "ledger", 3) == {0: 10, 1: 10, 2: 30}
    shifted = admin(cluster, "consumer-groups", "--reset-offsets", "--group", "audit", "--all-topics",
                    "--shift-by", "-5", "--execute")
    assert reset_rows(shifted) == {0: 5, 1: 5, 2: 25}
    assert committed(cluster, "audit", "ledger", 3) == {0: 5, 1: 5, 2: 25}

    # Past the log end: kept at the log end, with Kafka's warning.
    clamped = admin(cluster, "consumer-groups", "--reset-offsets", "--group", "audit", "--topic", "ledger:2",
                    "--to-offset", "1000", "--execute")
    assert reset_rows(clamped) == {2: 30}
    assert "New offset (1000) is higher than latest offset for topic partition ledger-2. Value will be set to 30" \
        in clamped.stderr

    # By time: the first message at or after 10 s past the base; a moment newer than every message is the log end.
    moment = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime((base + 10_000) // 1000)) + ".%03dZ" % ((base + 10_000) % 1000)
    by_time = admin(cluster, "consumer-groups", "--reset-offsets", "--group", "audit", "--topic", "ledger",
                    "--to-datetime", moment, "--execute")
    assert reset_rows(by_time) == {0: 10, 1: 10, 2: 10}
    recent = admin(cluster, "consumer-groups", "--reset-offsets", "--group", "audit", "--topic", "ledger",
                   "--by-duration", "PT30M", "--dry-run")
    assert reset_rows(recent) == {0: 30, 1: 30, 2: 30}
    older = admin(cluster, "consumer-groups", "--reset-offsets", "--group", "audit", "--topic", "ledger",
                  "--by-duration", "P1DT0H", "--dry-run")
    assert reset_rows(older) == {0: 0, 1: 0, 2: 0}
    assert committed(cluster, "audit", "ledger", 3) == {0: 10, 1: 10, 2: 10}
    two_scenarios = admin(cluster, "consumer-groups", "--reset-offsets", "--group", "audit", "--topic", "ledger",
                          "--to-earliest", "--to-latest", check=False)
    assert two_scenarios.returncode != 0 and "exactly one of" in two_scenarios.stderr

    # The lag follows the reset.
    admin(cluster, "consumer-groups", "--reset-offsets", "--group", "audit", "--topic", "ledger:1",
          "--to-latest", "--execute")
    lags = {int(r[2]): r[5] for r in (line.split() for line in admin(
        cluster, "consumer-groups", "--describe", "--group", "audit").stdout.splitlines() if line.startswith("audit"))}
    assert lags == {0: "20", 1: "0", 2: "20"}

    # Export the committed offsets as CSV, move them, and restore them from the file.
    exported = admin(cluster, "consumer-groups", "--reset-offsets", "--group", "audit", "--all-topics",
                     "--to-current", "--export", "--dry-run").stdout
    assert exported.splitlines() == ["ledger,0,10", "ledger,1,30", "ledger,2,10"]
    plan = os.path.join(cluster.directory, "audit.csv")
    with open(plan, "w") as f:
        f.write(exported)
    admin(cluster, "consumer-groups", "--reset-offsets", "--group", "audit", "--all-topics", "--to-earliest",
          "--execute")
    assert committed(cluster, "audit", "ledger", 3) == {0: 0, 1: 0, 2: 0}
    restored = admin(cluster, "consumer-groups", "--reset-offsets", "--group", "audit", "--from-file", plan,
                     "--execute")
    assert reset_rows(restored) == {0: 10, 1: 30, 2: 10}
    assert committed(cluster, "audit", "ledger", 3) == {0: 10, 1: 30, 2: 10}

    # Offsets of one partition, then the whole group.
    dropped = admin(cluster, "consumer-groups", "--delete-offsets", "--group", "audit", "--topic", "ledger:2")
    assert dropped.stdout.splitlines()[0] == "Request succeed for deleting offsets with topic ledger:2 group audit"
    assert dropped.stdout.splitlines()[-1].split() == ["ledger", "2", "Successful"]
    assert committed(cluster, "audit", "ledger", 3)[2] < 0
    deleted = admin(cluster, "consumer-groups", "--delete", "--group", "audit")
    assert deleted.stdout == "Deletion of requested consumer groups ('audit') was successful.\n"
    assert "audit" not in admin(cluster, "consumer-groups", "--list").stdout.split()
    assert all(offset < 0 for offset in committed(cluster, "audit", "ledger", 3).values())
    again = admin(cluster, "consumer-groups", "--delete", "--group", "audit", check=False)
    assert again.returncode == 1 and "GroupIdNotFoundException: The group id does not exist." in again.stderr


def test_delete_records_moves_every_replicas_log_start(cluster):
    """DeleteRecords through confluent-kafka's admin client and through swiftkafka-admin delete-records: the low
    watermark moves, consumers start there, and the followers moved theirs before the answer (a new leader after
    the old one is killed starts at the same offset)."""
    cluster.create_topic("trim", partitions=2, replication=3)
    producer = Producer({"bootstrap.servers": cluster.bootstrap, "acks": "all"})
    for p in range(2):
        for i in range(50):
            producer.produce("trim", value=str(i).encode(), partition=p)
    assert producer.flush(30) == 0
    admin_client = AdminClient({"bootstrap.servers": cluster.bootstrap})
    deleted = admin_client.delete_records([TopicPartition("trim", 0, 20)])
    assert [f.result(30).low_watermark for f in deleted.values()] == [20]
    consumer = Consumer({"bootstrap.servers": cluster.bootstrap, "group.id": "trim-reader",
                         "enable.auto.commit": False})
    try:
        assert consumer.get_watermark_offsets(TopicPartition("trim", 0), timeout=30) == (20, 50)
        consumer.assign([TopicPartition("trim", 0, OFFSET_BEGINNING)])
        offsets = []
        deadline = time.time() + 30
        while len(offsets) < 30 and time.time() < deadline:
            offsets += [m.offset() for m in consumer.consume(50, 1) if m.error() is None]
        assert offsets == list(range(20, 50))
    finally:
        consumer.close()

    plan = os.path.join(cluster.directory, "delete.json")
    with open(plan, "w") as f:
        json.dump({"partitions": [{"topic": "trim", "partition": 1, "offset": -1}], "version": 1}, f)
    done = admin(cluster, "delete-records", "--offset-json-file", plan).stdout
    assert done == ("Executing records delete operation\nRecords delete operation completed:\n"
                    "partition: trim-1\tlow_watermark: 50\n")
    with open(plan, "w") as f:
        json.dump({"partitions": [{"topic": "trim", "partition": 0, "offset": 51}], "version": 1}, f)
    beyond = admin(cluster, "delete-records", "--offset-json-file", plan, check=False)
    assert beyond.returncode == 1 and "partition: trim-0\terror: OFFSET_OUT_OF_RANGE" in beyond.stdout

    # The followers hold the same log start: kill trim-0's leader, the next one answers 20 too.
    leader = client_topics(cluster)["trim"].partitions[0].leader
    stop(cluster.brokers[leader].process, signal.SIGKILL)
    try:
        wait_for(lambda: client_topics(cluster)["trim"].partitions[0].leader not in (leader, -1), 30,
                 "a new leader of trim-0")
        reader = Consumer({"bootstrap.servers": cluster.bootstrap, "group.id": "trim-reader"})

        def watermarks():
            try:
                return reader.get_watermark_offsets(TopicPartition("trim", 0), timeout=10)
            except KafkaException:  # the client still asks the old leader until its metadata refreshes
                return None
        try:
            wait_for(lambda: watermarks() == (20, 50), 30, "the new leader's watermarks")
        finally:
            reader.close()
    finally:
        cluster.brokers[leader].start()
    wait_for(lambda: all(set(p.isrs) == set(p.replicas) for t in client_topics(cluster).values()
                         for p in t.partitions.values()), 60, "every partition back in sync")


def test_leader_election_preferred_and_unclean(cluster):
    """swiftkafka-admin leader-election (ElectLeaders at the controller): a preferred election moves leadership back
    to the first assigned replica once it is in sync again, says so when nothing needs electing, fails with the
    preferred replica down; an unclean election revives a partition whose in-sync replicas are all gone."""
    def leader(topic, partition):
        return client_topics(cluster)[topic].partitions[partition].leader

    def restart(broker_id):
        # Every broker is up again: every partition of the cluster (earlier tests' too) waits for its whole ISR.
        cluster.brokers[broker_id].start()
        wait_for(lambda: all(set(p.isrs) == set(p.replicas) for t in client_topics(cluster).values()
                             for p in t.partitions.values()), 60,
                 f"broker {broker_id} back in every ISR")

    cluster.create_topic("lead", assignment=[[1, 2, 3], [2, 3, 1]], config={"min.insync.replicas": "1"})
    stop(cluster.brokers[1].process, signal.SIGKILL)
    wait_for(lambda: leader("lead", 0) not in (1, -1), 30, "lead-0 led by another replica")
    restart(1)
    assert leader("lead", 0) != 1
    elected = admin(cluster, "leader-election", "--election-type", "PREFERRED", "--topic", "lead", "--partition", "0")
    assert elected.stdout == "Successfully completed leader election (PREFERRED) for partitions lead-0\n"
    wait_for(lambda: leader("lead", 0) == 1, 30, "lead-0 back on broker 1")
    again = admin(cluster, "leader-election", "--election-type", "preferred", "--topic", "lead", "--partition", "0")
    assert again.stdout == "Valid replica already elected for partitions lead-0\n"
    # Every partition: afterwards each one is led by its first replica wherever that one is in sync.
    admin(cluster, "leader-election", "--election-type", "PREFERRED", "--all-topic-partitions")
    wait_for(lambda: all(p.leader == p.replicas[0] for t in client_topics(cluster).values()
                         for p in t.partitions.values() if p.replicas[0] in p.isrs), 30, "preferred leaders everywhere")

    # The preferred replica of lead-1 (broker 2) down: the election fails for it.
    stop(cluster.brokers[2].process, signal.SIGKILL)
    try:
        wait_for(lambda: leader("lead", 1) not in (2, -1), 30, "lead-1 led by another replica")
        refused = admin(cluster, "leader-election", "--election-type", "PREFERRED", "--topic", "lead",
                        "--partition", "1", check=False)
        assert refused.returncode == 1
        assert refused.stdout.startswith("Error completing leader election (PREFERRED) for partition: lead-1: "
                                         "PREFERRED_LEADER_NOT_AVAILABLE")
    finally:
        restart(2)

    # Unclean: u2's replicas 2 and 3; 3 dies, then 2, then 3 returns outside the ISR: offline until elected.
    cluster.create_topic("u2", assignment=[[2, 3]], config={"min.insync.replicas": "1"})
    stop(cluster.brokers[3].process, signal.SIGKILL)
    wait_for(lambda: cluster.states("u2")[0]["isr"] == [2], 30, "broker 3 out of u2-0's ISR")
    stop(cluster.brokers[2].process, signal.SIGKILL)
    wait_for(lambda: cluster.states("u2")[0]["leader"] == -1, 30, "u2-0 offline")
    cluster.brokers[3].start()
    wait_for(lambda: 3 in cluster.registered(), 30, "broker 3 registered")
    assert cluster.states("u2")[0]["leader"] == -1  # unclean election is off for u2
    unclean = admin(cluster, "leader-election", "--election-type", "UNCLEAN", "--topic", "u2", "--partition", "0")
    assert unclean.stdout == "Successfully completed leader election (UNCLEAN) for partitions u2-0\n"
    wait_for(lambda: cluster.states("u2")[0]["leader"] == 3, 30, "u2-0 led by broker 3")
    assert cluster.states("u2")[0]["isr"] == [3]
    restart(2)


def test_under_replicated_and_delete(cluster):
    victim = 3
    stop(cluster.brokers[victim].process, signal.SIGKILL)
    try:
        def under_replicated():
            return [PARTITION_LINE.match(line).groups() for line in
                    admin(cluster, "topics", "--describe", "--under-replicated-partitions").stdout.splitlines()]
        # Every partition with a replica on broker 3 once its session expired: orders has all 6.
        wait_for(lambda: sum(1 for g in under_replicated() if g[0] == "orders") == 6, 30,
                 "orders' partitions under-replicated")
        metadata = client_topics(cluster)
        expected = sorted((name, p) for name, t in metadata.items() for p, m in t.partitions.items()
                          if len(m.isrs) < len(m.replicas))
        assert sorted((g[0], int(g[1])) for g in under_replicated()) == expected
        assert all(str(victim) not in g[4].split(",") for g in under_replicated())

        # Against each topic's min.insync.replicas as the client describes it (ledger: 2 with two replicas).
        def reported(flag):
            return sorted((g[0], int(g[1])) for g in (PARTITION_LINE.match(line).groups() for line in admin(
                cluster, "topics", "--describe", flag).stdout.splitlines()))
        metadata = client_topics(cluster)
        min_isr = {name: int(client_configs(cluster, name)["min.insync.replicas"]) for name in metadata}
        under_min = sorted((name, p) for name, t in metadata.items() for p, m in t.partitions.items()
                           if m.leader < 0 or len(m.isrs) < min_isr[name])
        at_min = sorted((name, p) for name, t in metadata.items() for p, m in t.partitions.items()
                        if len(m.isrs) == min_isr[name])
        assert any(name == "ledger" for name, _ in under_min) and any(name == "ledger" for name, _ in at_min)
        assert reported("--under-min-isr-partitions") == under_min
        assert reported("--at-min-isr-partitions") == at_min
    finally:
        cluster.brokers[victim].start()
    wait_for(lambda: admin(cluster, "topics", "--describe", "--under-replicated-partitions").stdout == "", 60,
             "no under-replicated partitions once broker 3 is back")

    assert admin(cluster, "topics", "--delete", "--topic", "plain").stdout == ""
    wait_for(lambda: "plain" not in client_topics(cluster), 30, "plain deleted")
    assert "plain" not in admin(cluster, "topics", "--list").stdout.split()
    gone = admin(cluster, "topics", "--delete", "--topic", "plain", check=False)
    assert gone.returncode == 1
    assert admin(cluster, "topics", "--delete", "--topic", "plain", "--if-exists").returncode == 0
