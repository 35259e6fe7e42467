"""The deltasql command line: compile, run and check, every input format, error exits and --help."""

import json
import os
import re
import subprocess
import sys
import textwrap

import pytest

from deltasql import cli

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

VIEWS = """\
CREATE TABLE t(a INT, b VARCHAR);
CREATE VIEW per_a AS SELECT a, COUNT(*) AS n FROM t GROUP BY a;
CREATE VIEW bs AS SELECT DISTINCT b FROM t;
"""


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(textwrap.dedent(text))
    return str(path)


def run(capsys, *argv):
    """cli.main in-process: (exit status, stdout, stderr)."""
    code = cli.main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def views(tmp_path):
    return write(tmp_path, "views.sql", VIEWS)


# -- --help ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("argv", [[], ["compile"], ["run"], ["check"]])
def test_help_shows_an_example(capsys, argv):
    with pytest.raises(SystemExit) as e:
        cli.main(argv + ["--help"])
    assert e.value.code == 0
    out = capsys.readouterr().out
    assert "usage: deltasql" in out
    assert "examples:" in out
    assert "deltasql " + (argv[0] if argv else "run") + " sql_examples/" in out


@pytest.mark.parametrize("argv", [[], ["compile"], ["run"], ["check"]])
def test_help_examples_name_existing_files(capsys, argv):
    with pytest.raises(SystemExit):
        cli.main(argv + ["--help"])
    out = capsys.readouterr().out
    named = re.findall(r"sql_examples/[\w.]+", out)
    assert named
    for path in named:
        assert os.path.exists(os.path.join(ROOT, path)), path


def test_missing_command_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as e:
        cli.main([])
    assert e.value.code == 2
    assert "usage: deltasql" in capsys.readouterr().err


# -- compile -----------------------------------------------------------------------------------------

def test_compile_prints_the_plan_by_default(capsys, views):
    code, out, err = run(capsys, "compile", views)
    assert code == 0 and err == ""
    assert out.startswith("-- view per_a(a, n)\n")
    assert "-- view bs(b)\n" in out
    assert "Aggregate" in out and "Scan t" in out


@pytest.mark.parametrize("level, marker", [("plan", "Scan t"), ("circuit", "Input[t]"),
                                           ("python", "def "), ("dot", "digraph deltasql {")])
def test_compile_emits_each_level(capsys, views, level, marker):
    code, out, _ = run(capsys, "compile", views, "--emit", level)
    assert code == 0
    assert marker in out


def test_compile_output_is_deterministic(capsys, views):
    first = run(capsys, "compile", views, "--emit", "circuit")
    second = run(capsys, "compile", views, "--emit", "circuit")
    assert first == second


def test_compile_dot_is_one_cluster_per_view(capsys, views):
    code, out, _ = run(capsys, "compile", views, "--emit", "dot")
    assert code == 0
    assert out.count("subgraph cluster_") == 2
    assert 'label="view per_a";' in out and "->" in out
    assert out.rstrip().endswith("}")


def test_compile_one_view(capsys, views):
    code, out, _ = run(capsys, "compile", views, "--view", "bs")
    assert code == 0
    assert "-- view bs(b)" in out and "per_a" not in out


def test_compile_unknown_view(capsys, views):
    code, out, err = run(capsys, "compile", views, "--view", "nope")
    assert code == 1
    assert err == "deltasql: error: unknown view 'nope' (views: per_a, bs)\n"


def test_compile_error_points_at_the_column(capsys, tmp_path):
    path = write(tmp_path, "bad.sql", """\
        CREATE TABLE t(a INT, b VARCHAR);

        CREATE VIEW v AS
          SELECT a, COUNT(*) AS n
          FROM t WHERE zz > 1 GROUP BY a;
        """)
    code, out, err = run(capsys, "compile", path)
    assert code == 1 and out == ""
    assert err == (f"{path}:5:16: error: unknown column 'zz'\n"
                   "    FROM t WHERE zz > 1 GROUP BY a;\n"
                   "                 ^\n")


