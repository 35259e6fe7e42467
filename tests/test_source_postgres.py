"""PostgreSQL change data capture against a real server (tests/pgserver.py): snapshot then stream under
concurrent writers, key updates and swaps, deletes and truncates; every view then equals both
PostgreSQL's own answer to the view's query and DuckDB's on the pipeline's tables.  Type checks refuse
before anything is applied; slots are temporary, or dropped on request."""

from __future__ import annotations

import datetime
import decimal
import random
import threading
import time

import pytest

from deltasql import Pipeline
from tests.harness import diff_multisets

psycopg2 = pytest.importorskip("psycopg2")
duckdb = pytest.importorskip("duckdb")

from deltasql.connectors.sources import SourceError, follow  # noqa: E402
from deltasql.connectors.sources.postgres import PostgresSource  # noqa: E402

UPSTREAM = """
    CREATE TABLE accounts(id int PRIMARY KEY DEFERRABLE INITIALLY DEFERRED, owner text NOT NULL, region text,
                          balance numeric(12, 2));
    CREATE TABLE transfers(tid bigint PRIMARY KEY, src int, dst int, amount numeric(10, 2), note varchar(40),
                           sent_at timestamp);
    ALTER TABLE accounts REPLICA IDENTITY FULL;
    ALTER TABLE transfers REPLICA IDENTITY FULL;
"""
DECLARED = """
    CREATE TABLE accounts(id INT PRIMARY KEY, owner VARCHAR NOT NULL, region VARCHAR, balance DECIMAL(12, 2));
    CREATE TABLE transfers(tid BIGINT PRIMARY KEY, src INT, dst INT, amount DECIMAL(10, 2), note VARCHAR,
                           sent_at TIMESTAMP);
"""
VIEWS = {
    "by_region": "SELECT region, COUNT(*) AS n, SUM(balance) AS total FROM accounts GROUP BY region",
    "sent": "SELECT a.owner, COUNT(*) AS n, SUM(t.amount) AS total, MAX(t.sent_at) AS last FROM transfers t "
            "JOIN accounts a ON a.id = t.src GROUP BY a.owner",
    "idle": "SELECT a.id, a.owner FROM accounts a WHERE NOT EXISTS "
            "(SELECT 1 FROM transfers t WHERE t.src = a.id OR t.dst = a.id)",
    "received": "SELECT t.dst, a.region, SUM(t.amount) AS total FROM transfers t LEFT JOIN accounts a "
                "ON a.id = t.dst GROUP BY t.dst, a.region",
    "notes": "SELECT DISTINCT note FROM transfers WHERE note IS NOT NULL",
}


def pipeline(views=VIEWS) -> Pipeline:
    p = Pipeline()
    p.execute(DECLARED)
    for name, q in views.items():
        p.execute(f"CREATE VIEW {name} AS {q}")
    return p


def connect(db):
    conn = psycopg2.connect(db.dsn)
    conn.autocommit = False
    return conn


def check_against_oracles(p: Pipeline, db, views=VIEWS, declared=DECLARED) -> None:
    """Tables equal PostgreSQL's; every view equals PostgreSQL's and DuckDB's answer to its query."""
    conn = psycopg2.connect(db.dsn)
    duck = duckdb.connect()
    duck.execute(declared)
    try:
        with conn.cursor() as c:
            for t in p.tables:
                cols = ", ".join(p.columns(t))
                c.execute(f"SELECT {cols} FROM {t}")
                upstream = c.fetchall()
                mine = p.table_rows(t)
                d = diff_multisets(upstream, mine)
                assert d == ([], []), f"table {t}: missing {d[0]} extra {d[1]}"
                if mine:
                    duck.executemany(f"INSERT INTO {t} VALUES ({', '.join('?' * len(mine[0]))})", mine)
            for name, q in views.items():
                c.execute(q)
                got = p.view(name).rows()
                assert diff_multisets(c.fetchall(), got, loose=True) == ([], []), f"view {name} vs PostgreSQL"
                assert diff_multisets(duck.execute(q).fetchall(), got, loose=True) == ([], []), \
                    f"view {name} vs DuckDB"
    finally:
        conn.close()
        duck.close()


