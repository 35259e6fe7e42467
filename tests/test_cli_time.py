"""The command line with streaming time: tables with watermarks (late rows dropped, counted on the
progress line, and given to DuckDB only as accepted by `check`), views over streams compared
through their changes, the clock of temporal filters (--clock, {"now": …} lines)."""

import pytest

from tests.test_cli import run, write

VIEWS = """\
CREATE TABLE clicks(page VARCHAR, ts TIMESTAMP NOT NULL LATENESS INTERVAL '5' SECONDS);
CREATE VIEW per_window AS SELECT page, b, COUNT(*) AS n
    FROM (SELECT page, time_bucket(INTERVAL 10 SECOND, ts) AS b FROM clicks) GROUP BY page, b;
CREATE TABLE orders(id INT, placed TIMESTAMP);
CREATE MATERIALIZED VIEW recent AS SELECT id FROM orders WHERE placed > NOW() - INTERVAL '1' MINUTE;
"""
CHANGES = """\
{"table": "clicks", "insert": ["a", "2024-01-01 00:00:01"]}
{"table": "clicks", "insert": ["b", "2024-01-01 00:00:12"]}
{"table": "orders", "insert": [1, "2024-01-01 00:00:00"]}
{"table": "orders", "insert": [2, "2024-01-01 00:00:50"]}
{"now": "2024-01-01 00:00:30"}
{"commit": true}
{"table": "clicks", "insert": ["a", "2024-01-01 00:00:03"]}
{"table": "clicks", "insert": ["a", "2024-01-01 00:00:09"]}
{"now": "2024-01-01 00:01:10"}
{"commit": true}
"""


def test_run_drops_late_rows_and_moves_the_clock(tmp_path, capsys):
    views, changes = write(tmp_path, "views.sql", VIEWS), write(tmp_path, "changes.jsonl", CHANGES)
    code, out, err = run(capsys, "run", views, changes, "--format", "jsonl", "--progress")
    assert code == 0
    lines = out.splitlines()
    assert '{"step": 2, "view": "per_window", "weight": 1, "row": {"page": "a", "b": "2024-01-01 00:00:00", ' \
           '"n": 2}}' in lines
    assert '{"step": 2, "view": "recent", "weight": -1, "row": {"id": 1}}' in lines  # left at 00:01:00
    assert not any('"n": 3' in line for line in lines)  # 00:00:03 was late
    assert "1 late row dropped" in err


def test_check_gives_duckdb_the_accepted_rows_and_the_clock(tmp_path, capsys):
    views, changes = write(tmp_path, "views.sql", VIEWS), write(tmp_path, "changes.jsonl", CHANGES)
    code, out, _ = run(capsys, "check", views, changes)
    assert code == 0, out
    assert "per_window  ok  2 rows at the end (a stream: its changes added up)" in out
    assert "recent      ok  1 row at the end" in out
    assert "1 late row dropped by the watermarks" in out


def test_clock_option(tmp_path, capsys):
    views = write(tmp_path, "views.sql", VIEWS)
    changes = write(tmp_path, "changes.sql", "INSERT INTO orders VALUES (1, TIMESTAMP '2024-01-01 00:00:00');")
    code, out, _ = run(capsys, "run", views, changes, "--clock", "2024-01-01 00:00:30", "--format", "jsonl")
    assert code == 0 and '"view": "recent", "weight": 1, "row": {"id": 1}' in out
    code, out, _ = run(capsys, "run", views, changes, "--clock", "wall", "--format", "jsonl")
    assert code == 0 and "recent" not in out  # a 2024 order is not within the last minute of now
    bad = write(tmp_path, "bad.jsonl", '{"now": "2024-01-01 00:00:30"}\n{"commit": true}\n{"now": "2023-01-01"}\n')
    code, _, err = run(capsys, "run", views, bad)
    assert code == 1 and "bad.jsonl:3: error: the clock only moves forward" in err
    code, _, err = run(capsys, "run", views, changes, "--clock", "yesterday")
    assert code == 1 and "--clock" in err


@pytest.mark.parametrize("line", ['{"now": 5}', '{"now": "2024-01-01", "table": "t"}'])
def test_bad_clock_lines(tmp_path, capsys, line):
    views = write(tmp_path, "views.sql", VIEWS)
    bad = write(tmp_path, "bad.jsonl", line + "\n")
    code, _, err = run(capsys, "run", views, bad)
    assert code == 1 and 'a clock line is {"now": "YYYY-MM-DD HH:MM:SS"}' in err
