"""FINALIZE(agg(…) EXPORT_STATE), DuckDB's round trip through an aggregate's state, is the aggregate
itself (compiler/export_state.py): against DuckDB under random streams with duplicates, NULLs and a final
retraction, grouped and not, over empty input too.  A state as a value stays refused at its position."""

import pytest
from hypothesis import given

from deltasql import CompileError, Pipeline
from tests.harness import RETRACT_ALL, Spec, check_random, check_steps, hypothesis_settings, streams

DDL = "CREATE TABLE t(id INT NOT NULL, g INT, x INT, s VARCHAR)"
DOMAINS = {"id": list(range(12)), "g": [1, 2, None], "x": [-1, 2, 3, 5], "s": ["a", "b", "cc"]}

SPEC = Spec(DDL, {
    "v_grouped": "SELECT g, FINALIZE(SUM(x) EXPORT_STATE) AS s, finalize(count(*) export_state) AS n, "
                 "FINALIZE(AVG(x) EXPORT_STATE) AS a, FINALIZE(MIN(s) EXPORT_STATE) AS lo, "
                 "FINALIZE(ARG_MAX(x, id) EXPORT_STATE) AS am, "
                 "FINALIZE( string_agg(s, '-' ORDER BY id) EXPORT_STATE ) AS sa FROM t GROUP BY g",
    "v_global": "SELECT FINALIZE(COUNT(x) EXPORT_STATE) AS n, FINALIZE(MAX(x) EXPORT_STATE) AS hi, "
                "FINALIZE(FIRST(s ORDER BY id DESC) EXPORT_STATE) AS f, "
                "FINALIZE(LIST(x ORDER BY id, x) EXPORT_STATE) AS l, FINALIZE(BOOL_OR(x > 2) EXPORT_STATE) AS b FROM t",
    "v_nested": "SELECT g, FINALIZE(SUM(x) EXPORT_STATE) + 1 AS s1 FROM t GROUP BY g "
                "HAVING FINALIZE(COUNT(*) EXPORT_STATE) > 1",
}, domains=DOMAINS, keys={"t": ("id",)}, null_rate=0.25)


@hypothesis_settings(default=12)
@given(rnd=streams())
def test_finalize(rnd):
    check_random(SPEC, rnd)


def test_fixed_stream():
    rows = [(1, 1, 2, "a"), (2, 1, None, "b"), (3, 2, 5, None), (4, None, -1, "cc"), (5, 1, 3, "a")]
    check_steps(SPEC, [[], [("+", "t", r) for r in rows], [("-", "t", rows[0])], RETRACT_ALL])


@pytest.mark.parametrize("sql, col", [
    ("SELECT SUM(x) EXPORT_STATE FROM t", 8),
    ("SELECT FINALIZE(COMBINE(SUM(x) EXPORT_STATE, SUM(x) EXPORT_STATE)) FROM t", 32),
    ("SELECT FINALIZE(combine_aggr(s)) FROM (SELECT SUM(x) EXPORT_STATE AS s FROM t)", 54),
    ("SELECT (MAX(x) EXPORT_STATE)::INT FROM t", 13),
])
def test_state_values_refused(sql, col):
    p = Pipeline("duckdb")
    p.execute(DDL)
    with pytest.raises(CompileError, match="EXPORT_STATE") as e:
        p.execute(sql)
    assert (e.value.line, e.value.col) == (1, col)
