"""The API's one-row path against the general one, on random streams and at its edges.

``Pipeline.insert(name, [row])`` / ``delete(name, [row])`` go through the table's generated
``insert_one``/``delete_one`` (engine/one_row.py: the row check, the key and the queue in one
function), and a step after such changes alone feeds the one table they went to without looking at
the others (``Pipeline._sole``).  The reference pipeline takes the same rows as a tuple ``(row,)``,
which is the general path (the batch check, queue_insert/queue_delete, every change logged, every
queue looked at).  After every call both must agree: what step() returned, the error's message,
every view's and table's rows."""

from __future__ import annotations

import datetime
import random

import pytest

from deltasql import DataError, Pipeline

SCHEMA = """
CREATE TABLE orders(o_id INT PRIMARY KEY, c_id INT NOT NULL, amount DOUBLE, note VARCHAR, day DATE);
CREATE TABLE customers(c_id INT PRIMARY KEY, region VARCHAR NOT NULL);
CREATE TABLE pairs(a INT, b INT, PRIMARY KEY (a, b));
CREATE TABLE uniq(k INT PRIMARY KEY, u VARCHAR UNIQUE);
CREATE TABLE plain(x INT, y VARCHAR);
CREATE VIEW per_region AS SELECT c.region, COUNT(*) AS n, SUM(o.amount) AS total
    FROM orders o JOIN customers c ON o.c_id = c.c_id GROUP BY c.region;
CREATE VIEW n_pairs AS SELECT a, COUNT(*) AS n FROM pairs GROUP BY a;
CREATE VIEW n_uniq AS SELECT u, COUNT(*) AS n FROM uniq GROUP BY u;
CREATE VIEW n_plain AS SELECT COUNT(*) AS n FROM plain;
"""


class Pair:
    def __init__(self):
        self.one, self.general = Pipeline(), Pipeline()
        for p in (self.one, self.general):
            p.execute(SCHEMA)
            p.step()  # (the views' first rows)

    def call(self, what, table=None, row=None):
        """``what`` ("insert", "delete", "step", or SQL) on both; the outcomes must be equal."""
        out = []
        for p, rows in ((self.one, [row]), (self.general, (row,))):
            try:
                if what in ("insert", "delete"):
                    out.append(("ok", getattr(p, what)(table, rows)))
                elif what == "step":
                    out.append(("ok", p.step()))
                else:
                    out.append(("ok", p.execute(what)))
            except DataError as e:
                out.append(("error", str(e)))
        assert out[0] == out[1], (what, table, row)
        for v in self.one.views:
            assert sorted(self.one.view(v).rows(), key=repr) == sorted(self.general.view(v).rows(), key=repr), v
        for t in self.one.tables:
            assert sorted(self.one.table_rows(t), key=repr) == sorted(self.general.table_rows(t), key=repr), t
        return out[0]


def _row(rnd: random.Random, table: str, live: dict):
    """A row for ``table``: often one it holds (for deletes and duplicate keys), sometimes one that
    needs converting (a list, a float for an INT, text for a DATE, a dict) or that fails the check."""
    if live[table] and rnd.random() < 0.5:
        row = rnd.choice(live[table])
    elif table == "orders":
        row = (rnd.randrange(0, 30), rnd.randrange(0, 6), rnd.choice([None, 1.5, 2.0, rnd.randrange(0, 9) * 1.0]),
               rnd.choice([None, "a", "b"]), rnd.choice([None, datetime.date(2024, 1, rnd.randrange(1, 3))]))
    elif table == "customers":
        row = (rnd.randrange(0, 6), rnd.choice(["r1", "r2"]))
    elif table == "pairs":
        row = (rnd.randrange(0, 4), rnd.randrange(0, 4))
    elif table == "uniq":
        row = (rnd.randrange(0, 8), rnd.choice([None, "u1", "u2", "u3"]))
    else:
        row = (rnd.choice([None, 1, 2]), rnd.choice([None, "y"]))
    kind = rnd.random()
    if kind < 0.05:
        row = list(row)
    elif kind < 0.08 and table == "orders":
        row = (float(row[0]), row[1], row[2], row[3], str(row[4]) if row[4] else None)  # converted by the check
    elif kind < 0.10 and table == "orders":
        row = dict(zip(("o_id", "c_id", "amount", "note", "day"), row))
    elif kind < 0.12:
        row = (*row[:-1], None) if table == "customers" else row[:-1]  # NULL in a NOT NULL column / too short
    elif kind < 0.13 and table == "orders":
        row = {"o_id": row[0]}  # a dict of the key alone: delete() finds the row
    return row


