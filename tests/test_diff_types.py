"""Differential tests of issue 19's types against DuckDB under random insert/delete streams:
FLOAT/REAL as 32-bit floats (sqllib/real.py); UHUGEINT; TIME; BLOB, UUID and BIT (sqllib/binary.py)."""

import datetime
import uuid

import pytest

from deltasql import CompileError, Pipeline
from tests.harness import Spec, answer_or_error, streams_test, string_literal

UHUGEINTS = [0, 1, 5, 7, 2 ** 64, 2 ** 127, 2 ** 128 - 1, 2 ** 128 - 2, 12243372036854775807]
TIMES = [datetime.time(0, 0), datetime.time(12, 0), datetime.time(23, 59, 59, 999999), datetime.time(1, 2, 3, 500000),
         datetime.time(12, 0, 0, 1), datetime.time(13, 30, 59)]
BLOBS = [b"", b"a", b"a\x00b", b"\xff", b"ab", b"\x00", b"'\"\\", "é".encode()]
UUIDS = [uuid.UUID(int=0), uuid.UUID(int=2 ** 128 - 1), uuid.UUID(int=2 ** 127), uuid.UUID(int=2 ** 127 - 1),
         uuid.UUID("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11")]
BITS = ["0101", "1111", "0000", "1", "0111", "10000000", "01"]
REALS = [1.1, 0.1, -100.3, 3.3e38, 16777217.0, 0.5, -0.0, 2.2, 1e-40, float("inf"), float("nan")]

