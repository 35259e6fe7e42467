"""Aggregate states as values (compiler/aggregate_states.py): FINALIZE(agg(…) EXPORT_STATE) is the
aggregate itself, COMBINE(s, t) and COMBINE_AGGR(s) merge states across subqueries, groups and UNION ALL;
against DuckDB under random streams with duplicates, NULLs and a final retraction, grouped and not, over
empty input too.  A state compared, cast, grouped, ordered or output is refused at its position."""

import pytest

from deltasql import CompileError, Pipeline
from tests.harness import RETRACT_ALL, Spec, check_steps, streams_test

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
    # the states of the groups merged again: the aggregate over every row, whatever the grouping
    "v_combine_aggr": "SELECT FINALIZE(COMBINE_AGGR(sx)) AS s, FINALIZE(COMBINE_AGGR(n)) AS n, "
                      "FINALIZE(COMBINE_AGGR(l)) AS l, FINALIZE(COMBINE_AGGR(q)) AS q FROM ("
                      "SELECT g, SUM(x) EXPORT_STATE AS sx, COUNT(*) EXPORT_STATE AS n, "
                      "LIST(s ORDER BY id, s) EXPORT_STATE AS l, QUANTILE_DISC(x, 0.5) EXPORT_STATE AS q "
                      "FROM t GROUP BY g)",
    "v_regroup": "SELECT g > 1 AS big, FINALIZE(COMBINE_AGGR(a)) AS a, FINALIZE(COMBINE_AGGR(m)) AS m FROM ("
                 "SELECT g, x, AVG(id) EXPORT_STATE AS a, ARG_MIN(s, id) EXPORT_STATE AS m FROM t GROUP BY g, x) "
                 "GROUP BY g > 1",
    # COMBINE of two scalar subqueries' states, and of states from two sides of a UNION ALL
    "v_combine": "SELECT FINALIZE(COMBINE((SELECT MAX(x) EXPORT_STATE FROM t WHERE g = 1), "
                 "(SELECT MAX(x) EXPORT_STATE FROM t WHERE g = 2))) AS hi, "
                 "FINALIZE(COMBINE(STRING_AGG(s, ',' ORDER BY s DESC, id) EXPORT_STATE, "
                 "STRING_AGG(s, ',' ORDER BY s DESC, id) EXPORT_STATE)) AS twice FROM t",
    "v_union": "SELECT FINALIZE(COMBINE_AGGR(st)) AS v FROM (SELECT SUM(x) EXPORT_STATE AS st FROM t WHERE id < 5 "
               "UNION ALL SELECT SUM(x) EXPORT_STATE FROM t WHERE id >= 5 UNION ALL "
               "SELECT SUM(x) EXPORT_STATE FROM t WHERE g IS NULL)",
}, domains=DOMAINS, keys={"t": ("id",)}, null_rate=0.25)


test_finalize = streams_test(SPEC, 12)


def test_fixed_stream():
    rows = [(1, 1, 2, "a"), (2, 1, None, "b"), (3, 2, 5, None), (4, None, -1, "cc"), (5, 1, 3, "a")]
    check_steps(SPEC, [[], [("+", "t", r) for r in rows], [("-", "t", rows[0])], RETRACT_ALL])


@pytest.mark.parametrize("sql, col, message", [
    ("SELECT SUM(x) EXPORT_STATE FROM t", 8, "cannot be the output"),
    ("CREATE VIEW w AS SELECT g, COMBINE_AGGR(st) FROM (SELECT g, SUM(x) EXPORT_STATE AS st FROM t GROUP BY g) "
     "GROUP BY g", 28, "cannot be the output"),
    ("SELECT (MAX(x) EXPORT_STATE)::INT FROM t", 13, "a cast"),
    ("SELECT FINALIZE(s) FROM (SELECT SUM(x) EXPORT_STATE AS s FROM t) WHERE s = s", 72, "can only be passed"),
    ("SELECT FINALIZE(s) FROM (SELECT g, SUM(x) EXPORT_STATE AS s FROM t GROUP BY g) GROUP BY s", 89,
     "can only be passed"),
    ("SELECT DISTINCT FINALIZE(s) FROM (SELECT SUM(x) EXPORT_STATE AS s FROM t) ORDER BY s", 84,
     "ORDER BY"),
    ("SELECT FINALIZE(s) FROM (SELECT SUM(x) EXPORT_STATE AS s FROM t UNION SELECT SUM(x) EXPORT_STATE FROM t)",
     33, "only UNION ALL"),
    ("SELECT FINALIZE(COMBINE(SUM(x) EXPORT_STATE, MIN(x) EXPORT_STATE)) FROM t", 17, "different aggregates"),
    ("SELECT FINALIZE(SUM(DISTINCT x) EXPORT_STATE) FROM t", 17, "DISTINCT"),
    ("SELECT FINALIZE(SUM(x) FILTER (WHERE x > 1) EXPORT_STATE) FROM t", 45, "without FILTER"),
    ("SELECT FINALIZE(x) FROM t", 8, "needs an aggregate state"),
    ("SELECT COMBINE_AGGR(x) IS NULL FROM t", 8, "needs an aggregate state"),
])
def test_state_values_refused(sql, col, message):
    p = Pipeline("duckdb")
    p.execute(DDL)
    with pytest.raises(CompileError, match=message) as e:
        p.execute(sql)
    assert (e.value.line, e.value.col) == (1, col)


def test_state_is_exact_and_invertible():
    """A deletion undoes an insertion in a state (the view equals DuckDB after every step above); here
    the FLOAT sum of a state merged from groups is DuckDB's exactly rounded one."""
    p = Pipeline("duckdb")
    p.execute("CREATE TABLE f(g INT, v DOUBLE)")
    p.execute("CREATE VIEW s AS SELECT FINALIZE(COMBINE_AGGR(st)) AS total FROM "
              "(SELECT g, SUM(v) EXPORT_STATE AS st FROM f GROUP BY g)")
    p.execute("INSERT INTO f VALUES (1, 1e16), (2, 1.0), (3, -1e16), (2, 1.0)")
    assert p.query("SELECT * FROM s").rows == [(2.0,)]
    p.execute("DELETE FROM f WHERE g = 2")
    assert p.query("SELECT * FROM s").rows == [(0.0,)]