def test_compile_error_in_a_later_statement_on_the_same_line(capsys, tmp_path):
    path = write(tmp_path, "bad.sql", "CREATE TABLE t(a INT); CREATE VIEW v AS SELECT b FROM t;\n")
    code, _, err = run(capsys, "compile", path)
    assert code == 1
    assert err.splitlines()[0] == f"{path}:1:48: error: unknown column 'b'"
    assert err.splitlines()[2] == " " * 49 + "^"


def test_compile_syntax_error(capsys, tmp_path):
    path = write(tmp_path, "bad.sql", "CREATE TABLE t(a INT);\nCREATE VIEW v AS SELECT a FROM t WHERE;\n")
    code, _, err = run(capsys, "compile", path)
    assert code == 1
    first = err.splitlines()[0]
    assert first.startswith(f"{path}:2:") and ": error: syntax error" in first
    assert err.splitlines()[1] == "  CREATE VIEW v AS SELECT a FROM t WHERE;"


def test_compile_refused_construct(capsys, tmp_path):
    path = write(tmp_path, "bad.sql", "CREATE TABLE t(a INT);\n"
                                      "CREATE VIEW v AS SELECT a FROM t WHERE RANDOM() < 0.5;\n")
    code, _, err = run(capsys, "compile", path)
    assert code == 1
    assert err.startswith(f"{path}:2:40:") and "RANDOM() is not deterministic" in err


def test_compile_file_without_views(capsys, tmp_path):
    path = write(tmp_path, "t.sql", "CREATE TABLE t(a INT);\n")
    code, _, err = run(capsys, "compile", path)
    assert code == 1
    assert err == f"{path}: error: the file defines no view\n"


# -- run: SQL scripts --------------------------------------------------------------------------------

def test_run_sql_script_steps(capsys, tmp_path, views):
    changes = write(tmp_path, "changes.sql", """\
        -- a comment; with a semicolon
        INSERT INTO t VALUES (1, 'x;y');
        BEGIN;
        INSERT INTO t VALUES (1, 'x;y'), (2, 'z');
        DELETE FROM t WHERE a = 1 AND b = 'nothing';
        COMMIT;
        BEGIN;
        DELETE FROM t;
        ROLLBACK;
        UPDATE t SET a = 3 WHERE b = 'z';
        """)
    code, out, err = run(capsys, "run", views, changes)
    assert code == 0 and err == ""
    assert out == textwrap.dedent(f"""\
        == step 1  {changes}:2
        per_a
          w  a  n
          +  1  1
        bs
          w  b
          +  x;y
        == step 2  {changes}:3
        per_a
          w  a  n
          -  1  1
          +  1  2
          +  2  1
        bs
          w  b
          +  z
        == step 3  {changes}:10
        per_a
          w  a  n
          -  2  1
          +  3  1
        """)


def test_run_without_changes_loads_the_views(capsys, views):
    code, out, err = run(capsys, "run", views)
    assert (code, out, err) == (0, "", "")


def test_run_views_file_with_seed_data(capsys, tmp_path):
    path = write(tmp_path, "v.sql", "CREATE TABLE t(a INT); CREATE VIEW v AS SELECT SUM(a) AS s FROM t;\n"
                                    "INSERT INTO t VALUES (4), (5);\n")
    code, out, _ = run(capsys, "run", path)
    assert code == 0
    assert out.splitlines()[0] == f"== step 1  {path}:2"
    # the view's first row (NULL) and its replacement add up to one change in the first step
    assert out.splitlines()[1:] == ["v", "  w  s", "  +  9"]


def test_run_prints_queries(capsys, tmp_path, views):
    changes = write(tmp_path, "c.sql", "INSERT INTO t VALUES (1, 'x'), (2, NULL);\nSELECT a, b FROM t ORDER BY a;\n")
    code, out, _ = run(capsys, "run", views, changes, "--view", "per_a")
    assert code == 0
    assert out.endswith(f"== query  {changes}:2\n  a  b\n  1  x\n  2  NULL\n")


