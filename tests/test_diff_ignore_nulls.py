"""IGNORE NULLS against DuckDB under random streams with duplicates, NULLs and a final retraction:
LAG / LEAD (any offset, a default, offset 0, a negative offset: the other direction, with or without
IGNORE NULLS), FIRST_VALUE / LAST_VALUE / NTH_VALUE over ROWS and RANGE
frames and with EXCLUDE (runtime/windows.py), and ANY_VALUE(x ORDER BY k), DuckDB's first non-NULL x in
k's order (FIRST with a FILTER x IS NOT NULL; grouped, with FILTER, and as a window aggregate).  Window
ORDER BYs end in the unique id: DuckDB's order of tied rows is its own."""

import pytest

from deltasql import CompileError, Pipeline
from tests.harness import RETRACT_ALL, Spec, check_steps, streams_test

DDL = "CREATE TABLE t(id INT NOT NULL, g INT, k INT, x INT)"
DOMAINS = {"id": list(range(16)), "g": [1, 2, None], "k": [1, 2, 3], "x": [1, 2, 3, 5]}

SPEC = Spec(DDL, {
    "v_shift": "SELECT id, LAG(x IGNORE NULLS) OVER (PARTITION BY g ORDER BY k, id) AS a, "
               "LEAD(x, 2, -1 IGNORE NULLS) OVER (PARTITION BY g ORDER BY k, id) AS b, "
               "LAG(x, 3 IGNORE NULLS) OVER (ORDER BY id) AS c, LAG(x, 0 IGNORE NULLS) OVER (ORDER BY id) AS d, "
               "LEAD(x IGNORE NULLS) OVER (PARTITION BY g ORDER BY id DESC) AS e, "
               "LAG(x, -2 IGNORE NULLS) OVER (ORDER BY k, id) AS f, LAG(x, -1, 0) OVER (PARTITION BY g ORDER BY id) AS h, "
               "LEAD(x, -1) OVER (ORDER BY id) AS i FROM t",
    "v_values": "SELECT id, FIRST_VALUE(x IGNORE NULLS) OVER (PARTITION BY g ORDER BY k, id) AS f, "
                "LAST_VALUE(x IGNORE NULLS) OVER (PARTITION BY g ORDER BY k, id ROWS BETWEEN 1 PRECEDING AND "
                "1 FOLLOWING) AS l, NTH_VALUE(x, 2 IGNORE NULLS) OVER (ORDER BY k, id ROWS BETWEEN UNBOUNDED "
                "PRECEDING AND UNBOUNDED FOLLOWING) AS n2, FIRST_VALUE(x IGNORE NULLS) OVER (ORDER BY k RANGE "
                "BETWEEN CURRENT ROW AND UNBOUNDED FOLLOWING EXCLUDE GROUP) AS fe, "
                "LAST_VALUE(x IGNORE NULLS) OVER (ORDER BY id ROWS BETWEEN 2 PRECEDING AND CURRENT ROW "
                "EXCLUDE CURRENT ROW) AS le, NTH_VALUE(x, 2 ORDER BY k DESC, id IGNORE NULLS) OVER (PARTITION BY g) "
                "AS no FROM t",
    "v_any": "SELECT g, ANY_VALUE(x ORDER BY id) AS a, ANY_VALUE(x ORDER BY k DESC, id) FILTER (WHERE x > 1) AS b, "
             "ANY_VALUE(id ORDER BY x DESC NULLS FIRST, id) AS c, COUNT(*) AS n FROM t GROUP BY g",
    "v_any_all": "SELECT ANY_VALUE(x ORDER BY id DESC) AS a FROM t",
    "v_any_window": "SELECT id, ANY_VALUE(x ORDER BY id) OVER (PARTITION BY g) AS a FROM t",
}, domains=DOMAINS, keys={"t": ("id",)}, null_rate=0.3)


test_ignore_nulls = streams_test(SPEC, 16)


def test_fixed_stream():
    rows = [(1, 1, 1, None), (2, 1, 2, 5), (3, 1, 2, None), (4, 1, 3, 7), (5, 2, 1, None), (6, 2, 1, None),
            (7, 1, 3, 1), (8, None, 2, None), (9, 2, 3, 4)]
    check_steps(SPEC, [[("+", "t", r) for r in rows], [("-", "t", rows[1])], [("+", "t", (10, 1, 1, 2))],
                       [("-", "t", rows[3]), ("-", "t", rows[8])], RETRACT_ALL])


@pytest.mark.parametrize("sql, message", [
    ("SELECT ANY_VALUE(x) FROM t", "ANY_VALUE without ORDER BY is not deterministic"),
    ("SELECT FIRST(x IGNORE NULLS ORDER BY k) FROM t", "IGNORE NULLS in FIRST"),
    ("SELECT FIRST(x ORDER BY k IGNORE NULLS) FROM t", "IGNORE NULLS in FIRST"),  # DuckDB: only under OVER
    ("SELECT SUM(x IGNORE NULLS) OVER (ORDER BY id) FROM t", "IGNORE NULLS in SUM"),
    ("SELECT NTILE(2 IGNORE NULLS) OVER (ORDER BY id) FROM t", "IGNORE NULLS in NTILE"),
])
def test_refused(sql, message):
    p = Pipeline("duckdb")
    p.execute(DDL)
    with pytest.raises(CompileError, match=message) as e:
        p.execute(f"CREATE VIEW v AS {sql}")
    assert e.value.line == 1 and e.value.col > 1
