"""Staging (engine/shards/staging.py): a bulk insert's rows are checked by the workers and fed from
what they hold, with every answer and every error what one worker gives.

Each script runs on one worker and on a sharded pipeline that stages every batch (``min_rows`` 1):
inserts whose rows pass, need converting, are bad or take a key; a staged batch with a delete, an
upsert or a rollback in the same step (fed as rows); duplicates across batches; a failing step; a
state file reopened.  The outcome of every call (its changes, or its error's text) must be equal,
and so must the tables after each step.
"""

from __future__ import annotations

import datetime
import functools
from decimal import Decimal

import pytest

from deltasql import Pipeline
from deltasql.compiler.routing import route_function
from deltasql.engine.shards import wire

SCHEMA = """
CREATE TABLE o(id INT PRIMARY KEY, c INT NOT NULL, amount DECIMAL(10, 2), at TIMESTAMP, note VARCHAR);
CREATE TABLE c(c INT PRIMARY KEY, region VARCHAR NOT NULL);
CREATE TABLE bag(x INT, y DOUBLE);
CREATE VIEW by_region AS SELECT c.region, COUNT(*) AS n, SUM(o.amount) AS s FROM o JOIN c ON o.c = c.c
  GROUP BY c.region;
CREATE VIEW bag_n AS SELECT x, COUNT(*) AS n, SUM(y) AS s FROM bag GROUP BY x;
CREATE VIEW ratio AS SELECT x, x + 2147483600 AS r FROM bag;
CREATE VIEW wide AS SELECT id, c + 2147483600 AS r FROM o;
"""

T0 = datetime.datetime(2024, 1, 1)


def orders(lo, hi):
    return [(i, i % 7, Decimal(i % 50) + Decimal("0.25"), T0 + datetime.timedelta(minutes=i), f"n{i % 3}")
            for i in range(lo, hi)]


class IntLike(int):
    """An int subclass: not a plain value, so its batch is checked on the coordinator."""


SCRIPT = [
    ("insert", "c", [(k, "r%d" % (k % 3)) for k in range(7)]),
    ("insert", "o", orders(0, 40)),
    ("step",),
    ("insert", "o", orders(40, 60)),
    ("insert", "o", orders(60, 70)),  # two staged batches in one step
    ("step",),
    ("insert", "o", orders(70, 80) + [(80, "seven", Decimal(1), T0, None)]),  # a bad value: insert fails
    ("insert", "o", orders(75, 85)),  # keys 75..79 are free again: the failed call queued nothing
    ("insert", "o", orders(84, 90)),  # key 84 taken by the call before
    ("step",),
    ("insert", "o", [list(r) for r in orders(90, 95)]),  # lists: converted on the coordinator
    ("insert", "o", [(95, 1, 2.5, "2024-01-02 03:04:05", "x"), (96, IntLike(2), Decimal("1.00"), None, None)]),
    ("step",),
    ("insert", "o", orders(100, 110)),
    ("delete", "o", orders(100, 101)),  # a staged batch and a delete in one step: fed as rows
    ("step",),
    ("insert", "o", orders(110, 120)),
    ("upsert", "o", [(111, 3, Decimal("9.99"), T0, "up")]),
    ("step",),
    ("begin",),
    ("insert", "o", orders(120, 130)),
    ("rollback",),
    ("insert", "o", orders(130, 135)),
    ("step",),
    ("insert", "o", orders(140, 150) + [(150, 99, None, None, None)]),  # the view wide overflows: the
    ("step",),                                                            # step fails, nothing changes
    ("insert", "o", orders(140, 150)),
    ("step",),
    ("insert", "bag", [(1, 1.5), (2, 2.5), (1, 1.5)]),
    ("insert", "bag", [(1, 1.5), (3, None)]),  # duplicates within and across batches
    ("step",),
    ("insert", "bag", [(4, 1.0), (99, 2.0)]),  # 99 + 2147483600 overflows an INTEGER: the step fails
    ("step",),
    ("insert", "bag", [(5, 1.0), (1, 1.5)]),
    ("step",),
    ("insert", "bag", [(2, 2.5), (2, 2.5)]),
    ("delete", "bag", [(1, 1.5)]),
    ("step",),
    ("insert", "bag", [(6, 1), (7, True)]),  # an int into DOUBLE (converted), a BOOLEAN (refused)
    ("insert", "bag", [(6, 1)]),
    ("step",),
]


