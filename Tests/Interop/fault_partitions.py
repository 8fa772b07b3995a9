"""Fault tests 11-13 (reliability.md B3), run by test_replication.py inside the client's network namespace of a
private network (network_namespaces.py):

    fault_partitions.py leader-cut-from-followers | broker-isolated | client-cut

11. The leader of w-0 cut from both followers (nftables drops) while ZooKeeper and the clients still reach it: its
    ISR shrinks to itself within replica.lag.time.max.ms + 5 s, acks=all is then refused (NOT_ENOUGH_REPLICAS,
    never a false acknowledgement), the leadership does not move; after healing the ISR is full within 30 s.
12. A broker isolated entirely (its link down) for longer than the session timeout: others take its leaderships;
    after healing it registers again, truncates and catches up; no two brokers accepted writes that both survive.
13. The client cut from every broker for 10 s: nothing is acknowledged meanwhile; after healing the idempotent
    producer's retries leave no duplicate.
Each ends with checker K (nothing acknowledged lost, no duplicates, replicas byte-identical)."""
import json
import os
import subprocess
import sys
import time

from conftest import wait_for
from replication_harness import REPLICA_LAG_S, SESSION_TIMEOUT_S, Cluster, Workload, check

COUNT = int(os.environ.get("SWIFTKAFKA_FAULT_MESSAGES", "100000"))


def nft(netns, script):
    subprocess.run(["ip", "netns", "exec", netns, "nft", "-f", "-"], input=script, text=True, check=True)


def drop(netns, addresses):
    rules_out = "".join(f"    ip daddr {a} drop;\n" for a in addresses)
    rules_in = "".join(f"    ip saddr {a} drop;\n" for a in addresses)
    nft(netns, "table inet swkcut {\n  chain output { type filter hook output priority 0;\n" + rules_out
        + "  }\n  chain input { type filter hook input priority 0;\n" + rules_in + "  }\n}\n")


def heal(netns):
    subprocess.run(["ip", "netns", "exec", netns, "nft", "delete", "table", "inet", "swkcut"], check=True)


def leader_cut_from_followers(cluster, network, workload):
    leader = cluster.leader(0)
    followers = [b for b in (1, 2, 3) if b != leader]
    drop(network[str(leader)][0], [network[str(b)][1] for b in followers])
    cut_at = time.time()
    leaders_seen = set()

    def shrunk():
        state = cluster.states()[0]
        leaders_seen.add(state["leader"])
        return state["isr"] == [leader]

    wait_for(shrunk, REPLICA_LAG_S + 5, "the ISR of w-0 to shrink to its leader")
    shrink_s = time.time() - cut_at
    acked_at_shrink = len(workload.acked)
    deadline = time.time() + 5
    while time.time() < deadline:
        leaders_seen.add(cluster.leader(0))
        time.sleep(0.2)
    heal(network[str(leader)][0])
    healed = time.time()
    cluster.wait_fully_in_sync(30)
    assert leaders_seen == {leader}, f"the leadership of w-0 moved: {leaders_seen}"
    return (f"leader {leader} cut from its followers: ISR of w-0 shrank to [{leader}] after {shrink_s:.1f} s, "
            f"leadership kept, {acked_at_shrink} acknowledged by then; every ISR full {time.time() - healed:.1f} s "
            "after healing")


def broker_isolated(cluster, network, workload):
    victim = cluster.leader(0)
    netns = network[str(victim)][0]
    before = cluster.zk.exists(f"/brokers/ids/{victim}").czxid
    subprocess.run(["ip", "-n", netns, "link", "set", "eth0", "down"], check=True)
    cut_at = time.time()
    wait_for(lambda: cluster.leader(0) not in (victim, -1), SESSION_TIMEOUT_S + 5, "a new leader of w-0")
    new_leader_s = time.time() - cut_at
    time.sleep(max(0.0, 2 * SESSION_TIMEOUT_S + 4 - (time.time() - cut_at)))
    subprocess.run(["ip", "-n", netns, "link", "set", "eth0", "up"], check=True)
    healed = time.time()
    wait_for(lambda: victim in cluster.registered(), 30, "the isolated broker to register again")
    assert cluster.zk.exists(f"/brokers/ids/{victim}").czxid != before
    cluster.wait_fully_in_sync(60)
    return (f"broker {victim} isolated for {healed - cut_at:.0f} s: new leader of w-0 after {new_leader_s:.1f} s; "
            f"registered again and every ISR full {time.time() - healed:.1f} s after healing")


def client_cut(cluster, network, workload):
    client = network["client"][0]
    acked = len(workload.acked)
    drop(client, [network[str(b)][1] for b in (1, 2, 3)])
    time.sleep(1)
    acked_at_cut = len(workload.acked)
    time.sleep(9)
    acked_during = len(workload.acked) - acked_at_cut
    heal(client)
    assert acked_during == 0, f"{acked_during} acknowledgements arrived while the client was cut off"
    return f"client cut for 10 s: {acked_at_cut - acked} acknowledged in its first second, 0 after"


SCENARIOS = {"leader-cut-from-followers": leader_cut_from_followers, "broker-isolated": broker_isolated,
             "client-cut": client_cut}


def main():
    scenario = SCENARIOS[sys.argv[1]]
    network = json.loads(os.environ["SWIFTKAFKA_NETWORK"])
    cluster = Cluster(network={k: v for k, v in network.items() if k != "client"})
    try:
        cluster.create_topic()
        workload = Workload(cluster, count=COUNT // 2, rate=4000).start()
        workload.wait_sent(0.2)
        summary = scenario(cluster, network, workload)
        workload.finish()
        figures = check(cluster, workload)
        print(f"{summary}; {figures}", flush=True)
    finally:
        cluster.close()


if __name__ == "__main__":
    sys.exit(main())
