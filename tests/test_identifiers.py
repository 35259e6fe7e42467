"""Identifiers follow each dialect's rule, checked against the engine itself.

DuckDB and SQLite fold every name, quoted or not (``"Foo"`` is ``foo``); Postgres folds unquoted names
and keeps quoted ones exact (``"Foo"`` and ``foo`` are two tables, or two columns, that never read each
other's rows).  Folding is ASCII only in all three.  The differential test draws schemas, views and
changes whose names are spelled in every case and quoting, runs them through a Pipeline and through the
real engine (DuckDB, SQLite's sqlite3, a PostgreSQL server started by tests/pgserver.py), and requires the
same statements to fail and the same rows everywhere else: views created before the data, maintained
through an insert step and a delete step, and the same queries ad hoc.
"""

from __future__ import annotations

import json
import random
import sqlite3
import subprocess
from collections import Counter

import duckdb
import pytest

from deltasql import CompileError, DataError, Pipeline
from tests import pgserver
from tests.harness import LONG

CASES = 300 if LONG else 40


# -- the examples -----------------------------------------------------------------------------

def test_unquoted_names_are_case_insensitive():
    p = Pipeline()
    p.execute("CREATE TABLE Orders(OrderId INT, Amount INT); "
              "CREATE VIEW v AS SELECT OrderId, SUM(AMOUNT) AS Total FROM Orders GROUP BY ORDERID")
    p.execute("INSERT INTO ORDERS VALUES (1, 5), (1, 2)")
    p.step()
    assert p.view("V").rows() == [(1, 7)]
    assert p.columns("orders") == ["orderid", "amount"]  # names are shown normalized
    assert p.execute("SELECT orders.orderid FROM Orders") == [(1,), (1,)]


def test_postgres_quoted_names_are_exact():
    p = Pipeline(dialect="postgres")
    p.execute('CREATE TABLE "Foo"(a INT); CREATE TABLE foo(a INT); '
              'CREATE VIEW of_quoted AS SELECT a FROM "Foo"; CREATE VIEW of_plain AS SELECT a FROM FOO')
    p.execute('INSERT INTO "Foo" VALUES (1); INSERT INTO foo VALUES (2)')
    p.step()
    assert p.view("of_quoted").rows() == [(1,)]
    assert p.view("of_plain").rows() == [(2,)]
    assert sorted(p.tables) == ["Foo", "foo"]
    p.execute('CREATE TABLE t("Foo" INT, foo INT); INSERT INTO t VALUES (1, 2)')
    p.step()
    assert p.execute('SELECT "Foo", foo, FOO FROM t') == [(1, 2, 2)]
    with pytest.raises(CompileError, match="unknown column 'Foo'"):
        p.execute('SELECT "Foo" FROM foo')


@pytest.mark.parametrize("dialect", ["duckdb", "sqlite"])
def test_duckdb_and_sqlite_fold_quoted_names_too(dialect):
    p = Pipeline(dialect=dialect)
    p.execute('CREATE TABLE "Foo"("A" INT)')
    with pytest.raises(CompileError, match="already exists"):
        p.execute("CREATE TABLE foo(a INT)")
    with pytest.raises(CompileError, match="duplicate column name 'foo'"):
        p.execute('CREATE TABLE t("Foo" INT, foo INT)')
    p.execute('INSERT INTO FOO VALUES (1)')
    p.step()
    assert p.execute('SELECT a, "a", "A" FROM "FOO"') == [(1, 1, 1)]
    p.execute('CREATE TABLE "É"(a INT); CREATE TABLE "é"(a INT)')  # folding is ASCII only, as the engines