def _play(p, script, on_step=None) -> list:
    out = []
    for op, *args in script:
        try:
            if op == "step":
                out.append(("step", p.step()))
                if on_step is not None:
                    on_step(p)
                out.append(("tables", {t: sorted(map(repr, p.table_rows(t))) for t in ("o", "c", "bag")}))
            elif op in ("begin", "rollback"):
                p.execute(op.upper())
                out.append((op, None))
            else:
                getattr(p, op)(*args)
                out.append((op, None))
        except Exception as e:  # noqa: BLE001 - the error's kind and text are the outcome
            out.append((op, type(e).__name__, str(e)))
    return out


def _both(one, p, *calls):
    """Each call on ``one`` (one worker) and on ``p`` (sharded): the same results, and every view equal."""
    out = []
    for q in (one, p):
        for name, *args in calls:
            out.append(getattr(q, name)(*args))
    assert out[:len(calls)] == out[len(calls):]
    for v in one.views:
        assert sorted(p.view(v).rows(), key=repr) == sorted(one.view(v).rows(), key=repr), v


def _staging_everything(p):
    p._shards.staging.min_rows = 1
    return p


@pytest.mark.parametrize("backend,workers", [("simulated", 3), ("processes", 2)])
def test_staged_inserts_act_as_on_one_worker(backend, workers):
    with Pipeline() as one:
        one.execute(SCHEMA)
        expected = _play(one, SCRIPT)
    with Pipeline(workers=workers, backend=backend) as p:
        _staging_everything(p)
        p.execute(SCHEMA)
        got = _play(p, SCRIPT)
        staged = p._shards.stats["rows_staged"]
    assert got == expected
    assert staged >= 100  # (the rows of the batches the workers checked and kept)
    errors = [o for o in got if len(o) == 3]
    assert [o[1] for o in errors] == ["DataError"] * 5, errors  # bad value, taken key, 2 failed steps, BOOLEAN


def test_what_is_fed_as_staged_parts():
    """A table's queue is fed as staged parts only when it is exactly its staged batches."""
    fed = []
    with Pipeline(workers=2, backend="simulated") as p:
        _staging_everything(p)
        p.execute(SCHEMA)
        cluster = p._shards
        tokens = cluster.staging.tokens

        def spy(table, log):
            got = tokens(table, log)
            fed.append((table.rel.name, got is not None))
            return got
        cluster.staging.tokens = spy
        p.insert("c", [(1, "a"), (2, "b")])
        p.step()
        p.insert("c", [(3, "a")])
        p.delete("c", [(1, "a")])
        p.step()
        p.insert("bag", [(1, 1.5)])
        p.insert("bag", [(1, 1)])  # converted on the coordinator: not staged
        p.step()
        assert p.view("bag_n").rows() == [(1, 2, 2.5)]
    assert fed == [("c", True), ("c", False), ("bag", False)]


def test_a_state_file_reopens_after_staged_steps(tmp_path):
    path = str(tmp_path / "state")
    script = [s for s in SCRIPT if s[0] != "begin" and s[0] != "rollback"]
    with Pipeline() as one:
        one.execute(SCHEMA)
        _play(one, script)
        want = {v: sorted(one.view(v).rows()) for v in ("by_region", "bag_n")}
    p = Pipeline(path=path, workers=2, backend="simulated", checkpoint_every=4)
    _staging_everything(p)
    p.execute(SCHEMA)
    _play(p, script)
    p.close()
    with Pipeline(path=path, workers=2, backend="simulated") as p:
        assert {v: sorted(p.view(v).rows()) for v in want} == want


