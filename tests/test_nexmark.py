"""Nexmark: the generator follows the specification's event mix and is deterministic, and every
query's view equals its DuckDB oracle on the same events, in order and with late (out-of-order)
events.  (Throughput and memory are measured by bench/nexmark_run.py, never asserted here.)"""

import datetime
from collections import Counter

import pytest

pytest.importorskip("duckdb")

from bench import nexmark as N  # noqa: E402
from bench import nexmark_queries as Q  # noqa: E402
from bench.common import duck, duck_load, same_rows  # noqa: E402
from bench.nexmark_run import arrivals, contents, pipeline_for  # noqa: E402


def test_generator_mix_and_determinism():
    events = list(N.Generator(7).events(5000))
    assert events == list(N.Generator(7).events(5000))
    kinds = Counter(k for k, _ in events)
    assert kinds == {"person": 100, "auction": 300, "bid": 4600}
    people = [r for k, r in events if k == "person"]
    auctions = [r for k, r in events if k == "auction"]
    assert [r[0] for r in people] == list(range(1000, 1100))  # dense ids from 1000
    assert [r[0] for r in auctions] == list(range(1000, 1300))
    assert all(10 <= r[8] <= 14 and r[6] > r[5] for r in auctions)  # category, expires after creation
    times = [r[-2] for k, r in events if k == "bid"]
    assert times == sorted(times)


def test_late_events_arrive_out_of_order():
    cfg = N.Config(late=0.05, late_by=2.0)
    events = list(N.Generator(3, cfg).events(20_000))
    assert Counter(k for k, _ in events) == {"person": 400, "auction": 1200, "bid": 18400}
    times = [r[5] for k, r in events if k == "bid"]
    assert times != sorted(times)


def _check(name, config, n_events, batch, lateness=4.0, ids=True):
    """The view's changes, added up, against DuckDB on the rows the watermarks accepted: a row is
    late when its date_time is below the greatest one of its table's earlier steps minus the
    lateness (computed here, independently of deltasql; with ``ids``, the id columns' watermarks
    must drop nothing more).  q12's bids get the clock the step set as their p_time."""
    p = pipeline_for(name, lateness, ids)
    proctime = name in Q.PROCTIME
    con = duck()
    con.execute(N.ddl(extra={"bid": ["p_time TIMESTAMP"]} if proctime else None))
    if name == "q13":
        con.execute(Q.SIDE_INPUT)
        duck_load(con, "side_input", Q.side_input_rows())
    rows = {"person": [], "auction": [], "bid": []}
    top = {"person": None, "auction": None, "bid": None}
    late = 0
    seen = {}
    for clock, step in arrivals(N.Generator(11, config), n_events, batch, proctime):
        if proctime:
            p.advance_clock(clock)
        for kind, rs in step.items():
            if rs:
                p.insert(kind, rs)
                if proctime and kind == "bid":
                    rs = [r[:-1] + (clock,) for r in rs]
                mark = (top[kind] - datetime.timedelta(seconds=lateness)
                        if top[kind] is not None and lateness is not None else None)
                kept = [r for r in rs if mark is None or r[N.TIME[kind]] >= mark]
                late += len(rs) - len(kept)
                rows[kind].extend(kept)
                if kept:
                    newest = max(r[N.TIME[kind]] for r in kept)
                    top[kind] = newest if top[kind] is None or newest > top[kind] else top[kind]
        contents(p, name, p.step(), seen)
    assert sum(p.late_rows(t) for t in rows) == late
    for kind, rs in rows.items():
        duck_load(con, kind, rs)
    theirs = con.execute(Q.oracle(name)).fetchall()
    ok, why = same_rows([r for r, w in seen.items() for _ in range(w)], theirs)
    assert ok, f"{name}: {why}"
    return len(theirs), late


@pytest.mark.parametrize("name", list(Q.QUERIES))
def test_query_matches_duckdb(name):
    assert _check(name, N.Config(), 3000, 250)[0] > 0


@pytest.mark.parametrize("name", ["q5", "q7", "q8", "q11", "q4", "q9", "q19", "q3", "q12", "q18", "q20"])
def test_query_with_late_events(name):
    """Events up to 3 s late, within the 4 s lateness: none dropped, the same answers."""
    assert _check(name, N.Config(late=0.1, late_by=3.0, rate=2000), 4000, 300)[1] == 0


@pytest.mark.parametrize("name", ["q5", "q8", "q11", "q4", "q15"])
def test_query_with_events_later_than_the_lateness(name):
    """Events up to 6 s late with a lateness of 0.5 s: the late ones are dropped, and the view equals
    DuckDB's answer over the others."""
    assert _check(name, N.Config(late=0.1, late_by=6.0, rate=2000), 4000, 300, lateness=0.5, ids=False)[1] > 0


def test_without_watermarks_nothing_is_dropped():
    assert _check("q5", N.Config(late=0.1, late_by=6.0, rate=2000), 2000, 300, lateness=None)[1] == 0
