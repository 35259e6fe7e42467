"""UPDATE and DELETE whose WHERE fixes a key or an indexed column go through the index
(engine/lookups.py): differential tests against DuckDB under random streams of such statements mixed
with inserts, scans and deletions of whole groups, ending with every row retracted; and a check that
the keyed forms never read the whole table."""

import random

import pytest

from deltasql import Pipeline
from deltasql.oracle import multiset_diff

duckdb = pytest.importorskip("duckdb")

DDL = """
CREATE TABLE kt(id INT PRIMARY KEY, g INT, amount DECIMAL(10,2), d DOUBLE, s VARCHAR);
CREATE INDEX kt_s ON kt(s);
CREATE TABLE ck(a INT, b VARCHAR, v INT, PRIMARY KEY (a, b));
CREATE TABLE nt(x INT, y VARCHAR, z DOUBLE);
CREATE INDEX nt_x ON nt(x);
CREATE INDEX nt_yz ON nt(y, z);
"""
VIEWS = {
    "kt_all": "SELECT * FROM kt",
    "kt_by_g": "SELECT g, COUNT(*) AS n, SUM(amount) AS total, MAX(d) AS md FROM kt GROUP BY g",
    "kt_by_s": "SELECT s, COUNT(*) AS n FROM kt GROUP BY s",
    "ck_all": "SELECT a, b, v FROM ck",
    "nt_all": "SELECT * FROM nt",
    "nt_by_x": "SELECT x, COUNT(*) AS n, SUM(z) AS sz FROM nt GROUP BY x",
}
S = ["a", "b", "it's", ""]


def lit(v) -> str:
    if v is None:
        return "NULL"
    if isinstance(v, str):
        return "'" + v.replace("'", "''") + "'"
    return str(v)


class Stream:
    """Random statements over the three tables, keeping primary keys unique (an INSERT of an existing
    key is refused by DuckDB)."""

    def __init__(self, seed: int):
        self.rnd = random.Random(seed)
        self.ids: set = set()
        self.pairs: set = set()

    def kt_row(self):
        r = self.rnd
        i = r.choice([k for k in range(40) if k not in self.ids] or [None])
        if i is None:
            return None
        self.ids.add(i)
        return f"INSERT INTO kt VALUES ({i}, {r.choice(['NULL', 1, 2, 3])}, {r.choice(['NULL', '1.5', '2.25', '-3'])}, " \
               f"{r.choice(['NULL', '0.5', '0.1', '2'])}, {lit(r.choice(S + [None]))})"

    def statement(self) -> str:
        r = self.rnd
        k = r.randrange(45)
        g, s, s2 = r.choice([1, 2, 3]), lit(r.choice(S)), lit(r.choice(S))
        x = r.choice([0, 1, 2, None])
        kind = r.randrange(23)
        if kind < 4:
            return self.kt_row() or f"DELETE FROM kt WHERE id = {k}"
        if kind == 4:
            a, b = r.randrange(4), r.choice(S)
            if (a, b) in self.pairs:
                return f"DELETE FROM ck WHERE a = {a} AND b = {lit(b)}"
            self.pairs.add((a, b))
            return f"INSERT INTO ck VALUES ({a}, {lit(b)}, {r.choice(['NULL', 1, 2])})"
        if kind == 5:
            return f"INSERT INTO nt VALUES ({lit(x)}, {lit(r.choice(S + [None]))}, {r.choice(['NULL', '0.5', '1', '0.1'])})"
        return [
            None, None, None, None, None, None,
            f"DELETE FROM kt WHERE id = {k}",
            f"DELETE FROM kt WHERE {k} = id AND g = {g}",
            f"UPDATE kt SET g = {g}, s = {s} WHERE id = {k}",
            f"UPDATE kt SET amount = amount + 1, d = NULL WHERE id = {k} AND (s = {s2} OR g = {g})",
            f"UPDATE kt SET amount = {r.choice(['1.005', '7', 'NULL', '-0.5'])} WHERE id = {k}.0",
            f"UPDATE kt SET d = {r.choice(['0.1', '3', '1e2'])} WHERE s = {s}",
            f"DELETE FROM kt WHERE s = {s} AND g = {g}",
            f"UPDATE kt SET s = {s2} WHERE s = {s} AND id = {k}",
            f"DELETE FROM kt WHERE id = NULL",
            f"UPDATE kt SET g = 9 WHERE id = {k} AND id = {k + 1}",
            f"UPDATE kt SET g = g + 1 WHERE d = 0.5",  # no index: a scan
            f"UPDATE ck SET v = {r.choice([1, 2, 'NULL'])} WHERE a = {r.randrange(4)} AND b = {s}",
            f"DELETE FROM ck WHERE a = {r.randrange(4)}",  # part of the key only: a scan
            f"UPDATE nt SET z = {r.choice(['0.5', 'z + 1', 'NULL'])} WHERE x = {lit(x)}",
            f"DELETE FROM nt WHERE y = {s} AND z = {r.choice(['0.5', '1', '0.1'])}",
            f"UPDATE nt SET y = {s2} WHERE x = {lit(x)} AND y = {s}",
            f"UPDATE kt SET amount = amount * 2 - g, g = g + 1 WHERE id = {k}",  # a bound SET list reused
        ][kind]

    def reread(self, con) -> None:
        """Re-read which keys exist (UPDATE/DELETE may have removed or moved them)."""
        self.ids = {r[0] for r in con.execute("SELECT id FROM kt").fetchall()}
        self.pairs = {(r[0], r[1]) for r in con.execute("SELECT a, b FROM ck").fetchall()}


