"""DECIMAL(38) overflow as DuckDB has it (BUGS.md #21.18): +, - and * of DECIMALs whose exact result
type would need more than 38 digits get DECIMAL(38, s), and a value that does not fit it is an error
(+ and - cast both operands to that type first: an operand that does not fit fails too); SUM of a
DECIMAL(p, s) is a DECIMAL(38, s) and fails when the total does not fit.  Checked against DuckDB
under random streams: a step whose rows overflow fails in both, changes nothing here, and later steps
go on.  PostgreSQL's NUMERIC results have no precision, so there the answers stay exact."""

from decimal import Decimal

import pytest

from deltasql import CompileError, DataError, Pipeline
from tests.harness import Spec, streams_test

DDL = "CREATE TABLE d(g INT, a DECIMAL(38,10), b DECIMAL(38,2), x DECIMAL(38,0), c DECIMAL(18,1))"
DOMAINS = {
    "g": [1, 2, 3, 4],
    # a: a DECIMAL(38,10) near its 28 integer digits
    "a": [Decimal("1.5"), Decimal("-0.25"), Decimal("9999999999999999999999999999.5"),
          Decimal("1000000000000000000000000.0000000001")],
    # b: 29 integer digits do not fit DECIMAL(38,10), the type of a + b
    "b": [Decimal("1.50"), Decimal("-2.25"), Decimal("12345678901234567890123456789.50"),
          Decimal("400000000000000000000000000000000000.00")],
    # x: three of 3e37 make more than 38 digits; partial sums stay below DuckDB's HUGEINT limit (1.7e38)
    "x": [Decimal(3 * 10 ** 37), Decimal(-(10 ** 37)), Decimal(5), Decimal(10 ** 38 - 1)],
    # c * c is a DECIMAL(18,2) in DuckDB (both sides have at most 18 digits): 9e8 * 9e9 does not fit
    "c": [Decimal("1.5"), Decimal("-2.5"), Decimal("900000000.0"), Decimal("9000000000.0")],
}


def spec(view):
    return Spec(DDL, {"v": view}, domains=DOMAINS, steps=5, max_ops=6)


SPECS = {
    "add": spec("SELECT g, a + b AS s FROM d"),
    "sub": spec("SELECT g, b - a AS s FROM d"),
    "mul": spec("SELECT g, a * b AS p FROM d"),
    "mul18": spec("SELECT g, c * c AS p, c * g AS q FROM d"),
    "add_int": spec("SELECT g, x + 1 AS y, x - g AS z FROM d"),
    "sum": spec("SELECT g, SUM(x) AS s FROM d GROUP BY g"),
    "sum_all": spec("SELECT SUM(x) AS s, SUM(b) AS t FROM d"),
    "sum_expr": spec("SELECT g, SUM(a + 1) AS s FROM d GROUP BY g"),
}


test_decimal_overflow = streams_test(SPECS, 12)


def _pipeline(dialect="duckdb"):
    p = Pipeline(dialect=dialect)
    p.execute(DDL)
    return p


def test_wide_sum_fails_the_step_atomically():
    p = _pipeline()
    p.execute("CREATE VIEW v AS SELECT a + b AS s FROM d")
    p.execute("CREATE VIEW t AS SELECT SUM(x) AS s FROM d")
    p.insert("d", [(1, Decimal("1.5"), Decimal("123456789012345678901234567890123456.12"), Decimal(5), None)])
    with pytest.raises(DataError, match=r"casting 123456789012345678901234567890123456\.12 to DECIMAL\(38,10\), "
                                        r"the type of the addition, failed"):
        p.step()
    assert p.table_rows("d") == [] and p.view("t").rows() == [(None,)]
    p.insert("d", [(1, Decimal("1.5"), Decimal("2.25"), Decimal(6 * 10 ** 37), None),
                   (2, Decimal("1.5"), Decimal("2.25"), Decimal(6 * 10 ** 37), None)])
    with pytest.raises(DataError, match=r"overflow in SUM of DECIMAL\(38\): 120000000000000000000000000000000000000 "
                                        r"does not fit DECIMAL\(38,0\)"):
        p.step()
    assert p.table_rows("d") == []


def test_postgres_numeric_stays_exact():
    p = _pipeline("postgres")
    p.execute("CREATE VIEW v AS SELECT a + b AS s FROM d")
    p.insert("d", [(1, Decimal("1.5"), Decimal("123456789012345678901234567890123456.12"), Decimal(5), None)])
    p.step()
    assert p.view("v").rows() == [(Decimal("123456789012345678901234567890123457.6200000000"),)]


def test_product_scale_past_38_refused():
    """DuckDB refuses DECIMAL(38,30) * DECIMAL(10,9) when binding (the product needs scale 39)."""
    p = _pipeline()
    with pytest.raises(CompileError, match="needs scale 39, more than a DECIMAL holds") as err:
        p.execute("CREATE VIEW v AS SELECT a::DECIMAL(38,30) * b::DECIMAL(10,9) FROM d")
    assert (err.value.line, err.value.col) == (1, 25)


def test_38_digit_values_are_stored():
    """A 38-digit value fits DECIMAL(38,0) (the range check used to round it to 1E+38 first)."""
    p = _pipeline()
    p.insert("d", [(1, None, None, Decimal(10 ** 38 - 1), None), (2, None, None, Decimal(-(10 ** 38 - 1)), None)])
    p.step()
    assert sorted(r[3] for r in p.table_rows("d")) == [Decimal(-(10 ** 38 - 1)), Decimal(10 ** 38 - 1)]
