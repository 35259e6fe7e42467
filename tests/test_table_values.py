"""A table's rows share the int and text objects of repeated values (engine/table_values.py): the
rows a batch leaves in the table equal the caller's, equal values are one object, a column that
turns out unique stops being memoized, and answers are DuckDB's (the differential test with many
repeated large values is tests/test_diff_rows_buckets.py)."""

from __future__ import annotations

import enum
import random

from deltasql import Pipeline
from deltasql.engine import table_values
from deltasql.engine.table_values import SharedValues


def _fresh(n: int) -> int:
    return int(str(n))  # a new int object for a value beyond the small-int cache, as a parser makes


def test_repeated_values_are_one_object_and_rows_stay_equal():
    p = Pipeline()
    p.execute("CREATE TABLE o(id INT PRIMARY KEY, c BIGINT, s VARCHAR, u INT); "
              "CREATE VIEW v AS SELECT c, COUNT(*) AS n FROM o GROUP BY c")
    rnd = random.Random(3)
    rows = [(i, _fresh(10**9 + rnd.randrange(5)), "".join(["x", str(rnd.randrange(3))]), _fresh(10**6 + i))
            for i in range(6000)]
    p.insert("o", rows[:3000])
    p.insert("o", rows[3000:])
    p.step()
    held = sorted(p.table_rows("o"))
    assert held == sorted(rows)
    by_value: dict = {}
    for r in held:
        for col in (1, 2):
            assert by_value.setdefault((col, r[col]), r[col]) is r[col]  # one object per distinct value
    t = p._tables["o"]
    assert t.shared.columns() == [1, 2]  # u (all distinct) stopped; id (the key) never memoized
    assert sorted(p.view("v").rows()) == sorted((10**9 + k, sum(1 for r in rows if r[1] == 10**9 + k))
                                                for k in range(5))
    # the caller's tuples delete the rows the table holds (equal, not identical), and upserts replace them
    p.delete("o", rows[:10])
    p.upsert("o", [(10, _fresh(10**9), "x0", 1)])
    p.step()
    assert len(p.table_rows("o")) == 5990 and p.table_rows("o").count((10, 10**9, "x0", 1)) == 1


def test_a_unique_or_rarely_repeating_column_stops_being_memoized(monkeypatch):
    monkeypatch.setattr(table_values, "_JUDGED", 32_768)  # (judged after 2^18 values otherwise)
    shared = SharedValues(2, [0, 1])
    for start in range(0, 40_000, 10_000):
        rows = [(_fresh(10**6 + i), _fresh(10**6 + i * 2 // 3)) for i in range(start, start + 10_000)]
        out = shared.rows(rows)
        assert out == rows
    assert shared.columns() == []  # column 0 looks unique after one batch; column 1 (2 of 3 values distinct) does not pay
    assert shared.memos == {}  # (their memos freed)
    rows = [(1, 2), (1, 2)]
    assert shared.rows(rows) is rows  # nothing left to share: the batch as it came


def test_values_of_subclasses_are_stored_as_plain_values():
    class Color(enum.IntEnum):
        RED = 300

    class Name(str):
        pass

    p = Pipeline()
    p.execute("CREATE TABLE t(a INT, s VARCHAR)")
    p.insert("t", [(Color.RED, Name("n")), (300, "n")])
    p.step()
    rows = p.table_rows("t")
    assert rows == [(300, "n"), (300, "n")] and all(type(r[0]) is int and type(r[1]) is str for r in rows)


def test_rows_of_the_wrong_shape_are_left_to_the_checks():
    shared = SharedValues(2, [1])
    rows = [(1, 2), (1, 2, 3)]
    assert shared.rows(rows) is rows


def test_a_column_whose_values_come_shared_stops_being_memoized():
    """Constants (a status drawn from a tuple of strings) or small ints are one object each already:
    a memo would cost a lookup per value and save nothing."""
    statuses = ("paid", "shipped", "open")
    shared = SharedValues(2, [0, 1])
    for start in range(0, 3000, 1000):
        rows = [(statuses[i % 3], _fresh(10**6 + i % 97)) for i in range(start, start + 1000)]
        assert shared.rows(rows) == rows
    assert shared.columns() == [1]


def test_many_values_that_repeat_later_keep_their_memo():
    """The first 50k of 1M orders over 90k customers: 77 % of their customer ids distinct, each to
    come back ~11 times: the memo stays."""
    rnd = random.Random(1)
    shared = SharedValues(1, [0])
    rows = [(_fresh(10**6 + rnd.randrange(90_000)),) for _ in range(50_000)]
    shared.rows(rows[:10_000])
    shared.rows(rows[10_000:])
    assert shared.columns() == [0]
