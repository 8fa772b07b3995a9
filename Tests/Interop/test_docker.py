"""docker/ (issue 8): the compose file validates with `docker-compose config`, and the topology it describes (a
three-node ZooKeeper ensemble, three brokers configured only through KAFKA_ environment variables by the image's
entrypoint) runs here as processes on loopback: the brokers register with both listeners, replicate three ways,
and a client on the host listener produces and consumes."""
import json
import os
import re
import shutil
import subprocess
import tempfile
import time
import urllib.request

import pytest
import yaml
from confluent_kafka import Consumer, KafkaError, Producer
from kazoo.client import KazooClient
from kazoo.exceptions import NoAuthError

from conftest import BROKER, CLASSPATH, ZooKeeper, free_port, register, serving, stop
from security_harness import authentication_errors

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "../..")
COMPOSE = os.path.join(ROOT, "docker/docker-compose.yml")
SECURE_COMPOSE = os.path.join(ROOT, "docker/docker-compose.secure.yml")


def test_compose_file_validates():
    result = subprocess.run(["docker-compose", "-f", COMPOSE, "config"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    services = subprocess.run(["docker-compose", "-f", COMPOSE, "config", "--services"], capture_output=True,
                              text=True, timeout=60).stdout.split()
    assert sorted(services) == ["broker1", "broker2", "broker3", "burrow", "connect", "console", "schema-registry",
                                "zoo1", "zoo2", "zoo3"]
    # Each broker waits for the three ZooKeeper servers, Burrow (an optional profile), the schema registry, the
    # Connect worker and the console for the three brokers.
    assert result.stdout.count("condition: service_healthy") == 21
    console = result.stdout[result.stdout.index("  console:"):]
    assert "CONSOLE_BOOTSTRAP_SERVERS: broker1:29092,broker2:29092,broker3:29092" in console
    assert "CONSOLE_ZOOKEEPER_CONNECT: zoo1:2181,zoo2:2181,zoo3:2181/kafka" in console
    registry = result.stdout[result.stdout.index("  schema-registry:"):]
    assert "SCHEMA_REGISTRY_KAFKASTORE_BOOTSTRAP_SERVERS: PLAINTEXT://broker1:29092" in registry
    connect = result.stdout[result.stdout.index("  connect:"):]
    assert "CONNECT_BOOTSTRAP_SERVERS: broker1:29092,broker2:29092,broker3:29092" in connect
    burrow = result.stdout[result.stdout.index("  burrow:"):]
    assert "profiles:\n    - burrow" in burrow and "dockerfile: docker/Dockerfile.burrow" in burrow
    assert result.stdout.count("KAFKA_ZOOKEEPER_CONNECT: zoo1:2181,zoo2:2181,zoo3:2181/kafka") == 3
    for i in (1, 2, 3):
        assert f"ZOO_MY_ID: '{i}'" in result.stdout or f'ZOO_MY_ID: "{i}"' in result.stdout


def start_ensemble(directory):
    """Three ZooKeeper servers in one ensemble, as the compose file's zoo1-zoo3."""
    ports = [(free_port(), free_port(), free_port()) for _ in range(3)]
    servers = "".join(f"server.{i + 1}=127.0.0.1:{q}:{e}\n" for i, (_, q, e) in enumerate(ports))
    processes = []
    for i, (client, _, _) in enumerate(ports):
        data = f"{directory}/zoo{i + 1}"
        os.makedirs(data)
        with open(f"{data}/myid", "w") as f:
            f.write(f"{i + 1}\n")
        with open(f"{data}/zoo.cfg", "w") as f:
            f.write(f"tickTime=500\ninitLimit=20\nsyncLimit=10\ndataDir={data}\nclientPort={client}\n"
                    f"clientPortAddress=127.0.0.1\nadmin.enableServer=false\n4lw.commands.whitelist=srvr,ruok\n"
                    f"forceSync=no\n{servers}")
        log = open(f"{data}/zookeeper.log", "w")
        process = subprocess.Popen(["java", "-Xms32m", "-Xmx256m", "-XX:+UseSerialGC", "-cp", CLASSPATH,
                                    "org.apache.zookeeper.server.quorum.QuorumPeerMain", f"{data}/zoo.cfg"],
                                   stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        register(process.pid)
        processes.append(process)
    deadline = time.time() + 60
    while not all(serving(client) for client, _, _ in ports):
        assert time.time() < deadline, "the ensemble did not form"
        time.sleep(0.2)
    return processes, ",".join(f"127.0.0.1:{client}" for client, _, _ in ports)


def test_compose_topology_runs_as_processes_through_the_entrypoint():
    directory = tempfile.mkdtemp(prefix="swiftkafka-docker-")
    zookeepers, brokers = [], []
    try:
        zookeepers, connect = start_ensemble(directory)
        ports = {}
        for i in (1, 2, 3):
            internal, host, metrics = free_port(), free_port(), free_port()
            ports[i] = (internal, host, metrics)
            # Only the compose file's variables (and none the test machine may have) configure the broker.
            env = {k: v for k, v in os.environ.items() if not k.startswith("KAFKA_")}
            env.update(SWIFTKAFKA_BROKER=BROKER, SWIFTKAFKA_PROPERTIES=os.path.join(ROOT, "conf/server.properties"),
                       KAFKA_BROKER_ID=str(i), KAFKA_ZOOKEEPER_CONNECT=f"{connect}/kafka",
                       KAFKA_LISTENERS=f"PLAINTEXT://127.0.0.1:{internal},PLAINTEXT_HOST://127.0.0.1:{host}",
                       KAFKA_ADVERTISED_LISTENERS=f"PLAINTEXT://127.0.0.1:{internal},PLAINTEXT_HOST://127.0.0.1:{host}",
                       KAFKA_LISTENER_SECURITY_PROTOCOL_MAP="PLAINTEXT:PLAINTEXT,PLAINTEXT_HOST:PLAINTEXT",
                       KAFKA_INTER_BROKER_LISTENER_NAME="PLAINTEXT", KAFKA_DEFAULT_REPLICATION_FACTOR="3",
                       KAFKA_MIN_INSYNC_REPLICAS="2", KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR="3",
                       KAFKA_NUM_PARTITIONS="6", KAFKA_LOG_DIRS=f"{directory}/broker{i}",
                       KAFKA_ZOOKEEPER_SESSION_TIMEOUT_MS="6000", KAFKA_METRICS_PORT=str(metrics),
                       KAFKA_METRICS_HOST="127.0.0.1",
                       # Not the compose file's: the last broker to stop retries its controlled shutdown 0.5 s
                       # apart instead of 5 s (conftest's Broker does the same).
                       KAFKA_CONTROLLED_SHUTDOWN_RETRY_BACKOFF_MS="500")
            log = open(f"{directory}/broker{i}.log", "w")
            process = subprocess.Popen([os.path.join(ROOT, "docker/entrypoint.sh")], env=env, stdout=log,
                                       stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
            register(process.pid)
            brokers.append(process)
        zk = KazooClient(hosts=connect, timeout=10)  # the brokers create the /kafka chroot
        zk.start()
        try:
            deadline = time.time() + 60
            while not (zk.exists("/kafka/brokers/ids") and sorted(zk.get_children("/kafka/brokers/ids")) == ["1", "2", "3"]):
                assert time.time() < deadline and all(p.poll() is None for p in brokers), "brokers did not register"
                time.sleep(0.2)
            for i in (1, 2, 3):
                registration = json.loads(zk.get(f"/kafka/brokers/ids/{i}")[0])
                assert sorted(registration["endpoints"]) == sorted(
                    [f"PLAINTEXT://127.0.0.1:{ports[i][0]}", f"PLAINTEXT_HOST://127.0.0.1:{ports[i][1]}"])
            bootstrap = ",".join(f"127.0.0.1:{ports[i][1]}" for i in (1, 2, 3))
            producer = Producer({"bootstrap.servers": bootstrap, "acks": "all", "enable.idempotence": True})
            for n in range(1000):
                producer.produce("composed", key=str(n).encode(), value=f"v{n}".encode())
            assert producer.flush(60) == 0
            states = [json.loads(zk.get(f"/kafka/brokers/topics/composed/partitions/{p}/state")[0]) for p in range(6)]
            assert all(sorted(s["isr"]) == [1, 2, 3] for s in states), states
            consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": "composed",
                                 "auto.offset.reset": "earliest"})
            consumer.subscribe(["composed"])
            values = set()
            deadline = time.time() + 60
            while len(values) < 1000 and time.time() < deadline:
                values |= {m.value().decode() for m in consumer.consume(500, 1.0) if m.error() is None}
            consumer.close()
            assert values == {f"v{n}" for n in range(1000)}
            # The compose file's metrics port (KAFKA_METRICS_PORT): one active controller among the three, and the
            # 1000 messages counted once across the leaders.
            scraped = [urllib.request.urlopen(f"http://127.0.0.1:{ports[i][2]}/metrics", timeout=10).read().decode()
                       for i in (1, 2, 3)]
            def summed(line_prefix):
                return sum(float(line.rsplit(" ", 1)[1]) for text in scraped for line in text.splitlines()
                           if line.startswith(line_prefix))
            assert summed("kafka_controller_kafkacontroller_activecontrollercount ") == 1
            assert summed('kafka_server_brokertopicmetrics_messagesin_total{topic="composed"} ') == 1000
            # The Connect worker through its entrypoint, configured by the compose file's CONNECT_ variables (moved
            # to loopback), with the image's example file source: the worker serves Connect's REST API, names the
            # cluster, and the source's lines reach its topic.
            with open(f"{directory}/test.txt", "w") as f:
                f.write("composed line\n")
            with open(f"{directory}/source.properties", "w") as f:
                f.write(open(os.path.join(ROOT, "conf/connect-file-source.properties")).read()
                        .replace("/tmp/test.txt", f"{directory}/test.txt"))
            rest = free_port()
            env = {k: v for k, v in os.environ.items() if not k.startswith("CONNECT_")}
            env.update(SWIFTKAFKA_CONNECT=os.path.join(os.path.dirname(BROKER), "swiftkafka-connect"),
                       SWIFTKAFKA_PROPERTIES=os.path.join(ROOT, "conf/connect-standalone.properties"),
                       SWIFTKAFKA_CONNECTORS=f"{directory}/source.properties",
                       CONNECT_BOOTSTRAP_SERVERS=",".join(f"127.0.0.1:{ports[i][0]}" for i in (1, 2, 3)),
                       CONNECT_LISTENERS=f"http://127.0.0.1:{rest}", CONNECT_REST_ADVERTISED_HOST_NAME="connect",
                       CONNECT_OFFSET_STORAGE_FILE_FILENAME=f"{directory}/connect.offsets")
            log = open(f"{directory}/connect.log", "w")
            worker = subprocess.Popen([os.path.join(ROOT, "docker/connect-entrypoint.sh")], env=env, stdout=log,
                                      stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
            register(worker.pid)
            brokers.append(worker)
            def root():
                assert worker.poll() is None, open(f"{directory}/connect.log").read()
                try:
                    return json.loads(urllib.request.urlopen(f"http://127.0.0.1:{rest}/", timeout=5).read())
                except OSError:
                    return None
            deadline = time.time() + 60
            while not root():
                assert time.time() < deadline, "the Connect worker did not serve"
                time.sleep(0.2)
            assert root()["kafka_cluster_id"] == json.loads(zk.get("/kafka/cluster/id")[0])["id"]
            status = json.loads(urllib.request.urlopen(
                f"http://127.0.0.1:{rest}/connectors/local-file-source/status", timeout=5).read())
            assert status["connector"]["worker_id"] == f"connect:{rest}"
            consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": "composed-connect",
                                 "auto.offset.reset": "earliest"})
            consumer.subscribe(["connect-test"])
            lines = []
            deadline = time.time() + 60
            while not lines and time.time() < deadline:
                lines = [m.value() for m in consumer.consume(10, 1.0) if m.error() is None]
            consumer.close()
            assert lines == [b'{"schema":{"type":"string","optional":false},"payload":"composed line"}']
            # The console through its entrypoint with the compose file's CONSOLE_ variables (moved to loopback): it
            # sees the three brokers and the ensemble's controller epoch.
            http = free_port()
            env = {k: v for k, v in os.environ.items() if not k.startswith("CONSOLE_")}
            env.update(SWIFTKAFKA_CONSOLE=os.path.join(os.path.dirname(BROKER), "swiftkafka-console"),
                       SWIFTKAFKA_PROPERTIES=os.path.join(ROOT, "conf/console.properties"),
                       CONSOLE_LISTENERS=f"http://127.0.0.1:{http}",
                       CONSOLE_BOOTSTRAP_SERVERS=",".join(f"127.0.0.1:{ports[i][0]}" for i in (1, 2, 3)),
                       CONSOLE_ZOOKEEPER_CONNECT=f"{connect}/kafka", CONSOLE_CONSOLE_DATA_DIR=f"{directory}/console")
            log = open(f"{directory}/console.log", "w")
            console = subprocess.Popen([os.path.join(ROOT, "docker/console-entrypoint.sh")], env=env, stdout=log,
                                       stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
            register(console.pid)
            brokers.append(console)
            def overview():
                assert console.poll() is None, open(f"{directory}/console.log").read()
                try:
                    request = urllib.request.Request(f"http://127.0.0.1:{http}/",
                                                     headers={"Accept": "application/json"})
                    return json.loads(urllib.request.urlopen(request, timeout=5).read())
                except OSError:
                    return None
            deadline = time.time() + 60
            while not overview():
                assert time.time() < deadline, "the console did not serve"
                time.sleep(0.2)
            page = overview()
            assert sorted(b["id"] for b in page["brokers"]) == [1, 2, 3]
            assert page["controllerEpoch"] == json.loads(zk.get("/kafka/controller_epoch")[0])
        finally:
            zk.stop()
    finally:
        for process in brokers:
            stop(process)
        for process in zookeepers:
            stop(process)
        shutil.rmtree(directory, ignore_errors=True)


def secure_compose_environment(secrets, zookeeper, ports, logs):
    """Each broker's environment as docker-compose.secure.yml gives it (read from `docker-compose config`), moved from
    containers to processes on loopback: compose's host names and ports become 127.0.0.1 and free ports, /run/secrets
    the directory docker/make-secrets filled, zoo1:2181 a ZooKeeper server here. Nothing else is changed or added but
    the log directory and the test's faster controlled shutdown."""
    result = subprocess.run(["docker-compose", "-f", SECURE_COMPOSE, "config"], capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 0, result.stderr
    config = yaml.safe_load(result.stdout)
    assert sorted(config["services"]) == ["broker1", "broker2", "broker3", "zoo1"]
    assert sorted(config["secrets"]) == ["broker.pem", "ca.crt", "plain-users.jaas", "zookeeper_jaas.conf"]
    environments = {}
    for i in (1, 2, 3):
        service = config["services"][f"broker{i}"]
        assert sorted(s["source"] for s in service["secrets"]) == sorted(config["secrets"])
        internal, external = ports[i]
        env = {}
        for key, value in service["environment"].items():
            value = str(value).replace("$$", "$")  # compose's escape, as a container would see it
            value = value.replace("/run/secrets", secrets).replace("zoo1:2181", zookeeper)
            value = value.replace("0.0.0.0:29092", f"127.0.0.1:{internal}")
            value = value.replace(f"0.0.0.0:{9091 + i}", f"127.0.0.1:{external}")
            value = value.replace(f"broker{i}:29092", f"127.0.0.1:{internal}")
            value = value.replace(f"localhost:{9091 + i}", f"localhost:{external}")
            env[key] = value
        env.update(KAFKA_LOG_DIRS=f"{logs}/broker{i}", KAFKA_CONTROLLED_SHUTDOWN_RETRY_BACKOFF_MS="500")
        environments[i] = env
    return environments


def test_secure_compose_runs_as_processes_through_the_entrypoint():
    """docker-compose.secure.yml with the files docker/make-secrets makes: the brokers authenticate to each other
    (SASL PLAIN as broker) and to ZooKeeper, clients need SASL_SSL with the generated CA, only admin may do anything."""
    directory = tempfile.mkdtemp(prefix="swiftkafka-docker-secure-")
    secrets = f"{directory}/secrets"
    brokers = []
    zookeeper = None
    try:
        made = subprocess.run([os.path.join(ROOT, "docker/make-secrets"), secrets], capture_output=True, text=True,
                              timeout=120, env={**os.environ, "SWIFTKAFKA_SECRETS_KEEP_OWNER": "1"})
        assert made.returncode == 0, made.stderr
        with open(SECURE_COMPOSE) as f:
            compose_text = f.read()
        with open(f"{secrets}/client.properties") as f:
            admin_password = re.search(r'password="([0-9a-f]+)"', f.read()).group(1)
        assert admin_password not in compose_text
        zookeeper = ZooKeeper(f"{directory}/zookeeper")
        zk_address = f"127.0.0.1:{zookeeper.port}"
        ports = {i: (free_port(), free_port()) for i in (1, 2, 3)}
        environments = secure_compose_environment(secrets, zk_address, ports, directory)
        for i in (1, 2, 3):
            env = {k: v for k, v in os.environ.items() if not k.startswith("KAFKA_")}
            env.update(environments[i], SWIFTKAFKA_BROKER=BROKER,
                       SWIFTKAFKA_PROPERTIES=os.path.join(ROOT, "conf/server.properties"))
            log = open(f"{directory}/broker{i}.log", "w")
            process = subprocess.Popen([os.path.join(ROOT, "docker/entrypoint.sh")], env=env, stdout=log,
                                       stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
            register(process.pid)
            brokers.append(process)
        zk = KazooClient(hosts=zk_address, timeout=10)
        zk.start()
        try:
            deadline = time.time() + 60
            while not (zk.exists("/kafka/brokers/ids") and sorted(zk.get_children("/kafka/brokers/ids")) == ["1", "2", "3"]):
                assert time.time() < deadline and all(p.poll() is None for p in brokers), "brokers did not register"
                time.sleep(0.2)
            # zookeeper.set.acl: an unauthenticated ZooKeeper client may read the registrations but not change them.
            with pytest.raises(NoAuthError):
                zk.set("/kafka/brokers/ids/1", b"{}")
            bootstrap = ",".join(f"localhost:{ports[i][1]}" for i in (1, 2, 3))
            admin_settings = {"bootstrap.servers": bootstrap, "security.protocol": "SASL_SSL",
                              "sasl.mechanism": "PLAIN", "sasl.username": "admin", "sasl.password": admin_password,
                              "ssl.ca.location": f"{secrets}/ca.crt"}
            producer = Producer({**admin_settings, "acks": "all", "enable.idempotence": True})
            for n in range(300):
                producer.produce("secured", key=str(n).encode(), value=f"v{n}".encode())
            assert producer.flush(60) == 0
            # Replicated three ways over the brokers' SASL listener: every follower is in sync.
            states = [json.loads(zk.get(f"/kafka/brokers/topics/secured/partitions/{p}/state")[0])
                      for p in range(len(zk.get_children("/kafka/brokers/topics/secured/partitions")))]
            assert states and all(sorted(s["isr"]) == [1, 2, 3] for s in states), states
            consumer = Consumer({**admin_settings, "group.id": "secured", "auto.offset.reset": "earliest"})
            consumer.subscribe(["secured"])
            values = set()
            deadline = time.time() + 60
            while len(values) < 300 and time.time() < deadline:
                values |= {m.value().decode() for m in consumer.consume(300, 1.0) if m.error() is None}
            consumer.close()
            assert values == {f"v{n}" for n in range(300)}
        finally:
            zk.stop()
        # A wrong password is refused with Kafka's error; a client without TLS gets nowhere.
        wrong = authentication_errors({**admin_settings, "sasl.password": "not-the-password"})
        assert wrong and wrong[0].code() == KafkaError._AUTHENTICATION and "Invalid username or password" in str(
            wrong[0]), wrong
        assert authentication_errors({**admin_settings, "security.protocol": "SASL_PLAINTEXT"}), "plaintext was accepted"
        for i in (1, 2, 3):
            with open(f"{directory}/broker{i}.log") as f:
                assert admin_password not in f.read()
    finally:
        for process in brokers:
            stop(process)
        if zookeeper is not None:
            stop(zookeeper.process)
        shutil.rmtree(directory, ignore_errors=True)
