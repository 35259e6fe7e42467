"""Where DuckDB errs, deltasql errs too (issue 19's "lenient" outcomes): against DuckDB under random
insert/delete streams with duplicates, NULLs and a final retraction (also on 3 simulated workers), a
step whose rows make DuckDB fail fails here and changes nothing, and the other steps agree:

- an aggregate's arguments and ORDER BY keys are computed for every row, FILTER applied after
  (DuckDB: ``sum(v::INT) FILTER (WHERE keep)`` fails on a row that is not kept); PostgreSQL and SQLite
  filter first;
- SUBSTRING / SUBSTRING_GRAPHEME / LEFT / ``s[i]`` / ``array_extract(s, i)`` fail on offsets and
  lengths outside DuckDB's 32-bit range (sqllib/string_ranges.py);
- a DECIMAL % whose operands need more than 38 digits together is computed in DOUBLEs, as DuckDB does
  (x % 0 an error; it was a DECIMAL(38, s) where the divisor could round to 0);
- HEX / TO_HEX, UNHEX / FROM_HEX, BIN / TO_BINARY, UNBIN / FROM_BINARY, PRINTF's %x %o %b %u of a
  HUGEINT (they were refused);
- time_bucket's offset with months (it was an error);
- a LIMIT without ORDER BY over a subquery or CTE written with ORDER BY takes that order, as DuckDB;
- GCD / LCM of BIGINTs that hold -2^63 fail only where DuckDB's answer is out of range (they failed on any
  -2^63 before);
- LIKE … ESCAPE with a pattern ending in its escape character fails where DuckDB's walk reaches it
  (sqllib/like_escape.py), is false in SQLite.
And the queries DuckDB refuses when it parses or binds them are CompileErrors at their line:column
(compiler/duckdb_syntax.py, compiler/duckdb_binding.py, COUNT's arity, literal ORDER BY keys in an
aggregate): each checked to be refused by DuckDB too."""

import datetime
import random
from decimal import Decimal

import duckdb
import pytest

from deltasql import CompileError, DataError, Pipeline
from deltasql.sqllib.patterns import like
from tests.harness import Spec, _freeze, diff_multisets, seeds_test, streams_test

DDL = "CREATE TABLE t(g INT, v VARCHAR, keep BOOLEAN, n BIGINT, p VARCHAR)"
BIG = 2 ** 32
DOMAINS = {
    "g": [1, 2, 3],
    "v": ["1", "2", "10", "7", "3", "12", "bad", "1*"],
    "n": [1, 2, -1, 0, 3, BIG - 1, BIG, -BIG, -BIG - 1],
    "p": ["1*", "%*", "*1", "1%", "b*", "%", "**", "1_*", "*%*", "2"],
}

