"""Regular expressions on every matcher (sqllib/matchers.py) give DuckDB's answers, and none takes
more than linear time: random RE2 patterns, as constants and as values, on RE2 (google-re2, the
optional extra) and on the pure-Python Pike VM that runs when it is absent; the patterns that make a
backtracking matcher exponential or polynomial run at once on both."""

import os
import random

import duckdb
import pytest

from deltasql import Pipeline
from deltasql.sqllib import matchers, re2

ENGINES = ["re2", "pikevm"]
ATOMS = ["a", "b", "ab", ".", "[ab]", "[^a]", "\\d", "\\w", "\\s", "\\W", "[[:alpha:]]", "é", "A", "\\.", "x",
         "\\b", "\\B", "^", "$", "\\A", "\\z", "[a-cé]", "\\n"]
SUFFIXES = ["*", "+", "?", "*?", "+?", "??", "{2}", "{1,3}", "{0,2}?", "{2,}"]
TEXT_CHARS = "aabbAB é1.\nx_"


def random_pattern(rnd, depth=0):
    r = rnd.random()
    if depth > 3 or r < 0.3:
        return rnd.choice(ATOMS)
    if r < 0.5:
        return random_pattern(rnd, depth + 1) + random_pattern(rnd, depth + 1)
    if r < 0.62:
        return f"({random_pattern(rnd, depth + 1)}|{random_pattern(rnd, depth + 1)})"
    if r < 0.8:
        return f"({random_pattern(rnd, depth + 1)}){rnd.choice(SUFFIXES)}"
    if r < 0.9:
        return f"(?:{random_pattern(rnd, depth + 1)}){rnd.choice(SUFFIXES)}"
    return f"(?{rnd.choice(['i', 's', 'm', 'U', 'i-s'])}:{random_pattern(rnd, depth + 1)})"


def accepted(pattern, options=""):
    try:
        re2.translate(pattern, fold="i" in options, dot_nl="s" in options)
        return True
    except re2.PatternError:
        return False


@pytest.fixture(params=ENGINES)
def engine(request):
    if request.param == "re2" and not matchers.google_re2_available():
        if os.environ.get("CI"):
            pytest.fail("google-re2 (in the test extra) is not installed")
        pytest.skip("google-re2 is not installed")
    matchers.use_google_re2(request.param == "re2")
    yield request.param
    matchers.use_google_re2(True)


