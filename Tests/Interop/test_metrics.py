"""The Prometheus endpoint (issue 8) on a live three-broker cluster: JMX-exporter names, counters that move by
exactly what the clients did (messages in, bytes in and out per topic, requests per API), latency quantiles,
replication bytes both ways, the controller and replica-manager gauges, per-partition log gauges against the
clients' watermarks, under-replicated and at-minimum-ISR partitions after a broker is killed and ISR expansions when
it returns; /health and unknown paths."""
import os
import re
import signal
import time
import urllib.error
import urllib.request

import pytest
from confluent_kafka import Consumer, KafkaError, KafkaException, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic

from conftest import stop, wait_for
from replication_harness import Cluster

LINE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$')
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


def metrics_url(broker):
    with open(f"{broker.directory}/broker.log") as f:
        found = re.findall(r"http://127\.0\.0\.1:(\d+)/metrics", f.read())
    assert found, "the broker logged no metrics address"
    return f"http://127.0.0.1:{found[-1]}"


def scrape(broker):
    """{(name, frozenset(labels)): value} from one broker's /metrics."""
    with urllib.request.urlopen(metrics_url(broker) + "/metrics", timeout=10) as response:
        assert response.headers["Content-Type"].startswith("text/plain; version=0.0.4")
        text = response.read().decode()
    samples = {}
    types = {}
    for line in text.splitlines():
        if line.startswith("# TYPE "):
            _, _, name, kind = line.split(" ")
            types[name] = kind
            continue
        if not line or line.startswith("#"):
            continue
        match = LINE.match(line)
        assert match, f"not exposition format: {line!r}"
        name, labels, value = match.groups()
        samples[(name, frozenset(LABEL.findall(labels or "")))] = float(value)
    return samples, types


def value(samples, name, **labels):
    return samples.get((name, frozenset(labels.items())), 0.0)


def including(samples, name, **labels):
    """The sum over every series of `name` whose labels include `labels` (e.g. all versions of one request)."""
    wanted = set(labels.items())
    return sum(v for (n, ls), v in samples.items() if n == name and wanted <= ls)


def total(cluster, name, **labels):
    return sum(value(scrape(b)[0], name, **labels) for b in cluster.brokers.values() if b.process.poll() is None)


@pytest.fixture(scope="module")
def cluster():
    c = Cluster({"metrics.port": "0", "metrics.host": "127.0.0.1"})
    try:
        c.create_topic()
        yield c
    finally:
        c.close()


def test_gauges_of_a_healthy_cluster(cluster):
    controller = cluster.controller()
    for broker_id, broker in cluster.brokers.items():
        samples, types = scrape(broker)
        assert types["kafka_controller_kafkacontroller_activecontrollercount"] == "gauge"
        assert value(samples, "kafka_controller_kafkacontroller_activecontrollercount") == (
            1 if broker_id == controller else 0)
        assert value(samples, "kafka_server_replicamanager_underreplicatedpartitions") == 0
        assert value(samples, "kafka_controller_kafkacontroller_offlinepartitionscount") == 0
        # Every broker holds a replica of each of w's 6 partitions (RF 3 on 3 brokers).
        assert value(samples, "kafka_server_replicamanager_partitioncount") >= 6
    leaders = {}
    for state in cluster.states().values():
        leaders[state["leader"]] = leaders.get(state["leader"], 0) + 1
    for broker_id, broker in cluster.brokers.items():
        samples, _ = scrape(broker)
        # The offsets topic may add leaderships; w's alone are a lower bound.
        assert value(samples, "kafka_server_replicamanager_leadercount") >= leaders.get(broker_id, 0)
    # Followers fetch in sessions (KIP-227): each leader of a w partition keeps one session per follower broker,
    # holding at least the partitions it leads there (consumers here are librdkafka's, which fetch without one).
    # A session is made when its first fetch is answered (up to replica.fetch.wait.max.ms after it is sent).
    def sessions_held(broker_id):
        samples, types = scrape(cluster.brokers[broker_id])
        assert types["kafka_server_fetchsessioncache_numincrementalfetchsessions"] == "gauge"
        return (value(samples, "kafka_server_fetchsessioncache_numincrementalfetchsessions") >= 2
                and value(samples, "kafka_server_fetchsessioncache_numincrementalfetchpartitionscached")
                >= 2 * leaders[broker_id])
    for broker_id in leaders:
        wait_for(lambda: sessions_held(broker_id), 15, f"broker {broker_id}'s followers to fetch in sessions")
    samples, _ = scrape(cluster.brokers[controller])
    assert value(samples, "kafka_controller_kafkacontroller_globaltopiccount") == len(cluster.zk.get_children(
        "/brokers/topics"))
    partitions = sum(len(cluster.zk.get_children(f"/brokers/topics/{t}/partitions"))
                     for t in cluster.zk.get_children("/brokers/topics"))
    assert value(samples, "kafka_controller_kafkacontroller_globalpartitioncount") == partitions


