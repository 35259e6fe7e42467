"""The fused step (runtime/fused.py) against the general one, on random streams.

Two pipelines take the same stream: one as it runs by default (a step that changes one table by a
few rows takes that table's fused step), one with a row limit too high to reach, which makes every
step the general Circuit.step with every operator run one by one (a row limit counts each
operator's output, so nothing is fused).  After every step they must agree on what step()
returned, on every view's rows and on every table's rows; a step that fails must fail in both with
the same message and leave both as they were.  The fused pipeline's general step is counted, so
the test also asserts that the fused path was the one taken.  (Their answers against DuckDB are
the differential suite's: it runs the fused path wherever a step changes one table.)"""

from __future__ import annotations

import random
from decimal import Decimal

import pytest

from deltasql import DataError, Pipeline
from deltasql.runtime.operators import Aggregate, Output

JOIN_GROUP = """
CREATE TABLE regions(region VARCHAR PRIMARY KEY, zone VARCHAR);
CREATE TABLE customers(c_id INT PRIMARY KEY, name VARCHAR, region VARCHAR);
CREATE TABLE orders(o_id INT PRIMARY KEY, c_id INT, amount INT, big HUGEINT);
CREATE TABLE notes(c_id INT, note VARCHAR);
CREATE VIEW join_group AS SELECT c.region, COUNT(*) AS n, SUM(o.amount) AS total, SUM(o.big) AS big
    FROM orders o JOIN customers c ON o.c_id = c.c_id GROUP BY c.region;
"""
# views that share the join's arrangements, or are not folds, or read other tables
MORE_VIEWS = """
CREATE VIEW per_zone AS SELECT r.zone, MIN(o.amount) AS lo, MAX(o.amount) AS hi, COUNT(o.o_id) AS n
    FROM orders o JOIN customers c ON o.c_id = c.c_id JOIN regions r ON c.region = r.region GROUP BY r.zone;
CREATE VIEW left_join AS SELECT c.c_id, COUNT(o.o_id) AS n, SUM(o.amount) AS total
    FROM customers c LEFT JOIN orders o ON o.c_id = c.c_id GROUP BY c.c_id;
CREATE VIEW scaled AS SELECT o_id, amount * 100000 AS scaled FROM orders WHERE amount IS NOT NULL;
CREATE VIEW everything AS SELECT COUNT(*) AS n, SUM(amount) AS s FROM orders;
CREATE VIEW noted AS SELECT n.note, COUNT(*) AS k FROM notes n JOIN customers c ON n.c_id = c.c_id GROUP BY n.note;
CREATE VIEW distinct_notes AS SELECT DISTINCT note FROM notes;
"""
RECURSIVE = """
CREATE TABLE edges(a INT, b INT);
CREATE VIEW reach AS WITH RECURSIVE r(a, b) AS (SELECT a, b FROM edges UNION SELECT r.a, e.b FROM r JOIN edges e
    ON r.b = e.a) SELECT a, COUNT(*) AS n FROM r GROUP BY a;
"""


class Pair:
    """The same calls on a default pipeline and on one whose every step is general (``sharded``:
    also on 3 simulated workers, which never take the fused step)."""

    def __init__(self, ddl: str, sharded: bool = False):
        self.fused, self.general = Pipeline(), Pipeline(max_step_rows=10**12)
        self.others = [self.general] + ([Pipeline(workers=3, backend="simulated")] if sharded else [])
        self.general_steps = 0
        circuit = self.fused.circuit
        step = circuit.step

        def counted(before_commit=None):
            self.general_steps += 1
            return step(before_commit)
        circuit.step = counted  # (what the fused steps fall back to, and what _tick runs otherwise)
        self.both(lambda p: p.execute(ddl))

    def both(self, call):
        out = []
        for p in [self.fused] + self.others:
            try:
                out.append(("ok", call(p)))
            except DataError as e:
                out.append(("error", str(e)))
        assert all(o == out[0] for o in out[1:])
        self.same()
        return out[0]

    def same(self):
        f = self.fused
        # what lets the fused step write a view's Output in its Aggregate's lines: the Output's
        # contents are the Aggregate's output rows, each once
        for op in f.circuit.ops:
            readers = [r for r in f.circuit.ops if op in r.inputs]
            if isinstance(op, Aggregate) and len(readers) == 1 and isinstance(readers[0], Output):
                assert readers[0].contents == dict.fromkeys(op.outputs.values(), 1)
        for g in self.others:
            assert f.last_step == g.last_step
            for v in f.views:
                assert sorted(f.view(v).rows(), key=repr) == sorted(g.view(v).rows(), key=repr), v
            for t in f.tables:
                assert sorted(f.table_rows(t), key=repr) == sorted(g.table_rows(t), key=repr), t

    def close(self):
        for p in [self.fused] + self.others:
            p.close()


