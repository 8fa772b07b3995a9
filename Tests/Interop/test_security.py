"""Security (issue 17): TLS and SASL listeners with real clients — confluent-kafka (librdkafka 2.16),
Debian's python3-confluent-kafka 1.7 (librdkafka 2.0.2, which doubles its SCRAM client nonce), kafka-python,
aiokafka and kcat — and the protocol's edges on a raw socket (SaslHandshake v0 raw tokens, requests before
authentication, unknown mechanisms, wrong passwords, SaslAuthenticate after authentication).

One broker, six listeners: PLAINTEXT (inter-broker), SASL_PLAINTEXT and SASL_SSL (PLAIN, SCRAM-SHA-256,
SCRAM-SHA-512), SSL with client certificates required and a principal mapping rule that only maps alice
(`MTLS`), SSL whose certificate names another host (`BADHOST`), and SSL limited to TLS 1.2 (`TLS12`). Certificates
are made with Debian's openssl; SCRAM users are written to ZooKeeper as kafka-configs writes them."""
import asyncio
import json
import signal
import os
import re
import socket
import ssl
import struct
import subprocess
import tempfile
import time
import urllib.request
import uuid

import pytest
from confluent_kafka import OFFSET_BEGINNING, Consumer, KafkaError, Producer, TopicPartition
from confluent_kafka.admin import AdminClient
from kazoo.client import KazooClient

from conftest import Broker, ZooKeeper, free_port, stop, wait_for
from security_harness import Certificates, authentication_errors, set_scram_user

PLAIN_JAAS = ('org.apache.kafka.common.security.plain.PlainLoginModule required username="admin" '
              'password="admin-secret" user_admin="admin-secret" user_carol="carol-secret";')
PASSWORD = "alice-Secret-7"


@pytest.fixture(scope="module")
def secured():
    directory = tempfile.mkdtemp(prefix="swiftkafka-security-")
    certificates = Certificates(f"{directory}/certs")
    zookeeper = ZooKeeper(f"{directory}/zk")
    root = KazooClient(hosts=zookeeper.connect.split("/")[0], timeout=10)
    root.start()
    root.ensure_path("/kafka/config/changes")
    root.stop()
    zk = KazooClient(hosts=zookeeper.connect, timeout=10)
    zk.start()
    # A user that exists before the broker starts (read at startup); others are added while it runs.
    set_scram_user(zk, "alice", PASSWORD)
    ports = {name: free_port() for name in ["PLAINTEXT", "SASL_PLAINTEXT", "SASL_SSL", "MTLS", "BADHOST", "TLS12",
                                            "REAUTH"]}
    listeners = ",".join(f"{name}://127.0.0.1:{port}" for name, port in ports.items())
    properties = {
        "listeners": listeners,
        "listener.security.protocol.map":
            "PLAINTEXT:PLAINTEXT,SASL_PLAINTEXT:SASL_PLAINTEXT,SASL_SSL:SASL_SSL,MTLS:SSL,BADHOST:SSL,TLS12:SSL,"
            "REAUTH:SASL_PLAINTEXT",
        # KIP-368: sessions on REAUTH last two seconds, then the client must re-authenticate on its connection.
        "listener.name.reauth.connections.max.reauth.ms": "2000",
        "listener.name.reauth.plain.sasl.jaas.config": PLAIN_JAAS,
        "inter.broker.listener.name": "PLAINTEXT",
        "sasl.enabled.mechanisms": "PLAIN,SCRAM-SHA-256,SCRAM-SHA-512",
        "listener.name.sasl_plaintext.plain.sasl.jaas.config": PLAIN_JAAS,
        "listener.name.sasl_ssl.plain.sasl.jaas.config": PLAIN_JAAS,
        "ssl.keystore.type": "PEM",
        "ssl.keystore.location": certificates.broker["pem"],
        "ssl.truststore.type": "PEM",
        "ssl.truststore.location": certificates.ca,
        "listener.name.mtls.ssl.client.auth": "required",
        "listener.name.mtls.ssl.principal.mapping.rules": "RULE:^CN=([a-z]+),OU=eng,O=acme$/$1/L",
        # PKCS#12 and inline PEM key stores, one listener each.
        "listener.name.badhost.ssl.keystore.type": "PKCS12",
        "listener.name.badhost.ssl.keystore.location": certificates.wrong_host["p12"],
        "listener.name.badhost.ssl.keystore.password": "secret",
        "listener.name.tls12.ssl.enabled.protocols": "TLSv1.2",
        "listener.name.tls12.ssl.keystore.key": open(certificates.broker["key"]).read().replace("\n", "\\n"),
        "listener.name.tls12.ssl.keystore.certificate.chain": open(certificates.broker["cert"]).read().replace("\n", "\\n"),
        "listener.name.tls12.ssl.keystore.location": "",
        "metrics.port": "0", "metrics.host": "127.0.0.1",
        "connection.failed.authentication.delay.ms": "100",
    }
    os.makedirs(f"{directory}/broker1")
    broker = None
    try:
        broker = Broker(1, zookeeper, f"{directory}/broker1", properties)
        broker.ports = ports
        broker.certificates = certificates
        broker.zk = zk
        broker.directory = directory
        yield broker
    finally:
        zk.stop()
        if broker:
            stop(broker.process)
        stop(zookeeper.process)
        if os.environ.get("SWIFTKAFKA_KEEP_TEST_DIRS") is None:
            import shutil
            shutil.rmtree(directory, ignore_errors=True)