def duckdb_rows(select, rows, columns="s VARCHAR, p VARCHAR"):
    """DuckDB's answer per row of t, keyed by the row, leaving out the rows where DuckDB fails: its
    global replace steps one byte past an empty match, into a multi-byte character, and raises 'not
    valid UTF-8' (BUGS.md, issue 12).  A batch that fails is split in two until the failing rows are
    alone (a fresh database each time: an internal error invalidates it)."""
    marks = ", ".join("?" for _ in rows[0])
    out = {}

    def run(batch):
        db = duckdb.connect()
        db.execute(f"CREATE TABLE t({columns})")
        db.executemany(f"INSERT INTO t VALUES ({marks})", batch)
        try:
            found = db.execute(select).fetchall()
        except duckdb.Error as e:
            if len(batch) == 1:
                assert "not valid UTF-8" in str(e) and not batch[0][0].isascii(), e
                return
            run(batch[:len(batch) // 2])
            run(batch[len(batch) // 2:])
            return
        out.update((r[:len(batch[0])], r) for r in found)

    run(rows)
    return out


@pytest.mark.parametrize("seed", range(4))
def test_random_patterns_as_values_match_duckdb(engine, seed):
    rnd = random.Random(seed)
    patterns = list(dict.fromkeys(p for p in (random_pattern(rnd) for _ in range(150)) if accepted(p)))
    assert len(patterns) > 80  # (the refused ones repeat a subpattern that can match nothing)
    texts = list(dict.fromkeys("".join(rnd.choice(TEXT_CHARS) for _ in range(rnd.randint(0, 9)))
                               for _ in range(12)))
    rows = [(s, p) for p in patterns for s in texts]
    select = ("SELECT s, p, regexp_matches(s, p) AS m, regexp_full_match(s, p) AS f, "
              "regexp_extract(s, p) AS e, regexp_replace(s, p, '<\\0>') AS r1, "
              "regexp_replace(s, p, '<\\0>', 'g') AS rg, regexp_matches(s, p, 'i') AS mi FROM t")
    p = Pipeline()
    p.execute("CREATE TABLE t(s VARCHAR, p VARCHAR)")
    p.execute(f"CREATE VIEW v AS {select}")
    p.insert("t", rows)
    p.step()
    ours = {(r[0], r[1]): r for r in p.view("v").rows()}
    theirs = duckdb_rows(select, rows)
    assert len(ours) == len(rows) and len(theirs) > 0.95 * len(rows)
    wrong = [(key, ours[key], theirs[key]) for key in theirs if ours[key] != theirs[key]]
    assert not wrong, wrong[:5]


@pytest.mark.parametrize("options", ["", "i", "s", "g"])
def test_constant_patterns_match_duckdb(engine, options):
    rnd = random.Random(f"const{options}")
    patterns = [p for p in (random_pattern(rnd) for _ in range(25)) if accepted(p, options)]
    # (DuckDB fails a global replace that steps into a multi-byte character: ASCII texts for 'g')
    chars = TEXT_CHARS.replace("é", "") if options == "g" else TEXT_CHARS
    texts = list(dict.fromkeys("".join(rnd.choice(chars) for _ in range(rnd.randint(0, 12))) for _ in range(30)))
    opt = f", '{options}'" if options else ""
    calls = []
    for i, pat in enumerate(patterns):
        q = pat.replace("'", "''")
        if options == "g":
            calls.append(f"regexp_replace(s, '{q}', '[\\0]', 'g') AS c{i}")
        else:
            calls += [f"regexp_matches(s, '{q}'{opt}) AS m{i}", f"regexp_extract(s, '{q}', 0{opt}) AS e{i}",
                      f"regexp_replace(s, '{q}', '[\\0]'{opt}) AS r{i}"]
    select = f"SELECT s, {', '.join(calls)} FROM t"
    p = Pipeline()
    p.execute("CREATE TABLE t(s VARCHAR)")
    p.execute(f"CREATE VIEW v AS {select}")
    p.insert("t", [(s,) for s in texts])
    p.step()
    theirs = duckdb_rows(select, [(s,) for s in texts], "s VARCHAR")
    ours = {r[:1]: r for r in p.view("v").rows()}
    assert len(theirs) > 0.8 * len(texts)
    assert {k: ours[k] for k in theirs} == theirs


@pytest.mark.parametrize("pattern,text", [
    ("^(a+)+$", "a" * 5000 + "!"),          # exponential in a backtracking matcher
    ("^(a|aa)+$", "a" * 5000 + "!"),        # exponential
    ("(a|a)*b", "a" * 5000),                # exponential
    ("a*a*a*b", "a" * 5000),                # cubic per start, quartic for a search
    ("\\d+-\\d+", "1" * 5000),              # quadratic in Python's re, even for this
    ("(x+x+)+y", "x" * 5000),
])
def test_patterns_that_backtrack_run_in_linear_time(engine, pattern, text):
    """Each of these would run for minutes to ages on Python's re (and did: '^(a+)+$' doubled its
    time with each character); here they answer at once, as DuckDB does.  (No timing asserted: a
    slow matcher would make this test hang, not fail.)"""
    p = Pipeline()
    p.execute("CREATE TABLE t(s VARCHAR, p VARCHAR)")
    p.execute(f"CREATE VIEW c AS SELECT regexp_matches(s, '{pattern}') AS m, "
              f"regexp_replace(s, '{pattern}', '', 'g') = s AS same FROM t")
    p.execute("CREATE VIEW d AS SELECT regexp_matches(s, p) AS m FROM t")
    p.insert("t", [(text, pattern)])
    p.step()
    want = duckdb.connect().execute(f"SELECT regexp_matches('{text}', '{pattern}')").fetchall()[0][0]
    assert p.view("c").rows() == [(want, not want)] and p.view("d").rows() == [(want,)]


def test_the_matcher_does_not_change_the_answer():
    """The same patterns on each matcher, compared directly (spans of every group)."""
    if not matchers.google_re2_available():
        pytest.skip("google-re2 is not installed")
    rnd = random.Random(7)
    compared = 0
    for _ in range(400):
        pattern = random_pattern(rnd)
        if not accepted(pattern):
            continue
        found = {}
        for on in (True, False):
            matchers.use_google_re2(on)
            rx = re2.translate(pattern)
            texts = ["".join(random.Random(k).choice(TEXT_CHARS) for _ in range(k % 9)) for k in range(20)]
            spans = []
            for s in texts:
                for pos in range(len(s) + 1):
                    m = rx.rx.search(s, pos)
                    spans.append(None if m is None else [m.span(g) for g in range(rx.groups + 1)])
                m = rx.rx.fullmatch(s)
                spans.append(None if m is None else [m.span(g) for g in range(rx.groups + 1)])
            found[on] = spans
        matchers.use_google_re2(True)
        assert found[True] == found[False], pattern
        compared += 1
    assert compared > 250