def test_run_steps_without_view_changes_are_shown(capsys, tmp_path, views):
    changes = write(tmp_path, "c.sql", "INSERT INTO t VALUES (1, 'x');\nDELETE FROM t WHERE a = 7;\n")
    code, out, _ = run(capsys, "run", views, changes)
    assert code == 0
    assert f"== step 2  {changes}:2  (no view changes)\n" in out


def test_run_view_filter(capsys, tmp_path, views):
    changes = write(tmp_path, "c.sql", "INSERT INTO t VALUES (1, 'x');\n")
    code, out, _ = run(capsys, "run", views, changes, "--view", "bs")
    assert code == 0
    assert "bs\n" in out and "per_a" not in out


def test_run_weights_above_one(capsys, tmp_path):
    v = write(tmp_path, "v.sql", "CREATE TABLE t(a INT); CREATE VIEW v AS SELECT a FROM t;\n")
    c = write(tmp_path, "c.sql", "INSERT INTO t VALUES (1), (1), (1);\nDELETE FROM t WHERE a = 1;\n")
    code, out, _ = run(capsys, "run", v, c)
    assert code == 0
    assert "  +3  1\n" in out and "  -3  1\n" in out


def test_run_dialect(capsys, tmp_path):
    v = write(tmp_path, "v.sql", "CREATE TABLE t(a INTEGER); CREATE VIEW v AS SELECT a / 2 AS h FROM t;\n")
    c = write(tmp_path, "c.sql", "INSERT INTO t VALUES (7);\n")
    code, out, _ = run(capsys, "run", v, c, "--dialect", "sqlite")
    assert code == 0 and "+  3\n" in out
    code, out, _ = run(capsys, "run", v, c)
    assert code == 0 and "+  3.5\n" in out


# -- run: output formats -----------------------------------------------------------------------------

def test_run_jsonl_output(capsys, tmp_path):
    v = write(tmp_path, "v.sql", "CREATE TABLE t(a INT, p DECIMAL(6,2), d DATE);\n"
                                 "CREATE VIEW v AS SELECT a, p, d FROM t;\n")
    c = write(tmp_path, "c.sql", "INSERT INTO t VALUES (1, 2.50, DATE '2024-01-02');\nDELETE FROM t;\n"
                                 "INSERT INTO t VALUES (NULL, NULL, NULL);\n")
    code, out, _ = run(capsys, "run", v, c, "--format", "jsonl")
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == '{"step": 1, "view": "v", "weight": 1, "row": {"a": 1, "p": 2.50, "d": "2024-01-02"}}'
    assert [json.loads(x) for x in lines[1:]] == [
        {"step": 2, "view": "v", "weight": -1, "row": {"a": 1, "p": 2.5, "d": "2024-01-02"}},
        {"step": 3, "view": "v", "weight": 1, "row": {"a": None, "p": None, "d": None}},
    ]


def test_run_csv_output(capsys, tmp_path, views):
    c = write(tmp_path, "c.sql", "INSERT INTO t VALUES (1, 'a,b'), (2, NULL);\nDELETE FROM t WHERE a = 2;\n")
    code, out, _ = run(capsys, "run", views, c, "--format", "csv", "--view", "bs")
    assert code == 0
    assert out == 'step,view,weight,b\n1,v,1,"a,b"\n1,v,1,\n2,v,-1,\n'.replace(",v,", ",bs,")


def test_run_csv_output_needs_one_view(capsys, tmp_path, views):
    c = write(tmp_path, "c.sql", "INSERT INTO t VALUES (1, 'a');\n")
    code, out, err = run(capsys, "run", views, c, "--format", "csv")
    assert code == 1 and out == ""
    assert err == "deltasql: error: --format csv prints one view: choose it with --view NAME (views: per_a, bs)\n"


# -- run: CSV and JSON-lines inputs ------------------------------------------------------------------