def address(broker, listener):
    return f"127.0.0.1:{broker.ports[listener]}"


def sasl_config(broker, listener, mechanism, username="alice", password=PASSWORD):
    config = {"bootstrap.servers": address(broker, listener), "security.protocol": listener.lower(),
              "sasl.mechanisms": mechanism, "sasl.username": username, "sasl.password": password}
    if listener == "SASL_SSL":
        config["ssl.ca.location"] = broker.certificates.ca
    return config


def round_trip(config, topic=None):
    """Produces one record with confluent-kafka under `config` and reads it back: the value, or the error."""
    topic = topic or f"t-{uuid.uuid4().hex[:8]}"
    errors = []
    value = uuid.uuid4().hex.encode()
    producer = Producer({**config, "error_cb": errors.append, "message.timeout.ms": 15000})
    delivered = []
    producer.produce(topic, value, partition=0, on_delivery=lambda err, msg: delivered.append(err))
    producer.flush(20)
    if not delivered or delivered[0] is not None:
        return ("error", delivered[0] if delivered else None, errors)
    consumer = Consumer({**config, "group.id": f"g-{uuid.uuid4().hex[:6]}", "auto.offset.reset": "earliest",
                         "error_cb": errors.append})
    consumer.assign([TopicPartition(topic, 0, OFFSET_BEGINNING)])  # no group join: the test is about the wire
    deadline = time.time() + 30
    try:
        while time.time() < deadline:
            message = consumer.poll(0.5)
            if message is not None and message.error() is None:
                return ("ok", message.value() == value, errors)
    finally:
        consumer.close()
    return ("no record", None, errors)


@pytest.mark.parametrize("listener", ["SASL_PLAINTEXT", "SASL_SSL"])
@pytest.mark.parametrize("mechanism", ["SCRAM-SHA-256", "SCRAM-SHA-512", "PLAIN"])
def test_confluent_kafka_authenticates_and_round_trips(secured, listener, mechanism):
    user, password = ("carol", "carol-secret") if mechanism == "PLAIN" else ("alice", PASSWORD)
    status, same, errors = round_trip(sasl_config(secured, listener, mechanism, user, password))
    assert (status, same) == ("ok", True), errors


@pytest.mark.parametrize("mechanism", ["SCRAM-SHA-256", "SCRAM-SHA-512", "PLAIN"])
def test_a_wrong_password_is_refused_with_kafkas_error(secured, mechanism):
    user = "carol" if mechanism == "PLAIN" else "alice"
    errors = authentication_errors(sasl_config(secured, "SASL_SSL", mechanism, user, "wrong-password"))
    assert errors and errors[0].code() == KafkaError._AUTHENTICATION, errors
    text = str(errors[0])
    expected = ("Invalid username or password" if mechanism == "PLAIN" else
                f"Authentication failed during authentication due to invalid credentials with SASL mechanism {mechanism}")
    assert expected in text, text
    # Logged as one line, without the password.
    with open(f"{secured.directory}/broker1/broker.log") as f:
        log = f.read()
    assert "Failed authentication" in log and "wrong-password" not in log