def _orders_stream(rnd: random.Random, pair: Pair, n_steps: int, live: dict) -> int:
    """Random one-row (and a few multi-row) changes of orders and notes, each step compared; returns
    how many steps changed one table by a few rows (the fused path's)."""
    one_table = 0
    next_id = max(live, default=0) + 1
    for _ in range(n_steps):
        kind = rnd.random()
        changes = []  # (table, sign, row)
        if kind < 0.45 or not live:
            big = rnd.choice([None, 1, 2**125, -(2**125)]) if rnd.random() < 0.2 else rnd.randrange(-5, 6)
            amount = rnd.choice([None, 30000, rnd.randrange(0, 50)]) if rnd.random() < 0.1 else rnd.randrange(0, 50)
            row = (next_id, rnd.randrange(0, 12), amount, big)
            next_id += 1
            changes.append(("orders", 1, row))
        elif kind < 0.8:
            changes.append(("orders", -1, live[rnd.choice(sorted(live))]))
        elif kind < 0.88:  # duplicates and NULLs in a table without a key
            note = (rnd.randrange(0, 12), rnd.choice([None, "a", "b"]))
            changes += [("notes", 1, note)] * rnd.randrange(1, 3)
        elif kind < 0.94:  # an update: -old +new in one step
            o_id = rnd.choice(sorted(live))
            old = live[o_id]
            changes += [("orders", -1, old), ("orders", 1, (o_id, rnd.randrange(0, 12), rnd.randrange(0, 50), old[3]))]
        else:  # two tables at once: the general path
            changes += [("orders", 1, (next_id, 3, 7, 1)), ("customers", 1, (100 + next_id, "c", "r1"))]
            next_id += 1

        def apply(p, changes=changes):
            for table, sign, row in changes:
                (p.insert if sign > 0 else p.delete)(table, [row])
            return p.step()

        before = pair.general_steps
        status, _ = pair.both(apply)
        tables = {t for t, _, _ in changes}
        if len(tables) == 1 and status == "ok":
            one_table += 1
            assert pair.general_steps == before, "a one-table step took the general path"
        if status == "ok":
            for table, sign, row in changes:
                if table == "orders":
                    if sign > 0:
                        live[row[0]] = row
                    elif live.get(row[0]) == row:
                        del live[row[0]]
    return one_table


def _apply(pair: Pair, table: str, changes: list) -> tuple[str, bool]:
    """``changes`` ((sign, row) each) to ``table`` and a step, on both pipelines: (the status,
    whether the fused pipeline's step was fused)."""
    def apply(p):
        for sign, row in changes:
            (p.insert if sign > 0 else p.delete)(table, [row])
        return p.step()

    before = pair.general_steps
    status, _ = pair.both(apply)
    return status, pair.general_steps == before


def _load(pair: Pair) -> dict:
    pair.both(lambda p: (p.insert("regions", [("r0", "z0"), ("r1", "z1"), ("r2", None)]),
                         p.insert("customers", [(i, f"c{i}", f"r{i % 4}" if i % 5 else None) for i in range(10)]),
                         p.step()))
    rows = [(i, i % 11, i % 7, i) for i in range(1, 30)]
    pair.both(lambda p: (p.insert("orders", rows), p.step()))
    return {r[0]: r for r in rows}


def _retract_all(pair: Pair) -> None:
    def retract(p):
        for t in p.tables:
            rows = p.table_rows(t)
            if rows:
                p.delete(t, rows)
        return p.step()
    pair.both(retract)
    assert all(not pair.fused.view(v).rows() or v in ("everything", "reach") for v in pair.fused.views)