def test_counters_move_by_what_was_produced_and_consumed(cluster):
    def snapshot():
        return {(name, topic): total(cluster, f"kafka_server_brokertopicmetrics_{name}_total", topic=topic)
                for name in ("messagesin", "bytesin", "bytesout", "replicationbytesin", "replicationbytesout")
                for topic in ("w", "")
                } | {"produce": sum(including(scrape(b)[0], "kafka_network_requestmetrics_requests_total",
                                               request="Produce") for b in cluster.brokers.values()),
                     "produce ok": total(cluster, "kafka_network_requestmetrics_errors_total", request="Produce",
                                         error="NONE")}
    before = snapshot()
    producer = Producer({"bootstrap.servers": cluster.bootstrap, "acks": "all", "linger.ms": 5,
                         "compression.type": "none"})
    for i in range(1000):
        producer.produce("w", key=str(i % 10), value=b"x" * 100)
    assert producer.flush(30) == 0
    consumer = Consumer({"bootstrap.servers": cluster.bootstrap, "group.id": "metrics", "enable.auto.commit": False,
                         "auto.offset.reset": "earliest"})
    consumer.assign([TopicPartition("w", p, 0) for p in range(6)])
    seen = 0
    for _ in range(60):
        seen += sum(1 for m in consumer.consume(1000, 1) if not m.error())
        if seen >= 1000:
            break
    consumer.close()
    assert seen == 1000
    after = snapshot()
    delta = {key: after[key] - before[key] for key in before}
    assert delta[("messagesin", "w")] == 1000
    assert delta[("messagesin", "")] >= 1000
    # Each message is 100 value bytes plus a key and record overhead, in v2 batches.
    assert delta[("bytesin", "w")] > 100_000
    assert delta[("bytesin", "")] >= delta[("bytesin", "w")]
    # The consumer read every batch at least once; the followers copied every batch to two replicas.
    assert delta[("bytesout", "w")] >= delta[("bytesin", "w")]
    wait_for(lambda: total(cluster, "kafka_server_brokertopicmetrics_replicationbytesout_total", topic="w")
             - before[("replicationbytesout", "w")] >= 2 * delta[("bytesin", "w")], 30, "followers' fetches counted")
    # What the leaders sent, the followers appended: both sides count the same batches.
    wait_for(lambda: total(cluster, "kafka_server_brokertopicmetrics_replicationbytesin_total", topic="w")
             - before[("replicationbytesin", "w")] >= 2 * delta[("bytesin", "w")], 30, "followers' appends counted")
    assert delta["produce"] >= 1
    # ErrorsPerSec counts each partition's code: every produce request answered NONE for at least one partition.
    assert delta["produce ok"] >= delta["produce"]


