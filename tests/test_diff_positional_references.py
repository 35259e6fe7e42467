"""DuckDB's positional column references #n (compiler/positional_references.py) against DuckDB under
random streams with duplicates, NULLs and a final retraction, also on three simulated workers; names
and errors as DuckDB gives them."""

import duckdb
import pytest

from deltasql import Pipeline
from deltasql.sqllib.lists import SqlList as L
from tests.harness import RETRACT_ALL, Spec, ViewSpec, check_steps, seeds_test, streams_test
from tests.test_diff_column_selectors import refused_as_duckdb

DDL = "CREATE TABLE t(id INT NOT NULL, a INT, b INT, l INT[]); CREATE TABLE u(a INT, w INT)"
VIEWS = {
    "v_first": "SELECT #1, #3 FROM t",
    "v_sum": "SELECT #2 + #3 AS s FROM t WHERE #2 > 0",
    "v_group": "SELECT #2, COUNT(*) AS n FROM t GROUP BY #2",
    "v_lambda": "SELECT id, list_filter(l, lambda x: x > #2) AS f FROM t",
    "v_using": "SELECT #1, #5, #6 FROM t JOIN u USING (a)",
    "v_subquery": "SELECT #1 FROM (SELECT b, a FROM t) AS s",
    "v_order": ViewSpec("SELECT a, b FROM t ORDER BY #2 DESC, #1 LIMIT 3", ordered=True),
}
SPEC = Spec(DDL, VIEWS, domains={"id": list(range(10)), "a": [0, 1, 2], "b": [1, 2, 3], "w": [10, 20],
                                 "l": [L((1, 2, 3)), L((0, None)), L(())]},
            keys={"t": ("id",)}, null_rate=0.2)


test_positional_references = streams_test(SPEC, 10)


def test_fixed_stream():
    t = [(1, 1, 2, L((1, 2, 3))), (2, 1, 2, L((1, 2, 3))), (3, None, 3, None), (4, 2, None, L((5, None)))]
    u = [(1, 10), (1, 10), (None, 20)]
    check_steps(SPEC, [[("+", "t", r) for r in t] + [("+", "u", r) for r in u], [("-", "t", t[0])], RETRACT_ALL])


test_three_workers = seeds_test(SPEC, [1, 2], workers=3)


def test_names_as_duckdb():
    sql = "SELECT #1, #4, #2 AS x FROM t"
    con = duckdb.connect()
    con.execute(DDL)
    p = Pipeline(dialect="duckdb")
    p.execute(DDL)
    assert p.query(sql).columns == [d[0] for d in con.execute(sql).description]


@pytest.mark.parametrize("sql, message, col", [
    ("SELECT #5 FROM t", "positional reference #5 is out of range (the FROM clause has 4 columns)", 8),
    ("SELECT #0 FROM t", "at least 1", 8),
    ("SELECT #1", "the FROM clause has 0 columns", 8),
])
def test_errors_as_duckdb(sql, message, col):
    refused_as_duckdb(DDL, sql, message, col)
