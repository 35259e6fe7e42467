"""Temporal filters (NOW() as a clock the pipeline advances) against DuckDB.

Random streams of inserts (times around the clock, NULLs, duplicates) and deletions, with the clock
moving forward by random amounts between some steps.  After every step each view's changes, added
up, equal DuckDB's answer to the same query with NOW() replaced by the clock's value (NULL while it
is unset); MATERIALIZED twins are compared through rows().  The temporal filters keep only the rows
that may still enter or leave: their state stays a fraction of the table.
"""

from __future__ import annotations

import datetime
import random
import re

import duckdb
import pytest

from deltasql import CompileError, DataError, Pipeline
from tests.latestreams import add_changes, assert_rows, expand, state_entries

T0 = datetime.datetime(2024, 1, 1)
M = datetime.timedelta(minutes=1)
DDL = "CREATE TABLE t(k INT, ts TIMESTAMP, v INT); CREATE TABLE u(k INT, d DATE)"
VIEWS = {
    "last_hour": "SELECT k, ts, v FROM t WHERE ts > NOW() - INTERVAL '1' HOUR",
    "due": "SELECT k, v FROM t WHERE ts <= NOW() AND v > 1",
    "window_now": "SELECT k, ts FROM t WHERE ts BETWEEN NOW() - INTERVAL 10 MINUTE AND NOW() + INTERVAL 5 MINUTE",
    "flipped": "SELECT k FROM t WHERE NOW() - INTERVAL '30' MINUTE < ts AND NOW() >= ts - INTERVAL '2' MINUTE",
    "counts": "SELECT k, COUNT(*) AS n, SUM(v) AS s FROM t WHERE ts >= NOW() - INTERVAL '20' MINUTE GROUP BY k",
    "joined": "SELECT t.k, t.v, u.d FROM t JOIN u ON t.k = u.k WHERE t.ts > NOW() - INTERVAL '15' MINUTE",
    "days": "SELECT k, d FROM u WHERE d >= CURRENT_DATE - INTERVAL 1 DAY",
    "over_view": "SELECT COUNT(*) AS n FROM last_hour",
}


def oracle(sql: str, now) -> str:
    if now is None:
        ts, day = "CAST(NULL AS TIMESTAMP)", "CAST(NULL AS DATE)"
    else:
        ts, day = f"TIMESTAMP '{now}'", f"DATE '{now.date()}'"
    sql = re.sub(r"\bNOW\(\)", ts, sql)
    sql = re.sub(r"\bCURRENT_DATE\b", day, sql)
    if "FROM last_hour" in sql:
        sql = sql.replace("FROM last_hour", f"FROM ({oracle(VIEWS['last_hour'], now)})")
    return sql


def run(seed: int, steps: int, p=None, **options):
    rnd = random.Random(seed)
    if p is None:
        p = Pipeline(**options)
        p.execute(DDL)
        for name, sql in VIEWS.items():
            p.execute(f"CREATE VIEW {name} AS {sql}")
            p.execute(f"CREATE MATERIALIZED VIEW {name}_m AS {sql.replace('FROM last_hour', 'FROM last_hour_m')}")
    con = duckdb.connect()
    con.execute(DDL)
    seen = {n: {} for n in VIEWS}
    live = {"t": [], "u": []}
    clock = None
    for i in range(steps):
        if rnd.random() < 0.7:
            clock = (clock or T0) + M * rnd.choice([0, 1, 3, 7, 20, 45]) if clock or rnd.random() < 0.8 else None
            if clock is not None:
                p.advance_clock(clock)
        for _ in range(rnd.randint(0, 6)):
            table = rnd.choice(["t", "t", "u"])
            if live[table] and rnd.random() < 0.25:
                row = live[table].pop(rnd.randrange(len(live[table])))
                p.delete(table, [row])
                cols = ("k", "ts", "v") if table == "t" else ("k", "d")
                cond = " AND ".join(f"{c} IS NOT DISTINCT FROM ?" for c in cols)
                rowid = con.execute(f"SELECT rowid FROM {table} WHERE {cond} LIMIT 1", list(row)).fetchone()[0]
                con.execute(f"DELETE FROM {table} WHERE rowid = ?", [rowid])
                continue
            base = clock or T0
            when = None if rnd.random() < 0.05 else base + M * rnd.randint(-90, 30)
            if table == "t":
                row = (rnd.randrange(4), when, rnd.choice([0, 1, 2, 5, None]))
            else:
                row = (rnd.randrange(4), None if when is None else when.date())
            for _ in range(2 if rnd.random() < 0.1 else 1):
                p.insert(table, [row])
                live[table].append(row)
                con.execute(f"INSERT INTO {table} VALUES ({', '.join('?' for _ in row)})", list(row))
        changes = p.step()
        assert p.now == clock
        for name, sql in VIEWS.items():
            add_changes(seen[name], changes.get(name, []))
            theirs = con.execute(oracle(sql, clock)).fetchall()
            assert_rows(theirs, expand(seen[name]), f"seed {seed} step {i} now {clock} {name}")
            assert_rows(theirs, p.view(f"{name}_m").rows(), f"seed {seed} step {i} {name}_m")
    return p, live


@pytest.mark.parametrize("seed", range(4))
def test_temporal_filters_match_duckdb(seed):
    run(seed, 60)


def test_temporal_filters_keep_only_rows_that_may_still_enter_or_leave():
    p, live = run(50, 250)
    rows = len(live["t"])
    assert rows > 300
    for name in ("last_hour", "window_now", "flipped", "counts"):
        assert state_entries(p, name) * 4 < rows, name


def test_clock_moves_forward_only_and_failed_steps_keep_it():
    p = Pipeline()
    p.execute("CREATE TABLE t(x INT, ts TIMESTAMP); CREATE MATERIALIZED VIEW v AS SELECT CAST(x AS TINYINT) AS y "
              "FROM t WHERE ts <= NOW()")
    assert p.now is None
    p.step(now="2024-01-01 10:00:00")
    assert p.now == datetime.datetime(2024, 1, 1, 10)
    with pytest.raises(DataError, match="only moves forward"):
        p.advance_clock(datetime.datetime(2024, 1, 1, 9))
    p.insert("t", [(1000, datetime.datetime(2024, 1, 1, 11))])  # enters at 11:00, and does not fit a TINYINT
    p.step()
    with pytest.raises(DataError, match="does not fit"):
        p.step(now=datetime.datetime(2024, 1, 1, 12))
    assert p.now == datetime.datetime(2024, 1, 1, 10) and p.view("v").rows() == []


def test_now_outside_a_temporal_filter_is_refused_where_it_is():
    p = Pipeline()
    p.execute("CREATE TABLE t(k INT, ts TIMESTAMP)")
    cases = {
        "SELECT NOW() AS n FROM t": (1, 8),
        "SELECT k FROM t WHERE ts = NOW()": (1, 28),
        "SELECT k FROM t GROUP BY k HAVING MAX(ts) > NOW()": (1, 45),
        "SELECT k FROM t WHERE ts > NOW() - INTERVAL '1' HOUR OR k = 1": (1, 28),
        "SELECT k FROM t WHERE NOW() - ts < INTERVAL '1' HOUR": (1, 23),
        "SELECT k FROM t WHERE ts > CURRENT_TIMESTAMP - (ts - ts)": (1, 23),
    }
    for sql, where in cases.items():
        with pytest.raises(CompileError) as e:
            p.execute(f"CREATE VIEW v AS {sql}")
        assert (e.value.line, e.value.col - 17) == where and "temporal filter" in e.value.message, (sql, e.value)