def test_failed_and_successful_authentications_are_counted(secured):
    status, _, _ = round_trip(sasl_config(secured, "SASL_PLAINTEXT", "SCRAM-SHA-256"))
    assert status == "ok"
    authentication_errors(sasl_config(secured, "SASL_PLAINTEXT", "SCRAM-SHA-256", "alice", "nope"))
    with open(f"{secured.directory}/broker1/broker.log") as f:
        port = int(re.search(r"metrics=http://127.0.0.1:(\d+)/metrics", f.read()).group(1))
    text = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10).read().decode()
    counts = {kind: float(re.search(
        rf'kafka_server_socket_server_metrics_{kind}_authentication_total{{listener="SASL_PLAINTEXT"}} (\S+)', text).group(1))
        for kind in ["successful", "failed"]}
    assert counts["successful"] >= 1 and counts["failed"] >= 1, counts


def test_librdkafka_re_authenticates_every_session_lifetime_without_losing_a_record(secured):
    """KIP-368 with librdkafka 2.16 (which re-authenticates): a producer sending for seven seconds on a listener
    whose sessions last two gets every record delivered, re-authenticates on its connection (counted by the broker),
    and reports no error."""
    errors = []
    config = {**sasl_config(secured, "REAUTH", "SCRAM-SHA-256"), "security.protocol": "sasl_plaintext",
              "error_cb": errors.append, "linger.ms": 5}
    producer = Producer(config)
    topic = f"reauth-{uuid.uuid4().hex[:6]}"
    delivered = []
    started = time.time()
    sent = 0
    while time.time() - started < 7:
        producer.produce(topic, str(sent).encode(), partition=0, on_delivery=lambda err, msg: delivered.append(err))
        sent += 1
        producer.poll(0.05)
    assert producer.flush(30) == 0
    assert len(delivered) == sent and all(err is None for err in delivered), [e for e in delivered if e][:3]
    assert errors == [], errors
    with open(f"{secured.directory}/broker1/broker.log") as f:
        port = int(re.search(r"metrics=http://127.0.0.1:(\d+)/metrics", f.read()).group(1))
    text = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10).read().decode()
    count = float(re.search(r'kafka_server_socket_server_metrics_successful_reauthentication_total'
                            r'{listener="REAUTH"} (\S+)', text).group(1))
    assert count >= 2, count


def test_a_user_added_while_running_authenticates_within_seconds(secured):
    config = sasl_config(secured, "SASL_PLAINTEXT", "SCRAM-SHA-512", "dave", "dave-pw")
    assert authentication_errors(config, wait=5), "dave authenticated before he existed"
    set_scram_user(secured.zk, "dave", "dave-pw")
    wait_for(lambda: round_trip(config)[0] == "ok", 15, "dave's new credentials")
    # A changed password: the old one stops working.
    set_scram_user(secured.zk, "dave", "dave-pw-2")
    wait_for(lambda: authentication_errors(config, wait=3), 15, "dave's old password refused")


def test_debian_librdkafka_2_0_2_with_its_doubled_scram_nonce(secured):
    """librdkafka 2.0.2 sends `r=<cnonce><cnonce><snonce>` in client-final: accepted, as Kafka 2.8 accepts it."""
    script = f"""
import json, sys, uuid
from confluent_kafka import Producer, Consumer, version, libversion
config = json.loads(sys.argv[1])
topic = "debian-" + uuid.uuid4().hex[:6]
p = Producer(config)
p.produce(topic, b"from-debian")
assert p.flush(20) == 0
c = Consumer(dict(config, **{{"group.id": "debian", "auto.offset.reset": "earliest"}}))
c.subscribe([topic])
for _ in range(60):
    m = c.poll(0.5)
    if m is not None and m.error() is None:
        print(libversion()[0], m.value().decode())
        break
c.close()
"""
    for mechanism in ["SCRAM-SHA-256", "SCRAM-SHA-512"]:
        config = sasl_config(secured, "SASL_SSL", mechanism)
        out = subprocess.run(["/usr/bin/python3", "-c", script, json.dumps(config)], capture_output=True, text=True,
                             timeout=90)
        assert out.stdout.split() == ["2.0.2", "from-debian"], out.stderr[-2000:]