def test_log_gauges_follow_the_logs(cluster):
    """Every replica's kafka_log_log_* gauges agree with the clients' watermarks once the cluster is in sync; a
    deleted topic's gauges go away; in sync, no follower lags."""
    producer = Producer({"bootstrap.servers": cluster.bootstrap, "acks": "all"})
    for i in range(120):
        producer.produce("w", key=str(i), value=b"y" * 50)
    assert producer.flush(30) == 0
    cluster.wait_fully_in_sync()
    consumer = Consumer({"bootstrap.servers": cluster.bootstrap, "group.id": "gauges"})
    watermarks = {p: consumer.get_watermark_offsets(TopicPartition("w", p), timeout=30) for p in range(6)}
    consumer.close()

    def logs_agree():
        for broker in cluster.brokers.values():
            samples, _ = scrape(broker)
            for p, (low, high) in watermarks.items():
                labels = {"topic": "w", "partition": str(p)}
                if (value(samples, "kafka_log_log_logendoffset", **labels),
                        value(samples, "kafka_log_log_logstartoffset", **labels)) != (high, low):
                    return False
                if value(samples, "kafka_log_log_numlogsegments", **labels) < 1:
                    return False
                if (value(samples, "kafka_log_log_size", **labels) > 0) != (high > low):
                    return False
        return True

    # Kafka's per-partition gauges: on the leader, 3 replicas all in sync (min.insync.replicas 2); 0 elsewhere.
    def partitions_agree():
        states = cluster.states()
        for broker_id, broker in cluster.brokers.items():
            samples, _ = scrape(broker)
            for p, state in states.items():
                labels = {"topic": "w", "partition": str(p)}
                shown = [value(samples, f"kafka_cluster_partition_{name}", **labels) for name in (
                    "underreplicated", "insyncreplicascount", "replicascount", "underminisr", "atminisr")]
                if shown != ([0, 3, 3, 0, 0] if state["leader"] == broker_id else [0, 0, 0, 0, 0]):
                    return False
        return True
    wait_for(partitions_agree, 30, "the partition gauges of w on its leaders and followers")
    # The followers' log end offsets reach the leader's with their next fetch.
    wait_for(logs_agree, 30, "every replica's log gauges equal to the watermarks")
    assert sum(high for _, high in watermarks.values()) >= 120
    wait_for(lambda: total(cluster, "kafka_server_replicafetchermanager_maxlag", clientid="Replica") == 0, 30,
             "no follower lagging")

    cluster.create_topic("short", partitions=2, replication=3)
    wait_for(lambda: all(value(scrape(b)[0], "kafka_log_log_numlogsegments", topic="short", partition="1") == 1
                         for b in cluster.brokers.values()), 30, "short's gauges on every broker")
    admin = AdminClient({"bootstrap.servers": cluster.bootstrap})
    admin.delete_topics(["short"])["short"].result(30)
    per_partition = ("kafka_log_log_", "kafka_cluster_partition_")
    wait_for(lambda: not any(n.startswith(per_partition) and ("topic", "short") in labels
                             for b in cluster.brokers.values() for n, labels in scrape(b)[0]), 30,
             "short's gauges gone with its logs")


def test_request_rates_and_latency_quantiles(cluster):
    samples, types = scrape(cluster.brokers[1])
    assert types["kafka_network_requestmetrics_totaltimems"] == "gauge"
    assert types["kafka_network_requestmetrics_requests_total"] == "counter"
    for request in ("Produce", "Fetch", "Metadata", "FetchFollower", "FetchConsumer"):
        count = value(samples, "kafka_network_requestmetrics_totaltimems_count", request=request)
        assert count > 0, request
        quantiles = [value(samples, "kafka_network_requestmetrics_totaltimems", request=request, quantile=q)
                     for q in ("0.50", "0.75", "0.95", "0.98", "0.99", "0.999")]
        assert quantiles == sorted(quantiles) and quantiles[-1] > 0, (request, quantiles)
    # Every Fetch is timed once more as a follower's or a consumer's (by the replica id in its body): the two split
    # Fetch's count between them, give or take the two followers' fetches completing while the scrape is written.
    split = sum(value(samples, "kafka_network_requestmetrics_totaltimems_count", request=name)
                for name in ("FetchFollower", "FetchConsumer"))
    assert abs(split - value(samples, "kafka_network_requestmetrics_totaltimems_count", request="Fetch")) <= 2
    # RequestsPerSec is counted per version, TotalTimeMs per API: the two agree, give or take the followers' fetches
    # completing while the scrape is written (the two counters are incremented one after the other).
    per_version = including(samples, "kafka_network_requestmetrics_requests_total", request="Fetch")
    assert abs(per_version - value(samples, "kafka_network_requestmetrics_totaltimems_count", request="Fetch")) <= 2
    assert per_version > 0


