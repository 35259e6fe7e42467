"""The PostgreSQL test server fixture (tests/pgserver.py): logical decoding on, not root, databases apart."""

import os

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