def test_the_python_api_takes_names_as_stored_or_folded():
    """A name given to the API is the relation's stored name if one has exactly that name, else it is
    folded as an unquoted identifier; dict rows' keys likewise."""
    p = Pipeline(dialect="postgres")
    p.execute('CREATE TABLE "Foo"("A" INT, a INT); CREATE TABLE foo(a INT); CREATE VIEW "V" AS SELECT * FROM "Foo"')
    p.insert("Foo", [{"A": 1, "a": 2}])
    p.insert("FOO", [{"A": 3}])
    p.step()
    assert p.table_rows("Foo") == [(1, 2)]
    assert p.table_rows("foo") == [(3,)]
    assert p.view("V").rows() == [(1, 2)]
    with pytest.raises(DataError, match="unknown view 'v'"):
        p.view("v")
    q = Pipeline()
    q.execute('CREATE TABLE "Orders"(Id INT)')
    q.insert("ORDERS", [{"ID": 1}])
    with pytest.raises(DataError, match="named twice"):
        q.insert("orders", [{"id": 1, "ID": 2}])
    q.step()
    assert q.table_rows("Orders") == [(1,)]


DUPLICATES = ["WITH s AS (SELECT 1 AS a, 2 AS a) SELECT a FROM s",
              "SELECT t.a FROM (SELECT 1 AS a, 2 AS A) AS t",
              "SELECT a + 1 FROM (SELECT 1 AS A, 2 AS a UNION ALL SELECT 3, 4) AS t"]


@pytest.mark.parametrize("sql", DUPLICATES)
def test_a_name_two_subquery_columns_have(sql):
    """DuckDB and SQLite read the first of them (deltasql took the last); Postgres refuses."""
    assert Pipeline().execute(sql) == duckdb.connect().execute(sql).fetchall()
    assert Pipeline(dialect="sqlite").execute(sql) == sqlite3.connect(":memory:").execute(sql).fetchall()
    with pytest.raises(CompileError, match="column reference 'a' is ambiguous"):
        Pipeline(dialect="postgres").execute(sql)


def test_insert_naming_a_column_twice_is_an_error():
    p = Pipeline()
    p.execute("CREATE TABLE t(a INT, b INT)")
    with pytest.raises(CompileError, match="column 'a' is named twice in INSERT"):
        p.execute('INSERT INTO t(a, b, "A") VALUES (1, 2, 3)')


def test_cli_names_in_any_case(tmp_path, capsys):
    """A CSV file, JSON lines and --view name tables, columns and views in any case; `check` agrees."""
    from deltasql import cli

    (tmp_path / "views.sql").write_text("CREATE TABLE Orders(OrderId INT, Amount INT);\n"
                                        "CREATE VIEW Big AS SELECT OrderId FROM Orders WHERE Amount > 5;\n")
    (tmp_path / "ORDERS.csv").write_text("orderid,AMOUNT\n1,10\n2,3\n")
    (tmp_path / "more.jsonl").write_text('{"table": "orders", "insert": {"ORDERID": 3, "amount": 9}}\n')
    files = [tmp_path / "views.sql", tmp_path / "ORDERS.csv", tmp_path / "more.jsonl"]
    assert cli.main(["run", *map(str, files), "--view", "BIG", "--format", "jsonl"]) == 0
    out = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [(o["view"], o["row"]) for o in out] == [("big", {"orderid": 1}), ("big", {"orderid": 3})]
    assert cli.main(["check", *map(str, files)]) == 0, capsys.readouterr()


# -- differential: random spellings against the engine ------------------------------------------------

def spellings(base: str) -> list[str]:
    return [base, base.upper(), base.capitalize(), f'"{base}"', f'"{base.capitalize()}"', f'"{base.upper()}"']


def respell(name: str, rnd: random.Random) -> str:
    """Another spelling of the same letters: any case, quoted or not."""
    return rnd.choice(spellings(name.strip('"').lower()))


