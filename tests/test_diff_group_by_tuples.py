"""GROUP BY (), GROUP BY (a, b) and composite elements of ROLLUP / CUBE (ROLLUP ((a, b), c)) against
DuckDB under random streams with duplicates, NULLs and a final retraction, also on three simulated
workers (compiler/bind/grouping.py: an element (a, b) is its keys together, () none)."""

import duckdb
import pytest

from deltasql import CompileError, Pipeline

from tests.harness import RETRACT_ALL, Spec, check_steps, seeds_test, streams_test

DDL = "CREATE TABLE t(id INT NOT NULL, a INT, b INT, x INT)"
VIEWS = {
    "v_empty": "SELECT COUNT(*) AS n, SUM(x) AS s FROM t GROUP BY ()",
    "v_empty_twice": "SELECT a, COUNT(*) AS n, SUM(DISTINCT x) AS s FROM t GROUP BY (), a, ()",
    "v_tuple": "SELECT a, b, COUNT(*) AS n FROM t GROUP BY (a, b)",
    "v_cube_tuple": "SELECT a, b, COUNT(*) AS n, GROUPING(a, b) AS g FROM t GROUP BY CUBE ((a, b))",
    "v_rollup_tuple": "SELECT a, b, x, SUM(id) AS s FROM t GROUP BY ROLLUP (a, (b, x))",
    "v_rollup_repeat": "SELECT a, b, COUNT(*) AS n FROM t GROUP BY ROLLUP ((a, b), a)",
    "v_cube_alias": "SELECT a AS k, b, COUNT(*) AS n FROM t GROUP BY CUBE (k), (), b",
}
SPEC = Spec(DDL, VIEWS, domains={"id": list(range(10)), "a": [1, 2], "b": [1, 2, 3], "x": [0, 5]},
            keys={"t": ("id",)}, null_rate=0.2)


test_group_by_tuples = streams_test(SPEC, 10)


def test_fixed_stream():
    rows = [(1, 1, 2, 0), (2, 1, 2, 5), (3, None, 3, None), (4, 2, None, 5)]
    check_steps(SPEC, [[], [("+", "t", r) for r in rows], [("-", "t", rows[1])], RETRACT_ALL])


test_three_workers = seeds_test(SPEC, [1, 2], workers=3)


@pytest.mark.parametrize("group", [
    "CUBE (a, b, a, b, a, b, a, b, a, b, a, b, (a, b), (a, b), a, b)",
    "CUBE (a, b, a, b, a), CUBE (b, a, b, a), CUBE (b, a, b, (a, b), (a, b), a, b)",
])
def test_too_many_grouping_sets_refused_as_duckdb(group):
    sql = f"SELECT a, COUNT(*) FROM t GROUP BY {group}"
    con = duckdb.connect()
    con.execute(DDL)
    with pytest.raises(duckdb.Error, match="65535"):
        con.execute(sql)
    p = Pipeline(dialect="duckdb")
    p.execute(DDL)
    with pytest.raises(CompileError, match="maximum of 65535 grouping sets") as e:
        p.execute(f"CREATE VIEW v AS {sql}")
    # (at the first element: sqlglot keeps no position for the CUBE keyword)
    assert (e.value.line, e.value.col) == (1, len("CREATE VIEW v AS SELECT a, COUNT(*) FROM t GROUP BY CUBE (") + 1)
    assert p.views == []