class Writer(threading.Thread):
    """Random transactions on its own share of keys: inserts, updates (keys too, and swaps inside a
    transaction), deletes, now and then a rolled-back transaction."""

    def __init__(self, db, n: int, k: int, transactions: int, seed: int, pause: float = 0.0, stop=None):
        super().__init__(daemon=True)
        self.db, self.n, self.k, self.transactions, self.pause = db, n, k, transactions, pause
        self.stop = stop  # an Event: stop early once it is set
        self.rnd = random.Random(seed)
        self.error = None
        self.committed = 0

    def mine(self, c, table, key):
        c.execute(f"SELECT {key} FROM {table} WHERE {key} %% %s = %s", (self.n, self.k))
        return [r[0] for r in c.fetchall()]

    def run(self):
        rnd = self.rnd
        conn = connect(self.db)
        try:
            for i in range(self.transactions):
                if self.stop is not None and self.stop.is_set():
                    break
                if self.pause:
                    time.sleep(rnd.random() * self.pause)
                with conn.cursor() as c:
                    try:
                        for _ in range(rnd.randint(1, 5)):
                            self.change(c, rnd)
                    except (psycopg2.errors.UniqueViolation, psycopg2.errors.DeadlockDetected):
                        conn.rollback()
                        continue
                if rnd.random() < 0.05:
                    conn.rollback()
                else:
                    try:
                        conn.commit()
                        self.committed += 1
                    except psycopg2.errors.UniqueViolation:  # a deferred key check
                        conn.rollback()
        except BaseException as e:  # reported by the test
            self.error = e
        finally:
            conn.close()

    def change(self, c, rnd):
        r = rnd.random()
        ids = self.mine(c, "accounts", "id")
        new_id = rnd.randrange(1, 400) * self.n + self.k
        if r < 0.3 or not ids:
            c.execute("INSERT INTO accounts SELECT %s, %s, %s, %s WHERE NOT EXISTS "
                      "(SELECT 1 FROM accounts WHERE id = %s)",
                      (new_id, rnd.choice(["ada", "bob", "cy", "dee"]), rnd.choice(["eu", "us", None]),
                       decimal.Decimal(rnd.randrange(-10000, 100000)) / 100, new_id))
        elif r < 0.4:
            c.execute("UPDATE accounts SET balance = balance + %s, region = %s WHERE id = %s",
                      (rnd.randrange(-500, 500), rnd.choice(["eu", "us", "ap", None]), rnd.choice(ids)))
        elif r < 0.47:
            c.execute("UPDATE accounts SET id = %s WHERE id = %s AND NOT EXISTS "
                      "(SELECT 1 FROM accounts WHERE id = %s)", (new_id, rnd.choice(ids), new_id))
        elif r < 0.52 and len(ids) >= 2:
            a, b = rnd.sample(ids, 2)  # a swap: valid only at commit (the key is DEFERRABLE)
            c.execute("UPDATE accounts SET id = CASE WHEN id = %s THEN %s ELSE %s END WHERE id IN (%s, %s)",
                      (a, b, a, a, b))
        elif r < 0.6:
            c.execute("DELETE FROM accounts WHERE id = %s", (rnd.choice(ids),))
        elif r < 0.85:
            tid = rnd.randrange(1, 10**6) * self.n + self.k
            c.execute("INSERT INTO transfers VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT (tid) DO NOTHING",
                      (tid, rnd.choice(ids), rnd.choice(ids + [0]), decimal.Decimal(rnd.randrange(1, 9999)) / 100,
                       rnd.choice(["rent", "food", None, "gift " + "x" * rnd.randrange(3)]),
                       datetime.datetime(2024, 1, 1) + datetime.timedelta(seconds=rnd.randrange(10**7),
                                                                          microseconds=rnd.randrange(10**6))))
        else:
            tids = self.mine(c, "transfers", "tid")
            if tids:
                if rnd.random() < 0.5:
                    c.execute("DELETE FROM transfers WHERE tid = %s", (rnd.choice(tids),))
                else:
                    c.execute("UPDATE transfers SET amount = amount * 2, note = NULL WHERE tid = %s",
                              (rnd.choice(tids),))


def run_writers(db, n=3, transactions=60, seed=0, pause=0.0, stop=None):
    writers = [Writer(db, n, k, transactions, seed * 100 + k, pause, stop) for k in range(n)]
    for w in writers:
        w.start()
    return writers


def join_writers(writers):
    for w in writers:
        w.join(120)
        assert not w.is_alive()
        if w.error:
            raise w.error
    assert sum(w.committed for w in writers) > 0


