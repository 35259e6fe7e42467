"""TIMESTAMP_S, TIMESTAMP_MS and TIMESTAMP_NS (sqllib/timestamp_units.py, compiler/timestamp_units.py):
casts rounding to the unit as DuckDB rounds (halves away from zero on the count since 1970), the
unit kept where a value passes through and widened to TIMESTAMP where DuckDB computes, differentially
under random insert/delete streams (one and three workers) and on DuckDB's edge cases."""

import datetime

import duckdb
import pytest

from deltasql import CompileError, DataError, Pipeline
from tests.harness import Spec, seeds_test

TS = datetime.datetime
STAMPS = [TS(2021, 8, 20, 0, 0, 0, 500000), TS(2021, 8, 20, 0, 0, 0, 499999), TS(1921, 8, 20, 0, 0, 0, 500000),
          TS(1921, 8, 20, 0, 0, 0, 500001), TS(2021, 8, 20, 0, 0, 0, 1500), TS(1969, 12, 31, 23, 59, 59, 999500),
          TS(2000, 2, 29, 12, 30, 15), TS(2262, 4, 11, 23, 47, 16, 854775), TS(1677, 9, 21, 0, 12, 43, 145225)]
# a column of a unit holds values of that unit (the harness's model keeps rows as applied; rounding on
# insert is test_a_table_column_rounds_what_it_is_given's)
SECONDS = [TS(2021, 8, 20, 0, 0, 1), TS(2021, 8, 20), TS(1921, 8, 20), TS(1969, 12, 31, 23, 59, 59), TS(2000, 2, 29, 12, 30, 15),
           TS(1600, 1, 1, 0, 0, 1)]
MILLIS = [TS(2021, 8, 20, 0, 0, 0, 2000), TS(2021, 8, 20, 0, 0, 1), TS(1921, 8, 20, 0, 0, 0, 500000),
          TS(1969, 12, 31, 23, 59, 59, 999000), TS(2000, 2, 29, 12, 30, 15)]
TEXTS = ["2021-08-20 00:00:00.5", "1921-08-20 00:00:00.5", "2021-08-20 00:00:00.0005", "2021-08-20", "x",
         "2021-08-20 00:00:00.123456000", "1970-01-01 00:00:00.9995"]
SPEC = Spec("CREATE TABLE t(g INT, s TIMESTAMP_S, ms TIMESTAMP_MS, ns TIMESTAMP_NS, ts TIMESTAMP, txt VARCHAR)", {
    "v_cols": "SELECT g, s, ms, ns, typeof(s) AS ty, s = ts AS e, s < ms AS l, ns >= ts AS n FROM t",
    "v_casts": "SELECT ts::TIMESTAMP_S AS a, ts::TIMESTAMP_MS AS b, TRY_CAST(txt AS TIMESTAMP_S) AS c, "
               "TRY_CAST(txt AS TIMESTAMP_MS) AS d, s::VARCHAR AS e, ms::TIMESTAMP_S AS f, s::DATE AS dt, "
               "ns::TIMESTAMP AS h, ns::VARCHAR AS nt, TRY_CAST(txt AS TIMESTAMP_NS) AS tn FROM t",
    "v_funcs": "SELECT year(s) AS y, s + INTERVAL 1 SECOND AS p, date_trunc('minute', ms) AS dtr, hour(ns) AS hn, "
               "dayofmonth(ns) AS dm, weekofyear(s) AS w, ms - s AS diff, coalesce(s, ms) AS c, epoch_us(ns) AS eu, "
               "strftime(ns, '%Y-%m-%d %H:%M:%S.%f') AS f FROM t",
    "v_group": "SELECT g, min(s) AS mn, max(ms) AS mx, count(DISTINCT ns) AS cd, max(ns) AS mxn, median(s) AS ms_, "
               "median(ms) AS mms FROM t GROUP BY g",
    "v_keys": "SELECT s, count(*) AS c FROM t GROUP BY s",
    "v_join": "SELECT a.g AS ag, b.g AS bg FROM t a JOIN t b ON a.s = b.ms",
    "v_top": "SELECT s FROM t ORDER BY s DESC NULLS LAST LIMIT 3",
    "v_list": "SELECT g, list(s ORDER BY s) AS l, list_sort(list(ms ORDER BY ms)) AS lm FROM t GROUP BY g",
}, domains={"g": [1, 2, 3], "s": SECONDS, "ms": MILLIS, "ns": STAMPS, "ts": STAMPS, "txt": TEXTS})


test_timestamp_units_under_random_streams = seeds_test(SPEC, range(6))
test_timestamp_units_on_three_workers = seeds_test(SPEC, range(2), workers=3)


