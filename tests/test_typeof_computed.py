"""TYPEOF of a computed number (compiler/typeof_rules.py): either DuckDB's type name or a refusal,
never another name — checked against DuckDB's TYPEOF expression by expression, over base columns,
subqueries, aggregates and unsigned columns, and under random streams (one and three workers)."""

import duckdb
import pytest

from deltasql import CompileError, Pipeline
from tests.harness import Spec, seeds_test

DDL = ("CREATE TABLE t(a TINYINT, b SMALLINT, i INT, h HUGEINT, d DECIMAL(4,1), e DECIMAL(18,3), "
       "w DECIMAL(38,2), f FLOAT, g DOUBLE, ua UTINYINT, ub UBIGINT)")

EXPRESSIONS = [
    # decimals and floats from DECIMAL / FLOAT / DOUBLE columns and constants: derived
    "d + 1", "d + d", "d * d", "d * e", "e * e * e", "d % d", "d / d", "-d", "d + e", "d - e", "w + w",
    "w * d", "round(d, -1)", "round(e, 2)", "floor(d)", "ceil(d)", "trunc(d)", "abs(d)", "d + 1000000000000000.0",
    "-1000000000000000.0 - d", "10.0 % 2.0 % 2.0", "d * 1.5", "f + 1", "f * g", "g / 3", "coalesce(d, e)",
    "greatest(d, e)", "CASE WHEN d > 0 THEN d ELSE e END", "decimal_division(d, d)", "decimal_division(e, d, 2)",
    "1 + 2", "1.5 + 2", "-(1 + 2)", "2 * 3::BIGINT", "1::TINYINT + 2::TINYINT", "d % 3", "power(d, 2)",
    "sqrt(d)", "round(9999::DECIMAL(4,0), -1)", "round(99::DECIMAL(2,0), -2)", "round(99::DECIMAL(2,0), -3)",
    "round(1::DECIMAL(38,0), -1)", "round(1::DECIMAL(37,0), -1)", "trunc(9999::DECIMAL(4,0), -1)",
    # integers from columns, unsigned casts, integer functions, literal beside a narrow integer: refused
    "a + 1", "a + a", "i + 1", "h * 2", "ua + ua", "ua * 1.5", "ub + 1", "sign(d)", "d * sign(d)",
    "1::UTINYINT + 1.5", "1::TINYINT + 1", "bit_count(i)", "i * 1.5", "a + d",
]
AGGREGATES = ["sum(d)", "sum(e) + 1", "avg(d)", "min(d) * 2", "max(e) - min(e)", "decimal_average(d)",
              "median(d)", "sum(g)", "sum(a)", "sum(ua * 1.5)", "max(a) + 1.5", "sum(d) FILTER (WHERE a > 0)", "sum(d) FILTER (WHERE d > 0) + 1"]
SUBQUERIES = ["SELECT typeof(x + 1) FROM (SELECT d * e AS x FROM t) s",
              "SELECT typeof(x + 1) FROM (SELECT ua * 1.5 AS x FROM t) s",
              "SELECT typeof(x * 2) FROM (SELECT a + 1.5 AS x FROM t) s",
              "SELECT typeof(x * 2) FROM (SELECT 1::UTINYINT * 1.5 AS x FROM t) s",
              "SELECT typeof(s.x + t.d) FROM t JOIN (SELECT e AS x FROM t) s ON true",
              "SELECT typeof(x) FROM (SELECT sum(d) AS x FROM t GROUP BY a) s",
              "SELECT typeof(x) FROM (VALUES (1.5)) v(x)"]


@pytest.fixture(scope="module")
def engines():
    p = Pipeline()
    p.execute(DDL)
    con = duckdb.connect()
    con.execute(DDL)
    row = "(1, 2, 3, 4, 1.5, 2.25, 3.5, 1.5, 2.5, 5, 6)"
    p.execute(f"INSERT INTO t VALUES {row}")
    con.execute(f"INSERT INTO t VALUES {row}")
    return p, con


def _check(engines, sql):
    p, con = engines
    try:
        ours = p.execute(sql)
    except CompileError as e:
        assert "TYPEOF" in str(e), e
        return False
    assert ours == con.execute(sql).fetchall(), sql
    return True


@pytest.mark.parametrize("expr", EXPRESSIONS)
def test_typeof_of_an_expression(engines, expr):
    _check(engines, f"SELECT typeof({expr}) FROM t")


@pytest.mark.parametrize("expr", AGGREGATES)
def test_typeof_of_an_aggregate(engines, expr):
    _check(engines, f"SELECT typeof({expr}) FROM t")


@pytest.mark.parametrize("sql", SUBQUERIES)
def test_typeof_over_a_subquery(engines, sql):
    _check(engines, sql)


def test_the_common_cases_are_derived(engines):
    """What DuckDB's corpus asks is answered, not refused."""
    for sql in ("SELECT typeof(10.0 % 2.0), typeof(10.0 % 2.0 % 2.0 % 2.0)",
                "SELECT typeof(decimal_average(d)) FROM t",
                "SELECT typeof(decimal_division(12.34::DECIMAL(4,2), 3.5::DECIMAL(4,1), 2))",
                "SELECT typeof(d + 1000000000000000.0), typeof(-1000000000000000.0 - d) FROM t",
                "SELECT typeof(ROUND(999.9::DECIMAL(4,1), -3))",
                "SELECT TYPEOF((NULL::MAP(TEXT, BIGINT))['a'])",
                "SELECT typeof(x + 1) FROM (SELECT d * e AS x FROM t) s"):
        assert _check(engines, sql), sql


def test_integer_columns_are_refused(engines):
    """... and a column of a CREATE TABLE … AS or of a view typed by our rules from those."""
    p, _ = engines
    p.execute("CREATE TABLE c AS SELECT ua * 1.5 AS x FROM t")
    p.execute("CREATE VIEW v AS SELECT ua * 1.5 AS x FROM t")
    for sql in ("SELECT typeof(a + 1) FROM t", "SELECT typeof(ua * 1.5) FROM t",
                "SELECT typeof(x * 2) FROM (SELECT 1::UTINYINT * 1.5 AS x) s", "SELECT typeof(x) FROM c",
                "SELECT typeof(x * 2) FROM v"):
        with pytest.raises(CompileError, match="TYPEOF of a number computed"):
            p.execute(sql)


SPEC = Spec("CREATE TABLE t(k INT, d DECIMAL(4,1), e DECIMAL(18,3), g DOUBLE, z DECIMAL(4,0))", {
    "v_rows": "SELECT k, d * e AS p, typeof(d * e) AS tp, typeof(d + 1) AS t1, typeof(g / 2) AS tg FROM t",
    "v_round": "SELECT z, round(z, -1) AS r1, round(z, -4) AS r4, round(z, -5) AS r5, typeof(round(z, -1)) AS tr, "
               "round(d, -2) AS rd FROM t",
    "v_group": "SELECT k, sum(d) AS s, typeof(sum(d)) AS ts, typeof(avg(e) + 1) AS ta, "
               "typeof(decimal_average(e)) AS td FROM t GROUP BY k",
}, domains={"k": [1, 2, 3], "d": ["1.5", "-2.0", "999.9"], "e": ["0.125", "7", "-1.001"], "g": [0.5, 2.0],
                                      "z": ["9999", "5", "-9995", "4999", "0"]})


test_typeof_under_random_streams = seeds_test(SPEC, range(4))
test_typeof_under_random_streams_on_three_workers = seeds_test(SPEC, range(2), workers=3)