class Follower(threading.Thread):
    def __init__(self, p, source, **kw):
        super().__init__(daemon=True)
        self.p, self.source, self.kw = p, source, kw
        self.error = None
        self.stats = None
        self.steps = []

    def run(self):
        try:
            self.stats = follow(self.p, self.source, on_step=lambda ch, st: self.steps.append(ch), **self.kw)
        except BaseException as e:
            self.error = e

    def started(self):
        """Start, and wait for the snapshot's step: changes after this are streamed."""
        self.start()
        while not self.steps and self.is_alive():
            time.sleep(0.01)
        if self.error:
            raise self.error
        return self

    def finish(self):
        self.source.stop_at()
        self.join(120)
        assert not self.is_alive()
        if self.error:
            raise self.error


def test_snapshot_then_stream_under_concurrent_writers(pg_database):
    db = pg_database
    db.psql(UPSTREAM)
    join_writers(run_writers(db, transactions=30, seed=1))  # history before the snapshot
    writers = run_writers(db, transactions=150, seed=2, pause=0.01)  # and writers running while it is taken
    while sum(w.committed for w in writers) < 30:
        time.sleep(0.01)
    p = pipeline()
    f = Follower(p, PostgresSource(db.dsn), max_rows=50)
    f.start()
    join_writers(writers)
    f.finish()
    assert f.stats.steps > 1
    check_against_oracles(p, db)
    # the deltas the views emitted add up to their contents
    for name in VIEWS:
        total = {}
        for ch in f.steps:
            for row, w in ch.get(name, []):
                total[row] = total.get(row, 0) + w
        assert sorted((r for r, w in total.items() for _ in range(w)), key=repr) == \
            sorted(p.view(name).rows(), key=repr)
    # the slot was temporary: gone with the connection
    assert db.psql("SELECT count(*) FROM pg_replication_slots").strip() == "0"


def test_catch_up_without_follow_then_stop(pg_database):
    db = pg_database
    db.psql(UPSTREAM)
    join_writers(run_writers(db, transactions=20, seed=3))
    p = pipeline()
    stats = follow(p, PostgresSource(db.dsn, follow=False))
    assert stats.steps == 1  # the snapshot
    check_against_oracles(p, db)


def test_each_transaction_is_one_step(pg_database):
    db = pg_database
    db.psql(UPSTREAM)
    p = pipeline({"by_region": VIEWS["by_region"]})
    src = PostgresSource(db.dsn)
    f = Follower(p, src, max_rows=1).started()  # no grouping: one step per transaction
    conn = connect(db)
    with conn.cursor() as c:
        c.execute("INSERT INTO accounts VALUES (1, 'ada', 'eu', 10), (2, 'bob', 'eu', 5)")
        conn.commit()
        c.execute("UPDATE accounts SET region = 'us' WHERE id = 2")
        c.execute("INSERT INTO accounts VALUES (3, 'cy', 'us', 1)")
        conn.commit()
        c.execute("DELETE FROM accounts WHERE id = 3")
        c.execute("INSERT INTO accounts VALUES (3, 'cy', 'us', 1)")  # no net change: an empty step
        conn.commit()
        c.execute("TRUNCATE accounts")
        c.execute("INSERT INTO accounts VALUES (7, 'dee', NULL, 2)")
        conn.commit()
    conn.close()
    f.finish()
    eu, us = ("eu", 2, decimal.Decimal("15.00")), ("us", 2, decimal.Decimal("6.00"))
    by_region = [sorted(ch.get("by_region", []), key=repr) for ch in f.steps]
    assert by_region == [
        [],  # the snapshot: nothing yet
        [(eu, 1)],
        sorted([(eu, -1), (("eu", 1, decimal.Decimal("10.00")), 1), (us, 1)], key=repr),
        [],
        sorted([(("eu", 1, decimal.Decimal("10.00")), -1), (us, -1), ((None, 1, decimal.Decimal("2.00")), 1)],
               key=repr),
    ]
    check_against_oracles(p, db, {"by_region": VIEWS["by_region"]})


