"""A throwaway PostgreSQL server for tests and benchmarks: Debian's binaries, loopback, a temp data dir.

``PostgresServer.start()`` runs ``initdb`` and ``pg_ctl`` from ``/usr/lib/postgresql/*/bin`` (the newest
version there, or ``$DELTASQL_PG_BINDIR``) on a fresh temporary data directory, listening on 127.0.0.1 at
a free port, with ``wal_level=logical`` and room for replication slots and WAL senders, trust
authentication on loopback (superuser ``postgres``) and no Unix socket outside the temp dir.

PostgreSQL refuses to run as root.  When we are root (as here and in CI), every server command runs as
an unprivileged user: ``$DELTASQL_PG_USER`` if set, else the ``postgres`` user Debian's package creates,
else a system user ``deltasql-pg`` made with ``useradd``.  The temp dir is handed to that user.

Nothing here needs a Python driver: administration goes through the server's own ``psql``, so tests may
use psycopg 3 or psycopg2 for the connections they test. A watchdog process stops the server and removes its
directory if the process that started it dies without stopping it (killed, or timed out).  ``unavailable()`` says why a server cannot be
started on this machine (no binaries, or root without a way to get an unprivileged user); callers skip
on that reason outside CI and fail inside it (CI installs the package, see ``.ci/run``).

Run as a script (``python tests/pgserver.py``) it starts a server, prints its DSN and waits for Ctrl-C.
"""

from __future__ import annotations

import atexit
import glob
import itertools
import json
import os
import pwd
import shutil
import socket
import subprocess
import sys
import tempfile
import time

SETTINGS = {
    "listen_addresses": "'127.0.0.1'",
    "wal_level": "logical",
    "max_replication_slots": "40",
    "max_wal_senders": "40",
    "max_connections": "100",
    "shared_buffers": "'32MB'",
    "fsync": "off",  # the data dir is thrown away; our crash tests kill deltasql, not the server
    # synchronous_commit stays on: a walsender sends a transaction only once its commit is flushed,
    # which with it off waits for the WAL writer (up to 200 ms a commit)
    "full_page_writes": "off",
    "wal_sender_timeout": "'60s'",
    "log_min_messages": "warning",
    "logging_collector": "off",
}
DEFAULT_USER = "deltasql-pg"

# The watchdog: stops the server and removes its directory when the process that started it is gone
# without stopping it (SIGKILL, or a timeout's SIGTERM: atexit runs on neither); it exits by itself
# once the directory is gone (stop() removes it).  argv[1]: [pid, pg_ctl stop command, run kwargs, dir].
_WATCHDOG = """
import json, os, shutil, subprocess, sys, time
pid, cmd, kwargs, tmp = json.loads(sys.argv[1])
while os.path.isdir(tmp):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        subprocess.run(cmd, capture_output=True, **kwargs)
        shutil.rmtree(tmp, ignore_errors=True)
        break
    except PermissionError:
        pass
    time.sleep(0.5)
"""


def bindir() -> str | None:
    """The directory holding initdb, pg_ctl and psql: $DELTASQL_PG_BINDIR or the newest Debian version."""
    env = os.environ.get("DELTASQL_PG_BINDIR")
    if env:
        return env if os.path.isfile(os.path.join(env, "initdb")) else None

    def version(path):
        v = path.split(os.sep)[-3]
        return tuple(int(p) for p in v.split(".") if p.isdigit())

    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=version)
    return os.path.dirname(found[-1]) if found else None


def _server_user() -> pwd.struct_passwd | None:
    """The unprivileged account the server runs as when we are root (None when we are not root)."""
    if os.geteuid() != 0:
        return None
    for name in (os.environ.get("DELTASQL_PG_USER"), "postgres", DEFAULT_USER):
        if not name:
            continue
        try:
            return pwd.getpwnam(name)
        except KeyError:
            pass
    subprocess.run(["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", DEFAULT_USER],
                   check=True, capture_output=True)
    return pwd.getpwnam(DEFAULT_USER)


