"""COPY table FROM 'file.csv' (engine/copy_from.py), against DuckDB's COPY with the same options.

Random CSV files (quoted fields holding the delimiter, quotes and newlines; NULLs; integers written
with spaces, signs, leading zeros and exponents; a byte-order mark) are copied into tables and then
changed by DELETE, in a stream that ends by deleting every row; after every statement each table and
view equals DuckDB's, and the changes a view reported add up to its rows.  The same streams run on one
worker, on three simulated workers and on two worker processes, where the workers read the file (each a
range of its records), with files small and large.  A COPY that fails (a record that is not one, a
value its column cannot take, a taken key) leaves every table and view as it was, with the error at the
file's line; what COPY does not support is a CompileError at its position.
"""

from __future__ import annotations

import csv
import os
import random

import duckdb
import pytest

from deltasql import CompileError, DataError, Pipeline
from deltasql.engine import dml
from deltasql.engine.copy_from import CsvFormat, split_records
from tests.harness import diff_multisets

DDL = """
CREATE TABLE t(id INT PRIMARY KEY, g INT NOT NULL, s VARCHAR, x DOUBLE, d DECIMAL(10, 2), day DATE,
               ok BOOLEAN, ts TIMESTAMP);
CREATE TABLE bag(a BIGINT, b VARCHAR);
CREATE TABLE lookup(g INT PRIMARY KEY, name VARCHAR NOT NULL)
"""
VIEWS = {
    "by_g": "SELECT g, COUNT(*) AS n, SUM(d) AS sd, MIN(s) AS ms, MAX(day) AS md, COUNT(ok) AS nok, "
            "SUM(x) AS sx FROM t GROUP BY g",
    "named": "SELECT l.name, COUNT(*) AS n, MAX(t.ts) AS last FROM t JOIN lookup l ON t.g = l.g GROUP BY l.name",
    "bag_n": "SELECT a, b, COUNT(*) AS n FROM bag GROUP BY a, b",
    "texts": "SELECT id, s, LENGTH(s) AS len FROM t WHERE s IS NOT NULL",
}

INTS = ["7", "-3", " 12", "+4", "007", "1e2", "0", "-0", "2147483647", "-2147483648"]
TEXTS = ["a", "a,b", 'q"r', "line\nbreak", "  spaced  ", "ü€", "x\r\ny", ",", '"', "NULL", "null"]
DOUBLES = ["1.5", "-0.0", "1e3", "-2.25", " 3 ", "0.1", "inf", "-inf"]
DECIMALS = ["1.005", "-2.5", "3", "0.01", "99999999.99", " 4.20 "]
DAYS = ["2024-01-02", "1999-12-31", "2024-02-29"]
BOOLS = ["true", "false", "t", "f", "1", "0", "TRUE"]
STAMPS = ["2024-01-02 03:04:05", "2024-01-02T03:04:05.25", "1970-01-01 00:00:00"]


def _maybe(rnd, values, null=0.15):
    return "" if rnd.random() < null else rnd.choice(values)


def t_records(rnd, ids):
    return [[str(i), str(rnd.randrange(5)), _maybe(rnd, TEXTS), _maybe(rnd, DOUBLES), _maybe(rnd, DECIMALS),
             _maybe(rnd, DAYS), _maybe(rnd, BOOLS), _maybe(rnd, STAMPS)] for i in ids]


def bag_records(rnd, n):
    return [[_maybe(rnd, INTS), _maybe(rnd, ["x", "y", "z,z"])] for _ in range(n)]


def write_csv(path, records, header=None, bom=False, delimiter=",", crlf=False):
    with open(path, "w", newline="", encoding="utf-8") as f:
        if bom:
            f.write("\ufeff")
        w = csv.writer(f, delimiter=delimiter, lineterminator="\r\n" if crlf else "\n")
        if header:
            w.writerow(header)
        w.writerows(records)


def duck_with(ddl, views):
    con = duckdb.connect()
    for st in ddl.strip().split(";"):
        con.execute(st)
    for name, q in views.items():
        con.execute(f"CREATE VIEW {name} AS {q}")
    return con


def sharded(request_id: str) -> dict:
    return {"one": {}, "simulated3": {"workers": 3, "backend": "simulated"},
            "processes2": {"workers": 2, "backend": "processes"}}[request_id]


