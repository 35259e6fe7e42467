"""Processing time: a column ``DEFAULT NOW()`` takes the pipeline's clock as each row is inserted, and
windows over it are processing-time windows (Nexmark q12), against DuckDB.

The streams: the clock moves forward by random amounts (unset for the first steps, so the first rows
get NULL), rows inserted with a NULL arrival time (stamped) or with one given (kept; some of them
late for the column's watermark), duplicates, deletions of live rows as they were stamped.  The model
(independent of deltasql) stamps each row with the clock as the test last set it and judges lateness
itself; DuckDB gets the accepted rows with their stamps, and each view's changes, added up, must equal
its answer after every step.
"""

from __future__ import annotations

import datetime
import random

import duckdb
import pytest

from deltasql import CompileError, Pipeline
from tests.latestreams import add_changes, apply, assert_rows, expand, state_entries
from tests.test_diff_watermarks import duck_apply

S = datetime.timedelta(seconds=1)
T0 = datetime.datetime(2024, 1, 1)
EPOCH = "TIMESTAMP '1970-01-01'"
LATENESS = 2 * S

DDL = ("CREATE TABLE bid(bidder INT, price INT, "
       "p_time TIMESTAMP DEFAULT NOW() LATENESS INTERVAL '2' SECONDS)")
PLAIN = "CREATE TABLE bid(bidder INT, price INT, p_time TIMESTAMP)"
W = f"time_bucket(INTERVAL 10 SECOND, p_time, {EPOCH})"
VIEWS = {
    # q12: bids per bidder in processing-time windows of 10 s
    "q12": ("SELECT bidder, COUNT(*) AS bid_count, window_start, window_end FROM TUMBLE(bid, p_time, "
            "INTERVAL '10' SECOND) GROUP BY bidder, window_start, window_end",
            f"SELECT bidder, COUNT(*) AS bid_count, {W} AS window_start, {W} + INTERVAL 10 SECOND AS window_end "
            f"FROM bid WHERE p_time IS NOT NULL GROUP BY bidder, {W}"),
    "per_bucket": (f"SELECT {W} AS b, SUM(price) AS s, MAX(price) AS m FROM bid GROUP BY {W}", None),
    "unstamped": ("SELECT COUNT(*) AS n FROM bid WHERE p_time IS NULL", None),
}


class Stream:
    def __init__(self, seed: int):
        self.rnd = random.Random(seed)
        self.clock = None
        self.mark = None
        self.live: dict = {}
        self.late = 0

    def step(self):
        """(the clock to set or None, [(op, row)]) with rows as the pipeline is given them."""
        r = self.rnd
        if self.clock is None and r.random() < 0.3 or self.clock is not None and r.random() < 0.8:
            base = self.clock or T0
            self.clock = base + datetime.timedelta(milliseconds=r.randrange(0, 4000))
            set_to = self.clock
        else:
            set_to = None
        out = []
        avail = dict(self.live)
        for _ in range(r.randint(0, 7)):
            if avail and r.random() < 0.2:
                row = r.choice(sorted(avail, key=repr))
                avail[row] -= 1
                if not avail[row]:
                    del avail[row]
                out.append(("-", row))
                continue
            given = None
            if self.clock is not None and r.random() < 0.2:  # an explicit arrival time, maybe late
                given = self.clock - datetime.timedelta(milliseconds=r.randrange(0, 5000))
            row = (r.randrange(3), r.choice([1, 5, 7, None]), given)
            out.append(("+", row))
            if r.random() < 0.1:
                out.append(("+", row))
        return set_to, out

    def judge(self, changes) -> list:
        accepted = []
        for op, row in changes:
            if op == "+" and row[2] is None and self.clock is not None:
                row = row[:2] + (self.clock,)
            if self.mark is not None and row[2] is not None and row[2] < self.mark:
                self.late += 1
                continue
            n = self.live.get(row, 0) + (1 if op == "+" else -1)
            if n:
                self.live[row] = n
            else:
                del self.live[row]
            accepted.append((op, "bid", row))
        times = [row[2] for _, _, row in accepted if row[2] is not None]
        if times and (self.mark is None or max(times) - LATENESS > self.mark):
            self.mark = max(times) - LATENESS
        return accepted


def run(seed: int, steps: int, **options):
    stream = Stream(seed)
    p = Pipeline(**options)
    p.execute(DDL)
    for name, (sql, _) in VIEWS.items():
        p.execute(f"CREATE VIEW {name} AS {sql}")
    con = duckdb.connect()
    con.execute(PLAIN)
    seen = {n: {} for n in VIEWS}
    for i in range(steps):
        set_to, changes = stream.step()
        if set_to is not None:
            p.advance_clock(set_to)
        accepted = stream.judge(changes)
        out = apply(p, [(op, "bid", row) for op, row in changes])
        duck_apply(con, accepted)
        assert p.late_rows("bid") == stream.late, f"seed {seed} step {i}: late rows"
        for n, (sql, duck) in VIEWS.items():
            add_changes(seen[n], out.get(n, []))
            assert_rows(con.execute(duck or sql).fetchall(), expand(seen[n]), f"seed {seed} step {i} view {n}")
    return p, stream


@pytest.mark.parametrize("seed", range(5))
def test_processing_time_windows_match_duckdb(seed):
    run(seed, 50)


def test_processing_time_window_state_is_dropped():
    p, stream = run(11, 150)
    assert sum(stream.live.values()) > 150
    assert state_entries(p, "q12") < 40  # the windows the clock has not closed yet, per bidder


def test_the_clock_stamps_inserts_of_every_kind():
    p = Pipeline()
    p.execute("CREATE TABLE t(k INT PRIMARY KEY, at TIMESTAMP DEFAULT CURRENT_TIMESTAMP);"
              "CREATE MATERIALIZED VIEW v AS SELECT k, at FROM t")
    p.insert("t", [(1, None)])  # the clock is not set: NULL
    p.step()
    p.advance_clock("2024-01-01 10:00:00")
    p.execute("INSERT INTO t(k) VALUES (2)")  # SQL, the column omitted
    p.insert("t", [{"k": 3}, (4, T0)])  # a dict without it; a value given is kept
    p.upsert("t", [(1, None)])
    p.step()
    at = datetime.datetime(2024, 1, 1, 10)
    assert sorted(p.view("v").rows()) == [(1, at), (2, at), (3, at), (4, T0)]
    p.advance_clock("2024-01-01 11:00:00")
    p.execute("UPDATE t SET at = NULL WHERE k = 4")  # stamped again
    p.execute("UPDATE t SET k = 5 WHERE k = 3")  # keeps its stamp
    p.step()
    later = datetime.datetime(2024, 1, 1, 11)
    assert sorted(p.view("v").rows()) == [(1, at), (2, at), (4, later), (5, at)]


@pytest.mark.parametrize("sql, message", [
    ("CREATE TABLE x(a INT DEFAULT 5)", "DEFAULT may only be NOW()"),
    ("CREATE TABLE x(a DATE DEFAULT NOW())", "needs a TIMESTAMP column"),
])
def test_other_defaults_are_refused(sql, message):
    with pytest.raises(CompileError, match=message):
        Pipeline().execute(sql)