@pytest.mark.parametrize("seed", range(6))
def test_join_group_fused_equals_general(seed):
    pair = Pair(JOIN_GROUP)
    live = _load(pair)
    fused = _orders_stream(random.Random(seed), pair, 120, live)
    assert fused > 60
    step = pair.fused._tables["orders"].input.fused
    assert step is not None
    # the raw fold's loop and the result (with the HUGEINT sums' range tests) are written in the
    # step, not called; the group key (c.region, NULL for some customers) is the value itself
    assert "touched = raw" not in step.source_text and "result" not in step.source_text
    # each touched group noted with its old output row as the fold touches it (no set of touched
    # keys), and no method bound for one row
    assert "changed[k] = outputs.get(k)" in step.source_text and "touched" not in step.source_text
    assert ".get\n" not in step.source_text and ".add\n" not in step.source_text
    assert "new = (k, " in step.source_text and f" <= {2**127 - 1} else " in step.source_text
    # the view's Output is written by the Aggregate's lines (no loop of its own over the delta)
    assert "contents[new] = 1" in step.source_text and "for row, w in" not in step.source_text
    # both index lookups of a row first (their cache misses overlap), then the fold, then the filing
    text = step.source_text
    assert text.index("rb = ib.get(ka)") < text.index("bucket = ia.get(ka)") < text.index("if rb is not None:") \
        < text.index("if wa > 0:")
    _retract_all(pair)


@pytest.mark.parametrize("seed", range(4))
def test_the_other_side_alone_fused_equals_general(seed):
    """Customers changed alone (the join's other side, whose index is {key: row}): new customers,
    deletions, updates of a key's region (-old +new in one step), customers with and without
    orders, each step fused (the fold's lines for an orders delta that is EMPTY, then the probe of
    the orders' index)."""
    pair = Pair(JOIN_GROUP + MORE_VIEWS)
    live = _load(pair)
    _orders_stream(random.Random(seed), pair, 30, live)
    rnd = random.Random(100 + seed)
    customers = {r[0]: r for r in pair.fused.table_rows("customers")}
    fused = 0
    for _ in range(60):
        kind, c_id = rnd.random(), rnd.randrange(0, 14)
        old = customers.get(c_id)
        region = rnd.choice([r for r in (None, "r0", "r1", "r2", "r3") if old is None or r != old[2]])
        if old is None:
            changes = [(1, (c_id, f"c{c_id}", region))]
        elif kind < 0.4:
            changes = [(-1, old)]
        else:  # (another region: an equal row deleted and inserted again queues nothing)
            changes = [(-1, old), (1, (c_id, old[1], region))]
        status, took_fused = _apply(pair, "customers", changes)
        assert status == "ok"
        fused += took_fused
        for sign, row in changes:
            if sign < 0:
                customers.pop(row[0], None)
        customers.update((row[0], row) for sign, row in changes if sign > 0)
    assert fused == 60
    _retract_all(pair)


@pytest.mark.parametrize("seed", range(3))
def test_fused_equals_three_workers(seed):
    """The same stream on 3 simulated workers (groups keyed by one column's value there too: their
    partial groups travel to the value's owner) and on the fused and general pipelines."""
    pair = Pair(JOIN_GROUP + MORE_VIEWS, sharded=True)
    try:
        live = _load(pair)
        assert _orders_stream(random.Random(200 + seed), pair, 60, live) > 30
        _retract_all(pair)
    finally:
        pair.close()


@pytest.mark.parametrize("seed", range(4))
def test_many_views_fused_equals_general(seed):
    pair = Pair(JOIN_GROUP + MORE_VIEWS)
    live = _load(pair)
    assert _orders_stream(random.Random(100 + seed), pair, 120, live) > 60
    _retract_all(pair)


def test_views_made_and_dropped_between_fused_steps():
    """A fused step is made again when the circuit changes (a view created, replaced or dropped)."""
    pair = Pair(JOIN_GROUP)
    live = _load(pair)
    rnd = random.Random(7)
    for ddl in ("CREATE VIEW scaled AS SELECT o_id, amount * 100000 AS scaled FROM orders",
                "CREATE OR REPLACE VIEW join_group AS SELECT c.region, MAX(o.amount) AS m FROM orders o "
                "JOIN customers c ON o.c_id = c.c_id GROUP BY c.region",
                "DROP VIEW scaled", "DROP VIEW join_group",
                "CREATE VIEW join_group AS SELECT o.c_id, COUNT(*) AS n FROM orders o GROUP BY o.c_id"):
        pair.both(lambda p, ddl=ddl: p.execute(ddl))
        assert _orders_stream(rnd, pair, 25, live) > 5
    _retract_all(pair)


def test_recursive_view_in_the_cone():
    pair = Pair(RECURSIVE)
    rnd = random.Random(3)
    edges: list = []
    for _ in range(80):
        if edges and rnd.random() < 0.4:
            e = edges.pop(rnd.randrange(len(edges)))
            pair.both(lambda p, e=e: (p.delete("edges", [e]), p.step()))
        else:
            e = (rnd.randrange(0, 9), rnd.randrange(0, 9))
            edges.append(e)
            pair.both(lambda p, e=e: (p.insert("edges", [e]), p.step()))
    pair.both(lambda p: (p.delete("edges", edges), p.step()) if edges else p.step())
    assert pair.fused.view("reach").rows() == []


