"""A table's rows share the int and text objects of repeated values (engine/table_values.py): the
rows a batch leaves in the table equal the caller's, equal values are one object, a column that
turns out unique stops being memoized, and answers are DuckDB's (the differential test with many
repeated large values is tests/test_diff_rows_buckets.py)."""

from __future__ import annotations

import enum
import random

import pytest

from deltasql import DataError, Pipeline
from deltasql.engine import table_values
from deltasql.engine.memory import deep_size
from deltasql.engine.table_values import SharedValues
from tests.harness import Spec, check_seed


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


# -- memos freed as the table shrinks -----------------------------------------------------------------

def _memo_values(t) -> dict:
    return {c: set(m) for c, m in t.shared.memos.items()}


def _live_values(p, table: str, c: int) -> set:
    return {r[c] for r in p.table_rows(table)}


def test_a_bulk_delete_frees_the_values_no_row_holds():
    """50k rows over 20k customer ids and 1,000 names, then all but 100 deleted in one batch: the memos
    keep only the values the 100 rows hold (they held all 19k values before: 1.2 MB of the table's
    bytes in Pipeline.memory(), which counts them)."""
    rnd = random.Random(5)
    rows = [(i, _fresh(10**9 + rnd.randrange(20_000)), "".join(["name", str(rnd.randrange(1000))]))
            for i in range(50_000)]
    for ddl in ("CREATE TABLE o(id INT PRIMARY KEY, c BIGINT, s VARCHAR)", "CREATE TABLE o(id INT, c BIGINT, s VARCHAR)"):
        p = Pipeline()
        p.execute(ddl)
        for i in range(0, 50_000, 10_000):
            p.insert("o", rows[i:i + 10_000])
            p.step()
        t = p._tables["o"]
        assert t.shared.columns() == [1, 2] and len(t.shared.memos[1]) > 10_000
        loaded = p.memory()["o"]["bytes"]
        memos = deep_size(t.shared.memos, set())
        assert memos > 1_000_000
        p.delete("o", rows[100:])
        p.step()
        assert deep_size(t.shared.memos, set()) < 20_000 and p.memory()["o"]["bytes"] < loaded - memos
        assert _memo_values(t) == {1: _live_values(p, "o", 1), 2: _live_values(p, "o", 2)}
        held = {v: v for r in p.table_rows("o") for v in r[1:]}
        assert all(memo[v] is held[v] for memo in t.shared.memos.values() for v in memo)  # the rows' objects
        # the values the rows hold are shared again by the next batch
        again = [(10**6 + i, _fresh(r[1]), "".join(["name", r[2][4:]])) for i, r in enumerate(rows[:100])]
        p.insert("o", again)
        p.step()
        by_id = {r[0]: r for r in p.table_rows("o")}
        assert all(by_id[10**6 + i][1] is by_id[i][1] and by_id[10**6 + i][2] is by_id[i][2] for i in range(100))


def test_a_table_shrunk_row_by_row_is_freed_at_its_next_bulk_delete_and_a_failed_step_too():
    """The one-row paths do not look (a check there would cost every change): a table emptied one row
    at a time keeps its memos until its next bulk delete (or discard, or step of deletions without
    a primary key); a failed step's batch leaves no value behind."""
    p = Pipeline()
    p.execute("CREATE TABLE o(id INT PRIMARY KEY, c BIGINT, s VARCHAR); "
              "CREATE VIEW v AS SELECT c, SUM(CAST(s AS INT)) AS n FROM o GROUP BY c")
    p.insert("o", [(i, _fresh(10**9 + i % 1000), "1") for i in range(4000)])
    p.step()
    t = p._tables["o"]
    for i in range(3988):  # one-row changes, one step each
        p.delete("o", [(i, 10**9 + i % 1000, "1")])
        p.step()
    assert len(t.shared.memos[1]) == 1000
    p.delete("o", [(3988, 10**9 + 988, "1"), (3989, 10**9 + 989, "1")])
    p.step()
    assert _memo_values(t)[1] == _live_values(p, "o", 1)  # 10 values
    # a batch of new values whose step fails (a text that is no INT): discarded, and its values with it
    p.insert("o", [(10**6 + i, _fresh(2 * 10**9 + i), "1") for i in range(600)] + [(10**7, 5, "x")])
    assert len(t.shared.memos[1]) == 611
    with pytest.raises(DataError):
        p.step()
    assert len(p.table_rows("o")) == 10 and _memo_values(t)[1] == _live_values(p, "o", 1)


