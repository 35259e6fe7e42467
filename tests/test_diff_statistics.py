"""Differential tests of the statistical and other extra aggregates (quantiles, ARG_MAX, BIT_*,
COUNT_IF, PRODUCT, ENTROPY, CORR/COVAR/REGR_*, SKEWNESS/KURTOSIS) against DuckDB, and their refusals.

``id`` is unique, so ARG_MAX/ARG_MIN over it have one right answer (DuckDB breaks ties by the order
it reads rows).  Floating-point results are compared with a relative tolerance: deltasql computes
them from exact sums, DuckDB with streaming double arithmetic."""

import pytest

from deltasql import CompileError, Pipeline
from tests.harness import Spec, streams_test

DDL = "CREATE TABLE w(id INT NOT NULL, g INT, x INT, y DOUBLE, d DECIMAL(7,2), s VARCHAR, b BOOLEAN)"
DOMAINS = {"id": list(range(24)), "g": [1, 2, 3], "x": [1, 2, 3, 0, -1, 5, -7],
           "y": [0.5, -1.25, 2.0, 3.5, 0.0, 10.0], "s": ["a", "b", "ab", "", "c"]}


def spec(views, **kw):
    return Spec(DDL, views, **{"domains": DOMAINS, "keys": {"w": ("id",)}, "rel_tol": 1e-7, **kw})


SPECS = {
    "quantiles": spec({
        "v_cont": "SELECT g, QUANTILE_CONT(x, 0.25) AS q1, QUANTILE_CONT(y, 0.5) AS q2, QUANTILE_CONT(d, 0.9) AS q3, "
                  "MEDIAN(d) AS md FROM w GROUP BY g",
        "v_disc": "SELECT g, QUANTILE_DISC(x, 0.3) AS q1, QUANTILE(s, 0.5) AS q2, QUANTILE_DISC(y, -0.25) AS q3 "
                  "FROM w GROUP BY g",
        "v_within": "SELECT PERCENTILE_CONT(0.75) WITHIN GROUP (ORDER BY x DESC) AS p1, "
                    "PERCENTILE_DISC(0.5) WITHIN GROUP (ORDER BY s) AS p2 FROM w",
    }),
    "arg_extremes": spec({
        "v_arg": "SELECT g, ARG_MAX(s, id) AS smax, ARG_MIN(x, id) AS xmin, MAX_BY(d, id) AS dmax FROM w GROUP BY g",
        "v_arg_filter": "SELECT ARG_MIN(s, id) FILTER (WHERE b) AS first_true FROM w",
        "v_arg_window": "SELECT id, ARG_MAX(x, id) OVER (PARTITION BY g ORDER BY id ROWS BETWEEN 2 PRECEDING "
                        "AND CURRENT ROW) AS latest FROM w",
    }),
    "bits_counts_products": spec({
        "v_bits": "SELECT g, BIT_AND(x) AS ba, BIT_OR(x) AS bo, BIT_XOR(x) AS bx FROM w GROUP BY g",
        "v_count_if": "SELECT g, COUNT_IF(b) AS n_true, COUNT_IF(x > 1) AS n_big FROM w GROUP BY g",
        "v_product": "SELECT g, PRODUCT(x) AS px, PRODUCT(y) AS py FROM w GROUP BY g",
        "v_entropy": "SELECT g, ENTROPY(s) AS es, ENTROPY(x) AS ex FROM w GROUP BY g",
        "v_fsum": "SELECT FSUM(y) AS fs, FAVG(x) AS fa FROM w",
    }),
    "regression": spec({
        "v_cov": "SELECT g, COVAR_POP(y, x) AS cp, COVAR_SAMP(y, d) AS cs, CORR(y, x) AS r FROM w GROUP BY g",
        "v_regr": "SELECT g, REGR_SLOPE(y, x) AS slope, REGR_INTERCEPT(y, x) AS icpt, REGR_R2(y, x) AS r2, "
                  "REGR_COUNT(y, x) AS n, REGR_AVGX(y, x) AS ax, REGR_AVGY(y, x) AS ay FROM w GROUP BY g",
        "v_sums": "SELECT REGR_SXX(y, x) AS sxx, REGR_SYY(y, x) AS syy, REGR_SXY(y, x) AS sxy FROM w",
    }),
    "shape": spec({
        "v_shape": "SELECT g, SKEWNESS(x) AS sk, KURTOSIS(y) AS ku, KURTOSIS_POP(d) AS kp FROM w GROUP BY g",
        "v_shape_global": "SELECT SKEWNESS(y) AS sk, KURTOSIS(x) AS ku FROM w",
    }),
}


test_statistics = streams_test(SPECS, 12)


@pytest.mark.parametrize("sql,message", [
    ("SELECT MODE(x) AS m FROM w", "MODE without ORDER BY is not supported: DuckDB breaks ties by the order it "
                                  "reads rows; write MODE(x ORDER BY …)"),
    ("SELECT FIRST(x) AS f FROM w", "FIRST without ORDER BY is not deterministic (it takes whichever row "
                                     "arrives first) and cannot be maintained: write FIRST(x ORDER BY …)"),
    ("SELECT APPROX_COUNT_DISTINCT(x) AS n FROM w",
     "APPROX_COUNT_DISTINCT is approximate (its answer depends on how rows arrive); use the exact aggregate"),
    ("SELECT LIST(x) AS l FROM w", "LIST(x) without ORDER BY lists rows in the order they arrive, which a view "
                                   "cannot reproduce: write LIST(x ORDER BY x) (or ORDER BY other keys, then x)"),
    ("SELECT QUANTILE_CONT(x, 1.5) AS q FROM w",
     "the fraction of QUANTILE_CONT must be a number constant between -1 and 1, or a list of them"),
    ("SELECT QUANTILE_CONT(s, 0.5) AS q FROM w", "QUANTILE_CONT needs a number, not VARCHAR"),
    ("SELECT BIT_AND(y) AS q FROM w", "BIT_AND needs an integer, not DOUBLE"),
    ("SELECT PRODUCT(DISTINCT x) AS p FROM w", "DISTINCT is not supported in PRODUCT"),
    ("SELECT COUNT_IF(x) AS n FROM w", "COUNT_IF needs a BOOLEAN, not INTEGER"),
])
def test_refused(sql, message):
    p = Pipeline()
    p.execute(DDL)
    with pytest.raises(CompileError) as e:
        p.execute(f"CREATE VIEW v AS {sql}")
    assert e.value.message == message
    assert e.value.line == 1 and e.value.col is not None
