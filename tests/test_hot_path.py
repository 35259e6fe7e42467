"""The hot path's special forms against their general ones: a unique arrangement ({key: row}, for a
side keyed by a table's primary key) under updates in either order and rolled back; the generated
Arrange loop against index_delta + Arrangement.apply; a failed step over unique arrangements and
unprojected join sides leaving the pipeline as it was.  (Their answers under random streams are in
tests/test_diff_joins.py, spec "primary_keys".)"""

from __future__ import annotations

import random

import pytest

from deltasql import DataError, Pipeline
from deltasql.compiler.codegen import Codegen, arrange_function
from deltasql.compiler.dialect import get_dialect
from deltasql.compiler.expr import Col
from deltasql.compiler.types import INTEGER
from deltasql.runtime.arrangement import Arrangement, index_delta
from deltasql.runtime.journal import Journal

OLD, NEW = (1, "old"), (1, "new")


@pytest.mark.parametrize("order", [[(OLD, -1), (NEW, 1)], [(NEW, 1), (OLD, -1)]])
def test_unique_update_in_either_order_and_its_undo(order):
    j = Journal()
    a = Arrangement(j, unique=True)
    a.apply({1: {OLD: 1}, 2: {(2, "x"): 1}})
    j.commit()
    a.apply({1: dict(order)})
    assert a.index == {1: NEW, 2: (2, "x")}
    assert a.keyed() == {1: {NEW: 1}, 2: {(2, "x"): 1}} and len(a) == 2 and a.zset() == {NEW: 1, (2, "x"): 1}
    j.rollback()
    assert a.index == {1: OLD, 2: (2, "x")}
    a.apply({2: {(2, "x"): -1}})
    assert a.index == {1: OLD} and sorted(a.rows()) == [OLD]


def _fused(unique: bool, scalar: bool):
    cg = Codegen(get_dialect("duckdb"))
    return arrange_function(cg, [Col(0, INTEGER, True, "k")], None, scalar=scalar, unique=unique)


@pytest.mark.parametrize("scalar", [False, True])
def test_generated_arrange_loop_equals_index_delta_and_apply(scalar):
    rnd = random.Random(5)
    fused = _fused(False, scalar)
    plain = Arrangement(Journal())
    index: dict = {}
    key = (lambda r: r[0]) if scalar else (lambda r: None if r[0] is None else (r[0],))
    for _ in range(200):
        delta = {}
        for _ in range(rnd.randrange(6)):
            r = (rnd.choice([None, 1, 2, 3]), rnd.randrange(3))
            w = rnd.choice([-2, -1, 1, 2])
            if delta.get(r, 0) + w:
                delta[r] = delta.get(r, 0) + w
            else:
                delta.pop(r, None)
        keyed: dict = {}
        fused(delta, keyed, index)
        expected = index_delta(delta, key)
        assert keyed == expected
        plain.apply(expected)
        assert index == plain.index


def test_generated_unique_loop_files_one_row_per_key():
    fused = _fused(True, True)
    index: dict = {}
    fused({(1, "a"): 1, (2, "b"): 1, (None, "n"): 1}, {}, index)
    assert index == {1: (1, "a"), 2: (2, "b")}  # a NULL key never matches: not filed
    keyed: dict = {}
    fused({(1, "c"): 1, (1, "a"): -1, (2, "b"): -1}, keyed, index)
    assert index == {1: (1, "c")} and keyed == {1: {(1, "c"): 1, (1, "a"): -1}, 2: {(2, "b"): -1}}


