"""A private network of Linux network namespaces for partition tests: one namespace per process (ZooKeeper, each
broker, the client) on a bridge in a namespace of its own, addresses 10.200.0.0/24 that exist only there. The root
namespace is untouched: nothing in it talks to these addresses. `cut(a, b)` drops every packet between two members
silently (nftables inside a's namespace), `heal(a)` removes the drops. Needs root, iproute2 and nftables."""
import os
import signal
import subprocess
import uuid


def run(*command, input=None):
    subprocess.run(command, check=True, input=input, text=True, capture_output=True)


class Network:
    def __init__(self, members):
        """`members`: names (e.g. "zk", 1, 2, 3, "client"); each gets a namespace and an address."""
        self.prefix = "swk" + uuid.uuid4().hex[:5]
        self.bridge_ns = f"{self.prefix}-net"
        self.members = {}
        self.namespaces = [self.bridge_ns]
        try:
            run("ip", "netns", "add", self.bridge_ns)
            run("ip", "-n", self.bridge_ns, "link", "add", "br0", "type", "bridge")
            run("ip", "-n", self.bridge_ns, "link", "set", "br0", "up")
            for index, name in enumerate(members):
                netns = f"{self.prefix}-{name}"
                address = f"10.200.0.{index + 1}"
                run("ip", "netns", "add", netns)
                self.namespaces.append(netns)
                run("ip", "-n", netns, "link", "set", "lo", "up")
                run("ip", "link", "add", "eth0", "netns", netns, "type", "veth", "peer", "name", f"p{index}",
                    "netns", self.bridge_ns)
                run("ip", "-n", netns, "addr", "add", f"{address}/24", "dev", "eth0")
                run("ip", "-n", netns, "link", "set", "eth0", "up")
                run("ip", "-n", self.bridge_ns, "link", "set", f"p{index}", "master", "br0")
                run("ip", "-n", self.bridge_ns, "link", "set", f"p{index}", "up")
                self.members[str(name)] = (netns, address)
        except BaseException:
            self.close()
            raise

    def cut(self, a, b):
        """Silently drops every packet between members a and b (both ways), from a's namespace."""
        netns, _ = self.members[str(a)]
        _, other = self.members[str(b)]
        run("ip", "netns", "exec", netns, "nft", "-f", "-", input=(
            "table inet swkcut {\n"
            f"  chain output {{ type filter hook output priority 0; ip daddr {other} drop; }}\n"
            f"  chain input {{ type filter hook input priority 0; ip saddr {other} drop; }}\n"
            "}\n"))

    def heal(self, a):
        netns, _ = self.members[str(a)]
        run("ip", "netns", "exec", netns, "nft", "delete", "table", "inet", "swkcut")

    def close(self):
        """Stops whatever still runs in the namespaces (only this test's processes can be there) and deletes them."""
        for netns in self.namespaces:
            pids = subprocess.run(["ip", "netns", "pids", netns], capture_output=True, text=True).stdout.split()
            for pid in pids:
                try:
                    os.kill(int(pid), signal.SIGKILL)
                except ProcessLookupError:
                    pass
            subprocess.run(["ip", "netns", "del", netns], capture_output=True)
