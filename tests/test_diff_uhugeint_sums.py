"""SUM, AVG, MEDIAN, MAD and LIST_SUM / LIST_AVG / LIST_MAD of a UHUGEINT (compiler/bind/aggregates.py,
compiler/lists.py): DuckDB takes each value as a DOUBLE, so the result is a DOUBLE (its sums' last bits
as our sums of doubles: exact, then rounded once).  Differential under random streams, one and three
workers; SUM(DISTINCT u) is refused (DuckDB takes the distinct UHUGEINTs before they become DOUBLEs)."""

import duckdb
import pytest

from deltasql import CompileError, Pipeline
from tests.harness import Spec, seeds_test

UHUGEINTS = [0, 1, 5, 7, 2 ** 64, 2 ** 127, 2 ** 128 - 1, 12243372036854775807, 9007199254740993]
SPEC = Spec("CREATE TABLE t(g INT, u UHUGEINT)", {
    "v_group": "SELECT g, sum(u) AS s, avg(u) AS a, median(u) AS m, mad(u) AS d, count(u) AS c FROM t GROUP BY g",
    "v_all": "SELECT sum(u) AS s, avg(u) AS a FROM t",
    "v_window": "SELECT g, u, sum(u) OVER (PARTITION BY g) AS s FROM t",
    "v_list": "SELECT g, list_sum(list(u ORDER BY u)) AS s, list_avg(list(u ORDER BY u)) AS a, "
              "list_mad(list(u ORDER BY u)) AS d FROM t GROUP BY g",
}, domains={"g": [1, 2, 3], "u": UHUGEINTS})


test_uhugeint_sums_under_random_streams = seeds_test(SPEC, range(5))
test_uhugeint_sums_on_three_workers = seeds_test(SPEC, range(2), workers=3)


@pytest.mark.parametrize("sql", [
    "SELECT sum(x), median(x), mad(x) FROM (VALUES (9007199254740993::UHUGEINT), (1::UHUGEINT), "
    "(4::UHUGEINT)) t(x)",
    "SELECT list_sum([42::UHUGEINT, 1267650600228229401496703205376, 0, 1]), list_avg([1::UHUGEINT, 2]), "
    "list_sum([NULL::UHUGEINT]), list_sum([]::UHUGEINT[]), typeof(list_sum([1::UHUGEINT]))",
    "SELECT list_aggr([1::UHUGEINT, 2], 'sum'), list_aggr([1::UHUGEINT, 2], 'avg'), list_aggr([1::UHUGEINT, 2], 'mad')",
])
def test_uhugeint_sums_as_duckdb(sql):
    assert Pipeline().execute(sql) == duckdb.connect().execute(sql).fetchall()


def test_sum_of_distinct_uhugeints_is_refused():
    p = Pipeline()
    p.execute("CREATE TABLE t(u UHUGEINT)")
    with pytest.raises(CompileError, match=r"SUM\(DISTINCT x\) of a UHUGEINT is not supported"):
        p.execute("CREATE VIEW v AS SELECT sum(DISTINCT u) FROM t")