def test_a_failing_fused_step_changes_nothing():
    """An overflow inside the inlined aggregate (SUM of HUGEINTs) and in a projection after it: the
    step fails as the general one does, and everything is as it was; the next step goes on."""
    pair = Pair(JOIN_GROUP + MORE_VIEWS)
    _load(pair)
    f = pair.fused
    before = {v: sorted(f.view(v).rows(), key=repr) for v in f.views}
    assert pair.both(lambda p: (p.insert("orders", [(900, 1, 1, 2**126)]), p.step()))[0] == "ok"
    status, message = pair.both(lambda p: (p.insert("orders", [(901, 1, 1, 2**126)]), p.step()))
    assert status == "error" and "overflow" in message
    status, message = pair.both(lambda p: (p.insert("orders", [(903, 1, 90000, 1)]), p.step()))
    assert status == "error" and "overflow" in message
    assert pair.both(lambda p: (p.delete("orders", [(900, 1, 1, 2**126)]), p.step()))[0] == "ok"
    assert {v: sorted(f.view(v).rows(), key=repr) for v in f.views} == before
    assert f.step() == {} and pair.general.step() == {}


def test_fused_step_in_a_transaction_and_a_durable_pipeline(tmp_path):
    """COMMIT of one table's change is a fused step; with a state file its journal record is
    written by the same hook, and a reopened pipeline holds what the fused steps made."""
    path = str(tmp_path / "s.db")
    p = Pipeline(path=path)
    p.execute(JOIN_GROUP)
    q = Pipeline()
    q.execute(JOIN_GROUP)
    for x in (p, q):
        x.insert("customers", [(1, "a", "r1"), (2, "b", "r2")])
        x.step()
        x.execute("BEGIN; INSERT INTO orders VALUES (1, 1, 5, 1); COMMIT")
        x.insert("orders", [(2, 2, 7, 2)])
        x.step()
        x.delete("orders", [(1, 1, 5, 1)])
        x.step()
    assert p._tables["orders"].input.fused is not None
    rows = sorted(p.view("join_group").rows())
    assert rows == sorted(q.view("join_group").rows()) == [("r2", 1, 7, 2)]
    p.close(checkpoint=False)  # the reopened pipeline replays the journal the fused steps wrote
    with Pipeline(path=path) as r:
        assert sorted(r.view("join_group").rows()) == rows
        assert r.last_step == 4


def test_one_row_changes_in_a_transaction_roll_back():
    """insert()/delete() of one row are logged for a savepoint only inside a transaction: ROLLBACK
    takes back those made after BEGIN (key index included), and keeps those queued before it."""
    p = Pipeline()
    p.execute(JOIN_GROUP)
    p.insert("customers", [(1, "a", "r1")])
    p.step()
    p.insert("orders", [(1, 1, 5, 1)])  # before BEGIN: stays queued
    p.execute("BEGIN")
    p.insert("orders", [(2, 1, 7, 1)])
    p.delete("orders", [(1, 1, 5, 1)])
    p.execute("ROLLBACK")
    p.insert("orders", [(2, 1, 9, None)])  # key 2 is free again
    assert p.step() == {"join_group": [(("r1", 2, 14, 1), 1)]}
    p.execute("BEGIN")
    p.delete("orders", [(2, 1, 9, None)])
    p.execute("COMMIT")
    assert p.step() == {"join_group": [(("r1", 2, 14, 1), -1), (("r1", 1, 5, 1), 1)]}


# aggregate functions laid out flat in a group's state (codegen.state_layout) beside ones that keep
# their own (MIN, a DECIMAL sum, an exported state), COUNT(*) read from the group's row count (with
# and without FILTER), over a join (folded, and partial groups on workers) and over one table
FLAT = """
CREATE TABLE t(id INT PRIMARY KEY, g INT, x INT, f DOUBLE, d DECIMAL(10, 2));
CREATE TABLE dim(g INT PRIMARY KEY, label VARCHAR);
CREATE VIEW folded AS SELECT d.label, COUNT(*) AS n, COUNT(t.x) AS cx, SUM(t.x) AS sx, AVG(t.x) AS ax,
    SUM(t.f) AS sf, SUM(t.d) AS sd, AVG(t.f) AS af FROM t JOIN dim d ON t.g = d.g GROUP BY d.label;
CREATE VIEW mixed AS SELECT d.label, MIN(t.x) AS lo, COUNT(*) AS n, SUM(t.x) AS sx,
    COUNT(*) FILTER (WHERE t.x > 2) AS nf, SUM(t.x) FILTER (WHERE t.f > 0) AS sxf, SUM(t.f) AS sf
    FROM t JOIN dim d ON t.g = d.g GROUP BY d.label;
CREATE VIEW one_table AS SELECT g, COUNT(*) AS n, SUM(x) AS sx, AVG(f) AS af,
    COUNT(*) FILTER (WHERE x IS NULL) AS nulls, FINALIZE(SUM(x) EXPORT_STATE) AS fs FROM t GROUP BY g;
CREATE VIEW everything AS SELECT COUNT(*) AS n, SUM(x) AS sx, SUM(f) AS sf, AVG(x) AS ax FROM t;
"""