def test_under_replicated_after_a_kill_and_isr_expansion_on_return(cluster):
    victim = next(b for b in cluster.brokers if b != cluster.controller())
    expands_before = total(cluster, "kafka_server_replicamanager_isrexpands_total")
    stop(cluster.brokers[victim].process, signal.SIGKILL)
    survivors = [b for i, b in cluster.brokers.items() if i != victim]
    # The controller takes the dead broker out of every ISR once its session expires; every partition it held a
    # replica of (all of w's, RF 3) is then under-replicated at its new leader.
    wait_for(lambda: sum(value(scrape(b)[0], "kafka_server_replicamanager_underreplicatedpartitions")
                         for b in survivors) >= 6, 30, "under-replicated partitions reported")
    assert sum(value(scrape(b)[0], "kafka_controller_kafkacontroller_offlinepartitionscount") for b in survivors) == 0
    # w has min.insync.replicas 2: with two replicas left, each of its partitions is at its minimum ISR, none under.
    at_min = sum(value(scrape(b)[0], "kafka_server_replicamanager_atminisrpartitioncount") for b in survivors)
    assert at_min >= 6
    assert sum(value(scrape(b)[0], "kafka_server_replicamanager_underminisrpartitioncount") for b in survivors) == 0
    cluster.brokers[victim].start()
    cluster.wait_fully_in_sync()
    wait_for(lambda: total(cluster, "kafka_server_replicamanager_underreplicatedpartitions") == 0, 30,
             "no under-replicated partitions after the return")
    assert total(cluster, "kafka_server_replicamanager_isrexpands_total") - expands_before >= 6


def test_errors_counted_by_request_and_error_name(cluster):
    """Creating a topic that exists is answered TOPIC_ALREADY_EXISTS, and counted under that name."""
    def already_exists_errors():
        return total(cluster, "kafka_network_requestmetrics_errors_total", request="CreateTopics",
                     error="TOPIC_ALREADY_EXISTS")
    before = already_exists_errors()
    admin = AdminClient({"bootstrap.servers": cluster.bootstrap})
    with pytest.raises(KafkaException) as refused:
        admin.create_topics([NewTopic("w", 6, 3)])["w"].result(30)
    assert refused.value.args[0].code() == KafkaError.TOPIC_ALREADY_EXISTS
    assert already_exists_errors() == before + 1
    samples, types = scrape(cluster.brokers[1])
    assert types["kafka_network_requestmetrics_errors_total"] == "counter"
    assert value(samples, "kafka_network_requestmetrics_errors_total", request="Fetch", error="NONE") > 0


def test_health_and_unknown_paths(cluster):
    base = metrics_url(cluster.brokers[1])
    with urllib.request.urlopen(base + "/health", timeout=10) as response:
        assert response.read() == b"ok\n"
    with pytest.raises(urllib.error.HTTPError) as error:
        urllib.request.urlopen(base + "/nothing", timeout=10)
    assert error.value.code == 404