def test_run_csv_input_is_one_step_named_after_its_table(capsys, tmp_path, views):
    a = write(tmp_path, "t.csv", "a,b\n1,x\n1,\n2,y\n")
    b = write(tmp_path, "day2.t.csv", "b,a\nq,5\n")
    code, out, _ = run(capsys, "run", views, a, b, "--view", "per_a", "--format", "jsonl")
    assert code == 0
    rows = [json.loads(x) for x in out.splitlines()]
    assert {(r["step"], r["row"]["a"], r["row"]["n"], r["weight"]) for r in rows} == {
        (1, 1, 2, 1), (1, 2, 1, 1), (2, 5, 1, 1)}


def test_run_csv_input_with_byte_order_mark(capsys, tmp_path, views):
    path = tmp_path / "t.csv"
    path.write_bytes("a,b\n7,x\n".encode("utf-8-sig"))
    code, out, err = run(capsys, "run", views, path, "--view", "per_a")
    assert code == 0, err
    assert "+  7  1" in out


def test_run_csv_input_null_and_booleans(capsys, tmp_path):
    v = write(tmp_path, "v.sql", "CREATE TABLE flags(id INT, on_ BOOLEAN, note VARCHAR);\n"
                                 "CREATE VIEW v AS SELECT id, on_, note FROM flags WHERE on_ OR note IS NULL;\n")
    c = write(tmp_path, "flags.csv", "id,on_,note\n1,true,x\n2,false,\n3,FALSE,y\n4,1,z\n")
    code, out, err = run(capsys, "run", v, c, "--format", "jsonl")
    assert code == 0, err
    assert sorted(json.loads(x)["row"]["id"] for x in out.splitlines()) == [1, 2, 4]


def test_run_csv_input_errors(capsys, tmp_path, views):
    bad = write(tmp_path, "t.csv", "a,b\n1,x\n2\n")
    code, _, err = run(capsys, "run", views, bad)
    assert code == 1 and err == f"{bad}:3: error: 1 fields, but the header has 2\n"
    bad = write(tmp_path, "t.csv", "a,b\n1,x\nseven,y\n")
    code, _, err = run(capsys, "run", views, bad)
    assert code == 1 and err == f"{bad}:3: error: t.a: 'seven' is not a valid INTEGER\n"
    bad = write(tmp_path, "nosuch.csv", "a\n1\n")
    code, _, err = run(capsys, "run", views, bad)
    assert code == 1 and err.startswith(f"{bad}:2: error: ") and "nosuch" in err
    empty = write(tmp_path, "t.csv", "")
    code, _, err = run(capsys, "run", views, empty)
    assert code == 1 and "needs a header row" in err


def test_run_jsonl_input_steps_at_commit_lines(capsys, tmp_path, views):
    c = write(tmp_path, "c.jsonl", """\
        {"table": "t", "insert": {"a": 1, "b": "x"}}
        {"table": "t", "insert": [1, "y"]}
        {"commit": true}

        {"table": "t", "delete": {"a": 1, "b": "x"}}
        {"table": "t", "insert": {"a": 2}}
        """)
    code, out, err = run(capsys, "run", views, c, "--view", "per_a")
    assert code == 0, err
    assert out == textwrap.dedent(f"""\
        == step 1  {c}:1
        per_a
          w  a  n
          +  1  2
        == step 2  {c}:5
        per_a
          w  a  n
          -  1  2
          +  1  1
          +  2  1
        """)