def test_only_plain_values_travel_to_be_checked():
    """wire.dumps_plain sends the types a row check knows; anything else (whose copy could be of
    another type) is left to the coordinator."""
    plain = [(1, "a", None, True, 1.5, b"x", Decimal("1.5"), T0, T0.date(), T0.time(),
              T0.replace(tzinfo=datetime.timezone.utc))]
    assert wire.loads(wire.dumps_plain(plain)) == plain

    class Odd:
        def __reduce__(self):
            return (int, (5,))
    assert wire.dumps_plain([(IntLike(1),)]) is None
    assert wire.dumps_plain([(Odd(),)]) is None
    assert wire.dumps_plain([(lambda: 1,)]) is None


def test_rows_of_any_shape_fail_as_on_one_worker_and_leave_nothing_filed():
    """The coordinator files a batch's keys before the workers' answer (Table.insert_unchecked): a
    batch they refuse is rolled back exactly, whatever its rows are, and then fails as on one worker."""
    schema = "CREATE TABLE o(id INT PRIMARY KEY, c INT NOT NULL)"
    bad = [["ab", "cd"], [(1, 2, 3), (2, 3, 4)], [(1,), (2,)], [(1, [1]), (2, [2])], [(None, 1), (2, 1)],
           [(1, 1.5), (2, 1)], [1, 2], [(1, 1), (1, 2)]]
    with Pipeline() as one, Pipeline(workers=2, backend="simulated") as p:
        _staging_everything(p)
        one.execute(schema)
        p.execute(schema)
        for rows in bad:
            errors = []
            for q in (one, p):
                with pytest.raises(Exception) as e:
                    q.insert("o", rows)
                errors.append((type(e.value).__name__, str(e.value)))
            assert errors[0] == errors[1]
            t = p._tables["o"]
            assert t.indexes[0] == {} and not t.pending and not p._log.entries, rows
        for q in (one, p):
            q.insert("o", [[1, 2], [2, 3]])
            q.insert("o", [{"id": 3, "c": 1}, {"id": 4, "c": 1}])
            q.step()
        assert sorted(p.table_rows("o")) == sorted(one.table_rows("o")) == [(1, 2), (2, 3), (3, 1), (4, 1)]


def test_a_batch_is_cut_by_the_owner_of_its_join_key():
    """A staged batch is cut by the worker owning each row's key at the exchange that reads its table
    (staging.cut, with the exchange's cut_rows: test_a_cut_puts_each_row_where_its_exchange_routes_it);
    the parts add up to the batch; rows of another shape, or a value of another type, are cut every n-th
    row (their check refuses or converts them, and the batch is then not staged)."""
    from collections import Counter

    from deltasql.engine.shards.staging import cut, owner_cut

    with Pipeline(workers=3, backend="simulated") as p:
        p.execute(SCHEMA)
        by_c = owner_cut(p.circuit, p._tables["o"].output)
        assert by_c.name == "by c#1"
        assert owner_cut(p.circuit, p._tables["bag"].output).describe() == "Exchange[partial aggregate by x#0]"  # bag_n's partial groups
    rows = [(i, None if i % 11 == 0 else (i * 7919) % 97 - 40, f"r{i}") for i in range(300)] + [(1, 7, "r1")] * 3
    for n in (1, 2, 3, 4):
        parts, by = cut(rows, n, by_c)
        assert by is (by_c if n > 1 else None)
        assert len(parts) == n and Counter(r for p in parts for r in p) == Counter(rows)
    for odd in ([(1,), (2,), (3,)], [(1, [1]), (2, [2]), (3, [3])], [{"id": 1}, {"id": 2}, {"id": 3}]):
        assert cut(odd, 2, by_c) == ([odd[0::2], odd[1::2]], None)
    assert cut(rows, 3, None) == ([rows[0::3], rows[1::3], rows[2::3]], None)

    with Pipeline() as one, Pipeline(workers=3, backend="simulated") as p:
        _staging_everything(p)
        for q in (one, p):
            q.execute(SCHEMA)
            q.insert("c", [(k, "r%d" % (k % 3)) for k in range(7)])
            q.step()
        before = p._shards.stats["rows_exchanged"]
        for q in (one, p):
            q.insert("o", orders(0, 300))
            q.step()
        # only the partial groups of by_region's GROUP BY cross (3 regions, 3 workers), no order
        assert p._shards.stats["rows_exchanged"] - before <= 9
        for v in ("by_region", "wide"):
            assert sorted(p.view(v).rows()) == sorted(one.view(v).rows())


