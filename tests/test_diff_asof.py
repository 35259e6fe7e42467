"""Differential tests of ASOF JOIN (DuckDB's syntax and semantics) against DuckDB.

DuckDB picks an arbitrary partner among right rows tied on the best time, so the generator keeps
the right side's (keys, time) unique; duplicates of one right row are still generated."""

import datetime

import pytest

from deltasql import CompileError, Pipeline
from tests.harness import Spec, ViewSpec, streams_test

T0 = datetime.datetime(2024, 1, 1)
DDL = ("CREATE TABLE trades(sym VARCHAR, t INT, qty INT); CREATE TABLE quotes(sym VARCHAR, t INT, px INT); "
       "CREATE TABLE ticks(t INT, v INT); CREATE TABLE ev(k INT, ts TIMESTAMP); CREATE TABLE st(k INT, ts TIMESTAMP, s VARCHAR)")
DOMAINS = {"sym": ["a", "b", "c"], "t": [1, 2, 3, 5, 8, 9, 10, 0], "qty": [1, 2, 3], "px": [10, 20, 30, 40],
           "v": [1, 2, 3], "k": [1, 2], "ts": [T0 + datetime.timedelta(minutes=m) for m in (0, 1, 3, 7, 10, -2)],
           "s": ["on", "off"]}
KEYS = {"quotes": ("t", "sym"), "ticks": ("t",), "st": ("ts", "k")}

SPECS = {
    "asof": Spec(DDL, {
        "ge": "SELECT trades.sym, trades.t, qty, px FROM trades ASOF JOIN quotes ON trades.sym = quotes.sym "
              "AND trades.t >= quotes.t",
        "gt_left": "SELECT trades.sym, trades.t, qty, quotes.t AS qt, px FROM trades ASOF LEFT JOIN quotes "
                   "ON trades.sym = quotes.sym AND trades.t > quotes.t",
        "le": "SELECT trades.t, qty, quotes.t AS qt FROM trades ASOF JOIN quotes ON quotes.sym = trades.sym "
              "AND quotes.t >= trades.t",
        "lt_left": "SELECT * FROM trades ASOF LEFT JOIN quotes ON trades.sym = quotes.sym AND trades.t < quotes.t",
        "no_keys": "SELECT trades.t, qty, ticks.v FROM trades ASOF JOIN ticks ON trades.t >= ticks.t",
        "agg": "SELECT trades.sym, SUM(qty * px) AS notional, COUNT(*) AS n FROM trades ASOF JOIN quotes "
               "ON trades.sym = quotes.sym AND trades.t >= quotes.t GROUP BY trades.sym",
        "ts": "SELECT ev.k, ev.ts, st.s FROM ev ASOF LEFT JOIN st ON ev.k = st.k AND ev.ts >= st.ts",
        "late": ViewSpec("SELECT trades.sym, px FROM trades ASOF JOIN quotes ON trades.sym = quotes.sym "
                         "AND trades.t >= quotes.t WHERE qty > 1", create_at=3),
    }, domains=DOMAINS, keys=KEYS),
    # DuckDB's USING form: the last name is the time (l.t >= r.t), the others equalities; the merged
    # columns are the left's
    "asof_using": Spec(DDL, {
        "star": "SELECT * FROM trades ASOF JOIN quotes USING (sym, t)",
        "left": "SELECT sym, t, qty, px FROM trades ASOF LEFT JOIN quotes USING (sym, t)",
        "sides": "SELECT sym, t, trades.t AS lt, quotes.t AS rt, quotes.sym AS rs FROM trades "
                 "ASOF LEFT JOIN quotes USING (sym, t)",
        "time_only": "SELECT * FROM trades ASOF JOIN ticks USING (t)",
        "ts_left": "SELECT k, ts, s FROM ev ASOF LEFT JOIN st USING (k, ts)",
        "where_agg": "SELECT sym, COUNT(*) AS n, MAX(t) AS mt, SUM(px) AS s FROM trades ASOF JOIN quotes "
                     "USING (sym, t) WHERE t > 1 GROUP BY sym",
    }, domains=DOMAINS, keys=KEYS),
}


test_asof = streams_test(SPECS, 25)


def test_asof_refusals():
    p = Pipeline()
    p.execute(DDL)
    for sql, message in [
        ("SELECT * FROM trades ASOF RIGHT JOIN quotes ON trades.sym = quotes.sym AND trades.t >= quotes.t",
         "ASOF RIGHT JOIN is not supported"),
        ("SELECT * FROM trades ASOF JOIN quotes ON trades.sym = quotes.sym", "exactly one inequality"),
        ("SELECT * FROM trades ASOF JOIN quotes ON trades.t >= quotes.t AND trades.qty < quotes.px",
         "exactly one inequality"),
        ("SELECT * FROM trades ASOF JOIN quotes", r"or USING \(keys, time\)"),
    ]:
        with pytest.raises(CompileError, match=message):
            p.execute(f"CREATE VIEW v AS {sql}")
    assert p.views == []