def test_kafka_python_plain_scram_and_mutual_tls(secured, caplog):
    from kafka import KafkaConsumer, KafkaProducer
    from kafka.errors import KafkaError as PythonKafkaError
    certs = secured.certificates
    configs = {
        "SASL_PLAINTEXT PLAIN": dict(bootstrap_servers=address(secured, "SASL_PLAINTEXT"), security_protocol="SASL_PLAINTEXT",
                                     sasl_mechanism="PLAIN", sasl_plain_username="carol", sasl_plain_password="carol-secret"),
        "SASL_SSL SCRAM-SHA-256": dict(bootstrap_servers=address(secured, "SASL_SSL"), security_protocol="SASL_SSL",
                                       ssl_cafile=certs.ca, sasl_mechanism="SCRAM-SHA-256",
                                       sasl_plain_username="alice", sasl_plain_password=PASSWORD),
        "SSL with a client certificate": dict(bootstrap_servers=address(secured, "MTLS"), security_protocol="SSL",
                                              ssl_cafile=certs.ca, ssl_certfile=certs.alice["cert"],
                                              ssl_keyfile=certs.alice["key"]),
    }
    for name, config in configs.items():
        topic = f"kp-{uuid.uuid4().hex[:6]}"
        producer = KafkaProducer(**config)
        producer.send(topic, b"kafka-python").get(timeout=30)
        producer.close()
        consumer = KafkaConsumer(topic, auto_offset_reset="earliest", consumer_timeout_ms=20000, **config)
        assert next(iter(consumer)).value == b"kafka-python", name
        consumer.close()

    # A wrong password: kafka-python logs the broker's error 58 and the send times out.
    with pytest.raises(PythonKafkaError):
        producer = KafkaProducer(**dict(configs["SASL_SSL SCRAM-SHA-256"], sasl_plain_password="wrong"),
                                 max_block_ms=3000, api_version=(2, 8))
        producer.send("never", b"x").get(timeout=3)
    assert "SaslAuthenticationFailedError" in caplog.text and "invalid credentials" in caplog.text


def test_aiokafka_scram_sha_512_over_sasl_ssl(secured):
    from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
    from aiokafka.helpers import create_ssl_context

    async def run():
        context = create_ssl_context(cafile=secured.certificates.ca)
        config = dict(bootstrap_servers=address(secured, "SASL_SSL"), security_protocol="SASL_SSL",
                      ssl_context=context, sasl_mechanism="SCRAM-SHA-512", sasl_plain_username="alice",
                      sasl_plain_password=PASSWORD)
        topic = f"aio-{uuid.uuid4().hex[:6]}"
        producer = AIOKafkaProducer(**config)
        await producer.start()
        await producer.send_and_wait(topic, b"aiokafka")
        await producer.stop()
        consumer = AIOKafkaConsumer(topic, auto_offset_reset="earliest", **config)
        await consumer.start()
        try:
            message = await asyncio.wait_for(consumer.getone(), 30)
        finally:
            await consumer.stop()
        return message.value

    assert asyncio.run(run()) == b"aiokafka"


def kcat(*args, stdin=None):
    return subprocess.run(["kcat", *args], input=stdin, capture_output=True, text=True, timeout=60)


def test_kcat_sasl_ssl_scram_and_mutual_tls(secured):
    certs = secured.certificates
    topic = f"kcat-{uuid.uuid4().hex[:6]}"
    scram = ["-b", address(secured, "SASL_SSL"), "-X", "security.protocol=sasl_ssl", "-X",
             "sasl.mechanisms=SCRAM-SHA-256", "-X", "sasl.username=alice", "-X", f"sasl.password={PASSWORD}",
             "-X", f"ssl.ca.location={certs.ca}"]
    produced = kcat(*scram, "-P", "-t", topic, stdin="one\ntwo\n")
    assert produced.returncode == 0, produced.stderr
    mtls = ["-b", address(secured, "MTLS"), "-X", "security.protocol=ssl", "-X", f"ssl.ca.location={certs.ca}",
            "-X", f"ssl.certificate.location={certs.alice['cert']}", "-X", f"ssl.key.location={certs.alice['key']}"]
    consumed = kcat(*mtls, "-C", "-t", topic, "-o", "beginning", "-c", "2", "-e")
    assert sorted(consumed.stdout.split()) == ["one", "two"], consumed.stderr  # two partitions: any order


