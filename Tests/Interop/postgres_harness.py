"""Debian's PostgreSQL server for the tests that need a real database (the Connect JDBC connectors): a fresh
cluster in a temporary directory (initdb, trust authentication on loopback, no fsync), started as the `postgres`
user on a free port (`stop` and `start` again on the same port and data), stopped by PID and removed afterwards. `psql(...)` runs SQL through Debian's client."""
import glob
import os
import pwd
import shutil
import signal
import subprocess
import tempfile

from conftest import free_port, register, stop, wait_for


class Postgres:
    def __init__(self):
        bins = sorted(glob.glob("/usr/lib/postgresql/*/bin"))
        assert bins, "Debian's postgresql package is not installed (scripts/test installs it)"
        self.bin = bins[-1]
        self.port = free_port()
        self.directory = tempfile.mkdtemp(prefix="swiftkafka-postgres-")
        self.data = f"{self.directory}/data"
        owner = pwd.getpwnam("postgres") if os.geteuid() == 0 else None
        if owner:
            os.chown(self.directory, owner.pw_uid, owner.pw_gid)

        def as_owner():
            if owner:
                os.setgid(owner.pw_gid)
                os.setuid(owner.pw_uid)
        self.as_owner = as_owner
        subprocess.run([f"{self.bin}/initdb", "-D", self.data, "-A", "trust", "-U", "postgres", "-E", "UTF8",
                        "--locale=C", "--no-sync"], check=True, capture_output=True, preexec_fn=as_owner)
        self.start()

    def start(self):
        self.log = open(f"{self.directory}/postgres.log", "a")
        self.process = subprocess.Popen(
            [f"{self.bin}/postgres", "-D", self.data, "-k", self.directory, "-p", str(self.port),
             "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off", "-c", "synchronous_commit=off"],
            stdout=self.log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, preexec_fn=self.as_owner)
        register(self.process.pid)

        def ready():
            assert self.process.poll() is None, open(f"{self.directory}/postgres.log").read()
            return subprocess.run(["psql", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "-Atc",
                                   "SELECT 1"], capture_output=True).returncode == 0
        wait_for(ready, 60, "PostgreSQL to accept connections")

    def url(self, database="postgres"):
        return f"jdbc:postgresql://127.0.0.1:{self.port}/{database}"

    def psql(self, sql, database="postgres"):
        """Runs `sql`; returns the rows as lists of text fields (NULL as None)."""
        result = subprocess.run(["psql", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "-d", database,
                                 "-AtX", "-F", "\x1f", "-P", "null=\u2400", "-v", "ON_ERROR_STOP=1", "-c", sql],
                                capture_output=True, encoding="utf-8", check=True)
        return [[None if field == "\u2400" else field for field in line.split("\x1f")]
                for line in result.stdout.split("\n") if line]

    def stop(self):
        # SIGINT: PostgreSQL's fast shutdown (clients disconnected, no waiting for them).
        stop(self.process, signal.SIGINT)
        self.log.close()

    def close(self):
        self.stop()
        shutil.rmtree(self.directory, ignore_errors=True)