@pytest.mark.parametrize("workers, backend", [(1, "simulated"), (2, "simulated"), (3, "threads"), (2, "processes")])
def test_a_depth_whose_exchanges_move_nothing_takes_no_round(workers, backend):
    """A bulk step whose only change is staged batches cut by the owner of the join key, the other side
    unchanged, moves no row at the join's exchanges, so the workers skip their round
    (staging.local_exchanges): the step is 3 rounds (the partial groups' exchange, prepared, go) instead
    of 4; with one worker no exchange of the circuit ever moves a row (2 rounds).  The other side's
    staged batch is cut by its own key's owner and moves nothing either, nor does a queue fed as rows
    (a delete, a one-row insert: staging.cut_delta cuts it by the same owner); a second view reading the
    table by another key takes the round again.  Every step's changes and every view equal one worker's."""
    with Pipeline() as one, Pipeline(workers=workers, backend=backend) as p:
        _staging_everything(p)
        stats = p._shards.stats

        both = functools.partial(_both, one, p)

        both(("execute", SCHEMA), ("insert", "c", [(k, "r%d" % (k % 3)) for k in range(7)]), ("step",))
        both(("insert", "o", orders(0, 300)))
        before = stats["rounds"]
        both(("step",))
        assert stats["rounds"] - before == (2 if workers == 1 else 3)
        both(("insert", "o", orders(300, 400)), ("insert", "c", [(7, "r9"), (8, "r1")]))
        before = stats["rounds"]
        both(("step",))
        assert stats["rounds"] - before == (2 if workers == 1 else 3)
        both(("insert", "o", orders(400, 450)), ("delete", "c", [(8, "r1")]))
        before = stats["rounds"]
        both(("step",))
        assert stats["rounds"] - before == (2 if workers == 1 else 3)
        both(("insert", "o", orders(450, 451)), ("delete", "o", orders(0, 1)))  # one-row changes, fed as rows
        before = stats["rounds"]
        both(("step",))
        assert stats["rounds"] - before == (2 if workers == 1 else 3)
        both(("execute", "CREATE VIEW by_id AS SELECT c.region, COUNT(*) AS n FROM o JOIN c ON o.id = c.c "
                         "GROUP BY c.region"))
        both(("insert", "o", orders(451, 500)))
        before = stats["rounds"]
        both(("step",))
        assert stats["rounds"] - before == (2 if workers == 1 else 4)
        both(("delete", "o", orders(451, 452)))  # (by_id's exchange reads o by id, not by c)
        before = stats["rounds"]
        both(("step",))
        assert stats["rounds"] - before == (2 if workers == 1 else 4)


@pytest.mark.parametrize("workers, backend", [(2, "simulated"), (2, "processes")])
def test_unlogged_one_row_changes_beside_a_staged_batch(workers, backend):
    """One-row insert() and delete() outside a transaction queue no ChangeLog entry; beside a staged
    batch they still make the table fed as rows (its queue is no longer the batches the workers hold),
    even when they leave the queue as many rows as the batches (an insert and a delete)."""
    with Pipeline() as one, Pipeline(workers=workers, backend=backend) as p:
        p._shards.staging.min_rows = 2  # (a batch of one row takes insert()'s one-row path)
        for q in (one, p):
            q.execute(SCHEMA)
            q.insert("c", [(k, "r%d" % (k % 3)) for k in range(7)])
            q.step()
        for q in (one, p):
            q.insert("o", orders(0, 50))
            q.insert("o", orders(50, 51))  # one row: not staged, not logged
            q.delete("o", orders(10, 11))  # one row of the staged batch
        assert p.step() == one.step()
        for q in (one, p):
            q.insert("o", orders(100, 150))
            q.delete("o", orders(120, 121))
        assert p.step() == one.step()
        for v in one.views:
            assert sorted(p.view(v).rows(), key=repr) == sorted(one.view(v).rows(), key=repr), v


