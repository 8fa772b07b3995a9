"""The broker's logging configuration (`--logging`, conf/logging.properties): per-logger levels take effect, and a
bad file stops the broker before it starts with one line naming the bad entry."""
import os
import socket
import subprocess
import tempfile
import time

from conftest import BROKER, ZooKeeper, free_port, register, stop

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "../..")


def run_broker(directory, zookeeper, logging_file):
    port = free_port()
    log_path = f"{directory}/broker-{port}.log"
    process = subprocess.Popen(
        [BROKER, os.path.join(ROOT, "conf/server.properties"), "--logging", logging_file,
         "--override", "broker.id=1", "--override", f"listeners=PLAINTEXT://127.0.0.1:{port}",
         "--override", f"log.dirs={directory}/logs-{port}", "--override", f"zookeeper.connect={zookeeper.connect}",
         "--override", "zookeeper.session.timeout.ms=6000"],
        stdout=open(log_path, "w"), stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    register(process.pid)
    deadline = time.time() + 60
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            assert time.time() < deadline and process.poll() is None, "the broker did not start"
            time.sleep(0.1)
    time.sleep(1)
    stop(process)
    with open(log_path) as f:
        return f.read()


def test_logging_levels_per_logger_and_bad_files():
    directory = tempfile.mkdtemp(prefix="swiftkafka-logging-")
    zookeeper = ZooKeeper(f"{directory}/zk")
    try:
        shipped = run_broker(directory, zookeeper, os.path.join(ROOT, "conf/logging.properties"))
        assert "Started broker" in shipped and "Shut down cleanly" in shipped
        quiet = f"{directory}/quiet.properties"
        with open(quiet, "w") as f:
            f.write("root.level=info\nlogger.swiftkafka.broker.level=warning\n")
        log = run_broker(directory, zookeeper, quiet)
        assert "Started broker" not in log and "Shut down cleanly" not in log
        assert "ZooKeeper session connected" in log  # the zookeeper logger keeps the root level
        bad = f"{directory}/bad.properties"
        with open(bad, "w") as f:
            f.write("root.level=loud\n")
        result = subprocess.run([BROKER, os.path.join(ROOT, "conf/server.properties"), "--logging", bad],
                                capture_output=True, text=True, timeout=30)
        assert result.returncode != 0
        assert "root.level=loud: not a log level" in result.stderr
    finally:
        stop(zookeeper.process)
        import shutil
        shutil.rmtree(directory, ignore_errors=True)
