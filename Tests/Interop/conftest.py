"""Fixtures for the interop suite: a real ZooKeeper (Debian's package) and real swiftkafka-broker processes on free
loopback ports, each in a temporary directory, stopped by PID afterwards (and registered in $SWIFTKAFKA_TEST_PIDS so
that scripts/test can stop whatever a crashed run leaves behind)."""
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time

import pytest

BROKER = os.environ.get("SWIFTKAFKA_BROKER", os.path.join(os.path.dirname(__file__), "../../.build/debug/swiftkafka-broker"))
CLASSPATH = "/usr/share/java/zookeeper.jar:/usr/share/java/slf4j-log4j12.jar:/usr/share/java/log4j-1.2.jar"


_HANDED_OUT = set()


# scripts/test runs the suite as two pytest processes at once; SWIFTKAFKA_PORT_SLICE=i/n gives each its own ports
# (those ≡ i mod n), so one cannot take a port the other has checked but not yet bound.
_SLICE, _SLICES = (int(x) for x in os.environ.get("SWIFTKAFKA_PORT_SLICE", "0/1").split("/"))


def free_port():
    """A free port below the kernel's ephemeral range, never handed out twice by this process: a port from bind(0)
    is an ephemeral one, which a client connection (a broker's fetcher, a ZooKeeper session) may take as its local
    port before the server binds it."""
    import random
    with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
        low = int(f.read().split()[0])
    while True:
        port = random.randrange(max(1024, low - 12000), low)
        if port in _HANDED_OUT or port % _SLICES != _SLICE:
            continue
        _HANDED_OUT.add(port)
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
        return port


def register(pid):
    registry = os.environ.get("SWIFTKAFKA_TEST_PIDS")
    if registry:
        os.makedirs(registry, exist_ok=True)
        open(os.path.join(registry, str(pid)), "w").close()


def stop(process, sig=signal.SIGTERM, grace=30):
    if process.poll() is None:
        process.send_signal(sig)
        try:
            process.wait(grace)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def wait_for(condition, timeout, what):
    """Polls `condition` every 0.1 s until it returns something true (which it returns), failing after `timeout`."""
    deadline = time.time() + timeout
    while True:
        value = condition()
        if value:
            return value
        assert time.time() < deadline, f"timed out after {timeout} s waiting for {what}"
        time.sleep(0.1)


def commit_when_ready(consumer, offsets, timeout=60):
    """Commits `offsets` synchronously, retrying while the group coordinator is not ready (NOT_COORDINATOR or
    COORDINATOR_LOAD_IN_PROGRESS right after a broker starts or an offsets partition moves)."""
    from confluent_kafka import KafkaException

    def attempt():
        try:
            consumer.commit(offsets=offsets, asynchronous=False)
            return True
        except KafkaException:
            return None
    wait_for(attempt, timeout, "the group coordinator to accept a commit")


def serving(port, host="127.0.0.1"):
    try:
        with socket.create_connection((host, port), timeout=1) as s:
            s.sendall(b"srvr")
            return b"Mode:" in s.recv(4096)
    except OSError:
        return False


def in_namespace(netns):
    """The command prefix that runs a process inside network namespace `netns` (None: this one)."""
    return ["ip", "netns", "exec", netns] if netns else []