def test_a_failed_step_leaves_unique_and_unprojected_sides_as_they_were():
    ddl = ("CREATE TABLE c(c INT PRIMARY KEY, g VARCHAR, y INT); CREATE TABLE o(id INT PRIMARY KEY, c INT, x INT);"
           "CREATE VIEW v AS SELECT c.g, COUNT(*) AS n, SUM(o.x) AS s FROM o JOIN c ON o.c = c.c GROUP BY c.g;"
           "CREATE VIEW w AS SELECT o.id, CAST(o.x * c.y AS SMALLINT) AS z FROM o JOIN c ON o.c = c.c")
    p = Pipeline()
    p.execute(ddl)
    assert "Arrange[unique]" in p.circuit_text("v")
    p.insert("c", [(1, "a", 1), (2, "b", 2)])
    p.insert("o", [(1, 1, 5), (2, 2, 7), (3, 1, 1)])
    p.step()
    before = {v: sorted(p.view(v).rows()) for v in ("v", "w")}
    p.upsert("c", [(1, "b", 100_000)])  # -old +new of key 1: w's SMALLINT overflows
    p.delete("o", [(2, 2, 7)])
    with pytest.raises(DataError):
        p.step()
    assert {v: sorted(p.view(v).rows()) for v in ("v", "w")} == before
    p.upsert("c", [(1, "b", 3)])
    p.insert("o", [(4, 2, 2)])
    p.step()
    fresh = Pipeline()
    fresh.execute(ddl)
    fresh.insert("c", p.table_rows("c"))
    fresh.insert("o", p.table_rows("o"))
    fresh.step()
    for v in ("v", "w"):
        assert sorted(p.view(v).rows()) == sorted(fresh.view(v).rows())
    assert sorted(p.view("v").rows()) == [("b", 4, 15)]  # the failed step discarded its changes


def _ordered_reference(z: dict) -> list:
    """step()'s documented order written plainly: removed rows first, then added ones, each part by
    value column by column, NULLs last, NaN after every number (engine/results._row_key)."""
    from deltasql.engine.results import _row_key

    return sorted(z.items(), key=lambda rw: (rw[1] > 0, _row_key(rw[0]), rw[1]))


@pytest.mark.parametrize("seed", range(30))
def test_ordered_changes_equals_the_documented_order(seed):
    from deltasql.engine.results import ordered_changes
    from deltasql.sqllib.sqlfuncs import NAN

    rnd = random.Random(seed)
    values = [[0, 1, 2, -3, 10**20], [0, 1, None], ["a", "b", "", None], [1.5, -0.0, NAN, None, 2.0]][seed % 4]
    z = {}
    for _ in range(rnd.randrange(0, 40)):
        row = tuple(rnd.choice(values) for _ in range(rnd.randrange(1, 3)))
        z[row] = rnd.choice([1, 2, -1, -3]) if seed % 3 else rnd.choice([1, 2])
    assert ordered_changes(z) == _ordered_reference(z)
    if seed % 4 != 3:  # no float in the rows: the NaN search may be skipped
        assert ordered_changes(z, nan_free=True) == _ordered_reference(z)


FUSED_DDL = (
    "CREATE TABLE a(k INT, x INT, y DOUBLE); CREATE TABLE b(k INT, g VARCHAR);"
    "CREATE TABLE c(c INT PRIMARY KEY, g VARCHAR); CREATE TABLE o(id INT PRIMARY KEY, c INT, x BIGINT);"
    # a join without keys on either side (duplicates, NULL keys and values), grouped and global
    "CREATE VIEW grouped AS SELECT b.g, COUNT(*) AS n, COUNT(a.x) AS nx, SUM(a.x) AS sx, AVG(a.y) AS ay "
    "FROM a JOIN b ON a.k = b.k GROUP BY b.g;"
    "CREATE VIEW total AS SELECT COUNT(*) AS n, SUM(a.x) AS sx FROM a JOIN b ON a.k = b.k;"
    "CREATE VIEW by_both AS SELECT a.x, b.g, COUNT(*) AS n FROM b JOIN a ON b.k = a.k GROUP BY a.x, b.g;"
    # a side keyed by its primary key ({key: row}); the sum may overflow a BIGINT (the step fails)
    "CREATE VIEW keyed AS SELECT c.g, COUNT(*) AS n, CAST(SUM(o.x) AS BIGINT) AS sx FROM o JOIN c ON o.c = c.c "
    "GROUP BY c.g;"
    # arrangements no other join reads: the fold does the Arrange of one side too (left, then right)
    "CREATE TABLE a2(k INT, x INT, y DOUBLE); CREATE TABLE b2(k INT, g VARCHAR);"
    "CREATE TABLE c2(c INT PRIMARY KEY, g VARCHAR); CREATE TABLE o2(id INT PRIMARY KEY, c INT, x BIGINT);"
    "CREATE VIEW solo_left AS SELECT b2.g, COUNT(*) AS n, SUM(a2.x) AS sx, AVG(a2.y) AS ay "
    "FROM a2 JOIN b2 ON a2.k = b2.k GROUP BY b2.g;"
    "CREATE VIEW solo_right AS SELECT c2.g, COUNT(*) AS n, CAST(SUM(o2.x) AS BIGINT) AS sx "
    "FROM c2 JOIN o2 ON c2.c = o2.c GROUP BY c2.g")
