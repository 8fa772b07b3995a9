"""Certificates and SCRAM credentials for the security tests, made the way an operator makes them: Debian's openssl
for a CA, broker and client certificates (reference/security.md §6), and `/config/users/<user>` written as Kafka's
`kafka-configs --zookeeper` writes it (salted hashes, never the password), followed by its change notification."""
import base64
import hashlib
import hmac
import json
import os
import secrets
import subprocess
import urllib.parse


def openssl(*args, cwd):
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True)


class Certificates:
    """A CA, a broker certificate for localhost/127.0.0.1, one with a foreign host name, client certificates, and a
    second CA nobody trusts. Every key is PKCS#8 PEM (openssl 3's default); `.p12` bundles carry password `secret`."""

    def __init__(self, directory):
        self.directory = directory
        os.makedirs(directory, exist_ok=True)
        self.ca = self.make_ca("ca", "/CN=test-ca")
        self.other_ca = self.make_ca("other-ca", "/CN=other-ca")
        self.broker = self.issue("broker", "/CN=localhost", san="DNS:localhost,IP:127.0.0.1")
        self.wrong_host = self.issue("wrong-host", "/CN=wrong.example", san="DNS:wrong.example")
        self.alice = self.issue("alice", "/O=acme/OU=eng/CN=alice")
        self.bob = self.issue("bob", "/O=other/CN=bob")
        self.stranger = self.issue("stranger", "/CN=stranger", ca="other-ca")

    def path(self, name):
        return os.path.join(self.directory, name)

    def make_ca(self, name, subject):
        openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "30", "-subj", subject,
                "-keyout", f"{name}.key", "-out", f"{name}.crt", cwd=self.directory)
        return self.path(f"{name}.crt")

    def issue(self, name, subject, san=None, ca="ca"):
        openssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", subject, "-keyout", f"{name}.key",
                "-out", f"{name}.csr", cwd=self.directory)
        extensions = ["-extfile", f"{name}.cnf"] if san else []
        if san:
            with open(self.path(f"{name}.cnf"), "w") as f:
                f.write(f"subjectAltName={san}\nextendedKeyUsage=serverAuth,clientAuth\n")
        openssl("x509", "-req", "-in", f"{name}.csr", "-CA", f"{ca}.crt", "-CAkey", f"{ca}.key", "-CAcreateserial",
                "-days", "30", *extensions, "-out", f"{name}.crt", cwd=self.directory)
        openssl("pkcs12", "-export", "-in", f"{name}.crt", "-inkey", f"{name}.key", "-certfile", f"{ca}.crt",
                "-out", f"{name}.p12", "-passout", "pass:secret", cwd=self.directory)
        with open(self.path(f"{name}.pem"), "w") as f:
            f.write(open(self.path(f"{name}.crt")).read() + open(self.path(f"{name}.key")).read())
        return {"cert": self.path(f"{name}.crt"), "key": self.path(f"{name}.key"), "p12": self.path(f"{name}.p12"),
                "pem": self.path(f"{name}.pem")}


def scram_credential(password, mechanism="SCRAM-SHA-256", iterations=4096, salt=None):
    """Kafka's stored form (`ScramCredentialUtils`): salt, stored key, server key, iterations."""
    digest = {"SCRAM-SHA-256": "sha256", "SCRAM-SHA-512": "sha512"}[mechanism]
    salt = salt or secrets.token_hex(12).encode()
    salted = hashlib.pbkdf2_hmac(digest, password.encode(), salt, iterations)
    client_key = hmac.new(salted, b"Client Key", digest).digest()
    stored_key = hashlib.new(digest, client_key).digest()
    server_key = hmac.new(salted, b"Server Key", digest).digest()
    b64 = lambda b: base64.b64encode(b).decode()
    return f"salt={b64(salt)},stored_key={b64(stored_key)},server_key={b64(server_key)},iterations={iterations}"


def set_scram_user(zk, user, password, mechanisms=("SCRAM-SHA-256", "SCRAM-SHA-512")):
    """Writes `/config/users/<sanitized user>` and announces it in `/config/changes` (kafka-configs --zookeeper)."""
    name = urllib.parse.quote(user, safe="._-").replace("*", "%2A")
    path = f"/config/users/{name}"
    value = json.dumps({"version": 1, "config": {m: scram_credential(password, m) for m in mechanisms}}).encode()
    if zk.exists(path):
        zk.set(path, value)
    else:
        zk.create(path, value, makepath=True)
    zk.create("/config/changes/config_change_", json.dumps({"version": 2, "entity_path": f"users/{name}"}).encode(),
              sequence=True)


def authentication_errors(config, wait=10):
    """What librdkafka reports for a producer that cannot reach the cluster under `config` (a wrong password, a
    plaintext client at a TLS port), within `wait` seconds."""
    import time
    from confluent_kafka import Producer
    errors = []
    producer = Producer({**config, "error_cb": errors.append})
    producer.produce("never", b"x")
    deadline = time.time() + wait
    while time.time() < deadline and not errors:
        producer.poll(0.2)
    producer.purge()
    return errors