def gen_case(seed: int) -> list[tuple[str, str]]:
    """(kind, sql) statements: kind is ddl, view, change, step or query."""
    rnd = random.Random(seed)
    tables = []
    out = []
    for _ in range(2):
        name = rnd.choice(spellings(rnd.choice(["foo", "foo", "bar"])))
        # (no column named like a table: a table's name as a value is its whole row, which deltasql
        # refuses; tests above cover a column foo in a table foo)
        cols = [rnd.choice(spellings(rnd.choice(["a", "b", "val", "a"]))) for _ in range(rnd.randint(1, 3))]
        tables.append((name, cols))
        out.append(("ddl", f"CREATE TABLE {name}({', '.join(c + ' INT' for c in cols)})"))
    views = []
    for i in range(6):
        t, cols = rnd.choice(tables)
        t2, cols2 = rnd.choice(tables)
        c1, c2 = rnd.choice(cols), rnd.choice(cols)
        r = lambda n: respell(n, rnd)  # noqa: E731
        al, ta, sub = rnd.choice(spellings("x")), rnd.choice(spellings("q")), rnd.choice(spellings("s"))
        forms = [
            f"SELECT {r(c1)} FROM {r(t)}",
            f"SELECT {r(al)} FROM (SELECT {r(c1)} AS {al}, {r(c2)} FROM {r(t)} AS {ta}) AS {sub}",
            f"WITH {sub} AS (SELECT {r(c1)}, {r(c2)} FROM {r(t)}) SELECT {r(c1)} FROM {r(sub)}",
            f"SELECT {r(ta)}.{r(c1)} FROM {r(t)} AS {ta}",
            f"SELECT {r(t)}.{r(c1)}, {r(t2)}.{r(rnd.choice(cols2))} FROM {r(t)}, {r(t2)} "
            f"WHERE {r(t)}.{r(c1)} = {r(t2)}.{r(rnd.choice(cols2))}",
            f"SELECT * FROM {r(t)}",
            f"SELECT {r(c1)}, COUNT(*) AS {al} FROM {r(t)} GROUP BY {r(c1)}",
            f"SELECT {r(c1)} FROM {r(t)} WHERE {r(c2)} > 0 UNION ALL SELECT {r(c1)} FROM {r(t)}",
        ]
        views.append(rnd.choice(forms))
        out.append(("view", f"CREATE VIEW v{i} AS {views[-1]}"))
    for t, cols in tables:
        # the columns named: a respelled name may be another table's (Postgres), which may be wider;
        # no letters twice (SQLite takes the first of two equal names, the others refuse them)
        cols = list({c.strip('"').lower(): c for c in cols}.values())
        rows = [tuple(rnd.randint(0, 3) for _ in cols) for _ in range(rnd.randint(1, 5))]
        values = ", ".join("(" + ", ".join(map(str, row)) + ")" for row in rows)
        named = ", ".join(respell(c, rnd) for c in cols)
        out.append(("change", f"INSERT INTO {respell(t, rnd)}({named}) VALUES {values}"))
    out.append(("step", ""))
    t, cols = rnd.choice(tables)
    out.append(("change", f"DELETE FROM {respell(t, rnd)} WHERE {respell(rnd.choice(cols), rnd)} = 1"))
    out.append(("step", ""))
    out += [("query", v) for v in views]
    return out


def deltasql_run(dialect: str, case) -> list:
    """What each statement gives on a Pipeline: 'error', None, or a Counter of rows (for a step: the
    rows of every view created, in order)."""
    p = Pipeline(dialect=dialect)
    out = []
    for kind, sql in case:
        try:
            if kind == "step":
                p.step()
                out.append([Counter(p.view(v).rows()) for v in p.views])
            elif kind == "query":
                out.append(Counter(p.execute(sql)))
            else:
                p.execute(sql)
                out.append(None)
        except (CompileError, DataError) as e:
            out.append(("error", str(e).splitlines()[0]))
    return out


def engine_run(execute, case) -> list:
    """The same through an engine: ``execute(sql)`` returns rows or raises."""
    out, views = [], []
    for kind, sql in case:
        try:
            if kind == "step":
                out.append([Counter(execute(f"SELECT * FROM {v}")) for v in views])
            elif kind == "query":
                out.append(Counter(execute(sql)))
            else:
                execute(sql)
                if kind == "view":
                    name = sql.split()[2]
                    try:  # SQLite creates a view without resolving its names: read it once
                        execute(f"SELECT * FROM {name}")
                    except Exception:
                        execute(f"DROP VIEW {name}")
                        raise
                    views.append(name)
                out.append(None)
        except Exception as e:  # noqa: BLE001 - the engine's error, whatever its class
            out.append(("error", str(e).splitlines()[0]))
    return out