def test_memos_stay_bounded_on_an_endless_stream():
    """A window of 2,000 rows slides over ever new values (a batch in, the oldest batch out, each step):
    the memos hold at most twice as many values as the table has rows, where they grew before (to 2^17
    values, and then the column stopped being shared); the table's bytes stay flat."""
    p = Pipeline()
    p.execute("CREATE TABLE o(id INT PRIMARY KEY, c BIGINT, s VARCHAR)")
    t = p._tables["o"]
    batches = []
    sizes = []
    for k in range(200):
        batch = [(k * 1000 + i, _fresh(10**9 + k * 100 + i % 100), "".join(["s", str(k * 10 + i % 10)]))
                 for i in range(1000)]
        p.insert("o", batch)
        batches.append(batch)
        if len(batches) > 2:
            p.delete("o", batches.pop(0))
        p.step()
        assert max(map(len, t.shared.memos.values())) <= 2 * len(t.indexes[0])
        sizes.append(p.memory()["o"]["bytes"])
    assert t.shared.columns() == [1, 2]  # still shared: 10 rows a value
    assert max(sizes[100:]) <= 1.05 * max(sizes[20:100])  # (a memo freed every ~40 steps: peaks in both)


def test_a_unique_column_of_a_shrinking_table_still_stops_being_memoized():
    """The judgements count the values freed: a column of new values in a table emptied after every
    batch looks unique (its memo alone would not show it)."""
    shared = SharedValues(1, [0])
    for k in range(6):
        rows = [(_fresh(10**6 + k * 1000 + i),) for i in range(1000)]
        shared.rows(rows)
        shared.free([])
    assert shared.columns() == []


BIG = 10**12
FREEING = Spec(
    "CREATE TABLE o(id INT PRIMARY KEY, c BIGINT, s VARCHAR); CREATE TABLE b(c BIGINT, s VARCHAR, n INT)", {
        "v_join": "SELECT o.id, b.n FROM o JOIN b ON o.c = b.c AND o.s = b.s",
        "v_group": "SELECT s, COUNT(*) AS k, SUM(c) AS t FROM o GROUP BY s",
        "v_bag": "SELECT c, s, COUNT(*) AS k, SUM(n) AS t FROM b GROUP BY c, s",
    }, domains={"o.id": list(range(40)), "c": [BIG, BIG + 1, BIG + 2, 5, None], "s": ["x" * 30, "y" * 30, "z", None],
                "n": [1, 2, None]},
    keys={"o": ("id",)}, upsert=True, steps=12, max_ops=24)


@pytest.fixture
def frees(monkeypatch):
    """Memos freed at every chance (a memo of one value is worth freeing); the calls to ``free``."""
    calls = []
    free = SharedValues.free

    def counted(self, rows):
        calls.append(len(rows))
        free(self, rows)
    monkeypatch.setattr(table_values, "_FREE_MIN", 1)
    monkeypatch.setattr(SharedValues, "free", counted)
    return calls


@pytest.mark.parametrize("workers", [1, 3])
@pytest.mark.parametrize("seed", range(6))
def test_answers_are_duckdbs_while_memos_are_freed(frees, seed, workers):
    """Random streams (bulk inserts, deletes, upserts, duplicates, NULLs, failed steps, a final
    retraction) with the memos freed whenever the tables shrink: the views equal DuckDB's."""
    check_seed(FREEING, seed, **({"workers": 3, "backend": "simulated"} if workers == 3 else {}))
    assert frees