@pytest.mark.parametrize("sql", [
    "SELECT '2021-08-20 00:00:00.6'::TIMESTAMP_S, '2021-08-20 00:00:00.4'::TIMESTAMP_S, '1921-08-20 00:00:00.5'::TIMESTAMP_S, "
    "'2021-08-20 00:00:00.0005'::TIMESTAMP_MS, '2021-08-20 00:00:00.1235'::TIMESTAMP_MS",
    "SELECT (TIMESTAMP '1921-08-20 00:00:00.5')::TIMESTAMP_S, (TIMESTAMP '2021-08-20 00:00:00.5')::TIMESTAMP_S, "
    "(DATE '2021-08-20')::TIMESTAMP_S, ('2021-08-20 00:00:00.7'::TIMESTAMP_MS)::TIMESTAMP_S",
    "SELECT typeof('2021-08-20'::TIMESTAMP_S), TIMESTAMP_S '2021-08-20 00:00:00.7', typeof(TIMESTAMP_MS '2021-08-20')",
    "SELECT typeof(coalesce('2021-08-20'::TIMESTAMP_S, '2021-08-20'::TIMESTAMP_MS)), "
    "typeof(['2021-08-20'::TIMESTAMP_NS, TIMESTAMP '2020-01-01']), typeof(['2021-08-20'::TIMESTAMP_S])",
    "SELECT ('2021-08-20 00:00:00.123456'::TIMESTAMP_NS)::VARCHAR, ('2021-08-20 00:00:00.5'::TIMESTAMP_S)::VARCHAR, "
    "('2021-08-20 00:00:00.5'::TIMESTAMP_MS)::VARCHAR, '2262-04-11 23:47:16.854775'::TIMESTAMP_NS",
    "SELECT list_unique(['2021-08-20'::TIMESTAMP_S]), list_unique([NULL::TIMESTAMP_MS]), list_count(['2021-08-20'::TIMESTAMP_NS])",
    "SELECT x, typeof(min(x)), year(x) FROM (VALUES ('2021-08-20 00:00:00.7'::TIMESTAMP_S)) t(x) GROUP BY x",
    "SELECT MEDIAN(range::TIMESTAMP_S), MEDIAN(range::TIMESTAMP_MS), "
    "typeof(MEDIAN(range::TIMESTAMP_S)) FROM range('2024-01-01'::DATE, '2024-01-11'::DATE, INTERVAL 1 DAY)",
    "SELECT MEDIAN(x) FROM (VALUES (TIMESTAMP_S '1960-01-01 00:00:01'), (TIMESTAMP_S '1960-01-01 00:00:02')) t(x)",
    "SELECT epoch_us(x), hour(x), date_part('epoch', x), year(x), strftime(x, '%Y') FROM (VALUES "
    "('2021-08-20 10:00:00.7'::TIMESTAMP_MS)) t(x)",
])
def test_timestamp_units_as_duckdb(sql):
    assert Pipeline().execute(sql) == duckdb.connect().execute(sql).fetchall()


@pytest.mark.parametrize("sql, error, message", [
    ("SELECT '2262-04-11 23:47:16.854776'::TIMESTAMP_NS", DataError, "out of its range"),
    ("SELECT (TIMESTAMP '1677-09-21 00:12:43.145224')::TIMESTAMP_NS", DataError, "out of its range"),
    ("SELECT TRY_CAST('2021-08-20 00:00:00.123456789' AS TIMESTAMP_NS)", CompileError, "not whole microseconds"),
    # DuckDB's TIMESTAMP_NS overloads of the date parts: an S / MS value outside TIMESTAMP_NS's range errs
    ("SELECT hour(x) FROM (VALUES ('1600-09-21 00:12:43'::TIMESTAMP_S)) t(x)", DataError, "TIMESTAMP_NS"),
    ("SELECT date_part('year', x) FROM (VALUES ('1600-09-21 00:12:43'::TIMESTAMP_MS)) t(x)", DataError, "TIMESTAMP_NS"),
    ("SELECT median(x) FROM (VALUES ('2021-08-20'::TIMESTAMP_NS)) t(x)", CompileError, "MEDIAN of a TIMESTAMP_NS"),
    ("SELECT quantile_cont(x, 0.5) FROM (VALUES ('2021-08-20'::TIMESTAMP_S)) t(x)", CompileError,
     "QUANTILE_CONT of a TIMESTAMP_S"),
    ("SELECT list_mad(['2021-08-20'::TIMESTAMP_MS])", CompileError, "LIST_MAD of a TIMESTAMP_MS"),
    ("SELECT typeof(x + INTERVAL 1 SECOND) FROM (VALUES ('2021-08-20'::TIMESTAMP_S)) t(x)", CompileError, "TYPEOF"),
])
def test_timestamp_units_refused_or_errors(sql, error, message):
    with pytest.raises(error, match=message):
        Pipeline().execute(sql)


def test_a_table_column_rounds_what_it_is_given():
    p = Pipeline()
    p.execute("CREATE TABLE t(s TIMESTAMP_S, ms TIMESTAMP_MS)")
    p.execute("CREATE VIEW v AS SELECT s, ms FROM t")
    p.execute("INSERT INTO t VALUES ('2021-08-20 00:00:00.5', '2021-08-20 00:00:00.0015')")
    p.insert("t", [(TS(1921, 8, 20, 0, 0, 0, 500000), TS(2021, 8, 20, 0, 0, 0, 999600))])
    p.step()
    assert sorted(p.execute("SELECT * FROM v")) == [(TS(1921, 8, 20), TS(2021, 8, 20, 0, 0, 1)),
                                                    (TS(2021, 8, 20, 0, 0, 1), TS(2021, 8, 20, 0, 0, 0, 2000))]