TEXT_KEYS = """
CREATE TABLE o(id INT PRIMARY KEY, c INT NOT NULL, amount DECIMAL(10, 2), at TIMESTAMP, note VARCHAR);
CREATE TABLE c(c INT PRIMARY KEY, region VARCHAR NOT NULL);
CREATE TABLE t(id INT PRIMARY KEY, tag VARCHAR);
CREATE VIEW notes AS SELECT DISTINCT note, c FROM o WHERE amount > 1;
CREATE VIEW by_tag AS SELECT c.region, t.id FROM c JOIN t ON t.tag = upper(c.region);
CREATE TABLE g(id INT PRIMARY KEY, region VARCHAR, n INT);
CREATE TABLE h(id INT PRIMARY KEY, region VARCHAR, n INT);
CREATE VIEW g_sums AS SELECT region, COUNT(*) AS c, SUM(n) AS s FROM g WHERE n > 0 GROUP BY region;
CREATE VIEW h_sums AS SELECT n, region, COUNT(*) AS c FROM h GROUP BY region, n;
"""


def test_a_cut_puts_each_row_where_its_exchange_routes_it():
    """routing.cut_function cuts rows (a list, duplicates included) as the exchange's route_function
    routes them: on every worker, the route of its own part sends every row to itself, so that exchange
    moves nothing; for keys of one or more columns, numbers, text (NULL too), floats (NaN too), decimals
    and dates, and where a NULL key never matches (the route keeps such a row where it is).  With
    ``as_tuple`` it cuts them as a Combine sends their partial groups: by runtime/hashing.owner of the
    key (its value where the groups are keyed by one value, its tuple otherwise)."""
    import datetime
    from collections import Counter

    from deltasql.compiler.codegen import Codegen
    from deltasql.compiler.dialect import get_dialect
    from deltasql.compiler.expr import Col
    from deltasql.compiler.routing import cut_function
    from deltasql.compiler.types import DATE, DOUBLE, INTEGER, TEXT, decimal_type
    from deltasql.runtime.hashing import owner

    cg = Codegen(get_dialect("duckdb"))
    rows = [(i, None if i % 11 == 0 else (i * 7919) % 97 - 40, None if i % 13 == 0 else f"r{i % 17}é",
             float("nan") if i % 5 == 0 else i / 3, Decimal(i % 9) / 4, datetime.date(2024, 1, 1 + i % 28))
            for i in range(300)]
    rows += [rows[1]] * 3
    ints, texts, floats = Col(1, INTEGER, True), Col(2, TEXT, True), Col(3, DOUBLE, False)
    decimals, dates = Col(4, decimal_type(10, 2), False), Col(5, DATE, False)
    keys = [(ints,), (texts,), (floats,), (decimals,), (dates,), (ints, texts), (texts, floats), (decimals, dates)]
    for key in keys:
        for drop in (None, (True,) * len(key)):
            route = route_function(cg, key, drop)
            cut_rows = cut_function(cg, key)
            for n in (1, 2, 3, 4):
                parts = cut_rows(rows, n)
                assert len(parts) == n and Counter(r for p in parts for r in p) == Counter(rows)
                for w, part in enumerate(parts):
                    routed = route(dict.fromkeys(part, 1), n, w)
                    assert routed[w] == dict.fromkeys(part, 1), (key, drop, n, w)
                if len(key) == 1:  # a NULL key has one owner, as any other value
                    assert len({w for w, p in enumerate(parts) for r in p if r[key[0].index] is None}) <= 1
        for as_tuple in (False, True):
            if len(key) > 1 and not as_tuple:
                continue
            cut_rows = cut_function(cg, key, as_tuple)
            for n in (2, 3):
                for w, part in enumerate(cut_rows(rows, n)):
                    for r in part:
                        group = tuple(r[x.index] for x in key) if as_tuple else r[key[0].index]
                        assert owner(group, n) == w, (key, as_tuple, n, r)