def _refresh(pair: Pair, live: dict) -> None:
    for t in live:
        live[t] = list(pair.one.table_rows(t))


@pytest.mark.parametrize("seed", range(8))
def test_one_row_changes_equal_the_general_path(seed):
    rnd = random.Random(seed)
    pair = Pair()
    live = {t: [] for t in ("orders", "customers", "pairs", "uniq", "plain")}
    in_txn = False
    for _ in range(400):
        r = rnd.random()
        if r < 0.25:
            pair.call("step")
            _refresh(pair, live)
        elif r < 0.27 and not in_txn:
            pair.call("BEGIN")
            in_txn = True
        elif r < 0.29 and in_txn:
            pair.call(rnd.choice(["COMMIT", "ROLLBACK"]))
            in_txn = False
            _refresh(pair, live)
        elif r < 0.30 and not in_txn:  # a logged change beside the unlogged one-row ones
            pair.call(f"INSERT INTO plain VALUES ({rnd.randrange(0, 3)}, 'sql')")
        else:
            # mostly orders: runs of one-row changes to one table, then to several
            table = "orders" if rnd.random() < 0.6 else rnd.choice(list(live))
            status, _ = pair.call(rnd.choice(["insert", "delete"]), table, _row(rnd, table, live))
            if status == "ok":
                _refresh(pair, live)
    if in_txn:
        pair.call("COMMIT")
    pair.call("step")
    for t in live:  # a final retraction
        for row in pair.one.table_rows(t):
            pair.call("delete", t, row)
    pair.call("step")
    assert all(not pair.one.table_rows(t) for t in live)
    assert pair.one.view("per_region").rows() == []


def test_the_generated_functions_and_where_there_are_none():
    p = Pipeline()
    p.execute(SCHEMA + "CREATE TABLE late(k INT PRIMARY KEY, t INT LATENESS 5);")
    tables = p._tables
    assert tables["orders"].insert_one is not None and tables["customers"].delete_one is not None
    for name in ("pairs", "uniq", "plain", "late"):  # the general path judges these
        assert tables[name].insert_one is None and tables[name].delete_one is None


def test_duplicate_key_absent_row_and_a_failing_check_change_nothing():
    pair = Pair()
    pair.call("insert", "customers", (1, "r1"))
    pair.call("insert", "orders", (1, 1, 2.0, None, None))
    assert pair.call("insert", "orders", (1, 1, 3.0, None, None))[0] == "error"  # queued key
    pair.call("step")
    status, message = pair.call("insert", "orders", (1, 1, 3.0, None, None))  # committed key
    assert status == "error" and "PRIMARY KEY constraint violated" in message
    status, message = pair.call("delete", "orders", (1, 1, 3.0, None, None))  # same key, other row
    assert status == "error" and "not in the table" in message
    assert pair.call("delete", "orders", (2, 1, 2.0, None, None))[0] == "error"  # absent key
    assert pair.call("insert", "orders", (2, None, 2.0, None, None))[0] == "error"  # NULL in NOT NULL
    assert pair.call("insert", "orders", (2, 2**40, 2.0, None, None))[0] == "error"  # out of INT's range
    assert pair.call("step") == ("ok", {})
    # a key deleted and inserted again in one step: the -old +new pair
    pair.call("delete", "orders", (1, 1, 2.0, None, None))
    pair.call("insert", "orders", (1, 1, 5.0, None, None))
    assert pair.call("step") == ("ok", {"per_region": [(("r1", 1, 2.0), -1), (("r1", 1, 5.0), 1)]})