def tls_connect(port, cafile, certfile=None, keyfile=None, server_hostname="localhost", minimum=None, maximum=None):
    """A TLS handshake with Python's ssl module, then an ApiVersions request: the negotiated version, or the error."""
    context = ssl.create_default_context(cafile=cafile)
    if certfile:
        context.load_cert_chain(certfile, keyfile)
    if minimum:
        context.minimum_version = minimum
    if maximum:
        context.maximum_version = maximum
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=10) as raw:
            with context.wrap_socket(raw, server_hostname=server_hostname) as tls:
                tls.sendall(frame(18, 0, b""))
                answer = read_frame(tls)
                return tls.version() if answer is not None else "closed"
    except (ssl.SSLError, ssl.CertificateError, OSError) as error:
        return error


def test_tls_versions_certificates_and_host_names(secured):
    certs = secured.certificates
    alice = dict(certfile=certs.alice["cert"], keyfile=certs.alice["key"])
    assert tls_connect(secured.ports["MTLS"], certs.ca, **alice) == "TLSv1.3"
    assert tls_connect(secured.ports["MTLS"], certs.ca, maximum=ssl.TLSVersion.TLSv1_2, **alice) == "TLSv1.2"
    # The TLS 1.2-only listener: 1.2 works, a client that insists on 1.3 is refused.
    assert tls_connect(secured.ports["TLS12"], certs.ca) == "TLSv1.2"
    assert isinstance(tls_connect(secured.ports["TLS12"], certs.ca, minimum=ssl.TLSVersion.TLSv1_3), ssl.SSLError)
    # A client that trusts another CA refuses the broker; a broker certificate for another host is refused by name.
    assert isinstance(tls_connect(secured.ports["MTLS"], certs.other_ca, **alice), ssl.SSLCertVerificationError)
    assert isinstance(tls_connect(secured.ports["BADHOST"], certs.ca, server_hostname="localhost"),
                      ssl.SSLCertVerificationError)
    assert tls_connect(secured.ports["BADHOST"], certs.ca, server_hostname="wrong.example") == "TLSv1.3"
    # Client certificates on the mTLS listener: none, one from an untrusted CA, one no mapping rule maps.
    # (Under TLS 1.3 the client learns of a refused certificate only when it reads: an SSL error or a reset.)
    for outcome in [tls_connect(secured.ports["MTLS"], certs.ca),
                    tls_connect(secured.ports["MTLS"], certs.ca, certfile=certs.stranger["cert"],
                                keyfile=certs.stranger["key"])]:
        assert isinstance(outcome, (ssl.SSLError, ConnectionResetError)), outcome
    # Bob's certificate is trusted but no rule maps CN=bob,O=other: the broker closes without an answer.
    assert tls_connect(secured.ports["MTLS"], certs.ca, certfile=certs.bob["cert"], keyfile=certs.bob["key"]) == "closed"
    # No plaintext fallback: a Kafka request in clear text to a TLS port gets no Kafka answer.
    assert exchange(secured.ports["MTLS"], frame(18, 0, b"")) is None


def test_librdkafka_hostname_mismatch_and_wrong_ca(secured):
    certs = secured.certificates
    for config in [{"bootstrap.servers": address(secured, "BADHOST"), "security.protocol": "ssl",
                    "ssl.ca.location": certs.ca},
                   {"bootstrap.servers": address(secured, "TLS12"), "security.protocol": "ssl",
                    "ssl.ca.location": certs.other_ca}]:
        errors = authentication_errors(config)
        assert any("certificate verify failed" in str(e) for e in errors), errors


ADMIN = os.path.join(os.path.dirname(__file__), "../../.build/debug/swiftkafka-admin")


