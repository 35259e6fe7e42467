"""BITSTRING_AGG(x, min, max) (runtime/aggregates.py BitstringAgg): against DuckDB under random streams
with duplicates, NULLs and a final retraction, grouped and not, every integer width, FILTER and
BIT_COUNT of the result (of the one-argument form too: DuckDB reads its range from column statistics, which
no bit count depends on); a value outside the range is DuckDB's error, and the one-argument form is refused
elsewhere unless its argument is a constant."""

import pytest

from deltasql import CompileError, DataError, Pipeline
from tests.harness import RETRACT_ALL, Spec, check_steps, streams_test

DDL = "CREATE TABLE t(id INT NOT NULL, g INT, i INT, s SMALLINT, h HUGEINT, b BIGINT)"
DOMAINS = {"id": list(range(12)), "g": [1, 2, None], "i": [-5, 0, 3, 7, 30], "s": [1, 2, 8, 12],
           "h": [12243372036854775807, 12243372036854775810], "b": [2378097, 2378100, 2378113]}

SPEC = Spec(DDL, {
    "v_grouped": "SELECT g, BITSTRING_AGG(i, -5, 30) AS bi, BITSTRING_AGG(s, 0, 15) AS bs, "
                 "BITSTRING_AGG(b, 2378080, 2378150) AS bb, "
                 "BITSTRING_AGG(i, -10, 40) FILTER (WHERE i > 0) AS bf FROM t GROUP BY g",
    "v_global": "SELECT BITSTRING_AGG(h, 12243372036854775800, 12243372036854775815) AS bh, "
                "bit_count(BITSTRING_AGG(i, -5, 30)) AS n, COUNT(DISTINCT i) AS d, BITSTRING_AGG(2, 0, 5) AS c, "
                "bit_count(BITSTRING_AGG(s)) AS ns, bit_count((BITSTRING_AGG(h))) AS nh FROM t",
}, domains=DOMAINS, keys={"t": ("id",)}, null_rate=0.25)


test_bitstring_agg = streams_test(SPEC, 12)


def test_fixed_stream():
    rows = [(1, 1, 30, 12, 12243372036854775807, 2378097), (2, 1, -5, None, None, 2378100), (3, 2, None, 1, None, None)]
    check_steps(SPEC, [[], [("+", "t", r) for r in rows], [("-", "t", rows[0])], RETRACT_ALL])


def test_value_out_of_range_is_an_error():
    p = Pipeline("duckdb")
    p.execute(DDL)
    p.execute("CREATE VIEW v AS SELECT BITSTRING_AGG(i, -10, 20) AS b FROM t")
    p.execute("INSERT INTO t VALUES (1, 1, 3, 1, 1, 1)")
    with pytest.raises(DataError, match=r"Value 30 is outside of provided min and max range \(-10 <-> 20\)"):
        p.execute("INSERT INTO t VALUES (2, 1, 30, 1, 1, 1)")
    assert p.query("SELECT * FROM v").rows == [("0000000000000100000000000000000",)]


@pytest.mark.parametrize("sql, col, message", [
    ("SELECT BITSTRING_AGG(i) FROM t", 8, "column statistics"),
    ("SELECT BITSTRING_AGG(i, 5, 1) FROM t", 8, "minimum"),
    ("SELECT BITSTRING_AGG(i, g, 5) FROM t", 25, "integer constants"),
    ("SELECT BITSTRING_AGG(i, 1) FROM t", 8, "three"),
    # read by BIT_COUNT and printed too: the one computation of both would print the values' own range
    ("SELECT bit_count(BITSTRING_AGG(i)), BITSTRING_AGG(i) FROM t", 18, "column statistics"),
])
def test_refused(sql, col, message):
    p = Pipeline("duckdb")
    p.execute(DDL)
    with pytest.raises(CompileError, match=message) as e:
        p.execute(sql)
    assert (e.value.line, e.value.col) == (1, col)
