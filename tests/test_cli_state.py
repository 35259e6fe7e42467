"""`deltasql run --state PATH` (create, then resume where the last run stopped, VIEWS.sql adding
views) and `deltasql state PATH`."""

import pytest

from deltasql import Pipeline
from tests.test_cli import run, write

VIEWS = """\
CREATE TABLE t(a INT, b VARCHAR);
CREATE VIEW per_a AS SELECT a, COUNT(*) AS n FROM t GROUP BY a;
INSERT INTO t VALUES (0, 'seed');
"""


def test_a_second_run_goes_on_where_the_first_stopped(tmp_path, capsys):
    views = write(tmp_path, "views.sql", VIEWS)
    day1 = write(tmp_path, "day1.sql", "INSERT INTO t VALUES (1, 'x');\nINSERT INTO t VALUES (1, 'y');\n")
    day2 = write(tmp_path, "day2.jsonl", '{"table": "t", "insert": [2, "z"]}\n{"table": "t", "delete": [1, "x"]}\n')
    state = tmp_path / "state.db"
    code, out, err = run(capsys, "run", views, day1, "--state", state, "--format", "jsonl")
    assert code == 0, err
    assert sorted({line.split(",")[0] for line in out.splitlines()}) == ['{"step": 1', '{"step": 2', '{"step": 3']
    # the second run: VIEWS.sql gains a view (computed from the stored tables) and keeps its INSERT,
    # which took effect in the first run
    views2 = write(tmp_path, "views.sql", VIEWS + "CREATE VIEW bs AS SELECT DISTINCT b FROM t;\n")
    code, out, err = run(capsys, "run", views2, day2, "--state", state)
    assert code == 0, err
    assert "resuming" in err and "after step 3: 1 table, 1 view; 1 new statement" in err
    assert "== step 4" in out and "== step 1 " not in out
    with Pipeline(path=str(state)) as p:
        assert p.last_step == 4
        assert sorted(p.view("per_a").rows()) == [(0, 1), (1, 1), (2, 1)]
        assert sorted(p.view("bs").rows()) == [("seed",), ("y",), ("z",)]
        assert p.table_rows("t") == [(0, "seed"), (1, "y"), (2, "z")]


def test_a_view_defined_differently_must_be_replaced_explicitly(tmp_path, capsys):
    views = write(tmp_path, "views.sql", VIEWS)
    state = tmp_path / "state.db"
    assert run(capsys, "run", views, "--state", state)[0] == 0
    write(tmp_path, "views.sql", VIEWS.replace("COUNT(*) AS n", "COUNT(*) AS count"))
    code, out, err = run(capsys, "run", views, "--state", state)
    assert code == 1 and "views.sql:2: error: view per_a is defined differently in" in err
    assert "CREATE OR REPLACE VIEW" in err
    write(tmp_path, "views.sql", VIEWS.replace("CREATE VIEW per_a", "CREATE OR REPLACE VIEW per_a")
          .replace("COUNT(*) AS n", "COUNT(*) AS count"))
    code, out, err = run(capsys, "run", views, "--state", state)
    assert code == 0, err
    with Pipeline(path=str(state)) as p:
        assert p.columns("per_a") == ["a", "count"] and p.view("per_a").rows() == [(0, 1)]


def test_the_state_file_keeps_its_dialect(tmp_path, capsys):
    views = write(tmp_path, "views.sql", "CREATE TABLE t(a INT, b INT); CREATE VIEW q AS SELECT a / b AS q FROM t;\n"
                                         "INSERT INTO t VALUES (7, 2);\n")
    state = tmp_path / "state.db"
    assert run(capsys, "run", views, "--state", state, "--dialect", "sqlite")[0] == 0
    changes = write(tmp_path, "more.sql", "INSERT INTO t VALUES (9, 2);\n")
    code, out, err = run(capsys, "run", views, changes, "--state", state)  # no --dialect: the file's
    assert code == 0, err
    assert "+  4" in out  # 9 / 2 in SQLite's integer division
    code, out, err = run(capsys, "run", views, changes, "--state", state, "--dialect", "duckdb")
    assert code == 1 and "holds SQL of dialect 'sqlite'" in err