FUSED_VIEWS = ("grouped", "total", "by_both", "keyed", "solo_left", "solo_right")
# how each view's aggregate runs fused (Aggregate.fusions): from both sides' arrangements, or doing
# the Arrange of its left or right side itself
FUSED_HOW = {"grouped": "eval_join", "total": "eval_join", "by_both": "eval_join", "keyed": "eval_join_left",
             "solo_left": "eval_join_left", "solo_right": "eval_join_right"}
TWINS = {"a2": "a", "b2": "b", "c2": "c", "o2": "o"}  # the solo views' tables get the same changes


def _fused_pipeline(fused: bool) -> Pipeline:
    from deltasql.runtime.circuit import Circuit

    # a row limit counts every operator's output, so it turns the fusion off: the reference
    p = Pipeline() if fused else Pipeline(max_step_rows=10**9)
    p.execute(FUSED_DDL)
    p.step()
    ops = p.circuit.ops
    fusions = Circuit._fusions(ops, {id(op): n for n, op in enumerate(ops)}) if fused else {}
    how = {op.label.split(" in view ")[1]: fusions[id(op)][2].__name__ for op in ops if id(op) in fusions}
    assert how == (FUSED_HOW if fused else {})
    return p


@pytest.mark.parametrize("seed", range(6))
def test_an_aggregate_folding_its_join_equals_join_then_aggregate(seed):
    """Aggregate.fusion (the join's pairs folded straight into the groups) against the operators
    run one by one: every step's changes and the contents, under random inserts and deletes on
    both sides at once, duplicates, NULL keys and values, a failed step, and a final retraction."""
    rnd = random.Random(seed)
    fused, plain = _fused_pipeline(True), _fused_pipeline(False)
    live: dict = {"a": [], "b": [], "c": {}, "o": {}}
    big = 2**62
    failed = 0

    def value(n):
        return None if rnd.random() < 0.1 else rnd.randrange(n)

    for step in range(25):
        changes = []
        for _ in range(rnd.randrange(1, 12)):
            t = rnd.choice("abco")
            if t in "ab" and live[t] and rnd.random() < 0.35:
                row = live[t].pop(rnd.randrange(len(live[t])))
                changes.append(("delete", t, row))
            elif t == "a":
                row = (value(5), value(4), None if rnd.random() < 0.1 else rnd.random())
                live[t].append(row)
                changes.append(("insert", t, row))
            elif t == "b":
                row = (value(5), rnd.choice(["p", "q", None]))
                live[t].append(row)
                changes.append(("insert", t, row))
            elif t == "c":
                key = rnd.randrange(6)
                if key in live["c"]:
                    changes.append(("delete", t, live["c"].pop(key)))
                else:
                    live["c"][key] = (key, rnd.choice(["p", "q"]))
                    changes.append(("insert", t, live["c"][key]))
            else:
                key = rnd.randrange(30)
                if key in live["o"]:
                    changes.append(("delete", t, live["o"].pop(key)))
                else:
                    live["o"][key] = (key, value(6), big if rnd.random() < 0.15 else value(100))
                    changes.append(("insert", t, live["o"][key]))
        if step == 12:  # two rows of one group whose sum passes a BIGINT: this step fails
            if 0 not in live["c"]:
                live["c"][0] = (0, "p")
                changes.append(("insert", "c", live["c"][0]))
            for key in (100, 101):
                live["o"][key] = (key, 0, big)
                changes.append(("insert", "o", live["o"][key]))
        results = []
        for p in (fused, plain):
            for kind, t, row in changes + [(kind, twin, row) for kind, t, row in changes
                                           for twin, of in TWINS.items() if of == t]:
                (p.insert if kind == "insert" else p.delete)(t, [row])
            try:
                results.append(p.step())
            except DataError as e:
                results.append(str(e))
        assert results[0] == results[1], step
        failed += isinstance(results[0], str)
        if isinstance(results[0], str):  # the overflow's step failed on both: forget its changes
            for kind, t, row in reversed(changes):
                if t in "ab":
                    (live[t].remove(row) if kind == "insert" else live[t].append(row))
                else:
                    key = row[0]
                    if kind == "insert":
                        live[t].pop(key)
                    else:
                        live[t][key] = row
        for v in FUSED_VIEWS:
            assert sorted(map(repr, fused.view(v).rows())) == sorted(map(repr, plain.view(v).rows())), (step, v)
    for p in (fused, plain):  # everything retracted
        for t in ("a", "b", "a2", "b2"):
            p.delete(t, live[TWINS.get(t, t)])
        for t in ("c", "o", "c2", "o2"):
            p.delete(t, list(live[TWINS.get(t, t)].values()))
    assert fused.step() == plain.step()
    assert fused.view("total").rows() == [(0, None)] and not fused.view("grouped").rows()
    assert failed


