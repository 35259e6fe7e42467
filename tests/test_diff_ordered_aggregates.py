"""FIRST(x ORDER BY …), LAST(x ORDER BY …) and MODE(x ORDER BY …) differentially against DuckDB under random streams
(NULLs in x and in the keys, duplicates, groups emptied and refilled, a final retraction).  The
ORDER BY ends with a unique column where DuckDB must be deterministic to compare; ties are broken
by x itself (NULLs last), which tests/test_diff_ordered_aggregates.py::test_ties_break_by_value pins."""

import pytest

from deltasql import CompileError, Pipeline
from tests.harness import RETRACT_ALL, Spec, check_steps, streams_test

DDL = "CREATE TABLE t(id INT NOT NULL, g INT, x INT, k DOUBLE, s VARCHAR)"
DOMAINS = {"id": list(range(14)), "g": [1, 2, 3], "x": [1, 2, 3, -1], "k": [0.5, 1.0, -2.0, float("nan")],
           "s": ["a", "b", ""]}


def spec(views, **kw):
    return Spec(DDL, views, domains=DOMAINS, keys={"t": ("id",)}, null_rate=0.25, **kw)


SPECS = {
    "grouped": spec({
        "v_first": "SELECT g, FIRST(x ORDER BY id) AS f, LAST(x ORDER BY id) AS l FROM t GROUP BY g",
        "v_keys": "SELECT g, FIRST(s ORDER BY k, id) AS f, LAST(s ORDER BY k DESC, id) AS l, "
                  "FIRST(x ORDER BY k NULLS FIRST, id DESC) AS fn FROM t GROUP BY g",
        "v_filter": "SELECT g, FIRST(x ORDER BY id DESC) FILTER (WHERE x > 0) AS f, COUNT(*) AS n FROM t GROUP BY g",
    }),
    "global": spec({
        "v_all": "SELECT FIRST(k ORDER BY x DESC NULLS LAST, id) AS f, LAST(id ORDER BY s, id) AS l FROM t",
        "v_expr": "SELECT g % 2 AS p, LAST(x * 2 ORDER BY k * -1, id) AS l FROM t GROUP BY g % 2",
    }),
    "mode": spec({
        "v_mode": "SELECT g, MODE(x ORDER BY id) AS m, MODE(s ORDER BY id DESC) AS ms FROM t GROUP BY g",
        "v_mode_all": "SELECT MODE(k ORDER BY id) AS m, MODE(x ORDER BY k, id) FILTER (WHERE g > 1) AS f FROM t",
    }),
    "null_first": Spec(f"SET default_null_order = 'nulls_first'; {DDL}", {
        "v_default": "SELECT g, FIRST(x ORDER BY k, id) AS f, LAST(x ORDER BY k DESC, id) AS l FROM t GROUP BY g",
    }, domains=DOMAINS, keys={"t": ("id",)}, null_rate=0.25),
}


test_first_last = streams_test(SPECS, 12)


def test_fixed_stream_with_retraction():
    s = SPECS["grouped"]
    rows = [(1, 1, None, None, "a"), (2, 1, 3, 0.5, None), (3, 2, 2, None, "b"), (4, 1, 1, -2.0, "b")]
    check_steps(s, [[("+", "t", r) for r in rows], [("-", "t", rows[0])], [("+", "t", (5, 1, None, 0.5, "a"))],
                    [("+", "t", rows[0]), ("-", "t", rows[1])], RETRACT_ALL])


def test_ties_break_by_value():
    """Rows tied in the ORDER BY: FIRST takes the smallest x, LAST the largest, NULL after every value."""
    p = Pipeline()
    p.execute("CREATE TABLE t(g INT, x INT, k INT); CREATE VIEW v AS SELECT g, FIRST(x ORDER BY k) AS f, "
              "LAST(x ORDER BY k) AS l FROM t GROUP BY g")
    p.insert("t", [(1, 5, 0), (1, 3, 0), (1, None, 0), (2, 4, 1), (2, 9, 1)])
    p.step()
    assert sorted(p.view("v").rows()) == [(1, 3, None), (2, 4, 9)]
    p.delete("t", [(1, None, 0)])
    p.step()
    assert sorted(p.view("v").rows()) == [(1, 3, 5), (2, 4, 9)]


@pytest.mark.parametrize("sql, message", [
    ("SELECT FIRST(x) FROM t", "FIRST without ORDER BY is not deterministic"),
    ("SELECT LAST(x) FROM t GROUP BY g", "LAST without ORDER BY is not deterministic"),
    ("SELECT FIRST(DISTINCT x ORDER BY k) FROM t", "DISTINCT is not supported in FIRST"),
    ("SELECT ANY_VALUE(x) FROM t", "not"),
])
def test_refused(sql, message):
    p = Pipeline()
    p.execute(DDL)
    with pytest.raises(CompileError, match=message):
        p.execute(f"CREATE VIEW v AS {sql}")
