"""The state file (engine/storage.py) on its own: what it stores comes back, what is not one of its
files is refused with nothing written, corruption is detected, and the file is locked while open."""

from __future__ import annotations

import hashlib
import multiprocessing
import os
import pwd
import re
import sqlite3
import shutil
import subprocess
import sys
import tempfile
import textwrap

import pytest

from deltasql.engine import storage
from deltasql.engine.storage import StorageError, Store

OPTIONS = {"dialect": "duckdb"}


def digest(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


@pytest.fixture
def path(tmp_path):
    return str(tmp_path / "state.db")


def test_a_new_file_is_created_complete_and_reopens(path):
    s = Store.open(path, OPTIONS)
    assert s.last_step == 0 and s.checkpoint is None and s.ddl() == []
    assert s.meta["options"] == OPTIONS and s.meta["format"] == storage.FORMAT
    s.close()
    assert sorted(os.listdir(os.path.dirname(path))) == ["state.db"]  # no temporary left behind
    s = Store.open(path, {"dialect": "other"})  # options are recorded at creation only
    assert s.meta["options"] == OPTIONS
    s.close()


def test_steps_positions_and_ddl_come_back(path):
    s = Store.open(path, OPTIONS)
    s.add_ddl("CREATE TABLE t(a INT); CREATE VIEW v AS SELECT a FROM t", 0, 0)
    s.add_ddl("CREATE TABLE t(a INT); CREATE VIEW v AS SELECT a FROM t", 1, 0)
    s.commit_step(1, {"t": {(1,): 1, (2,): 2}}, positions={"src": ("file.csv", 10)})
    s.commit_step(2, {"t": {(1,): -1}}, positions={"src": ("file.csv", 11)})
    with pytest.raises(StorageError, match="step 4 follows step 2"):
        s.commit_step(4, {})
    s.close()
    s = Store.open(path, OPTIONS)
    assert s.last_step == 2
    assert s.position("src") == ("file.csv", 11) and s.position("nope", 0) == 0
    assert [(e.seq, e.after_step, e.statement) for e in s.ddl()] == [(1, 0, 0), (2, 0, 1)]
    assert s.conn.execute("SELECT COUNT(*) FROM scripts").fetchone()[0] == 1  # the script is stored once
    assert list(s.journal_after(0)) == [(1, {"t": {(1,): 1, (2,): 2}}), (2, {"t": {(1,): -1}})]
    assert list(s.journal_after(1)) == [(2, {"t": {(1,): -1}})]
    s.close()


def test_a_checkpoint_replaces_the_previous_one_and_truncates_the_journal(path, monkeypatch):
    monkeypatch.setattr(storage, "CHUNK", 1000)  # many chunks
    s = Store.open(path, OPTIONS)
    for n in range(1, 6):
        s.commit_step(n, {"t": {(n,): 1}})
    big = {"rows": {(i, "x" * (i % 50)): 1 for i in range(2000)}}
    cp = s.write_checkpoint(3, 0, "fp", "v", big)
    assert cp.step == 3 and cp.size > 10 * storage.CHUNK
    assert [n for n, _ in s.journal_after(0)] == [4, 5]
    s.write_checkpoint(5, 0, "fp2", "v", {"small": 1})
    assert s.conn.execute("SELECT COUNT(DISTINCT id) FROM checkpoint_chunks").fetchone()[0] == 1
    s.close()
    s = Store.open(path, OPTIONS)
    assert s.last_step == 5 and s.checkpoint.fingerprint == "fp2"
    assert s.read_checkpoint() == {"small": 1}
    s.write_checkpoint(5, 0, "fp3", "v", big)
    s.close()
    s = Store.open(path, OPTIONS)
    assert s.read_checkpoint() == big
    s.close()


def test_a_damaged_checkpoint_or_journal_record_is_detected(path, monkeypatch):
    monkeypatch.setattr(storage, "CHUNK", 1000)
    s = Store.open(path, OPTIONS)
    s.commit_step(1, {"t": {(1,): 1}})
    s.write_checkpoint(1, 0, "fp", "v", {"rows": list(range(5000))})
    s.commit_step(2, {"t": {(2,): 1}})
    s.close()
    con = sqlite3.connect(path)
    con.execute("UPDATE checkpoint_chunks SET data = zeroblob(length(data)) WHERE n = 3")
    con.execute("UPDATE journal SET data = CAST(X'00' || substr(data, 2) AS BLOB)")
    con.commit()
    con.close()
    s = Store.open(path, OPTIONS)
    with pytest.raises(StorageError, match="corrupt: the checkpoint of step 1 fails its checksum"):
        s.read_checkpoint()
    with pytest.raises(StorageError, match="corrupt: the journal record of step 2 fails its checksum"):
        list(s.journal_after(1))
    s.close()


@pytest.mark.parametrize("content, message", [
    (b"", "not a deltasql state file (an empty file)"),
    (b"hello, world\n" * 100, "not a deltasql state file (not an SQLite database)"),
    (b"SQLite format 3\x00" + b"\xff" * 200, "cannot be read as a deltasql state file"),
])
def test_a_file_of_something_else_is_refused_untouched(path, content, message):
    with open(path, "wb") as f:
        f.write(content)
    before = digest(path)
    with pytest.raises(StorageError, match=re.escape(message)):
        Store.open(path, OPTIONS)
    assert digest(path) == before and sorted(os.listdir(os.path.dirname(path))) == ["state.db"]


def test_another_sqlite_database_is_refused_untouched(path):
    con = sqlite3.connect(path)
    con.execute("CREATE TABLE customers(id INT)")
    con.execute("INSERT INTO customers VALUES (1)")
    con.commit()
    con.close()
    before = digest(path)
    with pytest.raises(StorageError, match="an SQLite database but not a deltasql state file"):
        Store.open(path, OPTIONS)
    assert digest(path) == before
    assert sqlite3.connect(path).execute("PRAGMA journal_mode").fetchone()[0] == "delete"


def test_another_format_version_is_refused_untouched(path):
    Store.open(path, OPTIONS).close()
    con = sqlite3.connect(path)
    con.execute("UPDATE meta SET value = '99' WHERE key = 'format'")
    con.commit()
    con.close()
    before = digest(path)
    with pytest.raises(StorageError, match=r"format 99 \(written by deltasql .*\); this deltasql reads format 1 "
                                           r"only; nothing was written"):
        Store.open(path, OPTIONS)
    assert digest(path) == before


def test_a_truncated_file_is_refused(path, monkeypatch):
    monkeypatch.setattr(storage, "CHUNK", 1000)
    s = Store.open(path, OPTIONS)
    s.commit_step(1, {"t": {(1,): 1}})
    s.write_checkpoint(1, 0, "fp", "v", {"rows": list(range(20000))})
    s.close()
    size = os.path.getsize(path)
    with open(path, "r+b") as f:
        f.truncate(size // 2)
    with pytest.raises(StorageError, match="corrupt|cannot be read|malformed"):
        s = Store.open(path, OPTIONS)
        s.read_checkpoint()


def test_a_directory_is_refused(tmp_path):
    with pytest.raises(StorageError, match="is a directory"):
        Store.open(str(tmp_path), OPTIONS)


def test_an_open_file_is_locked_against_another_process(path):
    s = Store.open(path, OPTIONS)
    s.commit_step(1, {"t": {(1,): 1}})
    code = textwrap.dedent(f"""
        from deltasql.engine.storage import Store, StorageError
        try:
            Store.open({path!r}, {{}})
        except StorageError as e:
            print(e)
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert "in use by another process" in out.stdout, out.stdout + out.stderr
    s.close()
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.stdout == "" and out.returncode == 0, out.stderr


def _open_in_child(path, uid, conn):
    """_open_as's child: drops to ``uid`` (if given), opens ``path`` and sends what happened.  What
    Store.open imports when called is imported first: as ``uid`` the interpreter's own library may not be
    readable (here it is under /root), and the fork server may or may not have imported it already."""
    import hashlib  # noqa: F401 - (see above)
    import urllib.parse  # noqa: F401
    if uid is not None:
        os.setgroups([])
        os.setgid(pwd.getpwuid(uid).pw_gid)
        os.setuid(uid)
    try:
        Store.open(path, {}).close()
        conn.send("opened")
    except StorageError as e:
        conn.send(str(e))


def _open_as(path, uid):
    """Store.open(path) in a child process running as ``uid`` (root ignores file permissions, so the
    test drops to an unprivileged user when it runs as root); returns what it reported.  The child is
    forked from multiprocessing's fork server, which has one thread (this process may have more, and
    forking it would copy their locks), and drops its privileges only after the server started it:
    it needs no access to the interpreter's installation as ``uid``."""
    ctx = multiprocessing.get_context("forkserver")
    parent, child = ctx.Pipe(duplex=False)
    p = ctx.Process(target=_open_in_child, args=(path, uid, child))
    p.start()
    child.close()
    try:
        if parent.poll(60):
            return parent.recv()
    except EOFError:  # (it died before it answered)
        pass
    finally:
        p.join(10)
    return f"no answer from the child (exit status {p.exitcode})"


def test_a_read_only_location_is_refused_with_nothing_written():
    uid = None
    if os.geteuid() == 0:
        try:
            uid = pwd.getpwnam("nobody").pw_uid
        except KeyError:
            pytest.skip("no unprivileged user to test permissions with")
    top = tempfile.mkdtemp(prefix="deltasql-ro-")
    try:
        os.chmod(top, 0o755)
        directory = os.path.join(top, "ro")
        os.mkdir(directory, 0o555)
        os.chmod(directory, 0o555)
        msg = _open_as(os.path.join(directory, "new.db"), uid)
        assert "cannot create" in msg and "not writable" in msg, msg
        assert os.listdir(directory) == []
        os.chmod(directory, 0o755)
        existing = os.path.join(directory, "state.db")
        Store.open(existing, OPTIONS).close()
        os.chmod(existing, 0o444)
        before = digest(existing)
        msg = _open_as(existing, uid)
        assert "is not writable" in msg, msg
        assert digest(existing) == before
        os.chmod(existing, 0o644)
        os.chmod(directory, 0o555)  # the file is writable but the WAL cannot be created beside it
        msg = _open_as(existing, uid)
        assert "is not writable" in msg, msg
        assert digest(existing) == before
    finally:
        shutil.rmtree(top, ignore_errors=True)


def test_retained_deltas_are_kept_per_consumer_down_to_the_lowest_floor(path):
    s = Store.open(path, OPTIONS)
    s.commit_step(1, {}, outbox={"v": [((1,), 1)]})  # not retained yet: the caller decides what to send
    s.retain("v")
    s.retain("v", consumer="kafka")
    with pytest.raises(StorageError, match="floor 5 is after the last step 1"):
        s.retain("v", floor=5)
    for n in range(2, 6):
        s.commit_step(n, {}, outbox={"v": [((n,), 1)]})
    s.commit_step(6, {})  # v did not change
    assert list(s.changes_since("v", 1)) == [(n, [((n,), 1)]) for n in range(2, 6)]
    assert list(s.changes_since("v", 4, consumer="kafka")) == [(5, [((5,), 1)])]
    with pytest.raises(StorageError, match="kept from step 2 on"):
        list(s.changes_since("v", 0))
    with pytest.raises(StorageError, match="'w' is not retained"):
        list(s.changes_since("w", 0))
    s.retain("v", floor=3)
    assert s.conn.execute("SELECT MIN(step) FROM outbox").fetchone()[0] == 2  # kafka still needs 2 and 3
    with pytest.raises(StorageError, match="up to step 3 were released"):
        list(s.changes_since("v", 2))
    s.retain("v", consumer="kafka", floor=4)
    s.retain("v", consumer="kafka", floor=2)  # a floor never goes back
    assert s.conn.execute("SELECT MIN(step) FROM outbox").fetchone()[0] == 4
    s.close()
    s = Store.open(path, OPTIONS)
    assert s.retained == {"v": {"": [1, 3], "kafka": [1, 4]}}
    assert list(s.changes_since("v", 4)) == [(5, [((5,), 1)])]
    s.release("v", consumer="kafka")
    assert list(s.changes_since("v", 3)) == [(4, [((4,), 1)]), (5, [((5,), 1)])]
    s.release("v")
    assert s.retained == {} and s.conn.execute("SELECT COUNT(*) FROM outbox").fetchone()[0] == 0
    s.close()


def test_group_commit_mode_commits_every_step(path):
    s = Store.open(path, OPTIONS, durability="group", group_interval=0.0)
    for n in range(1, 4):
        s.commit_step(n, {"t": {(n,): 1}})
    s.close()
    s = Store.open(path, OPTIONS, durability="group")
    assert s.last_step == 3
    assert s.conn.execute("PRAGMA synchronous").fetchone()[0] == 1  # NORMAL
    s.close()
    with pytest.raises(StorageError, match="durability must be one of full, group"):
        Store.open(path, OPTIONS, durability="fast")