SPECS = {
    "real": Spec("CREATE TABLE t(g INT, f FLOAT, r REAL, i INT, n DECIMAL(10,3), x DOUBLE, s VARCHAR)", {
        "v_arith": "SELECT f, r, f + r AS a, f * r AS m, f - i AS si, f / i AS di, f / r AS dr, f + n AS fn, "
                   "f * x AS fx, f + 1 AS p1, f % 2 AS md, -f AS ng, abs(f) AS ab, round(f, 1) AS r1, "
                   "round(r, -38) AS rr, f // 2 AS idv, ceil(f) AS ce, floor(r) AS fl FROM t",
        "v_compare": "SELECT f, n, f = 1.1 AS e1, f < 1.1 AS l1, f = n AS en, f = x AS ex, f < r AS lr FROM t",
        "v_casts": "SELECT i::FLOAT AS fi, n::FLOAT AS fn, s::FLOAT AS fs, f::DECIMAL(20,10) AS fd, f::DOUBLE AS fx, "
                   "f::VARCHAR AS ft, x::FLOAT AS xf FROM t WHERE abs(x) < 1e30 OR x IS NULL",
        "v_group": "SELECT g, sum(f) AS sf, avg(r) AS ar, min(f) AS mn, max(r) AS mx, count(DISTINCT f) AS cd "
                   "FROM t GROUP BY g",
        "v_keys": "SELECT f, count(*) AS c FROM t GROUP BY f",
        "v_join": "SELECT a.f, b.n FROM t a JOIN t b ON a.f = b.n",
        "v_window": "SELECT g, f, sum(r) OVER (PARTITION BY g ORDER BY f, r, i, n) AS rs FROM t",
        "v_top": "SELECT f FROM t ORDER BY f DESC NULLS LAST LIMIT 3",
    }, domains={"f": REALS, "r": REALS, "g": [1, 2, 3], "i": [0, 1, 7, 16777217, -3],
                "n": ["1.1", "0.5", "-2.25", "99.999", "1.100"], "x": [0.1, 2.5, 1.1, -3.0],
                "s": ["1.1", "1e39", "nan", "0.3", "-0", "16777217"]}),
    "uhugeint": Spec("CREATE TABLE t(g INT, u UHUGEINT, w UHUGEINT, i INT, s VARCHAR, n DECIMAL(10,1))", {
        "v_arith": "SELECT u, w, u % 3 AS m3, u // 4 AS q4, u + w AS a, u - w AS d, u * 2 AS m2, u / 2 AS h, "
                   "u // NULLIF(w, 0) AS q, u % NULLIF(w, 0) AS r, u * 1.5::DOUBLE AS f FROM t",
        "v_compare": "SELECT u, w, u = w AS e, u < w AS l, u >= 5 AS g5, u = i AS ei, u < n AS ln, "
                     "u BETWEEN 1 AND 2 ** 65 AS b, u IN (0, 7, 340282366920938463463374607431768211455) AS inl, "
                     "coalesce(u, 3) AS c, CASE WHEN u > 6 THEN u ELSE w END AS cs FROM t",
        "v_casts": "SELECT u::VARCHAR AS t, u::DOUBLE AS d, u::DECIMAL(38,0) AS dd, TRY_CAST(u AS BIGINT) AS b, "
                   "TRY_CAST(s AS UHUGEINT) AS su, TRY_CAST(i AS UHUGEINT) AS iu, u::HUGEINT::UHUGEINT AS rt "
                   "FROM t WHERE u < 10 ** 38 OR u IS NULL",
        "v_group": "SELECT g, min(u) AS mn, max(w) AS mx, count(DISTINCT u) AS cd, count(u) AS c FROM t GROUP BY g",
        "v_keys": "SELECT u, count(*) AS c FROM t GROUP BY u",
        "v_distinct": "SELECT DISTINCT w FROM t",
        "v_join": "SELECT a.g, a.u, b.w FROM t a JOIN t b ON a.u = b.w",
        "v_window": "SELECT g, u, min(u) OVER (PARTITION BY g ORDER BY u, w, i, s, n ROWS 1 PRECEDING) AS m FROM t",
        "v_top": "SELECT u FROM t ORDER BY u DESC NULLS LAST LIMIT 3",
        "v_list": "SELECT g, list(u ORDER BY u) AS l FROM t GROUP BY g",
    }, domains={"u": UHUGEINTS, "w": UHUGEINTS, "g": [1, 2, 3], "i": [0, 1, 7, -3],
                "s": ["1", "-1", " 12 ", "2.5", "x", "340282366920938463463374607431768211456"],
                "n": ["1.5", "7", "-2.0"]}),
    "time": Spec("CREATE TABLE t(g INT, a TIME, b TIME, d DATE, s VARCHAR, iv INTERVAL)", {
        "v_arith": "SELECT a, a + iv AS p, a - iv AS m, iv + a AS q, a + INTERVAL 90 MINUTE AS c, d + a AS ts, "
                   "a + d AS ts2, a - INTERVAL '25 hours' AS w FROM t",
        "v_parts": "SELECT a, extract(hour FROM a) AS h, minute(a) AS mi, second(a) AS se, date_part('ms', a) AS ms, "
                   "date_part('us', a) AS us, epoch(a) AS e, date_diff('minute', a, b) AS dm, "
                   "date_diff('microsecond', b, a) AS du, datediff('hour', a, b) AS dh FROM t",
        "v_compare": "SELECT a, b, a < b AS l, a = b AS e, a >= '12:00:00' AS g, greatest(a, b) AS gr, "
                     "coalesce(a, b, TIME '06:00:00') AS c, a BETWEEN '01:00' AND '13:00' AS bt FROM t",
        "v_casts": "SELECT a::VARCHAR AS t, TRY_CAST(s AS TIME) AS st, CAST(d + a AS TIME) AS back FROM t",
        "v_group": "SELECT g, min(a) AS mn, max(b) AS mx, count(DISTINCT a) AS cd, count(a) AS c FROM t GROUP BY g",
        "v_keys": "SELECT a, count(*) AS c FROM t GROUP BY a",
        "v_join": "SELECT x.g, x.a, y.b FROM t x JOIN t y ON x.a = y.b",
        "v_window": "SELECT g, a, max(a) OVER (PARTITION BY g ORDER BY a, b, d, s, iv ROWS 1 PRECEDING) AS m FROM t",
        "v_top": "SELECT a FROM t ORDER BY a DESC NULLS LAST LIMIT 3",
        "v_list": "SELECT g, list(a ORDER BY a) AS l FROM t GROUP BY g",
    }, domains={"a": TIMES, "b": TIMES, "g": [1, 2, 3],
                "d": [datetime.date(2024, 2, 29), datetime.date(1999, 12, 31)],
                "s": ["1:2:3", "12:34:56.1234567", "2021-01-01T12:00:00", "12:00:00+02", "25:00:00", "x",
                      "12:3", " 07:08:09 ", "12:34:56.", "12"],
                "iv": [datetime.timedelta(hours=1), datetime.timedelta(days=1, minutes=-30),
                       datetime.timedelta(hours=-25, microseconds=7), datetime.timedelta(0)]}),
    "binary": Spec("CREATE TABLE t(g INT, b BLOB, c BLOB, u UUID, w UUID, x BIT, y BIT, s VARCHAR)", {
        "v_blob": "SELECT b, c, b::VARCHAR AS t, b || c AS bc, octet_length(b) AS ol, b < c AS l, b = c AS e, "
                  "b >= 'a' AS ga, TRY_CAST(s AS BLOB) AS sb, md5(b) AS m5, sha1(c) AS s1, sha256(b) AS s2 FROM t",
        "v_uuid": "SELECT u, w, u::VARCHAR AS t, u < w AS l, u = w AS e, "
                  "u = 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11' AS ea, TRY_CAST(s AS UUID) AS su FROM t",
        "v_bit": "SELECT x, y, x::VARCHAR AS t, x < y AS l, x = y AS e, ~x AS n, bit_count(x) AS bc, "
                 "get_bit(x, 0) AS g0, x & '0110' AS a4, x | '0110' AS o4, xor(x, '0110') AS x4, TRY_CAST(s AS BIT) AS sx "
                 "FROM t WHERE length(x::VARCHAR) = 4 OR x IS NULL",
        "v_group": "SELECT g, min(b) AS mb, max(c) AS xc, min(u) AS mu, max(w) AS xw, min(x) AS mx, max(y) AS xy, "
                   "count(DISTINCT b) AS cb, count(DISTINCT u) AS cu, count(DISTINCT x) AS cx FROM t GROUP BY g",
        "v_keys": "SELECT b, u, x, count(*) AS n FROM t GROUP BY b, u, x",
        "v_bitagg": "SELECT g, bit_and(x) AS a, bit_or(x) AS o, bit_xor(x) AS x, bit_and(y) FILTER (WHERE y = '1') AS a1 "
                    "FROM t WHERE length(x::VARCHAR) = 4 GROUP BY g",
        "v_join": "SELECT t1.g, t1.b, t2.u, t2.x FROM t t1 JOIN t t2 ON t1.b = t2.c AND t1.u = t2.w",
        "v_top": "SELECT b, u, x FROM t ORDER BY b DESC NULLS LAST, u, x NULLS FIRST, g, c, w, y, s LIMIT 3",
        "v_setops": "SELECT b FROM t UNION SELECT c FROM t EXCEPT SELECT 'a'::BLOB",
        "v_list": "SELECT g, list(u ORDER BY u) AS lu, list(x ORDER BY x) AS lx FROM t GROUP BY g",
        # UTF-8 and base64 (a blob that is not UTF-8 fails DECODE: TRY is DuckDB's way around it)
        "v_codes": "SELECT b, s, encode(s) AS e, decode(encode(s)) = s AS back, to_base64(b) AS b64, base64(c) AS c64, "
                   "from_base64(to_base64(b)) = b AS round, TRY(decode(b)) AS d FROM t",
    }, domains={"g": [1, 2], "b": BLOBS, "c": BLOBS, "u": UUIDS, "w": UUIDS, "x": BITS, "y": BITS,
                "s": ["a\\x00b", "\\xFF", "\\x4", "é", "A0EEBC999C0B4EF8BB6D6BB9BD380A11",
                      "{a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11}", " a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", "0101", "",
                      "012", "a0ee-bc99-9c0b-4ef8-bb6d-6bb9bd380a11"]}),
}