@pytest.mark.parametrize("line, message", [
    ('{"table": "t", "insert": {"a": 1}', "not valid JSON: Expecting ',' delimiter (column 34)"),
    ('[1, 2]', "each line must be a JSON object"),
    ('{"table": "t"}', 'each line needs exactly one of "insert", "delete" or "commit"'),
    ('{"table": "t", "insert": {}, "delete": {}}', 'each line needs exactly one of "insert", "delete" or "commit"'),
    ('{"insert": {"a": 1}}', 'the line needs a "table" field naming the table'),
    ('{"table": "t", "insert": 5}', '"insert" must be an object (by column) or an array'),
    ('{"table": "t", "insert": {}, "when": 1}', "unknown field(s) when"),
    ('{"commit": true, "table": "t"}', 'a commit line is {"commit": true}, with no other field'),
    ('{"commit": false}', 'a commit line is {"commit": true}, with no other field'),
    ('{"table": "t", "delete": {"a": 9}}', "cannot delete (9, NULL) from t: the row is not in the table"),
    ('{"table": "t", "insert": {"c": 9}}', "t: unknown column(s) c"),
    ('{"table": "nope", "insert": {"a": 9}}', "unknown table 'nope'"),
])
def test_run_jsonl_input_errors(capsys, tmp_path, views, line, message):
    c = write(tmp_path, "c.jsonl", '{"table": "t", "insert": {"a": 1}}\n' + line + "\n")
    code, out, err = run(capsys, "run", views, c)
    assert code == 1
    assert err == f"{c}:2: error: {message}\n"


# -- run: errors -------------------------------------------------------------------------------------

def test_run_sql_error_in_changes_points_into_the_file(capsys, tmp_path, views):
    c = write(tmp_path, "c.sql", "INSERT INTO t VALUES (1, 'x');\n  INSERT INTO t VALUES (2, 'y'); SELECT nope FROM t;\n")
    code, out, err = run(capsys, "run", views, c)
    assert code == 1
    assert "== step 2" in out
    assert err == (f"{c}:2:41: error: unknown column 'nope'\n"
                   "    INSERT INTO t VALUES (2, 'y'); SELECT nope FROM t;\n"
                   "                                          ^\n")


def test_run_bad_value_names_the_line(capsys, tmp_path, views):
    c = write(tmp_path, "c.sql", "INSERT INTO t VALUES (1, 'x');\n\nINSERT INTO t VALUES ('q', 'z');\n")
    code, _, err = run(capsys, "run", views, c)
    assert code == 1
    assert err == f"{c}:3:23: error: t.a: 'q' is not a valid INTEGER\n"


def test_run_bad_value_in_a_transaction_names_its_place(capsys, tmp_path, views):
    """The value's position travels as the DataError's line and col, also through the rollback
    note a transaction adds to the message."""
    c = write(tmp_path, "c.sql", "BEGIN;\nINSERT INTO t VALUES (1, 'x'),\n  ('q', 'z');\nCOMMIT;\n")
    code, _, err = run(capsys, "run", views, c)
    assert code == 1
    assert err == f"{c}:3:4: error: t.a: 'q' is not a valid INTEGER; the transaction was rolled back\n"


def test_run_failed_step(capsys, tmp_path):
    v = write(tmp_path, "v.sql", "CREATE TABLE t(a INT); CREATE VIEW v AS SELECT a * 1000000000 AS q FROM t;\n")
    c = write(tmp_path, "c.sql", "INSERT INTO t VALUES (2);\nBEGIN;\nINSERT INTO t VALUES (1);\nINSERT INTO t VALUES (5);\nCOMMIT;\n")
    code, out, err = run(capsys, "run", v, c)
    assert code == 1
    assert "+  2000000000" in out and "1000000000" not in out
    assert err.startswith(f"{c}:5: error: ") and "nothing was changed" in err  # at the COMMIT
    assert len(err.splitlines()) == 1


@pytest.mark.parametrize("script, message", [
    ("BEGIN;\nINSERT INTO t VALUES (1, 'x');\n", "1: error: transaction is never committed (add COMMIT or ROLLBACK)"),
    ("INSERT INTO t VALUES (1, 'x');\nCOMMIT;\n", "2: error: COMMIT without BEGIN"),
    ("ROLLBACK;\n", "1: error: ROLLBACK without BEGIN"),
    ("BEGIN;\nBEGIN TRANSACTION;\nCOMMIT;\n", "2: error: BEGIN inside a transaction (begun at {c}:1)"),
])
def test_run_transaction_errors(capsys, tmp_path, views, script, message):
    c = write(tmp_path, "c.sql", script)
    code, out, err = run(capsys, "run", views, c)
    assert (code, out) == (1, "")
    assert err == f"{c}:{message.format(c=c)}\n"