def test_a_batch_check_passes_whole_batches_and_converts_or_refuses_the_rest():
    p = Pipeline()
    p.execute("CREATE TABLE t(id INT PRIMARY KEY, s VARCHAR, u VARCHAR NOT NULL, d DOUBLE)")
    check = p._tables["t"].check
    good = [(i, None if i % 3 else "é", "x", 0.5) for i in range(100)]
    assert check.rows(iter(good), None) == good  # all of the right types: the rows themselves
    converted = check.rows(good + [(100, 5, "x", 1)], lambda r: ("slow", r))
    assert converted == good + [("slow", (100, 5, "x", 1))]  # only the row that needs it goes slow
    with pytest.raises(DataError):  # a lone surrogate is found in the joined column, then refused
        p.insert("t", good + [(100, "a\ud800", "x", 0.5)])
    with pytest.raises(DataError):
        p.insert("t", [(1, "a", None, 0.5)] * 70)  # NULL in a NOT NULL column
    p.insert("t", good)
    p.insert("t", [(100, "a", "x", float("nan"))] + [(101 + i, "b", "y", 1.0) for i in range(70)])
    p.step()
    assert len(p.table_rows("t")) == 171


def test_a_batch_of_new_keys_and_its_refusals():
    p = Pipeline()
    p.execute("CREATE TABLE t(id INT PRIMARY KEY, x INT)")
    p.insert("t", [(1, 1), (2, 2)])
    p.step()
    for batch in ([(3, 3), (4, 4), (3, 5)], [(5, 5), (1, 9)]):  # a key twice in the batch; a key taken
        with pytest.raises(DataError, match="PRIMARY KEY"):
            p.insert("t", batch)
        assert p.step() == {} and sorted(p.table_rows("t")) == [(1, 1), (2, 2)]
    p.delete("t", [(2, 2)])
    p.insert("t", [(2, 2), (3, 3)])  # deleted and inserted again in one step: nothing changes for it
    p.step()
    assert sorted(p.table_rows("t")) == [(1, 1), (2, 2), (3, 3)]
    with pytest.raises(DataError, match="PRIMARY KEY"):
        p.insert("t", [(4, 4), (2, 7)])
