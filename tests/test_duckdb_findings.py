"""Regression tests for what DuckDB's own SQL tests found (issue 21, BUGS.md): table setup that DuckDB
accepts, crashes, and constructs refused instead of answered wrongly.  Each script runs in deltasql
and in DuckDB, and the tables and query answers are compared."""

from __future__ import annotations

import duckdb
import pytest

from deltasql import CompileError, DataError, Pipeline
from tests.harness import _freeze, diff_multisets


def both(script: str):
    """Run a script (;-separated) in a Pipeline (stepping after each statement) and in DuckDB."""
    p, d = Pipeline(), duckdb.connect()
    for st in [s for s in script.split(";\n") if s.strip()]:
        p.execute(st)
        p.step()
        d.execute(st)
    return p, d


def same(p, d, query: str):
    missing, extra = diff_multisets(d.execute(query).fetchall(),
                                    [tuple(map(_freeze, r)) for r in p.execute(query)])  # (±infinity as DuckDB's client)
    assert not missing and not extra, f"{query}\nDuckDB only: {missing}\ndeltasql only: {extra}"


def test_create_or_replace_table_and_trailing_comment():
    p, d = both("CREATE TABLE t(a INT);\nINSERT INTO t VALUES (1), (2);\n"
                "CREATE OR REPLACE TABLE t AS SELECT a * 10 AS a, 'x' AS s FROM t;\n"
                "INSERT INTO t VALUES (3, 'y'); -- the last statement's comment\n")
    same(p, d, "SELECT * FROM t")
    p.execute("CREATE OR REPLACE TABLE t(b VARCHAR); -- replaced again\n")
    assert p.columns("t") == ["b"] and p.table_rows("t") == []
    p.execute("CREATE VIEW v AS SELECT * FROM t")
    with pytest.raises(CompileError, match="depend"):
        p.execute("CREATE OR REPLACE TABLE t(c INT)")
    assert p.columns("t") == ["b"]  # the failed statement changed nothing


def test_insert_casts_values_to_the_column_types():
    p, d = both("CREATE TABLE t(i INT, s VARCHAR, d DATE, ts TIMESTAMP, b BOOLEAN, n DECIMAL(4,1), f DOUBLE);\n"
                "INSERT INTO t VALUES (5.0885, 5, TIMESTAMP '2020-01-01 10:00', DATE '2020-01-02', 2, 1.25, 1.5);\n"
                "INSERT INTO t VALUES (-2.5::DOUBLE, 2.50, '2021-03-04', '2021-03-04 05:06', 'true', '7.05', '2');\n"
                "INSERT INTO t (i, s) VALUES (true, DATE '2020-01-01');\n"
                "UPDATE t SET i = i + 0.5, d = ts WHERE n > 2;\n")
    same(p, d, "SELECT * FROM t")


def test_range_and_generate_series_in_from():
    p, d = both("CREATE TABLE t AS SELECT i, i % 3 AS g FROM range(10) r(i);\n"
                "CREATE TABLE u AS SELECT * FROM generate_series(1, 9, 4);\n")
    same(p, d, "SELECT * FROM t")
    same(p, d, "SELECT * FROM u")
    for q in ("SELECT * FROM range(5, 1, -2)", "SELECT range FROM range(0)", "SELECT * FROM generate_series(3)",
              "SELECT g, COUNT(*) FROM t JOIN range(2, 8) x ON t.i = x.range GROUP BY g",
              "SELECT * FROM generate_series(DATE '2020-01-31', DATE '2020-05-01', INTERVAL 1 MONTH) s(d)"):
        same(p, d, q)
    p.execute("CREATE VIEW v AS SELECT t.i, x.range FROM t, range(2) x WHERE t.g = x.range")
    p.insert("t", [(100, 1)])
    p.step()
    same_view = d.execute("SELECT t.i, x.range FROM t, range(2) x WHERE t.g = x.range").fetchall() + [(100, 1)]
    assert sorted(p.view("v").rows()) == sorted(same_view)
    with pytest.raises(CompileError, match="constants"):
        p.execute("SELECT * FROM range((SELECT COUNT(*) FROM t))")
    # a series reading a column: one per row (was refused); t.i < 100 leaves out the row only p has
    same(p, d, "SELECT * FROM t, range(t.i) WHERE t.i < 100")


def test_distinct_on_position_of_a_subquery():
    """An AssertionError inside qualify: a subquery in the select list was aliased on itself."""
    p, d = both("CREATE TABLE integers(i INT, j INT);\nINSERT INTO integers VALUES (1, 10), (2, 20), (3, 10);\n")
    same(p, d, "SELECT DISTINCT ON (2) j, (SELECT i FROM integers WHERE i = 2 ORDER BY i LIMIT 1) FROM integers ORDER BY 2")