def test_run_start_transaction_and_end(capsys, tmp_path, views):
    c = write(tmp_path, "c.sql", "START TRANSACTION;\nINSERT INTO t VALUES (1, 'x');\nINSERT INTO t VALUES (2, 'x');\nEND;\n")
    code, out, _ = run(capsys, "run", views, c, "--view", "bs")
    assert code == 0
    assert out.count("== step") == 1


@pytest.mark.parametrize("name, message", [
    ("missing.sql", "{p}: error: cannot read: No such file or directory"),
    ("changes.txt", "{p}: error: an input must be a .sql script, a .csv file named after its table, or a .jsonl file"),
])
def test_run_bad_inputs(capsys, tmp_path, views, name, message):
    p = str(tmp_path / name)
    if name.endswith(".txt"):
        write(tmp_path, name, "x")
    code, out, err = run(capsys, "run", views, p)
    assert (code, out) == (1, "")
    assert err == message.format(p=p) + "\n"


def test_run_unknown_dialect(capsys, views):
    code, _, err = run(capsys, "run", views, "--dialect", "klingon")
    assert code == 1
    assert err.startswith("deltasql: error: unknown SQL dialect 'klingon'")


def test_run_unterminated_string(capsys, tmp_path, views):
    c = write(tmp_path, "c.sql", "INSERT INTO t VALUES (1, 'x');\nSELECT 'abc\n")
    code, out, err = run(capsys, "run", views, c)
    assert (code, out) == (1, "")
    assert err == f"{c}:2:8: error: syntax error: unterminated string literal\n  SELECT 'abc\n         ^\n"


def test_internal_error_is_one_line(capsys, tmp_path, views, monkeypatch):
    def boom(self, unit):
        raise RuntimeError("kaboom")

    monkeypatch.setattr(cli.Session, "apply", boom)
    monkeypatch.delenv("DELTASQL_TRACEBACK", raising=False)
    code, _, err = run(capsys, "run", views)
    assert code == 1
    assert err == ("deltasql: internal error: RuntimeError: kaboom (a bug in deltasql; "
                   "DELTASQL_TRACEBACK=1 shows the traceback)\n")


# -- progress bar ------------------------------------------------------------------------------------

def test_progress_bar_when_forced(capsys, tmp_path, views):
    c = write(tmp_path, "c.sql", "".join(f"INSERT INTO t VALUES ({i}, 'x');\n" for i in range(5)))
    code, out, err = run(capsys, "run", views, c, "--progress", "--format", "jsonl")
    assert code == 0
    assert "\r[" in err and "8/8" in err  # 3 statements of views.sql, 5 steps
    assert err.endswith("\r\033[K")
    assert "\r" not in out


def test_no_progress_bar_when_stderr_is_not_a_terminal(capsys, tmp_path, views):
    c = write(tmp_path, "c.sql", "".join(f"INSERT INTO t VALUES ({i}, 'x');\n" for i in range(5)))
    code, _, err = run(capsys, "run", views, c)
    assert (code, err) == (0, "")


# -- check -------------------------------------------------------------------------------------------

def test_check_passes(capsys, tmp_path, views):
    pytest.importorskip("duckdb")
    c = write(tmp_path, "c.sql", """\
        INSERT INTO t VALUES (1, 'x'), (1, 'x'), (2, NULL);
        SELECT a, COUNT(*) FROM t GROUP BY a;
        DELETE FROM t WHERE a = 1;
        UPDATE t SET b = 'w';
        """)
    j = write(tmp_path, "c.jsonl", '{"table": "t", "insert": [3, "v"]}\n{"table": "t", "delete": [3, "v"]}\n')
    csv_file = write(tmp_path, "t.csv", "a,b\n4,\n")
    code, out, err = run(capsys, "check", views, c, j, csv_file)
    assert code == 0, out + err
    lines = out.splitlines()
    assert lines[0].startswith("deltasql check: 5 steps, every view equal to DuckDB ")
    assert lines[1:] == ["  per_a  ok  2 rows at the end", "  bs     ok  2 rows at the end"]