def _flat_stream(rnd: random.Random, pair: Pair, n_steps: int) -> int:
    """One-row inserts, deletes (of present and of absent rows) and updates of t, over few groups
    (NULL ones too) that empty and fill again; returns the steps that took the fused path."""
    live: dict = {}
    fused = 0
    for i in range(n_steps):
        kind = rnd.random()
        if kind < 0.5 or not live:
            x = rnd.choice([None, rnd.randrange(-3, 6)])
            f = rnd.choice([None, 0.5, -1.25, 1e300, rnd.random()])
            d = rnd.choice([None, Decimal("1.25"), Decimal("-0.50"), Decimal("3.00")])
            row = (i, rnd.choice([None, 0, 1, 2, 3]), x, f, d)
            changes = [(1, row)]
        elif kind < 0.85:
            changes = [(-1, live[rnd.choice(sorted(live))])]
        elif kind < 0.92:  # a row that is not there (its key free, or held by another row)
            k = rnd.choice([10**6, *sorted(live)])
            changes = [(-1, (k, 9, 9, 9.0, Decimal("9.00")))]
        else:
            old = live[rnd.choice(sorted(live))]
            changes = [(-1, old), (1, (old[0], rnd.choice([None, 0, 1]), 4, 2.0, Decimal("1.00")))]
        status, took_fused = _apply(pair, "t", changes)
        if status == "ok":
            fused += took_fused
            for sign, row in changes:
                if sign > 0:
                    live[row[0]] = row
                elif live.get(row[0]) == row:
                    del live[row[0]]
    return fused


@pytest.mark.parametrize("seed", range(3))
def test_flat_states_fused_general_and_workers(seed):
    pair = Pair(FLAT, sharded=True)
    try:
        pair.both(lambda p: (p.insert("dim", [(0, "a"), (1, "b"), (2, None), (3, "a")]), p.step()))
        assert _flat_stream(random.Random(300 + seed), pair, 150) > 75
        # the state: COUNT(*) keeps none (the row count); COUNT(x) one item, SUM(x), AVG(x) and SUM(f)
        # two each (a sum, a count), in the state list itself; SUM(d) and AVG(f) their own states
        f = pair.fused
        agg = next(op for op in f.circuit.ops if isinstance(op, Aggregate) and op.join_fold is not None
                   and len(op.reducer.functions) == 7)
        for g in agg.groups.values():
            assert len(g[1]) == 1 + 2 + 2 + 2 + 1 + 1 and [type(x) for x in g[1][:5]] == [int] * 5
        _retract_all(pair)
        assert pair.fused.view("everything").rows() == [(0, None, None, None)]
    finally:
        pair.close()


def test_flat_states_checkpointed_and_reopened(tmp_path):
    """Groups with flat states written to a checkpoint and read back: the reopened pipeline goes on
    as one that never closed."""
    path = str(tmp_path / "flat.db")
    p, q = Pipeline(path=path), Pipeline()
    rnd = random.Random(5)
    rows = [(i, rnd.choice([None, 0, 1, 2]), rnd.choice([None, 3, -2]), rnd.choice([None, 0.5, 1e300]),
             rnd.choice([None, Decimal("1.25")])) for i in range(40)]
    for x in (p, q):
        x.execute(FLAT)
        x.insert("dim", [(0, "a"), (1, "b"), (2, None)])
        x.insert("t", rows[:30])
        x.step()
        x.delete("t", [rows[3]])
        x.step()
    p.close()  # (a checkpoint)
    with Pipeline(path=path) as r:
        for x in (r, q):
            for row in rows[30:]:
                x.insert("t", [row])
                x.step()
            x.delete("t", rows[:3])
            x.step()
        for v in q.views:
            assert sorted(r.view(v).rows(), key=repr) == sorted(q.view(v).rows(), key=repr), v
