"""The PostgreSQL test server fixture (tests/pgserver.py): logical decoding on, not root, databases apart."""

import os
import signal
import subprocess
import sys
import time

from tests import pgserver


def test_server_is_ready_for_logical_replication(pg_server):
    settings = dict(line.split("|") for line in pg_server.psql(
        "SELECT name, setting FROM pg_settings WHERE name IN "
        "('wal_level', 'max_replication_slots', 'max_wal_senders', 'listen_addresses', 'port')").split())
    assert settings["wal_level"] == "logical"
    assert int(settings["max_replication_slots"]) >= 10 and int(settings["max_wal_senders"]) >= 10
    assert settings["listen_addresses"] == "127.0.0.1"
    assert int(settings["port"]) == pg_server.port
    assert pg_server.dsn("x") == f"postgresql://postgres@127.0.0.1:{pg_server.port}/x"


def test_server_runs_unprivileged(pg_server):
    with open(os.path.join(pg_server.datadir, "postmaster.pid")) as f:
        pid = int(f.readline())
    uid = os.stat(f"/proc/{pid}").st_uid
    assert uid != 0
    assert (uid == os.geteuid()) == (os.geteuid() != 0)


def test_databases_are_separate_and_dropped_with_their_slots(pg_server):
    a, b = pg_server.create_database(), pg_server.create_database()
    try:
        a.psql("CREATE TABLE t(x int); INSERT INTO t VALUES (1), (2)")
        b.psql("CREATE TABLE t(x int)")
        assert a.psql("SELECT count(*) FROM t").strip() == "2"
        assert b.psql("SELECT count(*) FROM t").strip() == "0"
        a.psql("CREATE PUBLICATION p_a FOR TABLE t; SELECT pg_create_logical_replication_slot('s_a', 'pgoutput')")
        a.psql("INSERT INTO t VALUES (3)")
        changes = a.psql("SELECT count(*) FROM pg_logical_slot_peek_binary_changes('s_a', NULL, NULL, "
                         "'proto_version', '1', 'publication_names', 'p_a')")
        assert int(changes) == 4  # logical decoding works: begin, the table's relation, the insert, commit
    finally:
        a.drop()
    assert pg_server.psql(f"SELECT count(*) FROM pg_replication_slots WHERE database = '{a.name}'").strip() == "0"
    assert pg_server.psql(f"SELECT count(*) FROM pg_database WHERE datname = '{a.name}'").strip() == "0"
    b.drop()


def test_pg_database_fixture(pg_database):
    pg_database.psql("CREATE TABLE t(x int PRIMARY KEY)")
    assert pg_database.psql("SELECT current_database()").strip() == pg_database.name


def test_unavailable_names_the_missing_binaries(monkeypatch, tmp_path):
    monkeypatch.setenv("DELTASQL_PG_BINDIR", str(tmp_path))
    assert "binaries not found" in pgserver.unavailable()


def test_server_stops_when_the_process_that_started_it_is_killed():
    """A test run killed by SIGKILL (or a timeout's SIGTERM) runs no atexit: the watchdog stops the
    server and removes its directory."""
    if pgserver.unavailable():
        import pytest
        pytest.skip(pgserver.unavailable())
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    child = subprocess.Popen([sys.executable, "-c", "import time; from tests.pgserver import PostgresServer; "
                              "pg = PostgresServer().start(); print(pg.tmp, flush=True); time.sleep(600)"],
                             cwd=root, stdout=subprocess.PIPE, text=True)
    try:
        tmp = child.stdout.readline().strip()
        with open(os.path.join(tmp, "data", "postmaster.pid")) as f:
            server = int(f.readline())
        os.kill(server, 0)  # running
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait()
    for _ in range(120):  # (the watchdog looks twice a second; a stop takes a moment)
        if not os.path.isdir(tmp) and not os.path.exists(f"/proc/{server}"):
            break
        time.sleep(0.5)
    assert not os.path.isdir(tmp)
    assert not os.path.exists(f"/proc/{server}")