def test_check_reports_differences(capsys, tmp_path, views, monkeypatch):
    pytest.importorskip("duckdb")
    real = cli.DuckMirror.contents

    def lossy(self, name):  # DuckDB "loses" a row of per_a: check must notice
        rows = real(self, name)
        return [r for r in rows if r != (2, 1)] if name == "per_a" else rows

    monkeypatch.setattr(cli.DuckMirror, "contents", lossy)
    c = write(tmp_path, "c.sql", "INSERT INTO t VALUES (1, 'x');\nINSERT INTO t VALUES (2, 'y');\n")
    code, out, _ = run(capsys, "check", views, c)
    assert code == 1
    assert out == (f"deltasql check: step 2 ({c}:2): view per_a differs from DuckDB\n"
                   "  only in deltasql (1 row):\n"
                   "    (2, 1)\n")


def test_check_compares_tables_at_the_end(capsys, tmp_path, views, monkeypatch):
    pytest.importorskip("duckdb")
    real = cli.DuckMirror.contents
    monkeypatch.setattr(cli.DuckMirror, "contents",
                        lambda self, name: real(self, name) + ([(9, "ghost")] if name == "t" else []))
    c = write(tmp_path, "c.sql", "INSERT INTO t VALUES (1, 'x');\n")
    code, out, _ = run(capsys, "check", views, c)
    assert code == 1
    assert out == "deltasql check: at the end: table t differs from DuckDB\n  only in DuckDB (1 row):\n    (9, ghost)\n"


def test_check_compares_queries(capsys, tmp_path, views, monkeypatch):
    pytest.importorskip("duckdb")
    real = cli.DuckMirror.statement
    monkeypatch.setattr(cli.DuckMirror, "statement",
                        lambda self, st: (real(self, st) or []) + [(7,)] if st.kind == "query" else real(self, st))
    c = write(tmp_path, "c.sql", "INSERT INTO t VALUES (1, 'x');\nSELECT a FROM t;\n")
    code, out, _ = run(capsys, "check", views, c)
    assert code == 1
    assert out == f"deltasql check: query at {c}:2 differs from DuckDB\n  only in DuckDB (1 row):\n    (7)\n"


def test_check_without_duckdb_gives_a_hint(capsys, tmp_path, views, monkeypatch):
    monkeypatch.setitem(sys.modules, "duckdb", None)  # import duckdb now raises ImportError
    c = write(tmp_path, "c.sql", "INSERT INTO t VALUES (1, 'x');\n")
    code, out, err = run(capsys, "check", views, c)
    assert (code, out) == (1, "")
    assert err == "deltasql check needs DuckDB: pip install 'deltasql[check]' (or pip install duckdb)\n"


def test_run_and_check_agree_on_a_duplicate_key(capsys, tmp_path):
    pytest.importorskip("duckdb")
    v = write(tmp_path, "v.sql", "CREATE TABLE t(k INT PRIMARY KEY, x INT);\nCREATE VIEW v AS SELECT x FROM t;\n")
    c = write(tmp_path, "c.sql", "INSERT INTO t VALUES (1, 1);\nINSERT INTO t VALUES (1, 2);\n")
    for command in ("run", "check"):
        code, _, err = run(capsys, command, v, c)
        assert code == 1
        assert err.startswith(f"{c}:2: error: PRIMARY KEY constraint violated: t(k) already holds (1)")