def test_the_admin_tool_with_command_config(secured, tmp_path):
    """`--command-config` with Java client keys (SASL_SSL, SCRAM, a PEM trust store), as Kafka's tools take it."""
    config = tmp_path / "client.properties"
    jaas = 'org.apache.kafka.common.security.scram.ScramLoginModule required username="alice" password="{}";'
    config.write_text("security.protocol=SASL_SSL\nsasl.mechanism=SCRAM-SHA-256\n"
                      f"sasl.jaas.config={jaas.format(PASSWORD)}\n"
                      f"ssl.truststore.type=PEM\nssl.truststore.location={secured.certificates.ca}\n")
    topic = f"admin-{uuid.uuid4().hex[:6]}"
    base = [ADMIN, "topics", "--bootstrap-server", address(secured, "SASL_SSL"), "--command-config", str(config)]
    created = subprocess.run(base + ["--create", "--topic", topic, "--partitions", "2"], capture_output=True,
                             text=True, timeout=60)
    assert created.returncode == 0, created.stderr
    listed = subprocess.run(base + ["--list"], capture_output=True, text=True, timeout=60)
    assert topic in listed.stdout.split(), listed.stderr
    # A wrong password: one line naming the broker's answer, no password in it.
    config.write_text(config.read_text().replace(PASSWORD, "not-the-password"))
    refused = subprocess.run(base + ["--list"], capture_output=True, text=True, timeout=60)
    assert refused.returncode == 1 and "not-the-password" not in refused.stderr + refused.stdout
    assert "invalid credentials" in refused.stderr, refused.stderr


def test_scram_users_made_with_the_admin_tool_and_confluent_kafkas_admin_client(secured):
    """KIP-554: `configs --alter --entity-type users --add-config 'SCRAM-SHA-256=[...]'` (the tool hashes the
    password), then a client authenticates as the user; the znode holds Kafka's salted form and never the password;
    deletion stops the user. confluent-kafka's AdminClient drives the same APIs."""
    plaintext = address(secured, "PLAINTEXT")
    base = [ADMIN, "configs", "--bootstrap-server", plaintext, "--entity-type", "users"]
    altered = subprocess.run(base + ["--alter", "--entity-name", "erin", "--add-config",
                                     "SCRAM-SHA-256=[iterations=8192,password=erin-pw],SCRAM-SHA-512=[password=erin-pw]"],
                             capture_output=True, text=True, timeout=60)
    assert altered.stdout.strip() == "Completed updating config for user erin.", altered.stderr
    described = subprocess.run(base + ["--describe", "--entity-name", "erin"], capture_output=True, text=True, timeout=60)
    assert described.stdout.strip() == ("SCRAM credential configs for user-principal 'erin' are "
                                        "SCRAM-SHA-256=iterations=8192, SCRAM-SHA-512=iterations=4096"), described.stderr
    stored = json.loads(secured.zk.get("/config/users/erin")[0])["config"]
    assert sorted(stored) == ["SCRAM-SHA-256", "SCRAM-SHA-512"]
    assert sorted(k.split("=")[0] for k in stored["SCRAM-SHA-256"].split(",")) == [
        "iterations", "salt", "server_key", "stored_key"]
    assert "erin-pw" not in json.dumps(stored)
    for mechanism in ["SCRAM-SHA-256", "SCRAM-SHA-512"]:
        config = sasl_config(secured, "SASL_PLAINTEXT", mechanism, "erin", "erin-pw")
        wait_for(lambda: round_trip(config)[0] == "ok", 15, f"erin over {mechanism}")
    deleted = subprocess.run(base + ["--alter", "--entity-name", "erin", "--delete-config", "SCRAM-SHA-256"],
                             capture_output=True, text=True, timeout=60)
    assert deleted.returncode == 0, deleted.stderr
    wait_for(lambda: authentication_errors(sasl_config(secured, "SASL_PLAINTEXT", "SCRAM-SHA-256", "erin", "erin-pw"),
                                           wait=3), 15, "erin's SCRAM-SHA-256 credential gone")
    # Kafka's errors: too few iterations; deleting what does not exist.
    refused = subprocess.run(base + ["--alter", "--entity-name", "erin", "--add-config",
                                     "SCRAM-SHA-256=[iterations=100,password=x]"], capture_output=True, text=True,
                             timeout=60)
    assert refused.returncode == 1 and "Too few iterations" in refused.stderr, refused.stderr
    missing = subprocess.run(base + ["--alter", "--entity-name", "nobody", "--delete-config", "SCRAM-SHA-512"],
                             capture_output=True, text=True, timeout=60)
    assert missing.returncode == 1 and "does not exist" in missing.stderr, missing.stderr

    from confluent_kafka.admin import ScramCredentialInfo, ScramMechanism, UserScramCredentialUpsertion
    admin = AdminClient({"bootstrap.servers": plaintext})
    upsert = UserScramCredentialUpsertion("frank", ScramCredentialInfo(ScramMechanism.SCRAM_SHA_512, 10000), b"frank-pw")
    for future in admin.alter_user_scram_credentials([upsert]).values():
        future.result(30)
    description = admin.describe_user_scram_credentials(["frank"])["frank"].result(30)
    assert [(i.mechanism, i.iterations) for i in description.scram_credential_infos] == [
        (ScramMechanism.SCRAM_SHA_512, 10000)]
    config = sasl_config(secured, "SASL_SSL", "SCRAM-SHA-512", "frank", "frank-pw")
    wait_for(lambda: round_trip(config)[0] == "ok", 15, "frank over SCRAM-SHA-512")