test_types = streams_test(SPECS, 12)


def test_real_values_match_duckdb():
    """Conversions to FLOAT round once to the nearest float32, its text is DuckDB's (random values)."""
    import random

    import duckdb

    from deltasql.sqllib.real import real_text, to_real
    rnd = random.Random(19)
    texts = [repr(rnd.uniform(-1e6, 1e6)) for _ in range(400)] + \
            [str(rnd.randint(-2 ** 64, 2 ** 64)) for _ in range(200)] + \
            ["%.9e" % (rnd.uniform(-1, 1) * 10 ** rnd.randint(-45, 38)) for _ in range(400)] + \
            [f"{rnd.randint(1, 2 ** 26)}.5" for _ in range(200)]
    got = duckdb.connect().execute("SELECT v, v::FLOAT, v::FLOAT::VARCHAR FROM (SELECT unnest(?) v)", [texts]).fetchall()
    for text, value, shown in got:
        mine = to_real(text)
        assert mine == value, text
        if not 2 ** 27 <= abs(mine) < 2 ** 40:
            assert real_text(mine) == shown, text


def test_median_of_a_float_is_refused():
    p = Pipeline()
    p.execute("CREATE TABLE t(f FLOAT)")
    with pytest.raises(CompileError, match="32-bit"):
        p.execute("CREATE VIEW v AS SELECT median(f) FROM t")