def test_check_sqlite_dialect_uses_integer_division(capsys, tmp_path):
    pytest.importorskip("duckdb")
    v = write(tmp_path, "v.sql", "CREATE TABLE t(a INTEGER); CREATE VIEW v AS SELECT a / 2 AS h FROM t;\n")
    c = write(tmp_path, "c.sql", "INSERT INTO t VALUES (7), (-7);\n")
    code, out, err = run(capsys, "check", v, c, "--dialect", "sqlite")
    assert code == 0, out + err


def test_multiset_diff():
    from decimal import Decimal

    assert cli.multiset_diff([(0.1 + 0.2, "a")], [(0.3, "a")]) == ([], [])
    assert cli.multiset_diff([(Decimal("1.50"),)], [(1.5,)]) == ([], [])
    assert cli.multiset_diff([(1,), (1,)], [(1,)]) == ([(1,)], [])
    assert cli.multiset_diff([(None,)], [(0,)]) == ([(None,)], [(0,)])
    assert cli.multiset_diff([(1e20 + 1e5,)], [(1e20,)]) == ([], [])
    assert cli.multiset_diff([(1.0000001,)], [(1.0,)]) == ([(1.0000001,)], [(1.0,)])
    assert cli.multiset_diff([(True,)], [(1,)]) == ([(True,)], [(1,)])
    import datetime
    day = datetime.date(2024, 1, 2)
    assert cli.multiset_diff([(day,)], [(datetime.datetime(2024, 1, 2),)]) != ([], [])


# -- the script and the console entry point ----------------------------------------------------------

def test_python_m_deltasql_runs_the_cli(tmp_path):
    bad = write(tmp_path, "bad.sql", "CREATE VIEW v AS SELECT 1 FROM nowhere;\n")
    r = subprocess.run([sys.executable, "-m", "deltasql", "compile", bad],
                       capture_output=True, text=True, cwd=tmp_path)
    assert r.returncode == 1
    assert "Traceback" not in r.stderr
    assert r.stderr.startswith(f"{bad}:1:32: error: unknown table 'nowhere'")
    r = subprocess.run([sys.executable, "-m", "deltasql", "--help"],
                       capture_output=True, text=True, cwd=tmp_path)
    assert r.returncode == 0 and "usage: deltasql" in r.stdout


def test_console_script_is_declared():
    import tomllib

    with open(os.path.join(ROOT, "pyproject.toml"), "rb") as f:
        project = tomllib.load(f)
    assert project["project"]["scripts"]["deltasql"] == "deltasql.cli:main"


def test_issue19_types_through_csv_and_jsonl(tmp_path, capsys):
    """TIME, BLOB, UUID, BIT and UHUGEINT values read from CSV and JSONL change files and printed in DuckDB's
    text forms; `check` finds every step equal to DuckDB."""
    sql = write(tmp_path, "v.sql", """
        CREATE TABLE t(id INT, a TIME, b BLOB, u UUID, x BIT, h UHUGEINT);
        CREATE VIEW v AS SELECT id, a + INTERVAL 1 HOUR AS a1, b, u, x, h + 1 AS h1 FROM t;
    """)
    csv_file = write(tmp_path, "t.csv", "id,a,b,u,x,h\n"
                     "1,12:30:00.5,a\\x00b,A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11,0101,340282366920938463463374607431768211454\n")
    jsonl = write(tmp_path, "t.jsonl", '{"table": "t", "insert": {"id": 2, "a": "01:00", "b": "\\\\xFF", '
                  '"u": "00000000-0000-0000-0000-000000000001", "x": "1", "h": 5}}\n')
    code, out, err = run(capsys, "run", sql, csv_file, jsonl, "--format", "csv")
    assert code == 0, err
    assert out.splitlines()[1:] == [
        "1,v,1,1,13:30:00.5,a\\x00b,a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11,0101,340282366920938463463374607431768211455",
        "2,v,1,2,02:00:00,\\xFF,00000000-0000-0000-0000-000000000001,1,6"]
    code, out, err = run(capsys, "check", sql, csv_file, jsonl)
    assert code == 0 and "every view equal" in out, out + err
