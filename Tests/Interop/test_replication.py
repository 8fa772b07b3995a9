"""Replication fault tests (issue 6; reliability.md Part B): a three-broker cluster, topic `w` with 6 partitions,
replication factor 3 and min.insync.replicas=2, an idempotent acks=all producer sending keyed messages while a
fault happens, and a checker that reads everything back afterwards (see replication_harness.py)."""
import os
import signal
import time

import pytest
from confluent_kafka import KafkaError, Producer

from conftest import stop, wait_for
from replication_harness import SESSION_TIMEOUT_S, Cluster, Workload, check, cluster_with_topic_w

COUNT = int(os.environ.get("SWIFTKAFKA_FAULT_MESSAGES", "100000"))


cluster = pytest.fixture(cluster_with_topic_w, name="cluster")


def test_replicas_agree_without_faults(cluster):
    """The baseline: three replicas, every acknowledged message readable, replicas byte-identical."""
    workload = Workload(cluster, count=COUNT // 5).start().finish()
    check(cluster, workload)


def leader_of_w0(cluster):
    return wait_for(lambda: cluster.leader(0) if cluster.leader(0) > 0 else None, 30, "a leader of w-0")


def test_1_leader_clean_bounce(cluster):
    """SIGTERM the leader of w-0 and start it again, twice: controlled shutdown moves its leaderships first, so
    acknowledgements pause for less than 3 s."""
    workload = Workload(cluster, count=COUNT).start()
    workload.wait_sent(0.2)
    started = time.time()
    for _ in range(2):
        victim = cluster.brokers[leader_of_w0(cluster)]
        with open(f"{victim.directory}/broker.log") as f:
            before = f.read().count("Controlled shutdown succeeded")
        stop(victim.process, signal.SIGTERM)
        with open(f"{victim.directory}/broker.log") as f:
            assert f.read().count("Controlled shutdown succeeded") == before + 1, "controlled shutdown left partitions"
        # Nothing of `w` is led by the stopped broker.
        assert all(s["leader"] != victim.id for s in cluster.states().values())
        victim.start()
        cluster.wait_fully_in_sync(60)
    workload.finish()
    gap = workload.max_ack_gap(after=started)
    figures = check(cluster, workload)
    print(f"clean bounce: max ack gap {gap:.2f} s, {figures}")
    assert gap <= 3.0


def test_2_leader_hard_bounce(cluster):
    """kill -9 the leader of w-0 and restart it once its registration is gone, twice: a new leader within the
    session timeout plus 5 s, the restarted broker back in every ISR within 30 s, nothing lost or duplicated."""
    workload = Workload(cluster, count=COUNT).start()
    workload.wait_sent(0.2)
    for _ in range(2):
        victim = cluster.brokers[leader_of_w0(cluster)]
        killed = time.time()
        stop(victim.process, signal.SIGKILL)
        wait_for(lambda: cluster.leader(0) not in (victim.id, -1), SESSION_TIMEOUT_S + 5, "a new leader of w-0")
        new_leader_s = time.time() - killed
        wait_for(lambda: victim.id not in cluster.registered(), SESSION_TIMEOUT_S + 5, "the registration to go")
        victim.start()
        restarted = time.time()
        cluster.wait_fully_in_sync(30)
        print(f"hard bounce of broker {victim.id}: new leader after {new_leader_s:.1f} s, "
              f"back in every ISR {time.time() - restarted:.1f} s after its restart")
    workload.finish()
    check(cluster, workload)


def test_3_controller_hard_kill(cluster):
    """kill -9 the controller: another broker takes /controller within the session timeout plus 5 s with the
    epoch one higher, the dead broker's partitions get leaders, and it rejoins after its restart."""
    workload = Workload(cluster, count=COUNT).start()
    workload.wait_sent(0.2)
    for _ in range(2):
        victim = cluster.brokers[cluster.controller()]
        epoch = cluster.controller_epoch()
        killed = time.time()
        stop(victim.process, signal.SIGKILL)

        def new_controller():
            try:
                return cluster.controller() != victim.id
            except Exception:
                return False
        wait_for(new_controller, SESSION_TIMEOUT_S + 5, "a new controller")
        took = time.time() - killed
        assert cluster.controller_epoch() == epoch + 1
        wait_for(lambda: all(s["leader"] not in (victim.id, -1) for s in cluster.states().values()), 10,
                 "every partition led by a live broker")
        print(f"controller {victim.id} killed: broker {cluster.controller()} took over after {took:.1f} s")
        time.sleep(3)
        victim.start()
        cluster.wait_fully_in_sync(30)
    workload.finish()
    check(cluster, workload)


def test_5_minority_isr(cluster):
    """kill -9 two of the three brokers for 15 s: with min.insync.replicas=2 nothing more is acknowledged with
    acks=all (producers get NOT_ENOUGH_REPLICAS and retry), no leader outside its ISR; after the brokers return
    everything acknowledged is there."""
    workload = Workload(cluster, count=COUNT).start()
    workload.wait_sent(0.2)
    survivor = leader_of_w0(cluster)
    victims = [cluster.brokers[b] for b in (1, 2, 3) if b != survivor]
    for victim in victims:
        stop(victim.process, signal.SIGKILL)
    wait_for(lambda: not (cluster.registered() - {survivor}), SESSION_TIMEOUT_S + 5, "the two registrations to go")
    wait_for(lambda: all(s["leader"] in (survivor, -1) for s in cluster.states().values()), 10,
             "the survivor leading")
    time.sleep(1)
    acked_before = len(workload.acked)
    time.sleep(5)
    # With one in-sync replica, no acks=all write completes.
    assert len(workload.acked) == acked_before, "acks=all writes were acknowledged by a lone replica"
    for state in cluster.states().values():
        assert state["leader"] == -1 or state["leader"] in state["isr"], state
    probe = Producer({"bootstrap.servers": cluster.brokers[survivor].bootstrap, "acks": "all", "retries": 0})
    errors = []
    probe.produce("w", key=b"probe", value=b"probe", partition=0, on_delivery=lambda e, m: errors.append(e))
    probe.flush(30)
    assert errors and errors[0] is not None and errors[0].code() == KafkaError.NOT_ENOUGH_REPLICAS, errors
    returned = time.time()
    victims[0].start()
    wait_for(lambda: len(workload.acked) > acked_before, 15, "acknowledgements after one broker returned")
    print(f"minority ISR: acknowledgements resumed {time.time() - returned:.1f} s after the first broker returned")
    victims[1].start()
    workload.finish()
    check(cluster, workload)


def test_7_zombie_leader(cluster):
    """SIGSTOP the leader of w-0 for twice the session timeout: its session expires, another replica leads;
    after SIGCONT the old leader acknowledges nothing that is later missing, truncates what diverged, registers
    again (a new broker epoch) and rejoins the ISR within 30 s."""
    workload = Workload(cluster, count=COUNT).start()
    workload.wait_sent(0.2)
    victim = cluster.brokers[leader_of_w0(cluster)]
    epoch_before = cluster.zk.exists(f"/brokers/ids/{victim.id}").czxid
    os.kill(victim.process.pid, signal.SIGSTOP)
    wait_for(lambda: cluster.leader(0) not in (victim.id, -1), SESSION_TIMEOUT_S + 5, "a new leader of w-0")
    time.sleep(max(0, 2 * SESSION_TIMEOUT_S - (SESSION_TIMEOUT_S + 1)))
    os.kill(victim.process.pid, signal.SIGCONT)
    resumed = time.time()
    wait_for(lambda: victim.id in cluster.registered(), 10, "the zombie to register again")
    registered_s = time.time() - resumed
    assert cluster.zk.exists(f"/brokers/ids/{victim.id}").czxid != epoch_before
    cluster.wait_fully_in_sync(30)
    print(f"zombie leader {victim.id}: registered again {registered_s:.1f} s and back in every ISR "
          f"{time.time() - resumed:.1f} s after SIGCONT")
    workload.finish()
    check(cluster, workload)


def test_9_slow_follower():
    """SIGSTOP a follower (broker 3, which leads nothing of `w`) for three times replica.lag.time.max.ms while its
    ZooKeeper session outlives the pause: the leaders drop it from their ISRs after the lag time (min.insync.replicas
    is still met, so producing goes on), and take it back within 30 s of SIGCONT."""
    lag_s = 5
    cluster = Cluster({"replica.lag.time.max.ms": str(lag_s * 1000), "zookeeper.session.timeout.ms": "30000"})
    try:
        cluster.create_topic(assignment=[[1, 2, 3], [2, 1, 3]] * 3)
        # Slow enough that producing goes on for the whole pause.
        workload = Workload(cluster, count=COUNT, rate=COUNT / 30).start()
        workload.wait_sent(0.2)
        follower = cluster.brokers[3]
        paused = time.time()
        os.kill(follower.process.pid, signal.SIGSTOP)
        wait_for(lambda: all(3 not in s["isr"] for s in cluster.states().values()), lag_s + 5, "the ISR shrink")
        shrink_s = time.time() - paused
        time.sleep(max(0, 3 * lag_s - (time.time() - paused)))
        acked_during = len(workload.acked)
        os.kill(follower.process.pid, signal.SIGCONT)
        resumed = time.time()
        cluster.wait_fully_in_sync(30)
        expand_s = time.time() - resumed
        workload.finish()
        gap = workload.max_ack_gap(after=paused)
        print(f"slow follower: ISR shrank {shrink_s:.1f} s after SIGSTOP, expanded {expand_s:.1f} s after SIGCONT, "
              f"max ack gap {gap:.1f} s, {acked_during} acknowledged before SIGCONT")
        # Until the shrink, acks=all waits for the paused follower: up to the lag time plus the check interval.
        assert shrink_s <= lag_s + 5
        assert gap <= lag_s * 1.5 + 2, "producing stopped while the follower was paused"
        assert acked_during < workload.count, "the pause did not overlap the workload"
        check(cluster, workload)
    finally:
        cluster.close()


def test_17_session_expiry_and_fast_restart(cluster):
    """kill -9 the leader of w-0 and start it again at once, while its old registration still exists: it waits
    for that session to end instead of failing, serves within the session timeout plus 10 s, the controller sees
    the new broker epoch, and nothing is lost or duplicated."""
    workload = Workload(cluster, count=COUNT).start()
    workload.wait_sent(0.2)
    victim = cluster.brokers[leader_of_w0(cluster)]
    epoch_before = cluster.zk.exists(f"/brokers/ids/{victim.id}").czxid
    stop(victim.process, signal.SIGKILL)
    killed = time.time()
    victim.start()
    serving_s = time.time() - killed
    assert serving_s <= SESSION_TIMEOUT_S + 10
    assert victim.process.poll() is None
    assert cluster.zk.exists(f"/brokers/ids/{victim.id}").czxid != epoch_before
    cluster.wait_fully_in_sync(30)
    print(f"fast restart of broker {victim.id}: serving {serving_s:.1f} s after kill -9")
    workload.finish()
    check(cluster, workload)


def test_preferred_replica_election_and_reassignment():
    """/admin/preferred_replica_election moves leadership back to the first replica; /admin/reassign_partitions
    moves a partition from broker 1 to brokers 2 and 3: the new replicas catch up, the assignment and ISR become
    [2, 3], broker 1 deletes its copy, every message stays readable, and the requests are deleted when done."""
    import json
    from confluent_kafka import Consumer, TopicPartition
    cluster = Cluster({"auto.leader.rebalance.enable": "false"})
    try:
        cluster.create_topic("p", assignment=[[1, 2, 3]])
        assert cluster.leader(0, "p") == 1
        first = cluster.brokers[1]
        stop(first.process, signal.SIGTERM)
        assert cluster.leader(0, "p") == 2, "controlled shutdown moved the leadership"
        first.start()
        wait_for(lambda: sorted(cluster.states("p")[0]["isr"]) == [1, 2, 3], 30, "broker 1 back in the ISR")
        assert cluster.leader(0, "p") == 2, "no automatic rebalance with auto.leader.rebalance.enable=false"
        cluster.zk.create("/admin/preferred_replica_election",
                          json.dumps({"version": 1, "partitions": [{"topic": "p", "partition": 0}]}).encode())
        wait_for(lambda: cluster.leader(0, "p") == 1, 15, "the preferred replica leading")
        wait_for(lambda: not cluster.zk.exists("/admin/preferred_replica_election"), 10, "the request deleted")

        cluster.create_topic("r", assignment=[[1]], config={"min.insync.replicas": "1"})
        producer = Producer({"bootstrap.servers": cluster.bootstrap, "acks": "all", "linger.ms": 5})
        for i in range(20_000):
            producer.produce("r", key=str(i).encode(), value=f"value-{i}".encode())
            if i % 1000 == 0:
                producer.poll(0)
        assert producer.flush(60) == 0
        cluster.zk.create("/admin/reassign_partitions", json.dumps(
            {"version": 1, "partitions": [{"topic": "r", "partition": 0, "replicas": [2, 3]}]}).encode())
        started = time.time()
        wait_for(lambda: not cluster.zk.exists("/admin/reassign_partitions"), 60, "the reassignment to finish")
        took = time.time() - started
        assignment = json.loads(cluster.zk.get("/brokers/topics/r")[0])
        assert assignment["partitions"]["0"] == [2, 3]
        assert assignment["adding_replicas"] == {} and assignment["removing_replicas"] == {}
        state = cluster.states("r")[0]
        assert state["leader"] in (2, 3) and sorted(state["isr"]) == [2, 3], state
        wait_for(lambda: not os.path.exists(f"{first.directory}/logs/r-0"), 15, "broker 1 to delete its replica")
        wait_for(lambda: len(cluster.replica_bytes(2, 0, "r")) == len(cluster.replica_bytes(3, 0, "r")), 30,
                 "the new replicas to agree")
        assert cluster.replica_bytes(2, 0, "r") == cluster.replica_bytes(3, 0, "r")
        consumer = Consumer({"bootstrap.servers": cluster.bootstrap, "group.id": "reassigned",
                             "auto.offset.reset": "earliest"})
        consumer.assign([TopicPartition("r", 0, 0)])
        values = []
        deadline = time.time() + 60
        while len(values) < 20_000 and time.time() < deadline:
            values += [m.value().decode() for m in consumer.consume(1000, 1.0) if m.error() is None]
        consumer.close()
        assert values == [f"value-{i}" for i in range(20_000)]
        print(f"reassignment of r-0 from [1] to [2, 3] took {took:.1f} s")
    finally:
        cluster.close()


def test_auto_leader_rebalance():
    """With auto.leader.rebalance.enable (Kafka's default) leadership returns to the preferred replicas after a
    broker restart, at the next leader.imbalance.check.interval.seconds."""
    cluster = Cluster({"leader.imbalance.check.interval.seconds": "2"})
    try:
        cluster.create_topic()
        preferred = {p: s["leader"] for p, s in cluster.states().items()}
        victim = cluster.brokers[preferred[0]]
        stop(victim.process, signal.SIGTERM)
        assert all(s["leader"] != victim.id for s in cluster.states().values())
        victim.start()
        restarted = time.time()
        wait_for(lambda: {p: s["leader"] for p, s in cluster.states().items()} == preferred, 30,
                 "leaders back on their preferred replicas")
        print(f"leaders back on their preferred replicas {time.time() - restarted:.1f} s after the restart")
    finally:
        cluster.close()


def test_10_leader_cut_from_zookeeper():
    """The leader of w-0 loses ZooKeeper (silent drops in its network namespace) but not its peers or clients; see
    fault_leader_cut_from_zookeeper.py, which runs inside the client's namespace of a private network."""
    run_in_private_network("fault_leader_cut_from_zookeeper.py")


def test_4_whole_cluster_crash(cluster):
    """kill -9 all three brokers at once halfway through the workload and start them again: the page cache keeps
    what was acknowledged, every partition is online again within 60 s, nothing is lost or duplicated."""
    workload = Workload(cluster, count=COUNT).start()
    workload.wait_sent(0.5)
    for broker in cluster.brokers.values():
        os.kill(broker.process.pid, signal.SIGKILL)
    for broker in cluster.brokers.values():
        broker.process.wait()
    crashed = time.time()
    for broker in cluster.brokers.values():
        broker.start()
    wait_for(lambda: all(s["leader"] > 0 for s in cluster.states().values()), 60, "every partition online")
    online_s = time.time() - crashed
    cluster.wait_fully_in_sync(60)
    print(f"whole-cluster crash: every partition online {online_s:.1f} s and fully in sync "
          f"{time.time() - crashed:.1f} s after the crash")
    workload.finish()
    check(cluster, workload)


def test_8_zombie_controller(cluster):
    """SIGSTOP the controller for twice the session timeout: another broker takes over with a higher epoch; after
    SIGCONT the old controller resigns, registers again and stays passive; exactly one controller remains."""
    workload = Workload(cluster, count=COUNT).start()
    workload.wait_sent(0.2)
    zombie = cluster.brokers[cluster.controller()]
    epoch = cluster.controller_epoch()
    os.kill(zombie.process.pid, signal.SIGSTOP)

    def new_controller():
        try:
            return cluster.controller() != zombie.id
        except Exception:
            return False
    wait_for(new_controller, SESSION_TIMEOUT_S + 5, "a new controller")
    successor = cluster.controller()
    assert cluster.controller_epoch() == epoch + 1
    time.sleep(max(0, 2 * SESSION_TIMEOUT_S - (SESSION_TIMEOUT_S + 1)))
    os.kill(zombie.process.pid, signal.SIGCONT)
    resumed = time.time()

    def resigned():
        with open(f"{zombie.directory}/broker.log") as f:
            return f.read().count("Resigned as controller") >= 1
    wait_for(resigned, 5, "the zombie controller to resign")
    resigned_s = time.time() - resumed
    wait_for(lambda: zombie.id in cluster.registered(), 10, "the zombie to register again")
    cluster.wait_fully_in_sync(30)
    assert cluster.controller() == successor and cluster.controller_epoch() == epoch + 1
    print(f"zombie controller {zombie.id}: broker {successor} took over; the zombie resigned {resigned_s:.1f} s "
          f"after SIGCONT")
    workload.finish()
    check(cluster, workload)


def produce_to_t2(cluster, count, timeout_s=30):
    """`count` idempotent acks=all messages to t2-0; returns (acknowledged {value: offset}, failed count)."""
    acked, failed = {}, []
    producer = Producer({"bootstrap.servers": cluster.bootstrap, "acks": "all", "enable.idempotence": True,
                         "message.timeout.ms": timeout_s * 1000, "topic.metadata.refresh.interval.ms": 500})

    def delivered(error, message):
        if error is None:
            acked[message.value().decode()] = message.offset()
        else:
            failed.append(error)

    for index in range(count):
        producer.produce("t2", value=f"{time.time_ns()}-{index}", partition=0, on_delivery=delivered)
    producer.flush(timeout_s + 30)
    return acked, len(failed)


def read_t2(broker):
    from confluent_kafka import Consumer, TopicPartition
    consumer = Consumer({"bootstrap.servers": broker.bootstrap, "group.id": f"t2-{time.time_ns()}",
                         "enable.auto.commit": False})
    try:
        end = consumer.get_watermark_offsets(TopicPartition("t2", 0), timeout=30)[1]
        consumer.assign([TopicPartition("t2", 0, 0)])
        found, deadline = {}, time.time() + 60
        while len(found) < end and time.time() < deadline:
            for message in consumer.consume(1000, 1.0):
                if message.error() is None:
                    found[message.value().decode()] = message.offset()
        return found
    finally:
        consumer.close()


@pytest.mark.parametrize("unclean", [False, True])
def test_6_unclean_election_stays_off(cluster, unclean):
    """Topic t2 (RF 2, min.insync.replicas 1) on brokers 1 (leader B) and 2 (follower A). Stop A, produce, kill
    B, start A. With unclean.leader.election.enable=false (Kafka's default) the partition stays without a leader
    while B is away — A never leads with a log that lacks acknowledged messages, sends fail — and once B returns
    every acknowledged message is there. With the topic set to true, A is elected and the messages B alone held
    are lost: the test reports how many."""
    cluster.create_topic("t2", assignment=[[1, 2]],
                         config={"min.insync.replicas": "1", "unclean.leader.election.enable": str(unclean).lower()})
    broker_a, broker_b = cluster.brokers[2], cluster.brokers[1]
    wait_for(lambda: cluster.leader(0, "t2") == 1, 30, "broker 1 to lead t2-0")
    before, _ = produce_to_t2(cluster, 200)
    wait_for(lambda: sorted(cluster.states("t2")[0]["isr"]) == [1, 2], 30, "both replicas in sync")
    stop(broker_a.process)
    wait_for(lambda: cluster.states("t2")[0]["isr"] == [1], 30, "the ISR to shrink to broker 1")
    during, failed = produce_to_t2(cluster, 1000)
    assert failed == 0 and len(during) == 1000, "min.insync.replicas=1: broker 1 alone acknowledges"
    stop(broker_b.process, signal.SIGKILL)
    wait_for(lambda: 1 not in cluster.registered(), SESSION_TIMEOUT_S + 5, "broker 1's registration to go")
    broker_a.start()
    if not unclean:
        # While B is away: no leader, ever; nothing can be written.
        deadline = time.time() + 6
        while time.time() < deadline:
            state = cluster.states("t2")[0]
            assert state["leader"] == -1 and state["isr"] == [1], f"an out-of-sync replica was elected: {state}"
            time.sleep(0.5)
        refused, failed = produce_to_t2(cluster, 10, timeout_s=5)
        assert refused == {} and failed == 10, "a write was acknowledged without a leader"
        broker_b.start()
        wait_for(lambda: cluster.leader(0, "t2") == 1, 60, "broker 1 to lead t2-0 again")
        wait_for(lambda: sorted(cluster.states("t2")[0]["isr"]) == [1, 2], 60, "broker 2 back in sync")
        found = read_t2(broker_a)
        lost = [v for v, offset in {**before, **during}.items() if found.get(v) != offset]
        assert lost == [], f"{len(lost)} acknowledged messages lost"
        print(f"unclean election off: no leader for 6 s while only the stale replica was up; 0 of "
              f"{len(before) + len(during)} acknowledged messages lost")
    else:
        wait_for(lambda: cluster.leader(0, "t2") == 2, 30, "the stale replica to be elected (unclean)")
        broker_b.start()
        wait_for(lambda: sorted(cluster.states("t2")[0]["isr"]) == [1, 2], 60, "broker 1 back in sync")
        found = read_t2(broker_b)
        lost = [v for v, offset in {**before, **during}.items() if found.get(v) != offset]
        assert all(found.get(v) == offset for v, offset in before.items()), "messages both replicas had were lost"
        print(f"unclean election on: {len(lost)} of {len(before) + len(during)} acknowledged messages lost "
              f"(those only broker 1 held), as Kafka documents")
        assert len(lost) == len(during)


def run_in_private_network(script, *arguments):
    """Runs `script` inside the client's namespace of a private network of ZooKeeper, brokers 1-3 and a client
    (network_namespaces.py), printing what it reports; fails when it fails."""
    import json
    import subprocess
    import sys
    from network_namespaces import Network
    network = Network(["zk", 1, 2, 3, "client"])
    try:
        here = os.path.dirname(os.path.abspath(__file__))
        result = subprocess.run(
            ["ip", "netns", "exec", network.members["client"][0], sys.executable, os.path.join(here, script),
             *arguments],
            env=dict(os.environ, SWIFTKAFKA_NETWORK=json.dumps(network.members)), cwd=here,
            capture_output=True, text=True, timeout=600)
        print("\n".join(line for line in result.stdout.splitlines() if not line.startswith("%")))
        assert result.returncode == 0, result.stderr[-4000:]
    finally:
        network.close()


@pytest.mark.parametrize("scenario", ["leader-cut-from-followers", "broker-isolated", "client-cut"])
def test_11_to_13_network_partitions(scenario):
    """Tests 11 (leader cut from its followers), 12 (a broker isolated) and 13 (the client cut off): see
    fault_partitions.py."""
    run_in_private_network("fault_partitions.py", scenario)
