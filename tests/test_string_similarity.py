"""The string similarity and digit functions (sqllib/similarity.py, TRUNC(x, d), OVERLAY, TO_BASE)
value by value against DuckDB over many random arguments: their rules have corners (the Jaro window,
unrestricted transpositions, OVERLAY's clamping) that the registry's few rows per stream rarely reach.
The registry's differential tests (tests/test_functions.py) run them in views under change streams."""

import random

import duckdb
import pytest

from deltasql import DataError, Pipeline

ALPHABET = "abcab ÄéxyzAB"


def words(rng, n):
    return ["".join(rng.choice(ALPHABET) for _ in range(rng.randint(0, 7))) for _ in range(n)]


@pytest.mark.parametrize("fn", ["levenshtein", "damerau_levenshtein", "hamming", "jaro_similarity",
                                "jaro_winkler_similarity", "jaccard"])
def test_pairs_against_duckdb(fn):
    rng = random.Random(fn)
    a, b = words(rng, 300), words(rng, 300)
    b[:60] = [x[::-1] for x in a[:60]]  # transposed and equal-length pairs
    b[60:90] = a[60:90]
    con = duckdb.connect()
    p = Pipeline()
    p.execute("CREATE TABLE t(i INT, a VARCHAR, b VARCHAR)")
    p.execute(f"CREATE VIEW v AS SELECT i, {fn}(a, b) AS r FROM t WHERE a <> '' AND b <> '' "
              f"AND (length(a) = length(b) OR '{fn}' <> 'hamming')")
    p.insert("t", [(i, x, y) for i, (x, y) in enumerate(zip(a, b))])
    p.step()
    got = dict(p.view("v").rows())
    assert len(got) > 80
    for i, r in got.items():
        want = con.execute(f"SELECT {fn}(?, ?)", [a[i], b[i]]).fetchone()[0]
        assert r == pytest.approx(want, rel=1e-12, abs=1e-15), (fn, a[i], b[i])


def test_empty_strings_are_errors_where_duckdb_errs():
    p = Pipeline()
    p.execute("CREATE TABLE t(a VARCHAR, b VARCHAR); CREATE VIEW j AS SELECT jaccard(a, b) FROM t")
    p.insert("t", [("", "a")])
    with pytest.raises(DataError, match="jaccard"):
        p.step()


def test_trunc_overlay_to_base_against_duckdb():
    rng = random.Random(5)
    con = duckdb.connect()
    p = Pipeline()
    p.execute("CREATE TABLE t(i INT, x DOUBLE, d DECIMAL(12, 4), n BIGINT, k INT, s VARCHAR, r VARCHAR)")
    exprs = ["trunc(x, k)", "trunc(d, 2)", "trunc(d, -1)", "trunc(n, k)", "overlay(s PLACING r FROM k)",
             "overlay(s PLACING r FROM k FOR k - 2)", "to_base(abs(n), abs(k) % 35 + 2, abs(k) % 10)",
             "isnan(x)", "isinf(x / 0.0)", "signbit(x)", "even(x)", "gcd(n, k)", "lcm(n % 1000, k)"]
    p.execute(f"CREATE VIEW v AS SELECT i, {', '.join(exprs)} FROM t")
    rows = []
    for i in range(300):
        x = rng.choice([rng.uniform(-1000, 1000), rng.randint(-9999, 9999) / 100, 0.0, -0.0, 2.675, 1e300])
        rows.append((i, x, round(rng.uniform(-9999, 9999), 4), rng.randint(-10**6, 10**6), rng.randint(-4, 6),
                     rng.choice(words(rng, 1) + ["abcde"]), rng.choice(["XY", "", "Z"])))
    p.insert("t", rows)
    p.step()
    con.execute("CREATE TABLE t(i INT, x DOUBLE, d DECIMAL(12, 4), n BIGINT, k INT, s VARCHAR, r VARCHAR)")
    con.executemany("INSERT INTO t VALUES (?, ?, ?, ?, ?, ?, ?)", rows)
    want = {r[0]: r[1:] for r in con.execute(f"SELECT i, {', '.join(exprs)} FROM t").fetchall()}
    for row in p.view("v").rows():
        assert row[1:] == want[row[0]], (rows[row[0]], row, want[row[0]])
