"""MAD, SEM, quantile lists, MODE() WITHIN GROUP, MEDIAN of text and ARG_MIN_NULL / ARG_MAX_NULL against DuckDB under random streams with
duplicates, NULLs and a final retraction: grouped, global, under FILTER and as window aggregates
(runtime/statistics.py Mad, Quantiles, Moments('sem'); runtime/aggregates.py ArgExtreme(null_arg)).
ARG_*_NULL order by the unique id (DuckDB keeps whichever tied row it reads first).  The refusals
DuckDB makes too: fractions of mixed signs, a third argument, a negative PERCENTILE fraction."""

import pytest

from deltasql import CompileError, Pipeline
from tests.harness import RETRACT_ALL, Spec, check_steps, streams_test

DDL = "CREATE TABLE t(id INT NOT NULL, g INT, x INT, d DECIMAL(6,2), f DOUBLE, w DECIMAL(24,3))"
DOMAINS = {"id": list(range(20)), "g": [1, 2, None], "x": [-7, 0, 2, 3, 5, 11],
           "d": ["-1.50", "0.25", "2.00", "7.75"], "f": [-2.5, 0.5, 1.0, 4.25, 9.0],
           "w": ["-123456789012.345", "0.001", "42.000", "99999999999999999.999"]}

SPEC = Spec(DDL, {
    "v_mad": "SELECT g, MAD(x) AS a, MAD(d) AS b, MAD(f) AS c, MAD(w) AS e, SEM(x) AS s, SEM(d) AS s2, "
             "MAD(x) FILTER (WHERE x > 0) AS af, COUNT(*) AS n FROM t GROUP BY g",
    "v_mad_all": "SELECT MAD(d) AS a, SEM(f) AS s FROM t",
    # counted from the top: ORDER BY x DESC inside the call, and 0.0 DESC is the largest value
    "v_desc": "SELECT g, QUANTILE_DISC(x, 0.3 ORDER BY x DESC) AS a, QUANTILE_DISC(x, [0.0, 0.6] ORDER BY x DESC) AS b, "
              "QUANTILE_CONT(w, 0.25 ORDER BY w DESC) AS c, QUANTILE_DISC(x, 0.5 ORDER BY x) AS d, "
              "PERCENTILE_DISC(0.0) WITHIN GROUP (ORDER BY x DESC) AS e, "
              "PERCENTILE_CONT([0.0, 0.5]) WITHIN GROUP (ORDER BY w DESC) AS f FROM t GROUP BY g",
    "v_quantiles": "SELECT g, QUANTILE_DISC(x, [0.1, 0.5, 0.9, 1]) AS a, QUANTILE_DISC(d, [-0.25, -0.5]) AS b, "
                   "QUANTILE_CONT(f, [0.3, 0.75]) AS c, QUANTILE_CONT(d, [0.5]) AS e, QUANTILE_DISC(x, []) AS z, "
                   "PERCENTILE_CONT([0.5, 0.1]) WITHIN GROUP (ORDER BY w DESC) AS p, "
                   "MODE() WITHIN GROUP (ORDER BY x) AS m, MODE() WITHIN GROUP (ORDER BY d DESC) AS md FROM t GROUP BY g",
    "v_arg_null": "SELECT g, ARG_MIN_NULL(x, id) AS a, ARG_MAX_NULL(d, id) AS b, ARG_MAX_NULL(f, id) "
                  "FILTER (WHERE x > 0) AS c FROM t GROUP BY g",
    "v_window": "SELECT id, MAD(x) OVER (PARTITION BY g) AS a, MAD(d) OVER (ORDER BY id ROWS BETWEEN 2 PRECEDING "
                "AND 1 FOLLOWING) AS b, SEM(x) OVER (PARTITION BY g ORDER BY id) AS s, "
                "ARG_MIN_NULL(x, id) OVER (ORDER BY id ROWS BETWEEN 1 PRECEDING AND CURRENT ROW) AS am FROM t",
}, domains=DOMAINS, keys={"t": ("id",)}, null_rate=0.25, rel_tol=1e-7)


test_holistic = streams_test(SPEC, 12)


def test_fixed_stream():
    rows = [(1, 1, 2, "0.25", 1.0, "42.000"), (2, 1, None, "7.75", None, "0.001"), (3, 2, 5, None, -2.5, None),
            (4, 1, -7, "-1.50", 9.0, "-123456789012.345"), (5, None, 3, "2.00", 0.5, "42.000"), (6, 1, 11, None, 4.25, None)]
    check_steps(SPEC, [[], [("+", "t", r) for r in rows], [("-", "t", rows[0])], [("+", "t", rows[0])], RETRACT_ALL])


@pytest.mark.parametrize("sql, message", [
    ("SELECT QUANTILE_DISC(x, [-0.1, 0.5]) FROM t", "must all have the same sign"),
    ("SELECT QUANTILE_CONT(x, 0.1, 50) FROM t", "QUANTILE_CONT takes two arguments"),
    ("SELECT QUANTILE_DISC(x, [0.1, 2]) FROM t", "between -1 and 1"),
    ("SELECT PERCENTILE_DISC(-0.5) WITHIN GROUP (ORDER BY x) FROM t", "must be between 0 and 1"),
    ("SELECT PERCENTILE_CONT(0.25, 0.5) WITHIN GROUP (ORDER BY x) FROM t", "takes one fraction"),
    ("SELECT MAD(CAST(x AS FLOAT)) FROM t", "MAD of a FLOAT"),
    ("SELECT MAD(s) FROM (SELECT 'a' AS s) v", "MAD needs a number"),
])
def test_refused(sql, message):
    p = Pipeline("duckdb")
    p.execute(DDL)
    with pytest.raises(CompileError, match=message) as e:
        p.execute(f"CREATE VIEW v AS {sql}")
    assert e.value.line == 1 and e.value.col > 17


# MEDIAN of a value that cannot be interpolated: DuckDB's lower middle value (QUANTILE_DISC(x, 0.5))
TEXT_SPEC = Spec("CREATE TABLE s(id INT NOT NULL, g INT, v VARCHAR, b BOOLEAN)", {
    "v_median_text": "SELECT g, MEDIAN(v) AS m, MEDIAN(b) AS mb, MEDIAN(v) FILTER (WHERE b) AS mf FROM s GROUP BY g",
    "v_median_window": "SELECT id, MEDIAN(v) OVER (PARTITION BY g ORDER BY id) AS m FROM s",
}, domains={"id": list(range(14)), "g": [1, 2], "v": ["a", "B", "cc", "", "é"], "b": [True, False]},
    keys={"s": ("id",)}, null_rate=0.25)


test_median_of_text = streams_test(TEXT_SPEC, 10)