def assert_same(case, ours, theirs, engine):
    for (kind, sql), a, b in zip(case, ours, theirs):
        a_failed, b_failed = isinstance(a, tuple), isinstance(b, tuple)
        context = "\n".join(s for _k, s in case if s)
        assert a_failed == b_failed, f"{sql!r}: deltasql {a}, {engine} {b}\n{context}"
        if not a_failed:
            assert a == b, f"{sql!r}: deltasql {a}, {engine} {b}\n{context}"


@pytest.mark.parametrize("seed", range(CASES))
def test_spellings_match_duckdb(seed):
    case = gen_case(seed)
    con = duckdb.connect()
    assert_same(case, deltasql_run("duckdb", case), engine_run(lambda s: con.execute(s).fetchall(), case), "DuckDB")


@pytest.mark.parametrize("seed", range(CASES))
def test_spellings_match_sqlite(seed):
    case = gen_case(seed)
    con = sqlite3.connect(":memory:")
    # SQLite reads a "name" that names nothing as a string (for compatibility); `name` is the same
    # identifier without that fallback (the cases hold no string literals)
    assert_same(case, deltasql_run("sqlite", case),
                engine_run(lambda s: con.execute(s.replace('"', "`")).fetchall(), case), "SQLite")


def test_spellings_match_postgres(pg_database):
    """One psql session per case: errors are told apart by the line psql reports them at."""
    server = pg_database.server
    for seed in range(CASES):
        case = gen_case(seed)
        assert_same(case, deltasql_run("postgres", case), psql_run(server, pg_database.name, case), "PostgreSQL")


def psql_run(server, dbname: str, case) -> list:
    """Run a case in one psql session (ON_ERROR_STOP off) and read back what each statement gave:
    errors by the input line psql reports them at, rows by the marker echoed before each statement."""
    lines = ["\\pset null N", "DROP SCHEMA IF EXISTS s CASCADE;", "CREATE SCHEMA s;", "SET search_path TO s;"]
    first_line = []  # per statement, the input line it starts at
    views = []  # (name, line of its CREATE VIEW)
    for i, (kind, sql) in enumerate(case):
        lines.append(f"\\echo @@{i}")
        first_line.append(len(lines) + 1)
        if kind == "step":
            lines += [f"SELECT '{v}', * FROM {v};" for v, _ in views]
        else:
            lines.append(sql + ";")
            if kind == "view":
                views.append((sql.split()[2], len(lines)))
    r = subprocess.run([server._bin("psql"), "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=0", "-h", server.host,
                        "-p", str(server.port), "-U", server.superuser, "-d", dbname, "-f", "-"],
                       input="\n".join(lines) + "\n", capture_output=True, text=True, env=server._env())
    errors = {}
    for line in r.stderr.splitlines():
        if ": ERROR:" in line:
            errors.setdefault(int(line.split(":")[2]), line.split("ERROR:", 1)[1].strip())
    chunks: dict = {}
    current = None
    for line in r.stdout.splitlines():
        if line.startswith("@@"):
            current = chunks.setdefault(int(line[2:]), [])
        elif current is not None and line:
            current.append(line.split("|"))
    created = [v for v, at in views if at not in errors]
    out = []
    for i, (kind, _sql) in enumerate(case):
        rows = chunks.get(i, [])
        if kind == "step":
            out.append([Counter(tuple(_int(x) for x in r[1:]) for r in rows if r[0] == v) for v in created])
        elif first_line[i] in errors:
            out.append(("error", errors[first_line[i]]))
        elif kind == "query":
            out.append(Counter(tuple(_int(x) for x in r) for r in rows))
        else:
            out.append(None)
    return out


def _int(text: str):
    return None if text == "N" else int(text)