class ZooKeeper:
    def __init__(self, directory, host="127.0.0.1", netns=None):
        self.port = free_port()
        self.host = host
        self.directory = directory
        os.makedirs(f"{directory}/data")
        with open(f"{directory}/zoo.cfg", "w") as f:
            f.write(f"tickTime=500\ndataDir={directory}/data\nclientPort={self.port}\nclientPortAddress={host}\n"
                    "maxClientCnxns=0\nadmin.enableServer=false\n4lw.commands.whitelist=srvr,ruok\nforceSync=no\n")
        self.log = open(f"{directory}/zookeeper.log", "w")
        self.process = subprocess.Popen(
            in_namespace(netns) + ["java", "-Xms32m", "-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-cp", CLASSPATH,
             "org.apache.zookeeper.server.quorum.QuorumPeerMain", f"{directory}/zoo.cfg"],
            stdout=self.log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        register(self.process.pid)
        deadline = time.time() + 30
        while not serving(self.port, host):
            assert time.time() < deadline and self.process.poll() is None, "ZooKeeper did not start"
            time.sleep(0.1)

    @property
    def connect(self):
        return f"{self.host}:{self.port}/kafka"


class ZooKeeperEnsemble:
    """Three ZooKeeper servers in one quorum on loopback (reliability.md B4), each with its own directory; the
    servers can be stopped, killed and started one by one, and `leader()` names the one serving as leader."""

    def __init__(self, directory, size=3):
        self.directory = directory
        self.ids = list(range(1, size + 1))
        self.ports = {i: free_port() for i in self.ids}
        quorum = {i: (free_port(), free_port()) for i in self.ids}
        servers = "".join(f"server.{i}=127.0.0.1:{a}:{b}\n" for i, (a, b) in quorum.items())
        self.processes = {}
        for i in self.ids:
            os.makedirs(f"{directory}/zk{i}/data")
            with open(f"{directory}/zk{i}/data/myid", "w") as f:
                f.write(f"{i}\n")
            with open(f"{directory}/zk{i}/zoo.cfg", "w") as f:
                f.write(f"tickTime=500\ninitLimit=10\nsyncLimit=5\ndataDir={directory}/zk{i}/data\n"
                        f"clientPort={self.ports[i]}\nclientPortAddress=127.0.0.1\nmaxClientCnxns=0\n"
                        "admin.enableServer=false\n4lw.commands.whitelist=srvr,ruok\nforceSync=no\n" + servers)
        for i in self.ids:
            self.start(i, wait=False)
        self.wait_for_quorum()

    def start(self, server, wait=True):
        log = open(f"{self.directory}/zk{server}/zookeeper.log", "a")
        self.processes[server] = subprocess.Popen(
            ["java", "-Xms32m", "-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-cp", CLASSPATH,
             "org.apache.zookeeper.server.quorum.QuorumPeerMain", f"{self.directory}/zk{server}/zoo.cfg"],
            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        register(self.processes[server].pid)
        if wait:
            self.wait_for_quorum()

    def mode(self, server):
        try:
            with socket.create_connection(("127.0.0.1", self.ports[server]), timeout=1) as s:
                s.sendall(b"srvr")
                answer = s.recv(4096).decode(errors="replace")
        except OSError:
            return None
        return next((line.split(":", 1)[1].strip() for line in answer.splitlines() if line.startswith("Mode:")), None)

    def wait_for_quorum(self, timeout=60):
        deadline = time.time() + timeout
        while not any(self.mode(i) == "leader" for i in self.ids if self.processes[i].poll() is None):
            assert time.time() < deadline, "the ZooKeeper ensemble did not elect a leader"
            time.sleep(0.2)

    def leader(self):
        return next(i for i in self.ids if self.processes[i].poll() is None and self.mode(i) == "leader")

    def stop_all(self):
        for process in self.processes.values():
            if process.poll() is None:
                os.kill(process.pid, signal.SIGCONT)
            stop(process)

    @property
    def connect(self):
        return ",".join(f"127.0.0.1:{self.ports[i]}" for i in self.ids) + "/kafka"


class Broker:
    def __init__(self, broker_id, zookeeper, directory, properties=None, host="127.0.0.1", netns=None, env=None):
        self.id = broker_id
        self.env = env
        self.port = free_port()
        self.host = host
        self.netns = netns
        self.directory = directory
        values = {
            "broker.id": str(broker_id), "listeners": f"PLAINTEXT://{host}:{self.port}",
            "log.dirs": f"{directory}/logs", "zookeeper.connect": zookeeper.connect,
            "zookeeper.session.timeout.ms": "6000", "num.partitions": "3",
            # As Kafka's sample server.properties: one broker can host the offsets and transaction state topics.
            "offsets.topic.replication.factor": "1",
            "transaction.state.log.replication.factor": "1", "transaction.state.log.min.isr": "1",
            # The last broker of a cluster to stop still leads replicated partitions nobody can take over, and
            # retries its controlled shutdown three times (Kafka's rule): 0.5 s apart instead of 5 s each.
            "controlled.shutdown.retry.backoff.ms": "500",
        }
        values.update(properties or {})
        # A caller that sets `listeners` itself (several listeners) names the client port in its PLAINTEXT one,
        # or, without one, in its first.
        plaintext = (re.search(r"(?:^|,)PLAINTEXT://[^,]*:(\d+)", values["listeners"])
                     or re.search(r"://[^,]*:(\d+)", values["listeners"]))
        self.port = int(plaintext.group(1)) if plaintext else self.port
        with open(f"{directory}/server.properties", "w") as f:
            f.write("".join(f"{k}={v}\n" for k, v in values.items()))
        self.start()

    def start(self):
        self.log = open(f"{self.directory}/broker.log", "a")
        self.process = subprocess.Popen(in_namespace(self.netns) + [BROKER, f"{self.directory}/server.properties"],
                                        stdout=self.log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                        env={**os.environ, **self.env} if self.env else None)
        register(self.process.pid)
        deadline = time.time() + 60
        while True:
            with open(f"{self.directory}/broker.log") as f:
                if f.read().count("Started broker") > getattr(self, "starts", 0):
                    break
            assert time.time() < deadline and self.process.poll() is None, "broker did not start"
            time.sleep(0.1)
        self.starts = getattr(self, "starts", 0) + 1

    def restart(self, crash=False):
        stop(self.process, signal.SIGKILL if crash else signal.SIGTERM)
        self.start()

    @property
    def bootstrap(self):
        return f"{self.host}:{self.port}"


def single_broker(properties=None):
    directory = tempfile.mkdtemp(prefix="swiftkafka-interop-")
    os.makedirs(f"{directory}/zk")
    os.makedirs(f"{directory}/broker1")
    zookeeper = ZooKeeper(f"{directory}/zk")
    broker = None
    try:
        broker = Broker(1, zookeeper, f"{directory}/broker1", properties)
        broker.zookeeper = zookeeper
        yield broker
    finally:
        if broker:
            stop(broker.process)
        stop(zookeeper.process)
        if os.environ.get("SWIFTKAFKA_KEEP_TEST_DIRS") is None:
            shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture(scope="module")
def cluster():
    yield from single_broker()


@pytest.fixture(scope="module")
def clusters():
    """Two independent clusters, each with its own ZooKeeper (a mirror's source and target): three brokers for the
    source (`port` is broker 1's), one for the target."""
    yield from cluster_pair(three_brokers(), lambda _: single_broker())


def three_brokers():
    """ZooKeeper and brokers 1-3 (`replication_harness.Cluster`), `port` being broker 1's; closed afterwards."""
    from replication_harness import Cluster
    cluster = Cluster()
    try:
        cluster.port = cluster.brokers[1].port
        yield cluster
    finally:
        cluster.close()


def cluster_pair(source_fixture, target_fixture_for):
    """(source, target): the source fixture started first, then the one `target_fixture_for(source)` makes (a
    target may need to know its source); the target closed first."""
    source = next(source_fixture)
    try:
        target_fixture = target_fixture_for(source)
        target = next(target_fixture)
        try:
            yield source, target
        finally:
            target_fixture.close()
    finally:
        source_fixture.close()


@pytest.fixture(scope="module", params=["kafka", "zookeeper"])
def offsets_cluster(request):
    """One broker per offsets.storage mode."""
    for broker in single_broker({"offsets.storage": request.param}):
        broker.mode = request.param
        yield broker