class Both:
    """A pipeline and DuckDB given the same statements; after each, every table and view compared and
    every view's reported changes summed."""

    def __init__(self, options):
        self.p = Pipeline(**options)
        self.p.execute(DDL)
        for name, q in VIEWS.items():
            self.p.execute(f"CREATE VIEW {name} AS {q}")
        self.duck = duck_with(DDL, VIEWS)
        self.sums = {name: {} for name in VIEWS}

    def run(self, sql, duck_sql=None):
        self.p.execute(sql)
        self.duck.execute(duck_sql or sql)
        self.check(sql)

    def add_up(self, changes):
        for name, rows in changes.items():
            acc = self.sums[name]
            for row, w in rows:
                acc[row] = acc.get(row, 0) + w
                if not acc[row]:
                    del acc[row]

    def check(self, what):
        self.add_up(self.p.take_changes())
        for name in ["t", "bag", "lookup", *self.sums]:
            got = self.p.execute(f"SELECT * FROM {name}")
            want = self.duck.execute(f"SELECT * FROM {name}").fetchall()
            diff = diff_multisets(want, got, loose=True)
            assert diff == ([], []), f"after {what!r}: {name} differs from DuckDB: {diff}"
        for name in self.sums:
            rows = self.p.view(name).rows()
            summed = [r for r, w in self.sums[name].items() for _ in range(w)]
            assert diff_multisets(rows, summed) == ([], []), f"after {what!r}: {name}'s changes do not add up"

    def close(self):
        self.p.close()
        self.duck.close()


@pytest.fixture(params=["one", "simulated3", "processes2"])
def options(request, monkeypatch):
    if request.param != "one":
        monkeypatch.setattr(dml, "COPY_STAGE_MIN_BYTES", 0)  # every file read by the workers
    return sharded(request.param)


