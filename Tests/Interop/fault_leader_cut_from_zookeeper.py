"""Fault test 10 (reliability.md Part B), run by test_replication.py inside the client's network namespace: the
leader of w-0 is cut from ZooKeeper (nftables drops in its namespace) for twice the session timeout while clients
and the other brokers still reach it. Its session expires, the controller elects another leader, the old leader
acknowledges nothing that is later missing, and after healing it registers again, truncates and rejoins the ISR."""
import json
import os
import subprocess
import sys
import time

from conftest import wait_for
from replication_harness import SESSION_TIMEOUT_S, Cluster, Workload, check

COUNT = int(os.environ.get("SWIFTKAFKA_FAULT_MESSAGES", "100000"))


def main():
    network = json.loads(os.environ["SWIFTKAFKA_NETWORK"])
    cluster = Cluster(network=network)
    try:
        cluster.create_topic()
        workload = Workload(cluster, count=COUNT).start()
        workload.wait_sent(0.2)
        leader = cluster.leader(0)
        epoch_before = cluster.zk.exists(f"/brokers/ids/{leader}").czxid
        netns = network[str(leader)][0]
        zk_address = network["zk"][1]
        cut = ("table inet swkcut {\n"
               f"  chain output {{ type filter hook output priority 0; ip daddr {zk_address} drop; }}\n"
               f"  chain input {{ type filter hook input priority 0; ip saddr {zk_address} drop; }}\n}}\n")
        subprocess.run(["ip", "netns", "exec", netns, "nft", "-f", "-"], input=cut, text=True, check=True)
        cut_at = time.time()
        wait_for(lambda: cluster.leader(0) not in (leader, -1), SESSION_TIMEOUT_S + 5, "a new leader of w-0")
        new_leader_s = time.time() - cut_at
        time.sleep(max(0, 2 * SESSION_TIMEOUT_S - (time.time() - cut_at)))
        subprocess.run(["ip", "netns", "exec", netns, "nft", "delete", "table", "inet", "swkcut"], check=True)
        healed = time.time()
        wait_for(lambda: leader in cluster.registered(), 20, "the cut broker to register again")
        registered_s = time.time() - healed
        assert cluster.zk.exists(f"/brokers/ids/{leader}").czxid != epoch_before
        cluster.wait_fully_in_sync(60)
        in_sync_s = time.time() - healed
        workload.finish()
        figures = check(cluster, workload)
        with open(f"{cluster.brokers[leader].directory}/broker.log") as f:
            log = f.read()
        print(f"leader {leader} cut from ZooKeeper for {healed - cut_at:.1f} s: new leader after {new_leader_s:.1f} s; "
              f"registered again {registered_s:.1f} s and fully in sync {in_sync_s:.1f} s after healing; "
              f"session expiry seen: {'session expired' in log.lower()}; {figures}", flush=True)
    finally:
        cluster.close()


if __name__ == "__main__":
    sys.exit(main())
