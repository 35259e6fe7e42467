"""FILL(x [ORDER BY k]) OVER (…) against DuckDB under random insert/delete streams with duplicates,
NULL values and keys, and a final retraction (also on 3 simulated workers): integers, DOUBLEs, DATEs
and TIMESTAMPs interpolated and extrapolated along integer, DOUBLE (with infinities), DECIMAL, DATE
and TIMESTAMP keys, ascending and descending, NULLs first and last, partitioned; the values are a
function of the key (so rows tied on it agree, and the answer does not depend on their order).  Rows
tied on the key with different values, or a NULL tied with a value, make the step fail; FILL's
binding errors are DuckDB's."""

import pytest

from deltasql import CompileError, DataError, Pipeline
from tests.harness import Spec, seeds_test, streams_test

DDL = "CREATE TABLE t(p INT, k INT, hole BOOLEAN, w INT)"
DOMAINS = {"p": [0, 1, 2], "k": [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, -3, 40], "w": [0, 1, 2, 3]}
# the holes are a function of the key (and the partition), so that no NULL is tied with a value
Y = "CASE WHEN (k * 5 + coalesce(p, 0)) % 7 < 3 THEN NULL ELSE {} END"
Y0 = "CASE WHEN k * 5 % 7 < 3 THEN NULL ELSE {} END"
INF5 = "CASE WHEN k = 5 THEN 'inf'::DOUBLE ELSE k / 4.0 END"
DATES = "DATE '2025-01-01' + (k * k % 40)::INT"
STAMPS = "TIMESTAMP '2025-01-01' + (k * k) * INTERVAL 7 SECOND"

SPECS = {
    "integers": Spec(DDL, {
        "v_int": f"SELECT p, k, hole, fill({Y.format('k * k % 23')} ORDER BY k) OVER (PARTITION BY p ORDER BY w) AS f "
                 "FROM t",
        "v_window_key": f"SELECT p, k, fill({Y.format('100 - k * k')}) OVER (PARTITION BY p ORDER BY k) AS f FROM t",
        "v_desc": f"SELECT k, fill({Y0.format('(k * 7) % 11 - 5')} ORDER BY k DESC) OVER () AS f FROM t",
        "v_nulls_first": f"SELECT p, k, fill({Y.format('k * 3')} ORDER BY CASE WHEN k > 8 THEN NULL ELSE k END "
                         "NULLS FIRST) OVER (PARTITION BY p) AS f FROM t",
        "v_small": f"SELECT k, fill({Y0.format('(k * 5 % 9)::TINYINT')} ORDER BY k) OVER () AS f FROM t",
        "v_big": f"SELECT k, fill({Y0.format('CASE WHEN k % 2 = 0 THEN 9223372036854775807 ELSE -9223372036854775807 END')} "
                 "ORDER BY k) OVER () AS f FROM t",
        "v_qualify": f"SELECT p, k, fill({Y.format('k * k % 23')} ORDER BY k) OVER (PARTITION BY p ORDER BY w) AS f "
                     "FROM t QUALIFY f IS DISTINCT FROM k * k % 23",
    }, domains=DOMAINS),
    "doubles": Spec(DDL, {
        "v_double": f"SELECT p, k, fill({Y.format('k * 2.5 - k * k / 7.0')} ORDER BY k / 3.0) OVER (PARTITION BY p) AS f "
                    "FROM t",
        "v_inf_key": f"SELECT k, fill({Y0.format('(k * 1.5)::DOUBLE')} ORDER BY CASE WHEN k = 40 THEN 'inf'::DOUBLE "
                     "WHEN k = -3 THEN '-inf'::DOUBLE WHEN k = 12 THEN 'nan'::DOUBLE ELSE k END) OVER () AS f FROM t",
        "v_float": f"SELECT k, fill({Y0.format('(k * 1.3)::FLOAT')} ORDER BY k) OVER () AS f, "
                   f"fill({Y0.format('(k / 7)::FLOAT')} ORDER BY k DESC) OVER () AS g FROM t",
        "v_inf_value": f"SELECT k, fill({Y0.format(INF5)} "
                       "ORDER BY k) OVER () AS f FROM t",
        "v_decimal_key": f"SELECT k, fill({Y0.format('k * k')} ORDER BY (k / 3)::DECIMAL(9,3)) OVER () AS f FROM t",
        "v_decimal": f"SELECT k, fill({Y0.format('(k * k / 7)::DECIMAL(6,2)')} ORDER BY k) OVER () AS f, "
                     f"fill({Y0.format('(k * 3 - 11)::DECIMAL(15,4)')} ORDER BY k DESC) OVER () AS g FROM t",
    }, domains=DOMAINS),
    "temporal": Spec(DDL, {
        "v_date": f"SELECT p, k, fill({Y.format(DATES)} ORDER BY k) "
                  "OVER (PARTITION BY p) AS f FROM t",
        "v_ts_key": f"SELECT k, fill({Y0.format('k * k - 4 * k')} ORDER BY TIMESTAMP '2025-01-01' + k * INTERVAL 90 MINUTE) "
                    "OVER () AS f FROM t",
        "v_ts": f"SELECT k, fill({Y0.format(STAMPS)}) "
                "OVER (ORDER BY DATE '2025-01-01' + k) AS f FROM t",
        "v_inf_date": f"SELECT k, fill({Y0.format('k')} ORDER BY CASE WHEN k = 40 THEN 'infinity'::DATE "
                      "ELSE DATE '2025-01-01' + k END) OVER () AS f FROM t",
    }, domains=DOMAINS),
}