def test_offline_partition_and_unclean_election_counted(cluster):
    """A partition whose whole ISR died is offline (OfflinePartitionsCount 1 on the controller); with
    unclean.leader.election.enable on the topic, a returning replica outside the ISR leads it, and the controller
    counts the unclean election."""
    controller = cluster.controller()
    first, second = [b for b in sorted(cluster.brokers) if b != controller]
    cluster.create_topic("u", assignment=[[first, second]],
                         config={"unclean.leader.election.enable": "true", "min.insync.replicas": "1"})
    producer = Producer({"bootstrap.servers": cluster.bootstrap, "acks": "all"})
    for i in range(100):
        producer.produce("u", value=str(i).encode())
    assert producer.flush(30) == 0
    unclean_before = value(scrape(cluster.brokers[controller])[0],
                           "kafka_controller_controllerstats_uncleanleaderelections_total")
    # The follower dies first and leaves the ISR; then the leader dies: nobody in the ISR is alive.
    stop(cluster.brokers[second].process, signal.SIGKILL)
    wait_for(lambda: cluster.states("u")[0]["isr"] == [first], 30, "the follower out of the ISR")
    stop(cluster.brokers[first].process, signal.SIGKILL)
    wait_for(lambda: cluster.states("u")[0]["leader"] == -1, 30, "u-0 offline")
    wait_for(lambda: value(scrape(cluster.brokers[controller])[0],
                           "kafka_controller_kafkacontroller_offlinepartitionscount") == 1, 10, "offline counted")
    # The follower returns: it is not in the ISR, but the topic allows it to lead.
    cluster.brokers[second].start()
    wait_for(lambda: cluster.states("u")[0]["leader"] == second, 30, "an unclean leader")
    samples = scrape(cluster.brokers[controller])[0]
    assert value(samples, "kafka_controller_controllerstats_uncleanleaderelections_total") == unclean_before + 1
    assert value(samples, "kafka_controller_kafkacontroller_offlinepartitionscount") == 0
    cluster.brokers[first].start()
    cluster.wait_fully_in_sync()


def test_zookeeper_latency_and_session_events(cluster):
    """Every broker times its ZooKeeper requests; a broker paused past its session timeout counts the disconnect,
    the expiry and the new session's connection (SessionExpireListener)."""
    for broker in cluster.brokers.values():
        samples, _ = scrape(broker)
        assert value(samples, "kafka_server_zookeeperclientmetrics_zookeeperrequestlatencyms_count") > 0
        quantiles = [value(samples, "kafka_server_zookeeperclientmetrics_zookeeperrequestlatencyms", quantile=q)
                     for q in ("0.50", "0.99", "0.999")]
        assert quantiles == sorted(quantiles) and quantiles[-1] > 0
    victim = cluster.brokers[next(b for b in sorted(cluster.brokers) if b != cluster.controller())]

    def session_counts():
        samples, _ = scrape(victim)
        return {name: value(samples, f"kafka_server_sessionexpirelistener_zookeeper{name}_total")
                for name in ("syncconnects", "disconnects", "expires", "authfailures")}
    before = session_counts()
    assert before["syncconnects"] >= 1
    epoch = cluster.zk.exists(f"/brokers/ids/{victim.id}").czxid
    # The harness' session timeout is 6 s: paused for 13 s, the broker's session has expired when it resumes.
    os.kill(victim.process.pid, signal.SIGSTOP)
    try:
        wait_for(lambda: victim.id not in cluster.registered(), 20, "the paused broker's session to expire")
        time.sleep(2)
    finally:
        os.kill(victim.process.pid, signal.SIGCONT)
    wait_for(lambda: victim.id in cluster.registered()
             and cluster.zk.exists(f"/brokers/ids/{victim.id}").czxid != epoch, 30, "the broker registered again")
    # The counts follow the session's state stream, which the broker reads on its own task: wait for them.
    wait_for(lambda: session_counts()["syncconnects"] == before["syncconnects"] + 1, 10, "the new session counted")
    after = session_counts()
    assert after["expires"] == before["expires"] + 1
    assert after["disconnects"] >= before["disconnects"] + 1
    assert after["authfailures"] == before["authfailures"]
    cluster.wait_fully_in_sync()