MIN = -(2 ** 63)
PAIRS = "CREATE TABLE q(a BIGINT, b BIGINT)"
PAIR_DOMAINS = {"a": [0, 1, -2, 6, MIN, MIN // 2, 2 ** 63 - 1, 288484263558, 3 * 2 ** 61],
                "b": [0, -1, 2, 4, 29893644334, MIN, 2 ** 62]}

WIDE = "CREATE TABLE w(a DECIMAL(38,0), b DECIMAL(36,35), c DECIMAL(20,19), d DECIMAL(18,2))"
WIDE_DOMAINS = {"a": [Decimal(10 ** 37 + 1), Decimal(5), Decimal(-7), Decimal(0)],
                "b": [Decimal("0.00000000000000000000000000000000004"), Decimal("0.3"), Decimal("-0.25"), Decimal(0)],
                "c": [Decimal("1.5"), Decimal("-0.0000000000000000007"), Decimal(0)],
                "d": [Decimal("12.25"), Decimal("-3.50"), Decimal(0)]}

SPECS = {
    "filter_arguments": Spec(DDL, {
        "v_sum": "SELECT g, sum(v::INTEGER) FILTER (WHERE keep) AS s, count(*) FILTER (WHERE keep) AS c FROM t GROUP BY g",
        "v_distinct": "SELECT g, count(DISTINCT v::INTEGER) FILTER (WHERE keep) AS c FROM t GROUP BY g",
        "v_order": "SELECT g, string_agg(v, ',' ORDER BY v::INTEGER, v) FILTER (WHERE keep) AS s FROM t GROUP BY g",
        "v_plain": "SELECT max(n) FILTER (WHERE keep) AS m, min(v) FILTER (WHERE NOT keep) AS w FROM t",
    }, domains=DOMAINS),
    "string_ranges": Spec(DDL, {
        "v_substring": "SELECT g, v, n, substring(v, n) AS a, substring(v, 1, n) AS b, substring(v, n, 2) AS c FROM t",
        "v_element": "SELECT v, n, v[n] AS e, array_extract(v, n) AS x, left(v, n) AS l FROM t",
        "v_grapheme": "SELECT v, substring_grapheme(v, n, 1) AS a, substring_grapheme(v, 2, n) AS b FROM t",
    }, domains=DOMAINS),
    "like_escape": Spec(DDL, {
        "v_like": "SELECT v, p, v LIKE p ESCAPE '*' AS m, v ILIKE p ESCAPE '*' AS i FROM t",
        "v_where": "SELECT g, count(*) AS c FROM t WHERE v NOT LIKE p ESCAPE '*' GROUP BY g",
    }, domains=DOMAINS),
    # DECIMAL % needing more than 38 digits: DuckDB's DOUBLE fallback (x % 0 still an error)
    "wide_mod": Spec(WIDE, {
        "v_mod": "SELECT a % b AS m, c % a AS n, a % c AS o FROM w",
        "v_narrow": "SELECT d % c AS m, d % 4 AS n FROM w",
    }, domains=WIDE_DOMAINS),
    # time_bucket with an offset that has months: bucket(ts - offset) + offset in calendar months
    "bucket_offset": Spec("CREATE TABLE b(d DATE, ts TIMESTAMP, k INT)", {
        "v_bucket": "SELECT d, time_bucket(INTERVAL '2 months', d, INTERVAL '1 month 1 week') AS a, "
                    "time_bucket(INTERVAL '10 days', ts, INTERVAL '-6 months') AS b, "
                    "time_bucket(INTERVAL '1 year', ts, INTERVAL '13 months 2 hours') AS c FROM b",
        "v_count": "SELECT time_bucket(INTERVAL '3 months', d, INTERVAL '-1 month -3 days') AS q, count(*) AS n "
                   "FROM b GROUP BY q",
    }),
    # HEX / BIN and back (sqllib/hex.py); an invalid digit fails the step
    "hex": Spec("CREATE TABLE h(s VARCHAR, b BLOB, i INT, k HUGEINT, x VARCHAR, y VARCHAR)", {
        "v_to": "SELECT s, hex(s) AS a, to_hex(b) AS c, hex(i) AS d, hex(k) AS e, bin(s) AS f, to_binary(i) AS g, "
                "bin(k) AS h FROM h",
        "v_from": "SELECT x, y, unhex(x) AS a, from_hex(x) AS b, from_binary(y) AS c, unbin(y) AS d, "
                  "unhex(hex(s)) = s::BLOB AS e FROM h",
        # PRINTF of a HUGEINT: %x %o %b %u in 128-bit two's complement (a narrower integer: 64)
        "v_printf": "SELECT k, printf('%x|%o|%b|%u|%d|%5X', k, k, k, k, k, k) AS p, printf('%x %u', i, i) AS q FROM h",
    }, domains={"s": ["duckdb", "", "é", "a\x00"], "b": [b"\x00\x00\x80", b"duck", b""],
                "i": [0, 1, -1, 127, -2147483648, 255], "k": [12, -12, -(2 ** 127), 2 ** 127 - 1],
                "x": ["abc", "6475636B6462", "5", "", "ABCDEF", "zz"], "y": ["101", "01100001", "", "000000001", "2"]}),
    # a LIMIT without ORDER BY over a subquery or CTE written with ORDER BY takes that order (DuckDB's
    # order preservation; the keys are unique, so DuckDB's answer does not depend on its reading order)
    "inner_order": Spec("CREATE TABLE o(k INT, v INT)", {
        "v_sub": "SELECT k, v FROM (SELECT k, v FROM o ORDER BY k DESC) s LIMIT 3",
        "v_cte": "WITH t AS (SELECT k, v * 2 AS w FROM o WHERE v > 0 ORDER BY k) SELECT w FROM t WHERE k > 1 "
                 "LIMIT 2 OFFSET 1",
        "v_columns": "WITH t(a, b) AS MATERIALIZED (SELECT k, v FROM o ORDER BY 1 DESC) SELECT b FROM t LIMIT 4",
    }, keys={"o": ["k"]}, domains={"k": list(range(-3, 12)), "v": [0, 1, 5, -2]}),
    # GCD / LCM of -2^63: an error only where the answer (or LCM's signed product) is out of range
    "gcd_lcm": Spec(PAIRS, {
        "v_gcd": "SELECT a, b, gcd(a, b) AS g, gcd(b, a) AS h FROM q",
        "v_lcm": "SELECT a, b, lcm(a, b) AS l FROM q",
    }, domains=PAIR_DOMAINS),
}


test_against_duckdb = streams_test(SPECS, 10, sort=True)
test_on_three_workers = seeds_test(SPECS, range(3), workers=3, sort=True)


def test_failed_step_leaves_the_pipeline_as_it_was():
    p = Pipeline(dialect="duckdb")
    p.execute(DDL)
    p.execute("CREATE VIEW v AS SELECT g, sum(v::INTEGER) FILTER (WHERE keep) AS s FROM t GROUP BY g")
    p.insert("t", [(1, "2", True, 1, "x")])
    p.step()
    p.insert("t", [(1, "3", True, 1, "x"), (2, "bad", False, 1, "x")])
    with pytest.raises(DataError, match="cannot cast 'bad'"):
        p.step()
    assert p.view("v").rows() == [(1, 2)] and p.table_rows("t") == [(1, "2", True, 1, "x")]
    p.insert("t", [(1, "3", True, 1, "x")])
    p.step()
    assert p.view("v").rows() == [(1, 5)]


@pytest.mark.parametrize("dialect", ["postgres", "sqlite"])
def test_other_dialects_filter_before_the_arguments(dialect):
    p = Pipeline(dialect=dialect)
    p.execute("CREATE TABLE e(value VARCHAR, keep BOOLEAN)")
    p.execute("CREATE VIEW v AS SELECT sum(CAST(value AS INTEGER)) FILTER (WHERE keep) AS s FROM e")
    p.insert("e", [("bad", False), ("4", True)])
    p.step()
    assert p.view("v").rows() == [(4,)]


def test_sqlite_dangling_escape_is_no_match():
    p = Pipeline(dialect="sqlite")
    p.execute("CREATE TABLE e(s TEXT, p TEXT)")
    p.execute("CREATE VIEW v AS SELECT s, s LIKE p ESCAPE '*' AS m FROM e")
    p.insert("e", [("a", "a*"), ("%", "%*"), ("ab", "a%")])
    p.step()
    assert sorted(p.view("v").rows()) == [("%", 0), ("a", 0), ("ab", 1)]


def test_like_walk_equals_duckdb_on_random_patterns():
    """Every string and pattern over a small alphabet: DuckDB's answer or error, exactly."""
    rnd = random.Random(7)
    con = duckdb.connect()
    for _ in range(1500):
        s = "".join(rnd.choice("ab*") for _ in range(rnd.randint(0, 4)))
        pat = "".join(rnd.choice("ab*%_") for _ in range(rnd.randint(0, 5)))
        for ci in (False, True):
            try:
                want = con.execute(f"SELECT ? {'ILIKE' if ci else 'LIKE'} ? ESCAPE '*'", [s, pat]).fetchone()[0]
            except duckdb.Error:
                want = "error"
            try:
                got = like(s, pat, ci, "*")
            except DataError:
                got = "error"
            assert got == want, (s, pat, ci)


SETUP = "CREATE TABLE t(g INT, v VARCHAR, d DATE, x INT, exam INT)"
REFUSED = [
    ("SELECT COUNT(1, 2)", "1:8", r"COUNT takes one argument or \*, not 2"),
    ("SELECT COUNT(x, 2, 3) FROM t", "1:8", r"COUNT takes one argument or \*, not 3"),
    ("SELECT STRING_AGG(DISTINCT v ORDER BY v, '_') FROM t", "1:42",
     r"ORDER BY a non-integer literal \('_'\) has no effect"),
    ("SELECT first(v ORDER BY NULL) FROM t", "1:14", r"ORDER BY a non-integer literal \(NULL\)"),
    ("SELECT strftime(d, v) FROM t", "1:17", "the format argument of STRFTIME must be a constant expression"),
    ("SELECT strptime(v, v) FROM t", "1:8", "the format argument of STRPTIME must be a constant expression"),
    ("SELECT CONCAT_WS(',')", "1:8", "CONCAT_WS needs a separator and at least one value"),
    ("SELECT contains(NULL, NULL) FROM t", "1:8", "CONTAINS of a literal and an untyped NULL is ambiguous"),
    ("SELECT contains('a', NULL)", "1:8", "CONTAINS of a literal and an untyped NULL is ambiguous"),
    ("SELECT LTRIM('hello', 'world', 'aaa')", "1:8", "LTRIM takes one or two arguments"),
    ("SELECT rtrim(v, v, v) FROM t", "1:8", "RTRIM takes one or two arguments"),
    ("SELECT 'j': 42", "1:11", "syntax error at or near ':'"),
    ("SELECT [1, 2,, NULL]", "1:14", "syntax error at or near ','"),
    ("SELECT v::VARCHAR[x:x + 1] FROM t", "1:20", "a subscript or slice cannot follow a cast directly"),
    ("SELECT * FROM t QUALIFY row_number() OVER w = 1 WINDOW w AS (ORDER BY x)", "1:49",
     "syntax error at or near WINDOW"),
    ("SELECT +'hello'", "1:9", "unary \\+ of VARCHAR is not defined"),
    ("SELECT +d FROM t", "1:9", "unary \\+ of DATE is not defined"),
    ("SELECT 1 + +x::VARCHAR FROM t", "1:13", "unary \\+ of VARCHAR is not defined"),
    ("SELECT hex(d) FROM t", "1:8", "HEX of DATE is not defined"),
    ("SELECT bin(v::BLOB) FROM t", "1:8", "BIN of BLOB is not defined"),
    ("SELECT hex(1.5)", "1:8", r"HEX of DECIMAL\(2,1\) is not defined"),
]


@pytest.mark.parametrize("sql, where, message", REFUSED)
def test_refused_as_duckdb_refuses(sql, where, message):
    con = duckdb.connect()
    con.execute(SETUP)
    with pytest.raises(duckdb.Error):
        con.execute(sql).fetchall()
    p = Pipeline(dialect="duckdb")
    p.execute(SETUP)
    with pytest.raises(CompileError, match=message) as e:
        p.execute(sql)
    assert f"{e.value.line}:{e.value.col}" == where


ACCEPTED = [  # the forms next to the refused ones, which DuckDB answers
    "SELECT count(*), count(x), count(DISTINCT x) FROM t",
    "SELECT string_agg(v, '_' ORDER BY v) FROM t",
    "SELECT strftime(d, '%Y'), strftime(d, NULL) FROM t",
    "SELECT concat_ws(',', v), contains(v, NULL), contains(NULL, v), contains(NULL::VARCHAR, NULL) FROM t",
    "SELECT ltrim(v, 'a'), rtrim(v) FROM t",
    "SELECT j: 42, \"k\": 1, {'a': 1} AS s, [1, 2,] AS l",
    "SELECT (v::VARCHAR)[x:x + 1], [x]::INT[] FROM t",
    "SELECT * FROM t WINDOW w AS (ORDER BY x) QUALIFY row_number() OVER w = 1",
    "SELECT +x, + x + 1, 2 + +x, -+x, +t.x, +NULL, +1.5, +(x) FROM t",
    "SELECT hex(v), hex(x), bin(x), to_binary(v), hex(NULL), unhex(hex(v)), from_binary(bin(g)) FROM t",
    "SELECT regexp_matches(v, '.*B.*', ' i \t'), regexp_replace(v, 'A', 'x', ' i g') FROM t",
    "SELECT array_slice([1, 2, 3], -9223372036854775808, 2), list_slice(v, -9223372036854775808, 9223372036854775807) "
    "FROM t",
    "SELECT current_setting('regex_match_operator_semantics'), current_setting('ieee_floating_point_ops'), "
    "current_setting('order_by_non_integer_literal') FROM t",
]


@pytest.mark.parametrize("sql", ACCEPTED)
def test_neighbours_still_accepted(sql):
    con = duckdb.connect()
    con.execute(SETUP)
    con.execute("INSERT INTO t VALUES (1, 'ab', DATE '2024-01-02', 1, 3), (2, NULL, NULL, NULL, NULL)")
    want = con.execute(sql).fetchall()
    p = Pipeline(dialect="duckdb")
    p.execute(SETUP)
    p.execute(f"CREATE VIEW q AS {sql}")
    p.insert("t", [(1, "ab", datetime.date(2024, 1, 2), 1, 3), (2, None, None, None, None)])
    p.step()
    frozen = [[tuple(map(_freeze, r)) for r in rows] for rows in (want, p.view("q").rows())]
    assert diff_multisets(*frozen) == ([], [])


def test_current_setting_is_the_value_in_force_when_the_view_is_made():
    p = Pipeline(dialect="duckdb")
    con = duckdb.connect()
    for engine in (p, con):
        engine.execute("SET regex_match_operator_semantics = 'full'")
        engine.execute("SET ieee_floating_point_ops = false")
    sql = "SELECT current_setting('regex_match_operator_semantics') AS r, current_setting('ieee_floating_point_ops') AS i"
    p.execute(f"CREATE VIEW v AS {sql}")
    p.execute("SET regex_match_operator_semantics = 'partial'")  # (the view keeps what it was made with)
    p.step()
    assert p.view("v").rows() == con.execute(sql).fetchall() == [("full", False)]


@pytest.mark.parametrize("sql", ["SELECT * FROM t USING SAMPLE 5", "SELECT * FROM t TABLESAMPLE 10%",
                                 "SELECT * FROM t USING SAMPLE 10% (bernoulli, 42)"])
def test_samples_are_refused_as_random(sql):
    p = Pipeline(dialect="duckdb")
    p.execute(SETUP)
    with pytest.raises(CompileError, match="a sample is random, and a view cannot be maintained over it"):
        p.execute(f"CREATE VIEW v AS {sql}")
