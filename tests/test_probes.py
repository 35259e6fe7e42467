"""Adversarial probes: hostile but valid input gets a right answer or a clear error, never a hang, a
traceback or a wrong answer.  Each probe states what it guards (see README "What deltasql guarantees").

Huge expressions run against DuckDB on the same rows; patterns that backtrack exponentially in a
regex engine must finish at once (no timing assertion: a regression hangs the test, which the CI
budget then reports); limits name themselves in their error.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
import time
from decimal import Decimal

import duckdb
import pytest

from deltasql import CompileError, DataError, Pipeline
from deltasql.compiler.frontend import MAX_NESTING
from deltasql.sqllib.cache import SizedCache
from deltasql.sqllib.patterns import glob_match, like

ROWS = [(1, 2, "x"), (None, 3, None), (7, None, "abc"), (3, 3, ""), (-2, 5, "a%b")]


def same_as_duckdb(select: str, rows=ROWS):
    """The view over t and the ad-hoc query both equal DuckDB's answer."""
    p = Pipeline()
    p.execute("CREATE TABLE t(a INT, b INT, s VARCHAR)")
    p.execute(f"CREATE VIEW v AS {select}")
    p.insert("t", rows)
    p.step()
    con = duckdb.connect()
    con.execute("CREATE TABLE t(a INT, b INT, s VARCHAR)")
    con.executemany("INSERT INTO t VALUES (?, ?, ?)", rows)
    expected = sorted(con.execute(select).fetchall(), key=repr)
    assert sorted(p.view("v").rows(), key=repr) == expected
    assert sorted(p.execute(select), key=repr) == expected
    p.delete("t", rows)
    p.step()
    assert p.view("v").rows() == [] or "COUNT" in select


# -- valid SQL of realistic size compiles and runs ---------------------------------------------------

N = 400