def test_types_converted_by_the_check():
    """A row the check does not pass as it is (a list, a float key, text for a DATE) is converted
    by the slow path, and then filed as the general path files it: an equal row deletes it."""
    pair = Pair()
    pair.call("insert", "customers", [1, "r1"])
    pair.call("insert", "orders", (3.0, 1, 2, "n", "2024-01-02"))
    pair.call("step")
    assert pair.one.table_rows("orders") == [(3, 1, 2.0, "n", datetime.date(2024, 1, 2))]
    pair.call("delete", "orders", [3, 1.0, 2.0, "n", datetime.date(2024, 1, 2)])
    pair.call("step")
    assert pair.one.table_rows("orders") == []


def test_a_failing_check_inside_a_transaction():
    pair = Pair()
    pair.call("insert", "customers", (1, "r1"))
    pair.call("BEGIN")
    pair.call("insert", "orders", (1, 1, 1.0, None, None))
    assert pair.call("insert", "orders", (2, "x", 1.0, None, None))[0] == "error"
    assert pair.call("insert", "orders", (1, 1, 1.0, None, None))[0] == "error"
    pair.call("insert", "orders", (3, 1, 1.0, None, None))
    pair.call("ROLLBACK")  # the rows before BEGIN stay queued; those after it go
    assert pair.call("step")[1] == {}
    assert pair.one.table_rows("customers") == [(1, "r1")] and pair.one.table_rows("orders") == []
    pair.call("BEGIN")
    pair.call("insert", "orders", (1, 1, 1.0, None, None))
    pair.call("COMMIT")
    assert pair.call("step")[1] == {"per_region": [(("r1", 1, 1.0), 1)]}


def test_a_step_after_one_row_changes_feeds_every_table_they_went_to():
    """The tick's shortcut (one table changed by one-row changes outside a transaction, nothing in
    the ChangeLog) and where it must look at every queue: two tables, a logged change beside, a
    table dropped with a queued change."""
    p = Pipeline()
    p.execute(SCHEMA)
    p.step()
    p.insert("customers", [(1, "r1")])
    assert p._sole is p._tables["customers"]
    p.insert("orders", [(1, 1, 1.0, None, None)])
    assert p._sole is False
    assert p.step() == {"per_region": [(("r1", 1, 1.0), 1)]}
    assert p._sole is None
    p.insert("orders", [(2, 1, 1.0, None, None)])
    p.insert("plain", [(1, "a"), (2, "b")])  # logged: the tick looks at every queue
    assert p.step() == {"per_region": [(("r1", 1, 1.0), -1), (("r1", 2, 2.0), 1)], "n_plain": [((0,), -1), ((2,), 1)]}
    p.insert("orders", [(3, 1, 1.0, None, None)])
    p.delete("orders", [(3, 1, 1.0, None, None)])  # the queue is empty again: an empty step
    assert p.step() == {} and p.table_rows("orders") == [(1, 1, 1.0, None, None), (2, 1, 1.0, None, None)]
    p.execute("CREATE TABLE gone(k INT PRIMARY KEY)")
    p.insert("gone", [(1,)])
    p.execute("DROP TABLE gone")  # its queued row goes with it
    p.insert("orders", [(4, 1, 1.0, None, None)])
    assert p.step() == {"per_region": [(("r1", 2, 2.0), -1), (("r1", 3, 3.0), 1)]}
    # a one-row change is not a fresh batch (the sharded staging's Table.queue_is_fresh)
    p.insert("orders", [(5, 1, 1.0, None, None)])
    assert not p._tables["orders"].queue_is_fresh
    p.discard()
    assert p._sole is None and p.step() == {}


def test_a_failing_step_after_one_row_changes_changes_nothing():
    p = Pipeline()
    p.execute("CREATE TABLE t(k INT PRIMARY KEY, v INT); CREATE VIEW s AS SELECT k, v * 2 AS x FROM t")
    p.insert("t", [(1, 1)])
    p.step()
    p.insert("t", [(2, 2**31 - 1)])
    with pytest.raises(DataError):
        p.step()
    assert p.table_rows("t") == [(1, 1)] and p.view("s").rows() == [(1, 2)] and p._sole is None
    p.insert("t", [(2, 2)])  # the key is free: the failed step's queue was discarded
    assert p.step() == {"s": [((2, 4), 1)]}
