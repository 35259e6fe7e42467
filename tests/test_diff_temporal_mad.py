"""MAD and LIST_MAD of DATE, TIMESTAMP, TIMESTAMPTZ and TIME (runtime/temporal_mad.py): an INTERVAL as
DuckDB computes it, and their MEDIAN (runtime/temporal_median.py), differentially under random insert/delete streams (one and three workers) and on
the edge cases DuckDB's tests use (halves rounded up, dates beyond Python's, infinities)."""

import datetime

import duckdb
import pytest

from deltasql import Pipeline
from tests.harness import Spec, seeds_test

D = datetime.date
TS = datetime.datetime
UTC = datetime.timezone.utc
SPEC = Spec("CREATE TABLE t(g INT, d DATE, ts TIMESTAMP, tm TIME, tz TIMESTAMPTZ)", {
    "v_group": "SELECT g, mad(d) AS md, mad(ts) AS mts, mad(tm) AS mtm, mad(tz) AS mtz FROM t GROUP BY g",
    "v_all": "SELECT mad(d) AS md, mad(ts) AS mts, mad(tm) AS mtm, count(*) AS c FROM t",
    "v_median": "SELECT g, median(d) AS md, median(ts) AS mts, median(tm) AS mtm, median(tz) AS mtz FROM t GROUP BY g",
    "v_filter": "SELECT g, mad(ts) FILTER (WHERE d > DATE '2000-01-01') AS m FROM t GROUP BY g",
    "v_window": "SELECT g, d, mad(d) OVER (PARTITION BY g) AS m, mad(tm) OVER (PARTITION BY g ORDER BY d) AS r "
                "FROM t",
    "v_list": "SELECT g, list_mad(list(ts ORDER BY ts)) AS lm, list_mad(list(tm ORDER BY tm)) AS lt FROM t GROUP BY g",
}, domains={
    "g": [1, 2, 3],
    "d": [D(2020, 1, 1), D(2020, 1, 2), D(1969, 12, 31), D(1900, 2, 28), D(2024, 2, 29), D(1, 1, 1), D(9999, 12, 31)],
    "ts": [TS(2020, 1, 1), TS(2020, 1, 1, 0, 0, 0, 3), TS(2020, 1, 1, 0, 0, 0, 10), TS(1960, 1, 1, 0, 0, 0, 12),
           TS(1960, 1, 1, 0, 0, 0, 1), TS(2001, 9, 9, 1, 46, 40, 500001), TS(1, 1, 1), TS(9999, 12, 31, 23, 59, 59, 999999)],
    "tm": [datetime.time(0, 0), datetime.time(23, 59, 59, 999999), datetime.time(10, 0, 0, 1), datetime.time(12, 0),
           datetime.time(10, 0, 0, 4)],
    "tz": [TS(2020, 1, 1, tzinfo=UTC), TS(2020, 1, 1, 0, 0, 0, 1, tzinfo=UTC), TS(1999, 12, 31, 23, tzinfo=UTC)],
})


test_temporal_mad_under_random_streams = seeds_test(SPEC, range(6))
test_temporal_mad_on_three_workers = seeds_test(SPEC, range(2), workers=3)


@pytest.mark.parametrize("sql", [
    "SELECT mad(x), typeof(mad(x)) FROM (VALUES (TIMESTAMP '1960-01-01 00:00:00'), (TIMESTAMP '1960-01-01 00:00:00.000003'),"
    " (TIMESTAMP '1960-01-01 00:00:00.000010'), (TIMESTAMP '1960-01-01 00:00:00.000012')) t(x)",
    "SELECT mad(x) FROM (VALUES ('294247-01-10'::DATE), ('290309-12-22 (BC)'::DATE)) t(x)",
    "SELECT mad(x) FROM (VALUES ('23:59:59.999999'::TIME), ('00:00:00'::TIME)) t(x)",
    "SELECT mad(x) FROM (VALUES (DATE 'infinity'), (DATE '2020-01-01'), (DATE '2020-01-03')) t(x)",
    "SELECT mad(x) FROM (VALUES (TIMESTAMP 'infinity'), (TIMESTAMP '2020-01-01')) t(x)",
    "SELECT mad(x) FROM (VALUES (TIMESTAMPTZ '2020-01-01 00:00:00+05'), (TIMESTAMPTZ '2020-03-01')) t(x)",
    "SELECT mad(x) FROM (VALUES (NULL::DATE)) t(x)",
    "SELECT list_mad([DATE '2020-01-01', NULL, DATE '2020-02-01']), list_mad([NULL::DATE]), list_mad([]::DATE[]), "
    "list_mad(NULL::TIME[])",
    "SELECT list_aggr([TIME '10:00:00', TIME '12:00:00'], 'mad'), list_mad(['23:59:59.999999'::TIME, '00:00:00'::TIME])",
])
def test_temporal_mad_edges(sql):
    assert Pipeline().execute(sql) == duckdb.connect().execute(sql).fetchall()