@pytest.mark.parametrize("sql, message", [
    ("SELECT u + i FROM t", "not supported"),  # DuckDB: a DOUBLE for a signed INT, a UHUGEINT for UINTEGER
    ("SELECT u + 1::HUGEINT FROM t", "not supported"),
    ("SELECT -u FROM t", "cannot negate UHUGEINT"),
    ("SELECT sum(DISTINCT u) FROM t", "SUM.DISTINCT x. of a UHUGEINT is not supported"),
    ("SELECT coalesce(u, h) FROM t", "cannot combine UHUGEINT and HUGEINT"),
    ("SELECT typeof(coalesce(u, 1)) FROM t", "TYPEOF of a number"),
])
def test_uhugeint_refusals(sql, message):
    """What DuckDB types by rules ours cannot follow (our HUGEINT also holds DuckDB's UBIGINT) is refused."""
    p = Pipeline()
    p.execute("CREATE TABLE t(u UHUGEINT, i INT, h HUGEINT)")
    with pytest.raises(CompileError, match=message):
        p.execute(f"CREATE VIEW v AS {sql}")


def test_uhugeint_overflow_and_text():
    """Overflow is an error as in DuckDB; text converts as DuckDB reads it."""
    from deltasql import DataError
    p = Pipeline()
    assert p.execute("SELECT '340282366920938463463374607431768211455'::UHUGEINT, ' 12 '::UHUGEINT, "
                     "'2.5'::UHUGEINT, '-0'::UHUGEINT, typeof(1::UHUGEINT)") == \
        [(2 ** 128 - 1, 12, 3, 0, "UHUGEINT")]
    for sql in ("SELECT 0::UHUGEINT - 1", "SELECT '-1'::UHUGEINT", "SELECT (2 ** 127)::UHUGEINT * 2::UHUGEINT",
                "SELECT '340282366920938463463374607431768211456'::UHUGEINT"):
        with pytest.raises(DataError):
            p.execute(sql)


def test_time_text_forms():
    """TIME from text and back as DuckDB reads and prints it; 24:00:00 (DuckDB's end of a day) is refused,
    not NULL, even under TRY_CAST (a NULL would be a wrong answer)."""
    from deltasql import DataError
    p = Pipeline()
    assert p.execute("SELECT CAST(TIME '12:34:56.5' AS VARCHAR), '0:0:0'::TIME::VARCHAR, '12:34:56.1234567'::TIME, "
                     "typeof(TIME '01:00')") == [("12:34:56.5", "00:00:00", datetime.time(12, 34, 56, 123456), "TIME")]
    with pytest.raises(CompileError, match="24:00:00"):
        p.execute("SELECT TRY_CAST('24:00:00' AS TIME)")
    p.execute("CREATE TABLE t(s VARCHAR)")
    p.execute("CREATE VIEW v AS SELECT TRY_CAST(s AS TIME) AS x FROM t")
    p.insert("t", [("24:00",)])
    with pytest.raises(DataError, match="24:00:00"):
        p.step()
    for sql in ("SELECT CAST(TIME '12:00' AS TIMESTAMP)", "SELECT TIME '12:00' - TIME '11:00'",
                "SELECT date_part('year', TIME '12:00')", "SELECT CAST(TIMESTAMPTZ '2024-01-01 10:00+00' AS TIME)", "SELECT date_diff('day', TIME '01:00', TIME '02:00')"):
        with pytest.raises(CompileError):
            p.execute(sql)