def test_types_are_read_exactly(pg_database):
    db = pg_database
    db.psql("""
        CREATE DOMAIN cents AS numeric(8, 2) NOT NULL;
        CREATE TABLE t(i smallint PRIMARY KEY, b bigint, h numeric(30, 0), d numeric(6, 1), c cents,
                       f float8, s varchar(10), x text, ok boolean, day date, ts timestamp(6),
                       tz timestamptz, iv interval);
        ALTER TABLE t REPLICA IDENTITY FULL;
        INSERT INTO t VALUES (1, -9223372036854775808, 123456789012345678901234567890, -12345.6, 0.5,
                              'NaN', 'é''"\\', E'line\\nbreak\\ttab', true, '2024-02-29', '1999-12-31 23:59:59.999999',
                              '2024-06-01 12:00:00+02', '1 year 2 mons -3 days 04:05:06.5');
    """)
    p = Pipeline()
    p.execute("""CREATE TABLE t(i INT PRIMARY KEY, b BIGINT, h HUGEINT, d DECIMAL(8, 2), c DECIMAL(8, 2),
                 f DOUBLE, s VARCHAR, x TEXT, ok BOOLEAN, day DATE, ts TIMESTAMP, tz TIMESTAMP, iv INTERVAL)""")
    src = PostgresSource(db.dsn)
    f = Follower(p, src).started()
    db.psql("""INSERT INTO t VALUES (2, 7, -1, 0.1, 1, '-Infinity', '', '', false, '0001-01-01',
                                     '2024-01-01 00:00:00', '2024-01-01 00:00:00+00', '0 seconds');
               UPDATE t SET f = 1e-300 WHERE i = 2""")
    f.finish()
    from deltasql.sqllib.sqlfuncs import Interval
    rows = sorted(p.table_rows("t"))
    assert rows[0][:10] == (1, -9223372036854775808, 123456789012345678901234567890, decimal.Decimal("-12345.60"),
                            decimal.Decimal("0.50"), rows[0][5], "é'\"\\", "line\nbreak\ttab", True,
                            datetime.date(2024, 2, 29))
    assert rows[0][5] != rows[0][5]  # NaN
    assert rows[0][10:12] == (datetime.datetime(1999, 12, 31, 23, 59, 59, 999999), datetime.datetime(2024, 6, 1, 10))
    iv = rows[0][12]
    assert (iv.months, iv.day_part, iv.micro_part) == (14, -3, 14_706_500_000)
    assert rows[1] == (2, 7, -1, decimal.Decimal("0.10"), decimal.Decimal("1.00"), 1e-300, "", "", False,
                       datetime.date(1, 1, 1), datetime.datetime(2024, 1, 1), datetime.datetime(2024, 1, 1),
                       Interval(0, 0, 0))


def test_mismatched_types_are_refused_before_anything(pg_database):
    db = pg_database
    db.psql("""CREATE TABLE t(a int, b numeric, c real, d char(3), e numeric(12, 4), f int8, g text, k int);
               CREATE TABLE u(x int)""")
    p = Pipeline()
    p.execute("""CREATE TABLE t(a INT NOT NULL, b DECIMAL(10, 2), c DOUBLE, d VARCHAR, e DECIMAL(12, 2), f INT,
                                g DATE, k INT PRIMARY KEY, z INT);
                 CREATE TABLE missing(x INT)""")
    with pytest.raises(SourceError) as e:
        follow(p, PostgresSource(db.dsn))
    msg = str(e.value)
    for part in ["t.a is declared NOT NULL", "t.b is declared DECIMAL(10,2) but PostgreSQL's column is numeric without "
                 "precision", "t.c is declared DOUBLE but PostgreSQL's column is real", "t.d is declared VARCHAR",
                 "t.e is declared DECIMAL(12,2) but PostgreSQL's column is numeric(12,4)",
                 "t.f is declared INTEGER but PostgreSQL's column is bigint", "t.g is declared DATE",
                 "has no column z", "table missing: no table 'missing'"]:
        assert part in msg, part
    assert p.table_rows("t") == []
    assert db.psql("SELECT count(*) FROM pg_replication_slots").strip() == "0"
    assert db.psql("SELECT count(*) FROM pg_publication").strip() == "0"


def test_keys_and_replica_identity_must_hold_upstream(pg_database):
    db = pg_database
    db.psql("CREATE TABLE t(k int NOT NULL, v int); CREATE TABLE u(k int PRIMARY KEY, v int)")
    p = Pipeline()
    p.execute("CREATE TABLE t(k INT PRIMARY KEY, v INT); CREATE TABLE u(k INT PRIMARY KEY, v INT)")
    with pytest.raises(SourceError) as e:
        follow(p, PostgresSource(db.dsn))
    msg = str(e.value)
    assert "the declared PRIMARY KEY (k) is not enforced upstream" in msg
    assert "ALTER TABLE public.t REPLICA IDENTITY FULL" in msg and "ALTER TABLE public.u REPLICA IDENTITY FULL" in msg