def test_date_trunc_unit_in_a_column_is_refused():
    """sqlglot reads DATE_TRUNC(u, d) with u a column as the unit named u: refused, not a wrong answer."""
    p, _ = both("CREATE TABLE t(u VARCHAR, d DATE);\n")
    with pytest.raises(CompileError, match="unit in a column"):
        p.execute("CREATE VIEW v AS SELECT DATE_TRUNC(u, d) FROM t")
    p.execute("CREATE VIEW w AS SELECT DATE_TRUNC('month', d), DATE_TRUNC( 'year' , d) FROM t")


def test_qualify_with_a_scalar_subquery():
    """The QUALIFY filter was built over the plan before its subquery's join widened it (KeyError)."""
    p, d = both("CREATE TABLE qt(a INT, b INT, c INT);\n"
                "INSERT INTO qt VALUES (1, 1, 1), (2, 1, 2), (3, 2, 3), (4, 2, 1), (5, 3, 2);\n")
    same(p, d, "SELECT * FROM qt QUALIFY row_number() OVER (PARTITION BY b ORDER BY c) = (SELECT max(c) FROM qt) - 1")


def test_statistics_past_the_double_range():
    """VAR/STDDEV past DOUBLE's range are inf as in DuckDB (were OverflowError crashes); SKEWNESS an error."""
    p, d = both("CREATE TABLE t(a DOUBLE);\nINSERT INTO t VALUES (1e301), (-1e301);\n")
    same(p, d, "SELECT stddev(a), var_samp(a), var_pop(a), covar_pop(a, a), corr(a, a) FROM t")
    with pytest.raises(DataError, match="out of range"):
        p.execute("SELECT skewness(i) FROM (VALUES (-2e307), (0), (2e307)) tbl(i)")


def test_export_state_is_refused():
    """agg(x) EXPORT_STATE (DuckDB's aggregate state) parses as an alias: it was silently a plain SUM."""
    with pytest.raises(CompileError, match="EXPORT_STATE"):
        Pipeline().execute("SELECT kahan_sum(v) EXPORT_STATE FROM (VALUES (1.0), (2.0)) t(v)")


def test_infinite_dates_and_timestamps():
    """'infinity' / '-infinity' DATE and TIMESTAMP values (DuckDB's) load, compare, order and print as
    DuckDB's; their date parts, DAYNAME, MONTHNAME and LAST_DAY are NULL and STRFTIME prints them, as DuckDB
    answers (BUGS.md #19.3, misc-19); another function that would need their fields is an error, never a
    value for a real date."""
    p, d = both("CREATE TABLE t(d DATE, ts TIMESTAMP);\n"
                "INSERT INTO t VALUES ('infinity', '-infinity'), ('2020-01-01', '2020-01-01 10:00'), "
                "('-infinity', 'infinity');\n")
    for q in ("SELECT * FROM t", "SELECT d::VARCHAR, ts::VARCHAR FROM t", "SELECT * FROM t WHERE d > DATE '2000-01-01'",
              "SELECT max(d), min(ts), count(DISTINCT d) FROM t", "SELECT d::TIMESTAMP, ts::DATE FROM t",
              "SELECT CAST('infinity' AS TIMESTAMP), TIMESTAMP '-infinity', DATE 'infinity'",
              "SELECT year(d), hour(d), second(ts), date_part('epoch', ts), extract(dow FROM d) FROM t",
              "SELECT dayname(d), monthname(ts), last_day(d), last_day(ts), strftime(d, '%Y'), strftime(ts, '%H') FROM t"):
        same(p, d, q)
    with pytest.raises(DataError, match="infinite"):
        p.execute("SELECT date_trunc('month', d) FROM t")


@pytest.mark.parametrize("sql", ["SELECT split_part('a')", "SELECT split_part('a', 'a')", "SELECT regexp_replace('a', 'b')"])
def test_missing_arguments_are_refused(sql):
    """sqlglot parses these with an argument missing (KeyError crashes in the binder)."""
    with pytest.raises(CompileError, match="missing an argument"):
        Pipeline().execute(sql)


def test_substring_with_a_null_length():
    """SUBSTRING(s FROM i FOR NULL) is NULL (the NULL length read as 'to the end' gave the rest)."""
    p, d = both("CREATE TABLE strings(s VARCHAR, off INTEGER, length INTEGER);\n"
                "INSERT INTO strings VALUES ('hello', 1, 2), ('world', 2, NULL), (NULL, 2, 2);\n")
    same(p, d, "SELECT substring('hello' FROM off FOR NULL), substring(s, off, length), substring(s, off) FROM strings")