@pytest.mark.parametrize("workers, backend", [(3, "simulated"), (2, "processes")])
def test_a_batch_is_cut_by_a_text_or_several_column_key_through_a_filter_project(workers, backend):
    """A table read by an exchange keyed by text (by_tag's join), or by several columns of its rows
    through a filter and a projection (notes: DISTINCT over a WHERE), or by a GROUP BY's partial groups
    (g_sums by text over a WHERE, h_sums by two columns), has its staged batches and its queue fed as
    rows cut by that exchange's owners (its key's columns of the table's rows): no row or partial group
    crosses there.  The join's other side is keyed by an expression (upper(c.region)), so its rows are
    routed by the exchange: t's rows, cut on the coordinator, must be where that route sends c's.  NULL
    keys, duplicate (note, c) pairs and deletes included; every step's changes and every view equal
    one worker's."""
    from deltasql.engine.shards.staging import owner_cut

    with Pipeline() as one, Pipeline(workers=workers, backend=backend) as p:
        _staging_everything(p)
        stats = p._shards.stats

        both = functools.partial(_both, one, p)

        def moves_nothing(*calls):
            both(*calls)
            before = dict(stats)
            both(("step",))
            assert stats["rows_exchanged"] == before["rows_exchanged"], calls
            assert stats["rounds"] - before["rounds"] == 2, calls  # (prepared, go)

        def o_rows(lo, hi):
            return [(i, i % 5, Decimal(i % 4), T0, None if i % 9 == 0 else f"r{i % 6}") for i in range(lo, hi)]

        def t_rows(lo, hi):
            return [(i, None if i % 7 == 0 else f"R{i % 10}") for i in range(lo, hi)]

        def g_rows(lo, hi):
            return [(i, None if i % 8 == 0 else f"g{i % 5}", i % 4 - 1) for i in range(lo, hi)]

        both(("execute", TEXT_KEYS))
        assert owner_cut(p.circuit, p._tables["o"].output).name == "by row"
        assert owner_cut(p.circuit, p._tables["t"].output).name == "by tag#1"
        assert owner_cut(p.circuit, p._tables["c"].output) is None
        assert owner_cut(p.circuit, p._tables["g"].output).describe() == "Exchange[partial aggregate by region#1]"
        assert owner_cut(p.circuit, p._tables["h"].output).describe() == "Exchange[partial aggregate by region#1, n#2]"
        both(("insert", "c", [(k, f"r{k}") for k in range(8)]), ("step",))
        for lo, hi in ((0, 300), (300, 301), (301, 500)):
            moves_nothing(("insert", "o", o_rows(lo, hi)), ("insert", "t", t_rows(lo, hi)),
                          ("insert", "g", g_rows(lo, hi)), ("insert", "h", g_rows(lo, hi)))
        moves_nothing(("delete", "o", o_rows(10, 11)), ("delete", "t", t_rows(20, 21)),  # fed as rows
                      ("delete", "g", g_rows(30, 31)), ("delete", "h", g_rows(30, 31)))
        both(("insert", "c", [(8, "r8"), (9, "r9")]), ("step",))
        both(("delete", "o", o_rows(0, 10) + o_rows(11, 500)), ("delete", "t", t_rows(0, 20) + t_rows(21, 500)),
             ("delete", "g", g_rows(0, 30) + g_rows(31, 500)), ("delete", "h", g_rows(0, 30) + g_rows(31, 500)),
             ("step",))
        assert one.view("notes").rows() == [] and p.view("by_tag").rows() == []
        assert p.view("notes").rows() == [] and p.view("h_sums").rows() == []