# -- the protocol's edges on a raw socket -------------------------------------------------------------------------------

def string(text):
    return struct.pack(">h", len(text)) + text.encode()


def frame(api_key, version, body, correlation_id=7):
    header = struct.pack(">hhi", api_key, version, correlation_id) + string("raw")
    if (api_key, version) in [(36, 2)]:
        header += b"\x00"  # flexible request header v2: no tagged fields
    return struct.pack(">i", len(header) + len(body)) + header + body


def read_exactly(sock, count):
    data = b""
    while len(data) < count:
        chunk = sock.recv(count - len(data))
        if not chunk:
            return None
        data += chunk
    return data


def read_frame(sock):
    """One size-prefixed frame; None when the connection closes first."""
    size = read_exactly(sock, 4)
    return None if size is None else read_exactly(sock, struct.unpack(">i", size)[0])


def exchange(port, *frames, timeout=5):
    """Sends frames one by one, reading an answer to each: the answers, None where the connection was closed."""
    answers = []
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        for data in frames:
            try:
                sock.sendall(data)
                answers.append(read_frame(sock))
            except OSError:
                answers.append(None)
            if answers[-1] is None:
                break
    return answers[0] if len(frames) == 1 else answers


def handshake(mechanism, version=1):
    return frame(17, version, string(mechanism))


def authenticate(token, version=1):
    return frame(36, version, struct.pack(">i", len(token)) + token)


def test_handshake_v0_raw_tokens_as_old_clients_send_them(secured):
    port = secured.ports["SASL_PLAINTEXT"]
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(handshake("PLAIN", version=0))
        answer = read_frame(sock)
        assert answer[4:6] == b"\x00\x00"  # correlation id, then error 0
        token = b"\x00carol\x00carol-secret"
        sock.sendall(struct.pack(">i", len(token)) + token)
        assert read_frame(sock) == b""  # PLAIN's empty final token, without a Kafka header
        sock.sendall(frame(18, 0, b""))
        assert read_frame(sock)[4:6] == b"\x00\x00"  # authenticated: ApiVersions answered
    # A wrong password after a v0 handshake: no answer, the connection closed.
    wrong = b"\x00carol\x00wrong!"
    started = time.time()
    answers = exchange(port, handshake("PLAIN", version=0), struct.pack(">i", len(wrong)) + wrong)
    assert answers[1] is None and time.time() - started < 3  # closed by the broker, not by the client's timeout


def test_requests_before_authentication_close_the_connection(secured):
    port = secured.ports["SASL_PLAINTEXT"]
    metadata = frame(3, 1, struct.pack(">i", -1))
    assert exchange(port, metadata) is None
    # ApiVersions is answered before authentication, any number of times; then Metadata still closes.
    answers = exchange(port, frame(18, 0, b""), frame(18, 0, b""), metadata)
    assert answers[0] is not None and answers[1] is not None and answers[2] is None
    # After a handshake, anything but SaslAuthenticate closes too.
    answers = exchange(port, handshake("PLAIN"), metadata)
    assert answers[0][4:6] == b"\x00\x00" and answers[1] is None


