"""QUANTILE_CONT / MEDIAN over DECIMALs wider than 18 digits (DuckDB holds them in 128 bits and
interpolates lo + trunc((hi - lo)·d) in those integers; runtime/statistics.Quantile ``wide``): against
DuckDB under change streams, and call by call over random values near the 38-digit limit (where
computing in doubles, or in Python's default 28-digit decimal context, loses the last digits)."""

import random
from decimal import Decimal

import duckdb

from deltasql import Pipeline
from tests.harness import RETRACT_ALL, Spec, check_steps, streams_test

SPEC = Spec("CREATE TABLE t(id INT NOT NULL, g INT, v DECIMAL(38, 2), w DECIMAL(20, 0))", {
    "v_q": "SELECT g, QUANTILE_CONT(v, 0.3) AS q3, MEDIAN(v) AS m, QUANTILE_CONT(w, 0.7) AS q7, "
           "QUANTILE_CONT(v, -0.25) AS qd FROM t GROUP BY g",
}, domains={"id": list(range(12)), "g": [1, 2],  # (28 digits at most: the harness's own decimal context)
            "v": [Decimal("99999999999999999999999999.99"), Decimal("-1.5"), Decimal("7.25"),
                  Decimal("99999999999999999999999997.01"), Decimal(0)],
            "w": [99999999999999999999, -3, 5, 12345678901234567890]}, keys={"t": ("id",)}, null_rate=0.2)


test_wide_decimal_quantiles = streams_test(SPEC, 10)


def test_fixed_stream():
    check_steps(SPEC, [[("+", "t", (1, 1, Decimal("99999999999999999999999999.99"), 5)),
                        ("+", "t", (2, 1, Decimal("99999999999999999999999997.01"), -3))],
                       [("+", "t", (3, 1, Decimal("7.25"), None))], RETRACT_ALL])


def test_calls_against_duckdb():
    rng = random.Random(4)
    con = duckdb.connect()
    for t in ("DECIMAL(38,0)", "DECIMAL(38,2)", "DECIMAL(30,3)"):
        for _ in range(40):
            values = [rng.choice([rng.randint(-10**6, 10**6), rng.randint(-10**27, 10**27)])
                      for _ in range(rng.randint(1, 6))]
            q = rng.choice([0.5, 0.3, 0.7, 0.9, -0.4])
            sql = (f"SELECT quantile_cont(v, {q}), median(v) FROM (VALUES "
                   + ", ".join(f"({v}::{t})" for v in values) + ") t(v)")
            assert Pipeline().execute(sql) == con.execute(sql).fetchall(), sql
