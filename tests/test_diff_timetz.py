"""TIME WITH TIME ZONE (sqllib/timetz.py): DuckDB's equality (time and offset), order (by the instant, then
the greater offset first), text and casts, differentially under random insert/delete streams (one and three
workers) and on DuckDB's cases."""

import datetime

import duckdb
import pytest

from deltasql import CompileError, DataError, Pipeline
from tests.harness import Spec, seeds_test


def _tz(h, m, s=0, us=0, off=0):
    return datetime.time(h, m, s, us, tzinfo=datetime.timezone(datetime.timedelta(seconds=off)))


# (DuckDB's Python API cannot take a time whose offset is negative: those are read from text, s)
TIMETZS = [_tz(12, 0, off=3600), _tz(11, 0), _tz(13, 0, off=7200), _tz(0, 30, off=15 * 3600 + 59 * 60),
           _tz(11, 0, off=1), _tz(2, 30, 0, 500000, off=4 * 3600 + 30 * 60 + 45), _tz(23, 59, 59, 999999)]
TEXTS = ["12:00:00+01", "10:00:00-01", "23:00:00-15:59", "15:05:42", "02:30:00+04:30:45", "00:00:00+1559", "x", "1:02:03.000000+05:30", "12:00:00+16"]
SPEC = Spec("CREATE TABLE t(g INT, a TIMETZ, b TIMETZ, tm TIME, s VARCHAR, tz TIMESTAMPTZ)", {
    "v_cols": "SELECT g, a, b, a = b AS e, a < b AS l, a >= b AS ge, a::VARCHAR AS at, a::TIME AS atm, "
              "tm::TIMETZ AS tt, TRY_CAST(s AS TIMETZ) AS st, tz::TIMETZ AS zt FROM t",
    "v_group": "SELECT g, min(a) AS mn, max(b) AS mx, count(DISTINCT a) AS cd, last(a ORDER BY a) AS la FROM t GROUP BY g",
    "v_keys": "SELECT a, count(*) AS c FROM t GROUP BY a",
    "v_text": "SELECT TRY_CAST(s AS TIMETZ)::VARCHAR AS st, TRY_CAST(s AS TIMETZ) < a AS l, "
              "TRY_CAST(s AS TIMETZ) = a AS e FROM t",
    "v_join": "SELECT x.g AS xg, y.g AS yg FROM t x JOIN t y ON x.a = y.b",
    "v_top": "SELECT a FROM t ORDER BY a DESC NULLS LAST LIMIT 3",
    "v_list": "SELECT g, list(a ORDER BY a) AS l, list_sort(list(DISTINCT b ORDER BY b)) AS d FROM t GROUP BY g",
}, domains={"g": [1, 2, 3], "a": TIMETZS, "b": TIMETZS, "s": TEXTS,
            "tm": [datetime.time(12, 0), datetime.time(0, 0, 0, 1), datetime.time(23, 59, 59)],
            "tz": [datetime.datetime(2021, 8, 20, 12, tzinfo=datetime.timezone.utc),
                   datetime.datetime(1999, 1, 1, 23, 59, 59, 5, tzinfo=datetime.timezone.utc)]})


test_timetz_under_random_streams = seeds_test(SPEC, range(6))
test_timetz_on_three_workers = seeds_test(SPEC, range(2), workers=3)


@pytest.mark.parametrize("sql", [
    "SELECT '12:00:00+01'::TIMETZ, '15:05:42'::TIMETZ::VARCHAR, '02:30:00+04:30:45'::TIMETZ::VARCHAR, "
    "('12:00:00+01'::TIMETZ)::TIME, (TIME '12:00:00')::TIMETZ::VARCHAR, typeof('12:00:00+01'::TIMETZ)",
    "SELECT x::VARCHAR FROM (VALUES ('12:00:00+01'::TIMETZ), ('11:00:00+00'::TIMETZ), ('10:00:00-01'::TIMETZ), "
    "('23:00:00-15:59'::TIMETZ), ('00:30:00+15:59'::TIMETZ), ('11:00:00+00:00:01'::TIMETZ)) t(x) ORDER BY x",
    "SELECT count(DISTINCT x), max(x), min(x) FROM (VALUES ('12:00:00+01'::TIMETZ), ('11:00:00+00'::TIMETZ)) t(x)",
    "SELECT '12:00:00+01'::TIMETZ = '11:00:00+00'::TIMETZ, '12:00:00+01'::TIMETZ < '11:00:00+00'::TIMETZ",
    "SELECT ('2021-08-20 12:00:00+02'::TIMESTAMPTZ)::TIMETZ::VARCHAR, TRY_CAST('x' AS TIMETZ)",
    "SELECT list_unique(['14:59:37'::TIMETZ]), list_unique([NULL::TIMETZ]), [TIME WITH TIME ZONE '12:00:00+01']::VARCHAR",
])
def test_timetz_as_duckdb(sql):
    assert Pipeline().execute(sql) == duckdb.connect().execute(sql).fetchall()


@pytest.mark.parametrize("sql, error, message", [
    ("SELECT TRY_CAST('24:00:00+01' AS TIMETZ)", CompileError, "24:00:00"),
    ("SELECT '12:00:00+16'::TIMETZ", DataError, "out of range"),
    ("SELECT avg('12:00:00+01'::TIMETZ)", CompileError, "AVG needs a number"),
    ("SELECT hour('12:00:00+01'::TIMETZ)", CompileError, "HOUR needs a DATE, TIMESTAMP, TIME or INTERVAL"),
    ("SELECT (TIMESTAMP '2021-01-01 12:00:00')::TIMETZ", CompileError, "cannot cast TIMESTAMP"),
])
def test_timetz_refusals(sql, error, message):
    with pytest.raises(error, match=message):
        Pipeline().execute(sql)