def check(p, con, when: str) -> None:
    for name, q in VIEWS.items():
        ours, theirs = p.view(name).rows(), con.execute(q).fetchall()
        left, right = multiset_diff(ours, theirs)
        assert not left and not right, f"{when}: view {name}: only ours {left[:5]}, only DuckDB {right[:5]}"


@pytest.mark.parametrize("seed", range(6))
def test_keyed_update_delete_against_duckdb(seed):
    p = Pipeline()
    p.execute(DDL)
    for name, q in VIEWS.items():
        p.execute(f"CREATE VIEW {name} AS {q}")
    con = duckdb.connect()
    con.execute(DDL)
    st = Stream(seed)
    for step in range(30):
        for _ in range(st.rnd.randrange(1, 6)):
            sql = st.statement()
            p.execute(sql)
            con.execute(sql)
            st.reread(con)
        p.step()
        check(p, con, f"seed {seed} step {step}")
    for t in ("kt", "ck", "nt"):  # the final retraction
        p.execute(f"DELETE FROM {t}")
        con.execute(f"DELETE FROM {t}")
    p.step()
    check(p, con, f"seed {seed} after retracting everything")
    assert all(not p.view(v).rows() for v in VIEWS)


def test_keyed_statements_do_not_scan(monkeypatch):
    """Equality on the key, on an indexed column, or a contradiction never reads every row."""
    from deltasql.engine.tables import Table

    p = Pipeline()
    p.execute(DDL)
    p.insert("kt", [(i, i % 3, i, 0.5, S[i % 4]) for i in range(100)])
    p.insert("nt", [(i % 5, S[i % 4], 0.5) for i in range(100)])
    p.step()
    p.execute("DELETE FROM nt WHERE x = 0")  # builds the secondary index once (reading the table)
    p.step()

    def no_scan(self):
        raise AssertionError(f"{self.rel.name} was scanned")

    monkeypatch.setattr(Table, "current", no_scan)
    p.execute("DELETE FROM kt WHERE id = 5; UPDATE kt SET g = 7 WHERE id = 6; UPDATE kt SET g = g * 2 WHERE id = 7")
    p.execute("UPDATE kt SET amount = amount + 1 WHERE id = 8 AND s = 'a'; DELETE FROM kt WHERE id = 1 AND id = 2")
    p.execute("DELETE FROM nt WHERE x = 1; UPDATE nt SET z = z + 1 WHERE x = 2 AND y = 'b'")
    p.execute("DELETE FROM nt WHERE y = 'a' AND z = 0.5")
    p.step()
    monkeypatch.undo()
    assert len(p.table_rows("kt")) == 99
    assert [r for r in p.table_rows("kt") if r[0] in (6, 7)] == [(6, 7, 6, 0.5, "it's"), (7, 2, 7, 0.5, "")]
    assert not [r for r in p.table_rows("nt") if r[0] in (0, 1) or (r[1] == "a" and r[2] == 0.5)]


def test_update_binds_a_set_list_once(monkeypatch):
    """`UPDATE … SET x = x + 1 WHERE id = k` repeated with other keys reuses the plan bound for the
    first (engine/dml._set_plan); another SET list, or a WHERE that is not only key equalities,
    binds its own."""
    from deltasql.engine.pipeline import Pipeline as Session

    p = Pipeline()
    p.execute("CREATE TABLE t(id INT PRIMARY KEY, x INT, y VARCHAR)")
    p.insert("t", [(i, i, "a") for i in range(10)])
    p.step()
    binds = []
    real = Session._bind_query
    monkeypatch.setattr(Session, "_bind_query", lambda self, q, sql: binds.append(sql) or real(self, q, sql))
    for k in range(5):
        p.execute(f"UPDATE t SET x = x + 1 WHERE id = {k}")
    assert len(binds) == 1
    p.execute("UPDATE t AS u SET x = u.x + 1 WHERE u.id = 7; UPDATE t SET x = x + 2 WHERE id = 8")
    p.execute("UPDATE t SET x = x + 1 WHERE id = 9 AND x > 0")  # not only equalities: a query of its own
    assert len(binds) == 4
    assert sorted(p.table_rows("t")) == [(0, 1, "a"), (1, 2, "a"), (2, 3, "a"), (3, 4, "a"), (4, 5, "a"),
                                         (5, 5, "a"), (6, 6, "a"), (7, 8, "a"), (8, 10, "a"), (9, 10, "a")]