HUGE = {
    "case with hundreds of WHENs": "SELECT CASE " + " ".join(f"WHEN a = {i} THEN {i * 10}" for i in range(N))
                                   + " ELSE -1 END AS c FROM t",
    "COALESCE of hundreds of arguments": "SELECT COALESCE(" + ", ".join(["NULL", "a"] * (N // 2)) + ", b) AS c FROM t",
    "AND chain": "SELECT a FROM t WHERE " + " AND ".join(f"a <> {i}" for i in range(2, N)),
    "OR chain": "SELECT a FROM t WHERE " + " OR ".join(f"a = {i}" for i in range(N)),
    "AND chain as a value": "SELECT (" + " AND ".join(f"a <> {i}" for i in range(2, N)) + ") AS x FROM t",
    "OR chain as a value": "SELECT (" + " OR ".join(f"b = {i}" for i in range(4, N)) + ") AS x FROM t",
    "sum of hundreds of terms": "SELECT " + " + ".join(["a"] * N) + " AS x FROM t",
    "concatenation chain": "SELECT " + " || ".join(["s"] * N) + " AS x FROM t",
    "deep parentheses": "SELECT " + "(" * N + "a" + ")" * N + " AS x FROM t",
    "deeply nested arithmetic": "SELECT " + "(a + " * N + "1" + ")" * N + " AS x FROM t",
    "nested CASE": "SELECT " + "CASE WHEN a > 0 THEN " * 120 + "a" + " ELSE b END" * 120 + " AS x FROM t",
    "nested subqueries": "SELECT a FROM " + "(SELECT a FROM " * 150 + "t" + ") AS q" * 150,
    "long IN list": "SELECT a FROM t WHERE a IN (" + ", ".join(str(i) for i in range(3, 20_000)) + ")",
    "long IN list of columns": "SELECT a FROM t WHERE a IN (" + ", ".join(["b", "b + 1"] * (N // 2)) + ")",
    "wide join": "SELECT t0.a FROM t AS t0 " + " ".join(f"JOIN t AS t{i} ON t{i}.a = t{i - 1}.a" for i in range(1, 40)),
    "wide select": "SELECT " + ", ".join(f"a + {i} AS c{i}" for i in range(N)) + " FROM t",
}


@pytest.mark.parametrize("select", list(HUGE.values()), ids=list(HUGE))
def test_huge_expressions_compile_and_run(select):
    same_as_duckdb(select)


def test_nesting_beyond_the_limit_is_a_compile_error_naming_it():
    p = Pipeline()
    p.execute("CREATE TABLE t(a INT)")
    deep = "SELECT " + "(" * (MAX_NESTING + 1) + "a" + ")" * (MAX_NESTING + 1) + " FROM t"
    with pytest.raises(CompileError, match=f"nested more than {MAX_NESTING} deep") as e:
        p.execute(deep)
    assert (e.value.line, e.value.col) == (1, 8 + MAX_NESTING)
    # parentheses inside strings and comments do not count
    p.execute("SELECT '" + "(" * (MAX_NESTING + 5) + "' AS s FROM t -- " + "(" * (MAX_NESTING + 5))


# -- patterns: linear time, no shared compiled state ---------------------------------------------------

def test_like_and_glob_do_not_backtrack():
    """A regex of .* pieces takes exponential time here (LIKE '%a%a…%b' ran for minutes on 50
    characters); the segment matcher is linear per segment."""
    s = "a" * 100_000
    assert like(s, "%a%a%a%a%a%a%a%a%a%a%a%a%b") is False
    assert like(s + "b", "%a%a%a%a%a%a%a%a%a%a%a%a%b") is True
    assert like(s, "%" + "_%" * 30 + "b") is False
    assert glob_match(s, "*a*a*a*a*a*a*a*a*a*a*a*a*b", False) is False
    assert glob_match(s + "b", "*a*?*a*[ab]*b", False) is True


def test_long_constant_patterns_are_not_shared():
    """Two constant regexes equal in their first 200 characters (where a compiled pattern's repr
    stops) got one compiled pattern: the constant cache was keyed by repr."""
    head = "x" * 250
    p = Pipeline()
    p.execute("CREATE TABLE t(s VARCHAR)")
    p.execute(f"CREATE VIEW v AS SELECT regexp_matches(s, '^{head}a$') AS a, regexp_matches(s, '^{head}b$') AS b "
              f"FROM t")
    p.insert("t", [(head + "a",), (head + "b",)])
    p.step()
    assert sorted(p.view("v").rows()) == [(False, True), (True, False)]


def test_pattern_caches_are_bounded_by_size():
    cache = SizedCache(max_size=1000, max_entries=100)
    for i in range(50):
        cache.put((str(i) * 100, False), i)
    assert cache.total <= 1000 and len(cache) <= 10
    assert cache.get((str(49) * 100, False)) == 49  # the newest stay
    assert cache.put(("y" * 2000, False), "big") == "big" and cache.get(("y" * 2000, False)) is None
    for pattern in ("%" + "a" * 5000 + str(i) for i in range(2000)):  # the real caches too
        like("a", pattern)
    from deltasql.sqllib import patterns
    assert patterns._LIKE_CACHE.total <= patterns._LIKE_CACHE.max_size


@pytest.mark.parametrize("pattern", ["%a%a%a%a%a%a%a%b", "a%", "%", "_b%", "%c", "a\\%b", "%\\_%"])
def test_like_matches_duckdb(pattern):
    same_as_duckdb(f"SELECT s, s LIKE '{pattern}' AS m, s ILIKE '{pattern.upper()}' AS i FROM t")
    same_as_duckdb(f"SELECT s FROM t WHERE s LIKE '{pattern}' ESCAPE '\\'")


def test_hostile_names_never_reach_generated_code():
    """Identifiers and strings with quotes, newlines and Python syntax are data, not code."""
    p = Pipeline()
    name = '"x""); import os; os._exit(3); ("'
    p.execute(f"CREATE TABLE t({name} VARCHAR)")
    p.execute(f"CREATE VIEW v AS SELECT {name} || '\\n''); os._exit(4) #' AS c FROM t")
    p.insert("t", [("a",)])
    p.step()
    assert p.view("v").rows() == [("a\\n'); os._exit(4) #",)]  # (a process that ran the text would have exited)
    assert p.columns("t") == ['x"); import os; os._exit(3); (']


def test_catastrophic_regexes_run_in_linear_time():
    """Python's re backtracked exponentially on '^(a+)+$' (each character doubled the time); every
    pattern now runs on RE2 or on the Pike VM (sqllib/matchers.py), as a constant and as a value.
    tests/test_regex_engines.py checks both matchers against DuckDB."""
    p = Pipeline()
    p.execute("CREATE TABLE t(s VARCHAR, p VARCHAR)")
    p.execute("CREATE VIEW v AS SELECT regexp_matches(s, '^(a+)+$') AS m, regexp_matches(s, p) AS d FROM t")
    p.insert("t", [("a" * 5000 + "!", "^(a|b+|aa)+$"), ("a" * 5000, "^(ab|cd)*a+$")])
    p.step()
    assert sorted(p.view("v").rows()) == [(False, False), (True, True)]


# -- numbers and literals: an error at once, with the place ---------------------------------------------

def test_hostile_literals_are_errors_at_once():
    with pytest.raises(CompileError) as e:
        Pipeline().execute("SELECT 'a\ud800' AS s")
    assert e.value.message.startswith("the SQL text holds a lone surrogate") and e.value.line == 1
    # an INTERVAL past its range fails the rows that read it, as in DuckDB (issue 21's choice): at once,
    # naming the view, and the step changes nothing
    p = Pipeline()
    with pytest.raises(DataError, match="query: interval out of range: 120000000 months"):
        p.execute("SELECT DATE '2020-01-01' + INTERVAL 10000000 YEAR AS d")
    p.execute("CREATE TABLE t(a INT); CREATE VIEW v AS SELECT a, INTERVAL 99999999999 DAY AS d FROM t")
    p.insert("t", [(1,)])
    with pytest.raises(DataError, match="v: interval out of range: 0 months 99999999999 days"):
        p.step()
    assert p.table_rows("t") == [] and p.view("v").rows() == []


def test_long_numbers_are_read_as_duckdb_types_them():
    p = Pipeline()
    assert p.execute("SELECT " + "7" * 5000 + " AS x") == [(float("inf"),)]  # past int()'s 4300 digits
    assert p.execute("SELECT 1e999999999 AS x") == [(float("inf"),)]


@pytest.mark.parametrize("value,message", [
    (Decimal("1e999999999"), "t.a: 1E+999999999 is out of range for INTEGER"),
    (7 ** 6000, "t.a: an integer of 16845 bits is out of range for INTEGER"),
    ("7" * 5000, "t.a: '7777777777"),
], ids=["1e999999999", "16844-bit int", "5000-digit text"])
def test_hostile_numbers_are_data_errors(value, message):
    p = Pipeline()
    p.execute("CREATE TABLE t(a INT, s VARCHAR)")
    with pytest.raises(DataError) as e:
        p.insert("t", [(value, None)])
    assert str(e.value).startswith(message)


def test_lone_surrogates_are_data_errors():
    p = Pipeline()
    p.execute("CREATE TABLE t(a INT, s VARCHAR)")
    with pytest.raises(DataError, match="t.s: a string holding a lone surrogate"):
        p.insert("t", [(1, "x\udc80")])
    p.insert("t", [(1, "é ok 😀")])
    p.step()
    assert p.table_rows("t") == [(1, "é ok 😀")]


def test_repeat_past_the_string_limit_is_a_data_error():
    p = Pipeline()
    p.execute("CREATE TABLE t(n BIGINT); CREATE VIEW v AS SELECT length(repeat('ab', n)) AS k FROM t")
    p.insert("t", [(3,)])
    p.step()
    p.insert("t", [(10 ** 9,)])
    with pytest.raises(DataError, match="repeat would make a string of 2000000000 characters"):
        p.step()
    assert p.view("v").rows() == [(6,)] and p.table_rows("t") == [(3,)]
    assert p.step() == {}  # the failed step's queued row was discarded


# -- threads ------------------------------------------------------------------------------------------

def test_threads_are_serialized():
    """Two threads inserting and stepping at once lost rows and left views unlike their tables; every
    public method now holds the pipeline's lock."""
    p = Pipeline()
    p.execute("CREATE TABLE t(k INT, v INT); CREATE VIEW s AS SELECT k, COUNT(*) AS n, SUM(v) AS total FROM t "
              "GROUP BY k")
    errors = []

    def worker(k):
        try:
            for i in range(300):
                p.insert("t", [(k, i)])
                if i % 3 == 0:
                    p.step()
                p.view("s").rows()
            p.step()
        except Exception as e:  # noqa: BLE001 - reported below
            errors.append(e)

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(4)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert not errors
    assert len(p.table_rows("t")) == 1200
    assert sorted(p.view("s").rows()) == [(k, 300, sum(range(300))) for k in range(4)]


# -- interrupts and the command line ------------------------------------------------------------------

SLOW = "CREATE TABLE s(n INT); CREATE VIEW c AS WITH RECURSIVE r(n) AS (SELECT n FROM s UNION ALL " \
       "SELECT n + 1 FROM r WHERE n < 3000000) SELECT COUNT(*) AS k FROM r;"


def test_an_interrupted_step_is_rolled_back_and_passed_on():
    p = Pipeline(max_iterations=10_000_000)
    p.execute(SLOW)
    p.insert("s", [(2_999_990,)])
    p.step()
    assert p.view("c").rows() == [(11,)]
    p.insert("s", [(1,)])

    def interrupt(signum, frame):
        raise KeyboardInterrupt

    old = signal.signal(signal.SIGALRM, interrupt)
    signal.setitimer(signal.ITIMER_REAL, 0.5)
    try:
        with pytest.raises(KeyboardInterrupt):
            p.step()
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)
    assert p.view("c").rows() == [(11,)] and p.table_rows("s") == [(2_999_990,)]
    assert p.step() == {}  # like any failed step, the interrupted one discarded its queued changes
    p.insert("s", [(2_999_995,)])
    p.step()
    assert p.view("c").rows() == [(17,)]


def test_ctrl_c_exits_130(tmp_path):
    views = tmp_path / "views.sql"
    views.write_text(SLOW + "\nINSERT INTO s VALUES (1);\n")
    # (SIGINT as a terminal delivers it: a test runner's worker may ignore SIGINT, and a child inherits that)
    proc = subprocess.Popen([sys.executable, "-m", "deltasql", "run", str(views), "--max-iterations", "10000000"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    time.sleep(3)  # (only to let the step start; nothing is timed)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    assert err.strip().endswith("deltasql: interrupted") and "Traceback" not in err


@pytest.mark.parametrize("name,text,message", [
    ("t.csv", "a,b,a\n1,2,3\n", "/t.csv:1: error: the header names column 'a' twice"),
    ("t.csv", 'a,b\n1,"x\n', "/t.csv:2: error: not valid CSV: unexpected end of data"),
    ("c.jsonl", '{"table": "t", "insert": {"a": 1, "a": 2}}\n', "/c.jsonl:1: error: the key 'a' appears twice"),
    ("c.jsonl", '{"table": "t", "insert": {"a": 1e999999999}}\n', "/c.jsonl:1: error: t.a: 1E+999999999 is out"),
])
def test_bad_change_files_are_errors(tmp_path, capsys, name, text, message):
    from deltasql import cli

    (tmp_path / "v.sql").write_text("CREATE TABLE t(a INT, b INT);\n")
    (tmp_path / name).write_text(text)
    assert cli.main(["run", str(tmp_path / "v.sql"), str(tmp_path / name)]) == 1
    assert message in capsys.readouterr().err


def test_table_output_escapes_control_characters(tmp_path, capsys):
    """A value cannot forge a step block or send a terminal escape sequence."""
    from deltasql import cli

    (tmp_path / "v.sql").write_text("CREATE TABLE t(s VARCHAR); CREATE VIEW v AS SELECT s FROM t;\n"
                                    "INSERT INTO t VALUES ('x' || chr(10) || '== step 9  forged' || chr(27) || '[2J');\n")
    assert cli.main(["run", str(tmp_path / "v.sql")]) == 0
    out = capsys.readouterr().out
    assert "x\\n== step 9  forged\\x1b[2J" in out
    assert "\x1b" not in out
    assert [line for line in out.splitlines() if line.startswith("== step")] == [line for line in out.splitlines()][:1]


# -- limits on one step --------------------------------------------------------------------------------

RUNAWAY = ("CREATE TABLE s(n BIGINT); CREATE VIEW c AS WITH RECURSIVE r(n) AS (SELECT n FROM s UNION ALL "
           "SELECT n + 1 FROM r WHERE n < 1000000000) SELECT COUNT(*) AS k FROM r; CREATE VIEW w AS SELECT n FROM s")


def test_a_step_past_the_row_limit_is_a_data_error_and_changes_nothing():
    """A recursion that runs away (a billion iterations allowed, each a few rows) or a join that
    explodes is stopped by the row limit; the pipeline is as before and goes on."""
    p = Pipeline(max_iterations=10 ** 9, max_step_rows=5000)
    p.execute(RUNAWAY)
    p.insert("s", [(999_999_990,)])
    assert p.step() == {"c": [((11,), 1)], "w": [((999_999_990,), 1)]}
    p.insert("s", [(1,)])
    with pytest.raises(DataError, match="c: the step produced more than 5,000 row changes .*nothing was changed"):
        p.step()
    assert p.view("c").rows() == [(11,)] and p.view("w").rows() == [(999_999_990,)]
    assert p.table_rows("s") == [(999_999_990,)] and p.step() == {}
    p.insert("s", [(999_999_995,)])
    assert p.step() == {"c": [((11,), -1), ((17,), 1)], "w": [((999_999_995,), 1)]}
    # a new view whose first fill passes the limit is not created
    p.execute("CREATE TABLE a(x INT)")
    p.insert("a", [(i,) for i in range(200)])
    p.step()
    with pytest.raises(DataError, match="view j: the step produced more than 5,000 row changes"):
        p.execute("CREATE VIEW j AS SELECT a.x, b.x AS y FROM a, a AS b")
    assert p.views == ["c", "w"]
    p.execute("CREATE VIEW j AS SELECT a.x, b.x AS y FROM a, a AS b WHERE a.x < 10 AND b.x < 10")
    assert len(p.view("j")) == 100


def test_no_row_limit_by_default():
    p = Pipeline()
    p.execute("CREATE TABLE a(x INT); CREATE VIEW j AS SELECT a.x, b.x AS y FROM a, a AS b")
    p.insert("a", [(i,) for i in range(300)])
    p.step()
    assert len(p.view("j")) == 90_000
    with pytest.raises(ValueError):
        Pipeline(max_step_rows=0)


def test_max_step_rows_from_the_command_line(tmp_path, capsys):
    from deltasql import cli

    (tmp_path / "v.sql").write_text(RUNAWAY + ";\nINSERT INTO s VALUES (999999000);\n")
    assert cli.main(["run", str(tmp_path / "v.sql"), "--max-iterations", "1000000000", "--max-step-rows", "500"]) == 1
    assert "the step produced more than 500 row changes" in capsys.readouterr().err
    assert cli.main(["run", str(tmp_path / "v.sql"), "--max-iterations", "1000000000", "--max-step-rows", "50000"]) == 0
    with pytest.raises(SystemExit):
        cli.main(["run", str(tmp_path / "v.sql"), "--max-step-rows", "0"])


def test_check_refuses_names_duckdb_folds_together(tmp_path, capsys):
    """In Postgres "Foo" and foo are two tables; DuckDB, the oracle, matches names case-insensitively
    even when quoted, so it would compare the wrong table: check says so instead."""
    from deltasql import cli

    (tmp_path / "c.sql").write_text("INSERT INTO foo VALUES (2);\n")
    (tmp_path / "v.sql").write_text('CREATE TABLE foo(a INT);\nCREATE TABLE "Foo"(a INT);\n'
                                    'CREATE VIEW v AS SELECT a FROM "Foo";\n')
    assert cli.main(["check", str(tmp_path / "v.sql"), str(tmp_path / "c.sql"), "--dialect", "postgres"]) == 1
    assert ('v.sql:2: error: the tables/views "foo" and "Foo" are two names in the postgres dialect but one in '
            'DuckDB') in capsys.readouterr().err
    (tmp_path / "w.sql").write_text('CREATE TABLE foo("A" INT, a INT);\nCREATE VIEW v AS SELECT a FROM foo;\n')
    assert cli.main(["check", str(tmp_path / "w.sql"), str(tmp_path / "c.sql"), "--dialect", "postgres"]) == 1
    assert 'in "foo", the columns "A" and "a" are two names' in capsys.readouterr().err
    # one quoted mixed-case name is fine: DuckDB finds it
    (tmp_path / "x.sql").write_text('CREATE TABLE "Foo"(a INT);\nCREATE VIEW v AS SELECT a FROM "Foo";\n')
    (tmp_path / "d.sql").write_text('INSERT INTO "Foo" VALUES (2);\n')
    assert cli.main(["check", str(tmp_path / "x.sql"), str(tmp_path / "d.sql"), "--dialect", "postgres"]) == 0


def test_max_iterations_from_the_command_line(tmp_path, capsys):
    from deltasql import cli

    (tmp_path / "v.sql").write_text("CREATE TABLE s(n INT); CREATE VIEW c AS WITH RECURSIVE r(n) AS (SELECT n FROM s "
                                    "UNION SELECT n + 1 FROM r WHERE n < 100) SELECT COUNT(*) AS k FROM r;\n"
                                    "INSERT INTO s VALUES (1);\n")
    assert cli.main(["run", str(tmp_path / "v.sql"), "--max-iterations", "50"]) == 1
    assert "did not reach a fixpoint within 50 iterations; nothing was changed" in capsys.readouterr().err
    assert cli.main(["run", str(tmp_path / "v.sql"), "--max-iterations", "200"]) == 0


MEMORY = """
import resource, sys
from deltasql import Pipeline, DataError
p = Pipeline()
p.execute("CREATE TABLE t(a INT, s VARCHAR); CREATE VIEW v AS SELECT x.a, y.a AS b, x.s || y.s AS c FROM t x, t y;"
          "CREATE VIEW w AS SELECT a FROM t")
p.insert("t", [(i, "x") for i in range(3)])
p.step()
resource.setrlimit(resource.RLIMIT_AS, (600 * 2**20, resource.RLIM_INFINITY))
p.insert("t", [(i, "y" * 100) for i in range(3, 6000)])  # a cross product of 36 million rows
try:
    p.step()
except DataError as e:
    print(e)
resource.setrlimit(resource.RLIMIT_AS, (resource.RLIM_INFINITY, resource.RLIM_INFINITY))
print(len(p.view("v").rows()), len(p.view("w").rows()), len(p.table_rows("t")))
p.insert("t", [(100, "z")])
p.step()
print(len(p.view("v").rows()), len(p.view("w").rows()), len(p.table_rows("t")))
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="needs RLIMIT_AS")
def test_running_out_of_memory_in_a_step_rolls_it_back():
    """The undo of a step that ran out of memory itself needed memory and failed, leaving a raw
    MemoryError and a half-undone pipeline; the failed step's outputs are now freed first."""
    r = subprocess.run([sys.executable, "-c", MEMORY], capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines() == [
        "v: out of memory; nothing was changed and the step's queued changes were discarded", "9 3 3", "16 4 4"]