def test_issue21_last_run_values():
    """BUGS.md #21.18-#21.21: a string literal's subscript is 1-based (sqlglot shifts an index only where
    the indexed value is a column or a list), TRIM with NULL characters is NULL, '.34' is DECIMAL(2,2),
    ROUND of a DECIMAL to NULL digits is NULL (was a TypeError), an interval past the range a value can
    hold is an error for the rows that read it (was an OverflowError)."""
    p, d = both("CREATE TABLE t(s VARCHAR, c VARCHAR, i INT);\n"
                "INSERT INTO t VALUES ('hello', NULL, 2), ('  ho  ', ' ', 1), (NULL, 'h', NULL);\n")
    for q in ("SELECT '🦆ab'[1], 'abc'[2], 'abc'[-1], s[1], s[i], s[i + 1], s[2:3] FROM t",
              "SELECT LTRIM(s, c), RTRIM(s, c), TRIM(s, c), TRIM(s), LTRIM(s), TRIM('abc', NULL) FROM t",
              "SELECT typeof(.34), typeof(0.34), typeof(-.5), .34 * s.i FROM t s",
              "SELECT ROUND(12::DECIMAL(3,0), NULL), ROUND(i::DECIMAL(3,1), NULL) FROM t"):
        same(p, d, q)
        p.execute(f"CREATE VIEW v AS {q}")
        p.step()
        missing, extra = diff_multisets(d.execute(q).fetchall(), p.view("v").rows())
        assert not missing and not extra, q
        p.execute("DROP VIEW v")
    p.execute("CREATE VIEW big AS SELECT time_bucket(INTERVAL '2147483647' MONTH, DATE '1700-01-01') FROM t "
              "WHERE i > 100")
    p.step()
    assert p.view("big").rows() == []  # no row reads the interval: no error
    with pytest.raises(DataError, match="interval out of range"):
        p.execute("SELECT INTERVAL '2147483647' MONTH")


def test_wide_decimals_keep_every_digit():
    """Python's Decimal rounds unary minus, abs() and quantize() to its thread context's 28 digits:
    a negative 38-digit DECIMAL literal was stored rounded (test/sql/types/decimal/test_decimal_2975.test:11),
    and -x, ABS, CEIL, TRUNC, MIN/SUM over such values gave the rounded number.  Maintained views over
    38-digit values, negative ones included, against DuckDB, before and after a deletion."""
    setup = ("CREATE TABLE q(big DECIMAL(38,10), s DECIMAL(38,2));\n"
             "INSERT INTO q VALUES (9999999999999999899999999999.9999999999, 123456789012345678901234567890123456.78),"
             " (-9999999999999999899999999999.9999999999, -123456789012345678901234567890123456.78),"
             " (-1234567890123456789012345678.0123456789, -98765432109876543210987654321098765.43);\n")
    exprs = ["-big", "abs(big)", "round(s, -3)", "ceil(big)", "trunc(big)", "floor(s)", "ceil(-s)", "-s", "abs(s)",
             "round(s, 1)", "big - 1", "-(-big)", "greatest(big, -big)", "big * 1", "big % 7", "big::VARCHAR",
             "CAST(s AS DECIMAL(38,0))", "-9999999999999999899999999999.9999999999"]
    p, d = both("CREATE TABLE q(big DECIMAL(38,10), s DECIMAL(38,2));\n")
    p.execute("CREATE VIEW e AS SELECT " + ", ".join(f"{x} AS c{i}" for i, x in enumerate(exprs)) + " FROM q")
    p.execute("CREATE VIEW a AS SELECT min(s) AS mn, max(-s) AS mx, sum(s) AS sm, min(-big) AS nb FROM q")
    for statement in setup.splitlines()[1:] + ["DELETE FROM q WHERE big > 0;"]:
        p.execute(statement)
        d.execute(statement)
        for name, q in (("e", "SELECT " + ", ".join(exprs) + " FROM q"),
                        ("a", "SELECT min(s), max(-s), sum(s), min(-big) FROM q")):
            missing, extra = diff_multisets(d.execute(q).fetchall(), p.view(name).rows())
            assert not missing and not extra, (statement, name, missing, extra)


@pytest.mark.parametrize("statement", ["CREATE TABLE s.a AS SELECT 'hello' AS col1", "CREATE TABLE s.t(x INT)",
                                       "CREATE VIEW s.b AS SELECT 1 AS x", "INSERT INTO main.t VALUES (1)",
                                       "DELETE FROM s.t", "UPDATE s.t SET x = 1", "DROP TABLE s.t",
                                       "DROP TABLE IF EXISTS u, s.t", "CREATE INDEX i ON s.t(x)",
                                       "CREATE TABLE c.s.t(x INT)"])
def test_a_qualified_name_in_a_statement_is_refused(statement):
    """test/sql/select/test_select_qualified_view.test:8: `create table s.a` made a table `a` (the schema
    silently dropped; `DROP TABLE s.t` dropped `t`).  Refused at the name, nothing changed."""
    p = Pipeline()
    p.execute("CREATE TABLE t(x INT); CREATE TABLE u(x INT); INSERT INTO t VALUES (7)")
    with pytest.raises(CompileError, match=r"(schema|catalog) name \(\w+\.\w+\) is not supported"):
        p.execute(statement)
    assert sorted(p.tables) == ["t", "u"] and p.table_rows("t") == [(7,)]