def test_unknown_mechanism_wrong_password_and_authenticate_after_authentication(secured):
    port = secured.ports["SASL_PLAINTEXT"]
    answer = exchange(port, handshake("GSSAPI"), frame(18, 0, b""))
    (error,) = struct.unpack(">h", answer[0][4:6])
    assert error == 33  # UNSUPPORTED_SASL_MECHANISM, with the enabled mechanisms listed
    assert b"SCRAM-SHA-512" in answer[0] and answer[1] is None
    answers = exchange(port, handshake("PLAIN"), authenticate(b"\x00carol\x00wrong"), frame(18, 0, b""))
    (error,) = struct.unpack(">h", answers[1][4:6])
    assert error == 58 and b"Invalid username or password" in answers[1] and answers[2] is None
    answers = exchange(port, handshake("PLAIN"), authenticate(b"\x00carol\x00carol-secret"),
                       authenticate(b"\x00carol\x00carol-secret"))
    assert struct.unpack(">h", answers[1][4:6])[0] == 0
    assert struct.unpack(">h", answers[2][4:6])[0] == 34  # ILLEGAL_SASL_STATE


# -- a secured three-broker cluster ---------------------------------------------------------------------------------

def test_2_leader_hard_bounce_under_sasl_ssl_with_inter_broker_sasl_ssl(tmp_path):
    """Reliability fault test 2 (kill -9 of w-0's leader, twice) on a cluster whose only listener is SASL_SSL,
    brokers authenticating to each other with SCRAM-SHA-512 over TLS (controller requests, replica fetches,
    transaction markers): nothing acknowledged is lost, nothing duplicated."""
    from replication_harness import Cluster, Workload, check
    from test_replication import leader_of_w0, COUNT
    from replication_harness import SESSION_TIMEOUT_S

    certificates = Certificates(str(tmp_path / "certs"))
    ports = {broker_id: free_port() for broker_id in (1, 2, 3)}

    def users(zk):
        zk.ensure_path("/config/changes")
        set_scram_user(zk, "broker", "broker-secret", ["SCRAM-SHA-512"])
        set_scram_user(zk, "alice", PASSWORD, ["SCRAM-SHA-512"])

    client = {"security.protocol": "sasl_ssl", "sasl.mechanisms": "SCRAM-SHA-512", "sasl.username": "alice",
              "sasl.password": PASSWORD, "ssl.ca.location": certificates.ca}
    cluster = Cluster(
        properties={
            "inter.broker.listener.name": "SASL_SSL",
            "sasl.enabled.mechanisms": "SCRAM-SHA-512",
            "sasl.mechanism.inter.broker.protocol": "SCRAM-SHA-512",
            "listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config":
                'org.apache.kafka.common.security.scram.ScramLoginModule required username="broker" '
                'password="broker-secret";',
            "ssl.keystore.type": "PEM", "ssl.keystore.location": certificates.broker["pem"],
            "ssl.truststore.type": "PEM", "ssl.truststore.location": certificates.ca,
        },
        per_broker={b: {"listeners": f"SASL_SSL://127.0.0.1:{port}"} for b, port in ports.items()},
        client_config=client, prepare=users)
    try:
        cluster.create_topic()
        workload = Workload(cluster, count=COUNT // 2).start()
        workload.wait_sent(0.2)
        for _ in range(2):
            victim = cluster.brokers[leader_of_w0(cluster)]
            stop(victim.process, signal.SIGKILL)
            wait_for(lambda: cluster.leader(0) not in (victim.id, -1), SESSION_TIMEOUT_S + 5, "a new leader of w-0")
            wait_for(lambda: victim.id not in cluster.registered(), SESSION_TIMEOUT_S + 5, "the registration to go")
            victim.start()
            cluster.wait_fully_in_sync(60)  # the restarted broker fetches again over SASL_SSL
        workload.finish()
        check(cluster, workload)
        # The brokers authenticated to each other (SASL_SSL is their only listener): no failed authentication.
        for broker in cluster.brokers.values():
            with open(f"{broker.directory}/broker.log") as f:
                log = f.read()
            assert "Failed authentication" not in log
    finally:
        cluster.close()