def unavailable() -> str | None:
    """Why no server can be started here, or None when one can."""
    if bindir() is None:
        return "PostgreSQL server binaries not found under /usr/lib/postgresql/*/bin (apt-get install postgresql)"
    if os.geteuid() == 0:
        try:
            _server_user()
        except (OSError, subprocess.CalledProcessError) as e:
            return f"running as root and no unprivileged user for PostgreSQL could be made: {e}"
    return None


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PostgresServer:
    """One running cluster; ``with PostgresServer() as pg:`` or ``start()``/``stop()``."""

    host = "127.0.0.1"
    superuser = "postgres"

    def __init__(self, settings: dict | None = None):
        self.settings = {**SETTINGS, **(settings or {})}
        self.bindir = bindir()
        self.port: int | None = None
        self.tmp: str | None = None
        self.user = None
        self.version: int | None = None
        self._names = itertools.count(1)
        self._watchdog: subprocess.Popen | None = None

    # -- life cycle -------------------------------------------------------------------------------
    def start(self) -> "PostgresServer":
        reason = unavailable()
        if reason:
            raise RuntimeError(reason)
        self.user = _server_user()
        self.tmp = tempfile.mkdtemp(prefix="deltasql-pg-")
        if self.user is not None:
            os.chown(self.tmp, self.user.pw_uid, self.user.pw_gid)
        atexit.register(self.stop)
        data = self.datadir
        self._run([self._bin("initdb"), "-D", data, "-U", self.superuser, "--auth=trust", "-E", "UTF8",
                   "--no-locale", "--no-sync"])
        with open(os.path.join(data, "postgresql.conf"), "a") as f:
            f.write("\n# deltasql test server\n")
            for k, v in self.settings.items():
                f.write(f"{k} = {v}\n")
            f.write(f"unix_socket_directories = '{self.tmp}'\n")
        with open(os.path.join(data, "PG_VERSION")) as f:
            self.version = int(f.read().split(".")[0])
        last = None
        for _ in range(5):  # another process may take the free port before the server binds it
            self.port = free_port()
            try:
                self._run([self._bin("pg_ctl"), "-D", data, "-l", self.logfile, "-w", "-t", "60",
                           "-o", f"-p {self.port}", "start"])
                break
            except RuntimeError as e:
                last = e
        else:
            raise last
        self._watchdog = subprocess.Popen(
            [sys.executable, "-c", _WATCHDOG, json.dumps([os.getpid(), self._stop_command(), self._user_kwargs(),
                                                          self.tmp])],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            start_new_session=True)  # (a signal to our process group does not reach it)
        return self

    def _stop_command(self) -> list:
        return [self._bin("pg_ctl"), "-D", self.datadir, "-m", "immediate", "-w", "stop"]

    def stop(self) -> None:
        if self.tmp is None:
            return
        if os.path.exists(os.path.join(self.datadir, "postmaster.pid")):
            subprocess.run(self._stop_command(), capture_output=True, **self._user_kwargs())
        shutil.rmtree(self.tmp, ignore_errors=True)
        self.tmp = None
        if self._watchdog is not None:  # it sees the directory gone and exits
            try:
                self._watchdog.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._watchdog.kill()
            self._watchdog = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    @property
    def datadir(self) -> str:
        return os.path.join(self.tmp, "data")

    @property
    def logfile(self) -> str:
        return os.path.join(self.tmp, "server.log")

    def log(self) -> str:
        try:
            with open(self.logfile) as f:
                return f.read()
        except OSError:
            return ""

    # -- connecting -------------------------------------------------------------------------------
    def dsn(self, dbname: str = "postgres", user: str | None = None) -> str:
        """A libpq URI: ``postgresql://postgres@127.0.0.1:PORT/DBNAME``."""
        return f"postgresql://{user or self.superuser}@{self.host}:{self.port}/{dbname}"

    def psql(self, sql: str, dbname: str = "postgres") -> str:
        """Run SQL through psql (stop at the first error); the unaligned, tuples-only output."""
        p = subprocess.run([self._bin("psql"), "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1",
                            "-h", self.host, "-p", str(self.port), "-U", self.superuser, "-d", dbname],
                           input=sql, capture_output=True, text=True, env=self._env())
        if p.returncode:
            raise RuntimeError(f"psql failed: {p.stderr.strip()}")
        return p.stdout

    def create_database(self, name: str | None = None) -> "Database":
        name = name or f"t{os.getpid()}_{next(self._names)}"
        self.psql(f'CREATE DATABASE "{name}"')
        return Database(self, name)

    def drop_database(self, name: str) -> None:
        """Drop a database with its replication slots and publications (sessions on it are ended)."""
        self.psql(f"""
            SELECT pg_terminate_backend(active_pid) FROM pg_replication_slots
             WHERE database = '{name}' AND active_pid IS NOT NULL;
            SELECT pg_terminate_backend(pid) FROM pg_stat_activity
             WHERE datname = '{name}' AND pid <> pg_backend_pid();
        """)
        for _ in range(50):  # a terminated walsender releases its slot asynchronously
            try:
                self.psql(f"""
                    SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE database = '{name}';
                    DROP DATABASE IF EXISTS "{name}" WITH (FORCE);
                """)
                return
            except RuntimeError as e:
                last = e
                time.sleep(0.1)
        raise last

    # -- helpers ----------------------------------------------------------------------------------
    def _bin(self, name: str) -> str:
        return os.path.join(self.bindir, name)

    def _env(self) -> dict:
        env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
        env.update(LC_ALL="C", LANG="C")
        return env

    def _user_kwargs(self) -> dict:
        if self.user is None:
            return {"env": self._env()}
        env = self._env()
        env.update(HOME=self.tmp or "/", USER=self.user.pw_name, LOGNAME=self.user.pw_name)
        return {"env": env, "user": self.user.pw_uid, "group": self.user.pw_gid, "extra_groups": [],
                "cwd": self.tmp or "/"}

    def _run(self, cmd: list) -> None:
        p = subprocess.run(cmd, capture_output=True, text=True, **self._user_kwargs())
        if p.returncode:
            raise RuntimeError(f"{os.path.basename(cmd[0])} failed (exit {p.returncode}): "
                               f"{(p.stderr or p.stdout).strip()}\n{self.log()[-2000:]}")


class Database:
    """One database of a running server (the ``pg_database`` fixture hands out a fresh one per test)."""

    def __init__(self, server: PostgresServer, name: str):
        self.server = server
        self.name = name

    @property
    def dsn(self) -> str:
        return self.server.dsn(self.name)

    def psql(self, sql: str) -> str:
        return self.server.psql(sql, self.name)

    def drop(self) -> None:
        self.server.drop_database(self.name)

    def __repr__(self):
        return f"Database({self.dsn})"


if __name__ == "__main__":
    with PostgresServer() as pg:
        print(pg.dsn(), flush=True)
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass
