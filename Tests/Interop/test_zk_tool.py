"""swiftkafka-zk (issue 8) against a live three-broker cluster with offsets in ZooKeeper: every view, in text and
JSON, agrees with what kazoo reads and what the clients did; after a broker is killed its partitions show as
under-replicated and `check` names the missing broker; an injected bad partition state is reported; `watch` prints
the changes; an unreachable ZooKeeper or a missing znode gives one line and exit status 1."""
import json
import os
import signal
import subprocess
import time

import pytest
from confluent_kafka import Consumer, TopicPartition

from conftest import commit_when_ready, stop, wait_for
from replication_harness import SESSION_TIMEOUT_S, Cluster

TOOL = os.environ.get("SWIFTKAFKA_ZK_TOOL", os.path.join(os.path.dirname(__file__), "../../.build/debug/swiftkafka-zk"))


def tool(cluster, *args, check=True):
    result = subprocess.run([TOOL, *args, "--zookeeper", cluster.zookeeper.connect], capture_output=True, text=True,
                            timeout=60)
    if check:
        assert result.returncode == 0, result.stderr
    return result


def tool_json(cluster, *args):
    return json.loads(tool(cluster, *args, "--json").stdout)


@pytest.fixture(scope="module")
def cluster():
    c = Cluster({"offsets.storage": "zookeeper"})
    try:
        c.create_topic()
        consumer = Consumer({"bootstrap.servers": c.bootstrap, "group.id": "zk-group", "enable.auto.commit": False})
        commit_when_ready(consumer, [TopicPartition("w", p, 10 * p + 5) for p in range(6)])
        consumer.close()
        yield c
    finally:
        c.close()


def test_raw_views(cluster):
    assert tool(cluster, "ls", "/brokers/ids").stdout.split() == ["1", "2", "3"]
    assert tool_json(cluster, "ls", "/brokers/ids") == ["1", "2", "3"]
    got = tool_json(cluster, "get", "/brokers/topics/w/partitions/0/state")
    assert json.loads(got["data"]) == json.loads(cluster.zk.get("/brokers/topics/w/partitions/0/state")[0])
    assert got["stat"]["version"] == cluster.zk.exists("/brokers/topics/w/partitions/0/state").version
    tree = tool_json(cluster, "tree", "/brokers")
    assert "/brokers/topics/w/partitions/5/state" in tree and "/brokers/ids/3" in tree
    text = tool(cluster, "tree", "/brokers").stdout
    assert "      state" in text  # indented by depth


def test_kafka_views_agree_with_the_tree_and_the_clients(cluster):
    brokers = tool_json(cluster, "brokers")
    assert [b["id"] for b in brokers] == [1, 2, 3]
    for broker in brokers:
        assert broker["endpoints"] == [f"PLAINTEXT://{cluster.brokers[broker['id']].bootstrap}"]
        assert broker["brokerEpoch"] == cluster.zk.exists(f"/brokers/ids/{broker['id']}").czxid
        assert broker["controller"] == (broker["id"] == cluster.controller())
    controller = tool_json(cluster, "controller")
    assert controller["brokerId"] == cluster.controller() and controller["epoch"] == cluster.controller_epoch()
    topics = {t["topic"]: t for t in tool_json(cluster, "topics")}
    assert topics["w"]["partitions"] == 6 and topics["w"]["replicationFactor"] == 3
    assert topics["w"]["underReplicated"] == 0 and topics["w"]["offline"] == 0
    described = tool_json(cluster, "topic", "w")
    states = cluster.states()
    assert described["config"]["min.insync.replicas"] == "2"
    for row in described["partitions"]:
        state = states[row["partition"]]
        assert (row["leader"], row["isr"], row["leaderEpoch"]) == (state["leader"], state["isr"], state["leader_epoch"])
    topic_id = json.loads(cluster.zk.get("/brokers/topics/w")[0])["topic_id"]
    assert described["topicId"] == topic_id
    text = tool(cluster, "topic", "w").stdout
    assert text.startswith(f"Topic: w\tTopicId: {topic_id}\tPartitionCount: 6\tReplicationFactor: 3\tConfigs: ")
    assert "Topic: w\tPartition: 0\tLeader: " in text and "UNDER-REPLICATED" not in text
    consumers = tool_json(cluster, "consumers")
    assert {(c["group"], c["topic"], c["partition"], c["offset"]) for c in consumers} == \
        {("zk-group", "w", p, 10 * p + 5) for p in range(6)}
    configs = tool_json(cluster, "configs")
    assert {"entityType": "topics", "entityName": "w", "config": {"min.insync.replicas": "2"}} in configs
    result = tool(cluster, "check")
    assert result.stdout.startswith("ok: 3 brokers")


def test_errors_are_one_line(cluster):
    missing = tool(cluster, "get", "/no/such/node", check=False)
    assert missing.returncode == 1 and missing.stderr.strip().count("\n") == 0 and "no such znode" in missing.stderr
    unreachable = subprocess.run([TOOL, "brokers", "--zookeeper", "127.0.0.1:1/kafka", "--timeout", "2"],
                                 capture_output=True, text=True, timeout=30)
    assert unreachable.returncode == 1 and unreachable.stderr.strip().count("\n") == 0
    assert "cannot reach ZooKeeper at 127.0.0.1:1/kafka" in unreachable.stderr


def test_killed_broker_shows_and_check_names_violations(cluster):
    watch = subprocess.Popen([TOOL, "watch", "--json", "--seconds", "40", "--zookeeper", cluster.zookeeper.connect],
                             stdout=subprocess.PIPE, text=True)
    try:
        assert json.loads(watch.stdout.readline()) == {"event": "watching"}
        victim = next(b for b in cluster.brokers.values() if b.id != cluster.controller())
        stop(victim.process, signal.SIGKILL)
        wait_for(lambda: victim.id not in cluster.registered(), SESSION_TIMEOUT_S + 5, "the registration to go")
        wait_for(lambda: all(victim.id not in s["isr"] for s in cluster.states().values()), 10, "ISR shrink")
        topics = {t["topic"]: t for t in tool_json(cluster, "topics")}
        assert topics["w"]["underReplicated"] == 6
        assert tool(cluster, "topic", "w").stdout.count("UNDER-REPLICATED") == 6
        result = tool(cluster, "check", check=False)
        assert result.returncode == 1
        assert f"replica-broker-missing: w-0: replicas [{victim.id}] are not registered brokers" in result.stdout
        events = []
        deadline = time.time() + 20
        while time.time() < deadline and not any(e.get("event") == "broker-gone" for e in events):
            events.append(json.loads(watch.stdout.readline()))
        assert {"event": "broker-gone", "broker": victim.id}.items() <= next(
            e for e in events if e.get("event") == "broker-gone").items()
        victim.start()
        cluster.wait_fully_in_sync(30)
        while not any(e.get("event") == "broker-registered" for e in events):
            events.append(json.loads(watch.stdout.readline()))
        assert any(e.get("event") == "partition" and e["topic"] == "w" for e in events)
    finally:
        watch.kill()
        watch.wait()
    assert tool(cluster, "check").stdout.startswith("ok:")
    # An injected bad state: a leader outside its ISR.
    path = "/brokers/topics/w/partitions/0/state"
    original, stat = cluster.zk.get(path)
    state = json.loads(original)
    others = [b for b in (1, 2, 3) if b != state["leader"]]
    cluster.zk.set(path, json.dumps(dict(state, isr=others)).encode(), version=stat.version)
    try:
        result = tool(cluster, "check", "--json", check=False)
        assert result.returncode == 1
        report = json.loads(result.stdout)
        assert report["ok"] is False
        assert {"kind": "leader-not-in-isr",
                "detail": f"w-0: leader {state['leader']} is not in its ISR {others}".replace("'", "")} in \
            [{"kind": v["kind"], "detail": v["detail"]} for v in report["violations"]]
    finally:
        cluster.zk.set(path, original)