def test_state_prints_what_the_file_holds(tmp_path, capsys):
    views = write(tmp_path, "views.sql", VIEWS)
    state = tmp_path / "state.db"
    assert run(capsys, "run", views, "--state", state)[0] == 0
    with Pipeline(path=str(state)) as p:
        p.retain("per_a")
        p.insert("t", [(5, "q")])
        p.step(meta={"source": "day1.sql:3"})
        p.close(checkpoint=False)
    code, out, err = run(capsys, "state", state)
    assert code == 0, err
    assert f"{state}: deltasql state file, format 1" in out and "dialect duckdb" in out
    assert "last step: 2" in out and "checkpoint: at step 1" in out
    assert "journal: 1 step after the checkpoint" in out
    assert "  t  2 rows  (a, b)" in out and "  per_a  2 rows  (a, n)" in out
    assert "retained: per_a (default: since step 1, floor 1); 1 deltas kept" in out
    assert "position: source = 'day1.sql:3'" in out
    with Pipeline(path=str(state)) as p:  # looking wrote no checkpoint
        assert p._store.conn.execute("SELECT COUNT(*) FROM journal").fetchone()[0] == 1


@pytest.mark.parametrize("content, message", [
    (b"not a database", "is not a deltasql state file (not an SQLite database)"),
])
def test_a_file_that_is_not_a_state_file_is_refused(tmp_path, capsys, content, message):
    views = write(tmp_path, "views.sql", VIEWS)
    state = tmp_path / "state.db"
    state.write_bytes(content)
    code, out, err = run(capsys, "run", views, "--state", state)
    assert code == 1 and message in err and err.startswith("deltasql: error:")
    code, out, err = run(capsys, "state", state)
    assert code == 1 and message in err
    assert state.read_bytes() == content
    code, out, err = run(capsys, "state", tmp_path / "missing.db")
    assert code == 1 and "no such file" in err and not (tmp_path / "missing.db").exists()


def test_sink_composes_with_state(tmp_path, capsys):
    """`run --state PATH --sink jsonl:LOG`: a second run goes on from the first one's last step and the
    log gets each step once; a run without --sink leaves the log behind, and the next run with it
    catches the log up (from the changes the state file kept for it) before anything else."""
    import json
    from collections import Counter

    views = write(tmp_path, "views.sql", VIEWS)
    day1 = write(tmp_path, "day1.sql", "INSERT INTO t VALUES (1, 'x');\nINSERT INTO t VALUES (1, 'y');\n")
    day2 = write(tmp_path, "day2.jsonl", '{"table": "t", "insert": [2, "z"]}\n{"table": "t", "delete": [1, "x"]}\n')
    day3 = write(tmp_path, "day3.sql", "BEGIN; DELETE FROM t WHERE a = 0; INSERT INTO t VALUES (3, 'w'); COMMIT;\n"
                                       "UPDATE t SET a = 2 WHERE b = 'y';\n")
    day4 = write(tmp_path, "day4.sql", "INSERT INTO t VALUES (3, 'v');\n")
    state, log = tmp_path / "state.db", tmp_path / "log.jsonl"
    sink = f"jsonl:{log}"

    def entries():
        return [json.loads(line) for line in log.read_text().splitlines()]

    for changes, sinks in ((day1, ["--sink", sink]), (day2, ["--sink", sink]), (day3, [])):
        code, out, err = run(capsys, "run", views, changes, "--state", state, "--format", "none", *sinks)
        assert code == 0, err
    behind = max(e["step"] for e in entries())
    with Pipeline(path=str(state)) as p:
        assert p.last_step == 6 and behind == 4  # the seed, day1's two, day2's one; day3's two missed
    code, out, err = run(capsys, "run", views, "--state", state, "--format", "none", "--sink", sink)
    assert code == 0, err
    assert max(e["step"] for e in entries()) == 6  # caught up with no new step
    code, out, err = run(capsys, "run", views, day4, "--state", state, "--format", "none", "--sink", sink)
    assert code == 0, err
    got = entries()
    keys = [(e["step"], e["view"], json.dumps(e["row"])) for e in got]
    assert len(keys) == len(set(keys)), "a step written twice"
    assert sorted({e["step"] for e in got}) == list(range(1, 8))  # every step changes per_a
    total = Counter()
    for e in got:
        total[(e["row"]["a"], e["row"]["n"])] += e["weight"]
    with Pipeline(path=str(state)) as p:
        assert p.last_step == 7
        assert +total == Counter(p.view("per_a").rows())