test_against_duckdb = streams_test(SPECS, 10, sort=True)
test_on_three_workers = seeds_test(SPECS, range(3), workers=3, sort=True)


def test_tied_keys_with_different_values_fail_the_step():
    p = Pipeline(dialect="duckdb")
    p.execute("CREATE TABLE t(k INT, y INT); CREATE VIEW v AS SELECT k, fill(y ORDER BY k) OVER () AS f FROM t")
    p.insert("t", [(1, 1), (1, 1), (2, None), (3, 3)])
    p.step()  # tied rows that agree: no ambiguity
    assert sorted(p.view("v").rows()) == [(1, 1), (1, 1), (2, 2), (3, 3)]
    for tie in [(3, 5), (2, 7)]:  # tied values that differ; a NULL tied with a value
        p.insert("t", [tie])
        with pytest.raises(DataError, match="FILL: rows tied on its ORDER BY key hold different values"):
            p.step()
        assert sorted(p.view("v").rows()) == [(1, 1), (1, 1), (2, 2), (3, 3)]


@pytest.mark.parametrize("sql, message", [
    ("SELECT fill(i ORDER BY 10 - i, i * i) OVER (ORDER BY i) FROM t", "FILL functions must have only one ORDER BY"),
    ("SELECT fill(i) OVER (ORDER BY i, 10 - i) FROM t", "FILL functions must have only one ORDER BY"),
    ("SELECT fill(i) OVER () FROM t", "FILL functions must have only one ORDER BY"),
    ("SELECT fill(i::VARCHAR ORDER BY i) OVER (ORDER BY i) FROM t", "FILL argument must support subtraction"),
    ("SELECT fill(i ORDER BY i::VARCHAR) OVER (ORDER BY i) FROM t", "FILL ordering must support subtraction"),
    ("SELECT fill(i::DECIMAL(25,2) ORDER BY i) OVER () FROM t", r"FILL of DECIMAL\(25,2\) is not supported"),
])
def test_binding_errors(sql, message):
    p = Pipeline(dialect="duckdb")
    p.execute("CREATE TABLE t(i INT)")
    with pytest.raises(CompileError, match=message):
        p.execute(sql)


def test_explain_shows_fill():
    p = Pipeline(dialect="duckdb")
    p.execute("CREATE TABLE t(i INT, y INT); CREATE VIEW v AS SELECT fill(y ORDER BY i) OVER () AS f FROM t")
    assert "fill(y#1, i#0)" in p.explain("v")


def test_nan_is_not_distinct_from_nan():
    """DuckDB's IS [NOT] DISTINCT FROM treats NaN as equal to NaN (FILL's corpus queries compare them)."""
    import duckdb
    sql = ("SELECT a IS DISTINCT FROM b, a IS NOT DISTINCT FROM b FROM (VALUES ('nan'::DOUBLE, 'nan'::DOUBLE), "
           "('nan', 1.0), (NULL, 'nan'), (2.0, 2.0), (NULL, NULL)) t(a, b)")
    assert sorted(Pipeline(dialect="duckdb").execute(sql)) == sorted(duckdb.sql(sql).fetchall())