def test_table_mapping_and_drop_slot(pg_database):
    db = pg_database
    db.psql("""CREATE SCHEMA sales; CREATE TABLE sales."Orders"(id int PRIMARY KEY, amount int);
               ALTER TABLE sales."Orders" REPLICA IDENTITY FULL; INSERT INTO sales."Orders" VALUES (1, 5)""")
    p = Pipeline()
    p.execute("CREATE TABLE orders(id INT PRIMARY KEY, amount INT); CREATE VIEW v AS SELECT SUM(amount) s FROM orders")
    src = PostgresSource(db.dsn, tables={"orders": 'sales."Orders"'}, slot="keep_me", drop_slot=True)
    f = Follower(p, src).started()
    db.psql('INSERT INTO sales."Orders" VALUES (2, 6)')
    f.finish()
    assert p.view("v").rows() == [(11,)]
    assert db.psql("SELECT count(*) FROM pg_replication_slots").strip() == "0"
    assert db.psql("SELECT count(*) FROM pg_publication").strip() == "0"


def test_a_failing_transaction_is_named_and_not_applied(pg_database):
    db = pg_database
    db.psql("CREATE TABLE t(k int PRIMARY KEY, v int); ALTER TABLE t REPLICA IDENTITY FULL; INSERT INTO t VALUES (1, 1)")
    p = Pipeline()
    p.execute("CREATE TABLE t(k INT PRIMARY KEY, v INT); CREATE VIEW big AS SELECT SUM(v * 1000000000) AS s FROM t")
    src = PostgresSource(db.dsn)
    f = Follower(p, src, max_rows=1).started()
    db.psql("INSERT INTO t VALUES (2, 2)")
    db.psql("UPDATE t SET v = 2000000000 WHERE k = 1")  # v * 1000000000 overflows INTEGER in the view
    with pytest.raises(SourceError) as e:
        f.finish()
    assert "transaction" in str(e.value) and "(not applied)" in str(e.value)
    assert sorted(p.table_rows("t")) == [(1, 1), (2, 2)]


def test_cli_source_follow_and_sigterm(pg_database, tmp_path):
    import json
    import os
    import signal
    import subprocess
    import sys

    db = pg_database
    db.psql("CREATE TABLE t(k int PRIMARY KEY, v int); ALTER TABLE t REPLICA IDENTITY FULL; INSERT INTO t VALUES (1, 10)")
    views = tmp_path / "v.sql"
    views.write_text("CREATE TABLE t(k INT PRIMARY KEY, v INT); CREATE VIEW total AS SELECT SUM(v) AS s FROM t;")
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    once = subprocess.run([sys.executable, "-m", "deltasql", "run", str(views), "--source", db.dsn, "--format", "jsonl"],
                          capture_output=True, text=True, cwd=root, timeout=120)
    assert once.returncode == 0, once.stderr
    changes = sorted((c["weight"], c["row"]["s"] or 0) for c in map(json.loads, once.stdout.splitlines()))
    assert changes == [(1, 10)]  # the snapshot's sum (the empty table's NULL sum, reported at the view's
    # creation, and its retraction add up to nothing within the first step: issue 11's complete stream)
    proc = subprocess.Popen([sys.executable, "-m", "deltasql", "run", str(views), "--source", db.dsn, "--follow",
                             "--slot", "cli_slot", "--drop-slot", "--format", "jsonl", "--progress"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=root)
    snapshot = [json.loads(proc.stdout.readline()) for _ in range(1)]
    assert sorted((c["weight"], c["row"]["s"] or 0) for c in snapshot) == [(1, 10)]
    db.psql("BEGIN; UPDATE t SET v = 5 WHERE k = 1; INSERT INTO t VALUES (2, 1); COMMIT")  # one step
    got = [json.loads(proc.stdout.readline()) for _ in range(2)]
    assert sorted((c["weight"], c["row"]["s"]) for c in got) == [(-1, 10), (1, 6)]
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    assert "deltasql:" in err and "rows/s" in err  # the progress line
    assert db.psql("SELECT count(*) FROM pg_replication_slots").strip() == "0"  # --drop-slot
    bad = subprocess.run([sys.executable, "-m", "deltasql", "run", str(views), "--source", db.dsn, "--slot", "x",
                          "--table", "nonsense"], capture_output=True, text=True, cwd=root, timeout=60)
    assert bad.returncode == 1 and "--table takes NAME=UPSTREAM_TABLE" in bad.stderr