def test_binary_text_forms():
    """BLOB text escapes all but printable ASCII (and quotes, backslash) as DuckDB does; casts DuckDB has
    that are not built (BLOB from a UUID, BIT from an integer) are refused."""
    p = Pipeline()
    assert p.execute("SELECT CAST('\\x00a\\x27\\x5Cz\\xfF'::BLOB AS VARCHAR), CAST(''::BIT AS VARCHAR), "
                     "CAST('{A0EEBC99-9C0B4EF8-BB6D6BB9BD380A11}'::UUID AS VARCHAR)") == \
        [("\\x00a\\x27\\x5Cz\\xFF", "0", "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11")]
    for sql in ("SELECT 5::BIT", "SELECT CAST(uuid '00000000-0000-0000-0000-000000000001' AS BLOB)",
                "SELECT 'x' || 'a'::BLOB", "SELECT '01'::BIT << 1"):
        with pytest.raises(CompileError):
            p.execute(sql)


def test_new_types_as_shard_keys():
    """GROUP BY and joins on UHUGEINT, TIME, BLOB, UUID and BIT keys across 3 simulated workers answer as
    one worker does (each value hashes alike in every worker: runtime/hashing.py)."""
    import random
    rnd = random.Random(19)
    rows = [(rnd.choice(UHUGEINTS), rnd.choice(TIMES), rnd.choice(BLOBS), rnd.choice(UUIDS), rnd.choice(BITS))
            for _ in range(60)]
    answers = []
    for options in ({}, {"workers": 3, "backend": "simulated"}):
        p = Pipeline(**options)
        p.execute("CREATE TABLE t(h UHUGEINT, a TIME, b BLOB, u UUID, x BIT)")
        p.execute("CREATE VIEW g AS SELECT h, a, b, u, x, count(*) AS n FROM t GROUP BY ALL")
        p.execute("CREATE VIEW j AS SELECT l.u, r.b, count(*) AS n FROM t l JOIN t r ON l.u = r.u AND l.x = r.x "
                  "GROUP BY l.u, r.b")
        p.insert("t", rows)
        p.step()
        p.delete("t", rows[:20])
        p.step()
        answers.append((sorted(p.view("g").rows(), key=repr), sorted(p.view("j").rows(), key=repr)))
    assert answers[0] == answers[1] and answers[0][0]


BASE64_TEXTS = ["", "YQ==", "YWI=", "YWJj", "YR==", "w6k=", "+/+/", "YWJ", "Y WJj", "YQ=a", "=YQ=", "====", "YQ==YQ==",
                "-_==", "YQ==\n", "YQ", "YQ===", "Y!==", "QUJD", "ABC=", "AB=="]


def test_from_base64_reads_what_duckdb_reads():
    """FROM_BASE64 of valid and invalid texts (length, alphabet, padding), and ENCODE / DECODE / TO_BASE64,
    against DuckDB: the same bytes, or an error on both sides."""
    import duckdb

    from deltasql import DataError
    con, p = duckdb.connect(), Pipeline()
    for text in BASE64_TEXTS:
        want = answer_or_error(lambda: con.execute("SELECT from_base64(?)", [text]).fetchone()[0],
                               duckdb.ConversionException)
        got = answer_or_error(lambda: p.query(f"SELECT from_base64({string_literal(text)}) AS x").rows[0][0],
                              DataError)
        assert got == want, repr(text)
    sql = "SELECT encode('ü€') AS e, to_base64(encode('ü€')) AS b, decode('\\xE2\\x82\\xAC') AS d"
    assert p.query(sql).rows == con.execute(sql).fetchall()