@pytest.mark.parametrize("seed", range(3))
def test_copy_streams_match_duckdb(tmp_path, options, seed):
    rnd = random.Random(seed)
    both = Both(options)
    try:
        lookup = tmp_path / "lookup.csv"
        write_csv(lookup, [[str(g), f"name{g % 3}"] for g in range(5)], header=["g", "name"], bom=True)
        both.run(f"COPY lookup FROM '{lookup}' (HEADER true)", f"COPY lookup FROM '{lookup}' (HEADER true, "
                                                                "AUTO_DETECT false)")
        next_id = 0
        for step in range(6):
            f = tmp_path / f"t{step}.csv"
            n = rnd.choice([0, 1, 5, 40, 300])
            write_csv(f, t_records(rnd, range(next_id, next_id + n)), crlf=step % 2 == 1)
            next_id += n
            both.run(f"COPY t FROM '{f}' (HEADER false)", f"COPY t FROM '{f}' (HEADER false, AUTO_DETECT false)")
            b = tmp_path / f"bag{step}.csv"
            records = bag_records(rnd, rnd.choice([1, 20]))
            write_csv(b, records + records[: len(records) // 2], delimiter="|")  # duplicates
            both.run(f"COPY bag FROM '{b}' (HEADER false, DELIMITER '|')",
                     f"COPY bag FROM '{b}' (HEADER false, DELIMITER '|', AUTO_DETECT false)")
            both.run(f"DELETE FROM t WHERE id % 4 = {step % 4}")
            both.run(f"DELETE FROM bag WHERE a > {rnd.randrange(-5, 100)}")
        both.run("DELETE FROM t")
        both.run("DELETE FROM bag")
        both.run("DELETE FROM lookup")
        for name in VIEWS:
            assert both.p.view(name).rows() == [] and both.sums[name] == {}
    finally:
        both.close()


# each runs on tables whose last COPYs are committed but not read yet (Table.unread) on the workers' configs
READERS = [
    "SELECT * FROM t WHERE id % 7 = 1",
    "DELETE FROM t WHERE id = 3",
    "DELETE FROM bag WHERE a > 10",
    "UPDATE t SET g = g + 1 WHERE id < 40",
    "INSERT INTO t VALUES (1000, 1, 'new', NULL, NULL, NULL, NULL, NULL)",
    "INSERT INTO t VALUES (5, 1, 'five', NULL, NULL, NULL, NULL, NULL) ON CONFLICT (id) DO UPDATE SET s = 'up'",
    "INSERT OR REPLACE INTO t VALUES (6, 2, 'six', NULL, NULL, NULL, NULL, NULL)",
    "INSERT INTO bag VALUES (1, 'x'), (1, 'x')",
    "api: delete",
    "api: upsert",
    "api: memory",
    "CREATE INDEX t_g ON t(g)",
    "CREATE VIEW late_v AS SELECT g, COUNT(*) AS n FROM t GROUP BY g",
]


@pytest.mark.parametrize("reader", READERS)
def test_copied_rows_committed_unread_are_read_by_whatever_needs_them(tmp_path, options, reader):
    """A sharded COPY that is a step of its own commits its rows unread: the coordinator files only
    their keys, and keeps the pickled parts until something reads the table.  Two COPYs of each table
    (so that the second is checked against the first one's keys, unread), a COPY that fails on a key of
    an unread batch, then a statement or call that reads the rows: every table and view as DuckDB has
    them."""
    rnd = random.Random(1)
    both = Both(options)
    try:
        for i, (lo, hi) in enumerate([(0, 150), (150, 300)]):
            f, b = tmp_path / f"t{i}.csv", tmp_path / f"bag{i}.csv"
            write_csv(f, t_records(rnd, range(lo, hi)))
            records = bag_records(rnd, 60)
            write_csv(b, records + records[:20])
            for sql in (f"COPY t FROM '{f}' (HEADER false)", f"COPY bag FROM '{b}' (HEADER false)"):
                both.p.execute(sql)
                both.duck.execute(sql[:-1] + ", AUTO_DETECT false)")
        if options:  # (the workers read every file: COPY_STAGE_MIN_BYTES is 0)
            assert [len(both.p._tables[n].unread) for n in ("t", "bag")] == [2, 2]
        taken = tmp_path / "taken.csv"
        write_csv(taken, t_records(rnd, [400, 401, 160, 402]))
        with pytest.raises(DataError, match=r"t\(id\) already holds \(160\)"):
            both.p.execute(f"COPY t FROM '{taken}' (HEADER false)")
        twice = tmp_path / "twice.csv"
        write_csv(twice, t_records(rnd, [500, *range(501, 540), 500]))
        with pytest.raises(DataError, match=r"already holds \(500\)"):
            both.p.execute(f"COPY t FROM '{twice}' (HEADER false)")
        if reader == "api: delete":
            row = both.p.execute("SELECT * FROM t WHERE id = 8")[0]
            both.p.delete("t", [row])
            both.add_up(both.p.step())
            both.duck.execute("DELETE FROM t WHERE id = 8")
        elif reader == "api: upsert":
            both.p.upsert("t", [(9, 4, "nine", None, None, None, None, None)])
            both.add_up(both.p.step())
            both.duck.execute("INSERT OR REPLACE INTO t VALUES (9, 4, 'nine', NULL, NULL, NULL, NULL, NULL)")
        elif reader == "api: memory":
            sizes = both.p.memory()
            assert sizes["t"]["bytes"] > 0 and sizes["bag"]["bytes"] > 0
        elif reader.startswith("CREATE VIEW"):
            both.sums["late_v"] = {}
            both.p.execute(reader)
            both.duck.execute(reader)
            got = both.p.view("late_v").rows()
            want = both.duck.execute("SELECT * FROM late_v").fetchall()
            assert diff_multisets(want, got) == ([], [])
        else:
            both.p.execute(reader)
            both.duck.execute(reader)
        both.check(reader)
        both.run("DELETE FROM t")
        both.run("DELETE FROM bag")
    finally:
        both.close()


def test_a_column_list_a_header_and_quotes_of_another_kind(tmp_path, options):
    both = Both(options)
    try:
        f = tmp_path / "t.csv"
        with open(f, "w", newline="") as fh:
            fh.write("s;id;g\n")
            fh.write("'a;b';1;2\n'it\"'s';2;3\n'two\nlines';3;4\n;4;5\n\n")
        both.run(f"COPY t(s, id, g) FROM '{f}' (HEADER, DELIMITER ';', QUOTE '''')",
                 f"COPY t(s, id, g) FROM '{f}' (HEADER, DELIMITER ';', QUOTE '''', AUTO_DETECT false)")
        e = tmp_path / "e.csv"
        with open(e, "w", newline="") as fh:
            fh.write('10,1,"a\\"b"\n11,2,"c\\\\d"\n')
        both.run(f"COPY t(id, g, s) FROM '{e}' (HEADER false, ESCAPE '\\')",
                 f"COPY t(id, g, s) FROM '{e}' (HEADER false, ESCAPE '\\', AUTO_DETECT false)")
        assert sorted(both.p.execute("SELECT id, s FROM t WHERE id >= 10")) == [(10, 'a"b'), (11, "c\\d")]
        assert both.p.execute("SELECT s FROM t WHERE id = 2") == [("it's",)]
        n = tmp_path / "n.csv"
        with open(n, "w", newline="") as fh:  # NULL 'NA': quoted or not; an empty field is then an empty text
            fh.write('30,1,NA,NA\n31,NA,"NA",2\n32,2,"",3\n33,3,,inf\n')
        with pytest.raises(DataError, match="n.csv:2: t.g: NULL in a NOT NULL column"):
            both.p.execute(f"COPY t(id, g, s, x) FROM '{n}' (HEADER false, NULL 'NA')")
        with open(n, "w", newline="") as fh:
            fh.write('30,1,NA,NA\n31,4,"NA",\n32,2,"",3\n33,3,,inf\n')
        with pytest.raises(DataError, match="n.csv:2: t.x: '' is not a valid DOUBLE"):
            both.p.execute(f"COPY t(id, g, s, x) FROM '{n}' (HEADER false, NULL 'NA')")
        with open(n, "w", newline="") as fh:
            fh.write('30,1,NA,NA\n31,4,"NA",1.5\n32,2,"",3\n33,3,,inf\n')
        both.run(f"COPY t(id, g, s, x) FROM '{n}' (HEADER false, NULL 'NA')",
                 f"COPY t(id, g, s, x) FROM '{n}' (HEADER false, NULL 'NA', AUTO_DETECT false)")
        tsv = tmp_path / "t.tsv"
        tsv.write_text("40\t1\ta b\n41\t2\t\n")
        both.run(f"COPY t(id, g, s) FROM '{tsv}' (HEADER false, DELIMITER '\\t')",
                 f"COPY t(id, g, s) FROM '{tsv}' (HEADER false, DELIMITER '\\t', AUTO_DETECT false)")
        assert sorted(both.p.execute("SELECT id, s FROM t WHERE id >= 40")) == [(40, "a b"), (41, None)]
        assert sorted(both.p.execute("SELECT id, s FROM t WHERE id >= 30 AND id < 40")) == [
            (30, None), (31, None), (32, ""), (33, "")]
        q = tmp_path / "q.csv"
        with open(q, "w", newline="") as fh:
            fh.write("20,1,'it''s'\n21,1,'x'\n")
        both.run(f"COPY t(id, g, s) FROM '{q}' (HEADER false, QUOTE '''', ESCAPE '''')",
                 f"COPY t(id, g, s) FROM '{q}' (HEADER false, QUOTE '''', ESCAPE '''', AUTO_DETECT false)")
    finally:
        both.close()


def test_large_files_are_read_in_ranges_that_split_no_record(tmp_path, monkeypatch):
    """Records with quoted newlines and delimiters everywhere, in a file big enough that every worker
    reads a range of it: the ranges add up to the file, record by record, on any number of parts."""
    rnd = random.Random(5)
    records = t_records(rnd, range(3000))
    f = tmp_path / "big.csv"
    write_csv(f, records, header=[c for c in "abcdefgh"])
    data = f.read_bytes()
    fmt = CsvFormat(header=True)
    start = data.index(b"\n") + 1
    for parts in (2, 3, 7, 64):
        ranges = split_records(data, start, 2, parts, fmt)
        assert ranges[0][0] == start and ranges[-1][1] == len(data)
        assert all(a[1] == b[0] for a, b in zip(ranges, ranges[1:]))
        got = [r for b, e, _ in ranges for r in csv.reader(data[b:e].decode().splitlines(keepends=True))]
        assert got == records
    one = Pipeline()
    one.execute(DDL)
    one.execute(f"CREATE VIEW v AS {VIEWS['by_g']}")
    one.execute(f"COPY t FROM '{f}' (HEADER true)")
    for options in ({"workers": 3, "backend": "simulated"}, {"workers": 2, "backend": "processes"}):
        p = Pipeline(**options)
        try:
            p.execute(DDL)
            p.execute(f"CREATE VIEW v AS {VIEWS['by_g']}")
            p.execute(f"COPY t FROM '{f}' (HEADER true)")
            assert p._shards.stats["rows_staged"] == 3000  # read by the workers (the file is over the threshold)
            bag = tmp_path / "bag.csv"
            write_csv(bag, bag_records(rnd, 4000) * 2)  # a table without a key, duplicates: fed as the workers' parts too
            p.execute(f"COPY bag FROM '{bag}' (HEADER false)")
            assert p._shards.stats["rows_staged"] == 11000
            assert p.execute("SELECT COUNT(*) FROM bag") == [(8000,)]
            assert sorted(p.view("v").rows()) == sorted(one.view("v").rows())
            assert diff_multisets(one.execute("SELECT * FROM t"), p.execute("SELECT * FROM t"), loose=True) == ([], [])
        finally:
            p.close()


def test_a_quote_inside_an_unquoted_field_reads_the_same_on_workers(tmp_path, monkeypatch):
    """`a"b` unquoted is the text a"b; its one quote makes the quotes before a later newline odd, so the
    cut for the workers can fall inside a quoted field, whose range then fails to read: the file is
    then read whole, and every configuration reads the same rows."""
    monkeypatch.setattr(dml, "COPY_STAGE_MIN_BYTES", 0)
    f = tmp_path / "q.csv"
    lines = ['0,1,a"b,,,,,\n'] + [f"{i},1,x{i},,,,,\n" for i in range(1, 200)]
    lines[110] = '110,1,"two\nlines",,,,,\n'  # just after the middle, where 2 workers cut
    f.write_text("".join(lines))
    data = f.read_bytes()
    ranges = split_records(data, 0, 1, 2, CsvFormat())
    assert len(ranges) == 2 and b'"two\n' in data[:ranges[0][1]] and not data[:ranges[0][1]].endswith(b'lines",,,,,\n')
    got = {}
    for name, options in (("one", {}), ("simulated2", {"workers": 2, "backend": "simulated"})):
        p = Pipeline(**options)
        try:
            p.execute(DDL)
            p.execute(f"COPY t FROM '{f}' (HEADER false)")
            got[name] = sorted(p.execute("SELECT id, s FROM t"))
        finally:
            p.close()
    assert got["one"] == got["simulated2"] and (0, 'a"b') in got["one"] and (110, "two\nlines") in got["one"]


BAD = [
    ("1,2,a,,,,,\n2,3\n", "bad.csv:2: expected 8 fields, found 2"),
    ("1,2,a,,,,,\n2,x,b,,,,,\n", "bad.csv:2: t.g: 'x' is not a valid INTEGER"),
    ('1,2,"a,,,,,\n', "bad.csv:1: not valid CSV"),
    ("1,2,a,,,,,\n2,,b,,,,,\n", "bad.csv:2: t.g: NULL in a NOT NULL column"),
    ("1,2,a,,,,,\n5,3,b,,,,,\n", "PRIMARY KEY constraint violated: t(id) already holds (5)"),
    ("100,2,a,,,,,\n100,3,b,,,,,\n", "PRIMARY KEY constraint violated: t(id) already holds (100)"),
    ("101,2,a,,,,,\n102,3,b,,2024-13-01,,,\n", "bad.csv:2: "),
    (b"101,2,\xff,,,,,\n", "bad.csv:1: not valid UTF-8"),
]


@pytest.mark.parametrize("text,error", BAD)
def test_a_copy_that_fails_changes_nothing(tmp_path, options, text, error):
    p = Pipeline(**options)
    try:
        p.execute(DDL)
        for name, q in VIEWS.items():
            p.execute(f"CREATE VIEW {name} AS {q}")
        p.execute("INSERT INTO t VALUES (5, 1, 'five', 1.0, 1.00, NULL, true, NULL)")
        p.execute("INSERT INTO lookup VALUES (1, 'one'), (2, 'two')")
        p.step()
        before = {n: sorted(map(repr, p.execute(f"SELECT * FROM {n}"))) for n in ["t", "lookup", *VIEWS]}
        p.insert("lookup", [(3, "three")])  # queued before the COPY: it stays queued when the COPY fails
        f = tmp_path / "bad.csv"
        f.write_bytes(text if isinstance(text, bytes) else text.encode())
        with pytest.raises(DataError) as e:
            p.execute(f"COPY t FROM '{f}' (HEADER false)")
        assert error in str(e.value).replace(str(tmp_path) + os.sep, "")
        assert {n: sorted(map(repr, p.execute(f"SELECT * FROM {n}"))) for n in ["t", *VIEWS]} == \
            {n: before[n] for n in ["t", *VIEWS]}
        p.step()
        assert (3, "three") in p.execute("SELECT * FROM lookup")
        good = tmp_path / "good.csv"
        good.write_text("6,2,six,,,,,\n")
        p.execute(f"COPY t FROM '{good}' (HEADER false)")
        assert sorted(r[0] for r in p.execute("SELECT id FROM t")) == [5, 6]
    finally:
        p.close()


def _typed(row):
    """A t record (texts) as the row COPY makes of it, for the API's insert()/upsert()."""
    import datetime
    import decimal

    def num(v, kind):
        return None if v == "" else kind(v)
    i, g, s, x, d, day, ok, ts = row
    return (int(i), int(g), None if s == "" else s, num(x, float),
            None if d == "" else decimal.Decimal(d.strip()).quantize(decimal.Decimal("0.01"), decimal.ROUND_HALF_UP),
            None if day == "" else datetime.date.fromisoformat(day),
            None if ok == "" else ok.lower() in ("true", "t", "1"),
            None if ts == "" else datetime.datetime.fromisoformat(ts))


@pytest.mark.parametrize("seed", range(4))
def test_copies_mixed_with_every_other_change_match_duckdb(tmp_path, options, seed):
    """COPYs (committed unread on the workers' configurations), a COPY that fails on a taken key,
    insert()/upsert()/delete() calls, DELETE and UPDATE, transactions holding COPYs, and a view created
    midway, in a random order, compared with DuckDB only now and then, so that several unread batches
    pile up between the reads; ending in a full retraction."""
    rnd = random.Random(seed)
    both = Both(options)
    ids: set = set()
    next_id, files = 0, 0

    def new_file(n, taken=False):
        nonlocal next_id, files
        records = t_records(rnd, range(next_id, next_id + n))
        next_id += n
        if taken and ids:
            records.insert(rnd.randrange(len(records) + 1), t_records(rnd, [rnd.choice(sorted(ids))])[0])
        files += 1
        f = tmp_path / f"m{files}.csv"
        write_csv(f, [[v.replace("\r", "") for v in r] for r in records])  # (DuckDB: no CR inside quotes)
        return f, records

    def copy(sql_table, f, extra=""):
        sql = f"COPY {sql_table} FROM '{f}' (HEADER false{extra})"
        return sql, sql[:-1] + ", AUTO_DETECT false)"

    try:
        for step in range(40):
            action = rnd.choice(["copy", "copy", "copy", "bag", "taken", "insert", "upsert", "delete", "dml",
                                 "txn", "view"])
            if action == "copy":
                f, records = new_file(rnd.choice([1, 30, 200]))
                ours, theirs = copy("t", f)
                both.p.execute(ours)
                both.duck.execute(theirs)
                ids.update(int(r[0]) for r in records)
            elif action == "bag":
                b = tmp_path / f"bag{step}.csv"
                records = bag_records(rnd, rnd.choice([3, 60]))
                write_csv(b, records + records[: len(records) // 3])
                ours, theirs = copy("bag", b)
                both.p.execute(ours)
                both.duck.execute(theirs)
            elif action == "taken":
                f, _ = new_file(rnd.choice([5, 100]), taken=True)
                if ids:
                    with pytest.raises(DataError, match="PRIMARY KEY constraint violated"):
                        both.p.execute(copy("t", f)[0])
            elif action in ("insert", "upsert"):
                rows = [_typed(r) for r in t_records(rnd, range(next_id, next_id + rnd.choice([1, 50])))]
                next_id += len(rows)
                if action == "upsert" and ids:
                    old = rnd.choice(sorted(ids))
                    rows.append(_typed(t_records(rnd, [old])[0]))
                getattr(both.p, action)("t", rows)
                both.add_up(both.p.step())
                both.duck.executemany("INSERT OR REPLACE INTO t VALUES (?, ?, ?, ?, ?, ?, ?, ?)", rows)
                ids.update(r[0] for r in rows)
            elif action == "delete" and ids:
                gone = rnd.sample(sorted(ids), min(len(ids), rnd.choice([1, 10])))
                rows = [r for r in both.p.execute("SELECT * FROM t") if r[0] in gone]
                both.p.delete("t", rows)
                both.add_up(both.p.step())
                both.duck.executemany("DELETE FROM t WHERE id = ?", [(i,) for i in gone])
                ids.difference_update(gone)
            elif action == "dml":
                sql = rnd.choice([f"DELETE FROM t WHERE id % 5 = {step % 5}", "UPDATE t SET g = (g + 1) % 5 WHERE id % 3 = 0",
                                  f"DELETE FROM bag WHERE a > {rnd.randrange(-5, 100)}"])
                both.p.execute(sql)
                both.duck.execute(sql)
                ids = {r[0] for r in both.p.execute("SELECT id FROM t")}
            elif action == "txn":
                (f1, r1), (f2, r2) = new_file(40), new_file(3)
                end = rnd.choice(["COMMIT", "ROLLBACK"])
                both.p.execute(f"BEGIN; {copy('t', f1)[0]}; {copy('t', f2)[0]}; {end}")
                if end == "COMMIT":
                    both.duck.execute(copy("t", f1)[1])
                    both.duck.execute(copy("t", f2)[1])
                    ids.update(int(r[0]) for r in r1 + r2)
            elif action == "view" and "late_v" not in both.sums:
                both.sums["late_v"] = {}
                sql = "CREATE VIEW late_v AS SELECT g, COUNT(*) AS n, SUM(d) AS sd FROM t GROUP BY g"
                both.p.execute(sql)
                both.duck.execute(sql)
            if rnd.random() < 0.3:
                both.check(f"step {step}: {action}")
        both.check("the end of the stream")
        both.run("DELETE FROM t")
        both.run("DELETE FROM bag")
        for name in both.sums:
            assert both.p.view(name).rows() == [] and both.sums[name] == {}
    finally:
        both.close()


def test_copy_in_a_transaction_is_committed_or_rolled_back_with_it(tmp_path, options):
    p = Pipeline(**options)
    try:
        p.execute(DDL)
        p.execute(f"CREATE VIEW v AS {VIEWS['by_g']}")
        a, b = tmp_path / "a.csv", tmp_path / "b.csv"
        write_csv(a, t_records(random.Random(1), range(0, 50)))
        write_csv(b, t_records(random.Random(2), range(50, 80)))
        p.execute(f"BEGIN; COPY t FROM '{a}' (HEADER false); COPY t FROM '{b}' (HEADER false); ROLLBACK")
        assert p.execute("SELECT COUNT(*) FROM t") == [(0,)] and p.step() == {}
        with pytest.raises(DataError):
            p.execute(f"BEGIN; COPY t FROM '{a}' (HEADER false); COPY t FROM '{a}' (HEADER false)")
        assert not p.in_transaction and p.execute("SELECT COUNT(*) FROM t") == [(0,)]
        p.execute(f"BEGIN; COPY t FROM '{a}' (HEADER false); DELETE FROM t WHERE id < 10; "
                  f"COPY t FROM '{b}' (HEADER false); COMMIT")
        assert p.execute("SELECT COUNT(*) FROM t") == [(70,)]
        assert sum(r[1] for r in p.view("v").rows()) == 70
    finally:
        p.close()


@pytest.mark.parametrize("checkpoint", [True, False])
def test_copy_is_durable_on_a_sharded_pipeline(tmp_path, monkeypatch, checkpoint):
    """Reopened after a checkpoint, or from the journal alone (which holds the COPYs' rows as the
    workers' bytes: engine/durability.journaled_rows), a keyed and a keyless table and their views."""
    monkeypatch.setattr(dml, "COPY_STAGE_MIN_BYTES", 0)
    rnd = random.Random(3)
    f, g, b = tmp_path / "t.csv", tmp_path / "t2.csv", tmp_path / "bag.csv"
    t_recs = [t_records(rnd, range(200)), t_records(rnd, range(200, 260))]
    write_csv(f, t_recs[0])
    write_csv(g, t_recs[1])
    records = bag_records(rnd, 50)
    write_csv(b, records + records[:20])
    state = tmp_path / "state"
    p = Pipeline(workers=2, backend="processes", path=str(state))
    p.execute(DDL)
    for name in ("by_g", "bag_n"):
        p.execute(f"CREATE VIEW {name} AS {VIEWS[name]}")
    for path, table in ((f, "t"), (b, "bag"), (g, "t")):
        p.execute(f"COPY {table} FROM '{path}' (HEADER false)")
    assert [len(p._tables[n].unread) for n in ("t", "bag")] == [2, 1]  # (closing reads them for its checkpoint)
    want = {name: sorted(p.view(name).rows(), key=repr) for name in ("by_g", "bag_n")}
    p.close(checkpoint=checkpoint)
    for path in (f, g, b):
        path.unlink()  # the journal holds the rows, not the file's name
    q = Pipeline(workers=2, backend="processes", path=str(state))
    try:
        assert {name: sorted(q.view(name).rows(), key=repr) for name in want} == want
        assert sorted(q.execute("SELECT id, g FROM t")) == sorted((int(r[0]), int(r[1])) for r in t_recs[0] + t_recs[1])
        assert q.execute("SELECT COUNT(*) FROM bag") == [(70,)]
    finally:
        q.close()


@pytest.mark.parametrize("sql,message,col", [
    ("COPY t FROM 'f.csv'", "COPY … FROM needs HEADER true or HEADER false", 6),
    ("COPY t FROM 'f.csv' (HEADER, DATEFORMAT '%d/%m/%Y')", "COPY option DATEFORMAT is not supported", 30),
    ("COPY t FROM 'f.csv' (HEADER, NULL 1)", "COPY's NULL must be a string", 30),
    ("COPY t FROM 'f.csv' (HEADER, AUTO_DETECT true)", "AUTO_DETECT true is not supported", 30),
    ("COPY t FROM 'f.parquet' (HEADER)", "say FORMAT csv", 6),
    ("COPY t FROM 'f.csv' (FORMAT parquet, HEADER)", "not parquet", 22),
    ("COPY t FROM 'f.csv' (HEADER, DELIMITER ',,')", "DELIMITER must be one character", 30),
    ("COPY t FROM 'f.csv' (HEADER, HEADER false)", "HEADER is given twice", 30),
    ("COPY t TO 'f.csv'", "COPY … TO is not supported", 6),
    ("COPY by_g FROM 'f.csv' (HEADER)", "cannot copy into view 'by_g'", 6),
    ("COPY nope FROM 'f.csv' (HEADER)", "unknown table 'nope'", 6),
    ("COPY t(id, id) FROM 'f.csv' (HEADER)", "column 'id' is named twice", 12),
    ("COPY t(zz) FROM 'f.csv' (HEADER)", "unknown column 'zz'", 8),
    ("COPY s.t FROM 'f.csv' (HEADER)", "a schema name (s.t) is not supported", 6),
])
def test_what_copy_does_not_support_is_a_compile_error_at_its_place(sql, message, col):
    p = Pipeline()
    p.execute(DDL)
    p.execute(f"CREATE VIEW by_g AS {VIEWS['by_g']}")
    with pytest.raises(CompileError) as e:
        p.execute(sql)
    assert message in e.value.message and (e.value.line, e.value.col) == (1, col), (e.value.message, e.value.col)


def test_copy_is_refused_outside_the_duckdb_dialect(tmp_path):
    p = Pipeline(dialect="postgres")
    p.execute("CREATE TABLE t(a INT)")
    with pytest.raises(CompileError, match="supported in the duckdb dialect"):
        p.execute(f"COPY t FROM '{tmp_path / 'f.csv'}' (FORMAT csv, HEADER false)")


def test_a_missing_file_is_a_data_error(tmp_path):
    p = Pipeline()
    p.execute(DDL)
    with pytest.raises(DataError, match="cannot read .*nope.csv.*No such file"):
        p.execute(f"COPY t FROM '{tmp_path / 'nope.csv'}' (HEADER false)")
