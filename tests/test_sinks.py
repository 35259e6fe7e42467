"""Sinks against their real targets (DuckDB and SQLite files, a PostgreSQL server, JSON-lines, CSV and
Parquet change logs): after every step of random change streams, with duplicates, NULLs, NaN and a
final retraction, what the target holds (read back with its own driver, see tests/sinkread.py) equals
the view; values of every type survive as each sink's module documents; a failed write leaves the
target as it was, rows and recorded step alike."""

from __future__ import annotations

import datetime
import decimal
import os
from collections import Counter

import pytest

from deltasql import Pipeline
from deltasql.connectors.sinks import Column, SinkError, ViewSchema, open_sink, parse_target, split_views
from deltasql.sqllib.sqlfuncs import Interval
from tests import sinkread
from tests.harness import RETRACT_ALL, RandomChooser, Spec, gen_steps

D = decimal.Decimal
NAN = float("nan")
TABLE_KINDS = ("duckdb", "sqlite", "postgresql")
LOG_KINDS = ("jsonl", "csv", "parquet")
KINDS = TABLE_KINDS + LOG_KINDS

SPEC = Spec(
    ddl="CREATE TABLE t(k INTEGER, s VARCHAR, d DECIMAL(10,2), f DOUBLE, b BOOLEAN, dt DATE, ts TIMESTAMP)",
    views={
        # rows repeat: a bag
        "bag": "SELECT s, f, b FROM t",
        "agg": "SELECT s, COUNT(*) AS n, SUM(d) AS total, MIN(dt) AS first_day, MAX(ts) AS last_ts, "
               "BOOL_OR(b) AS any_b, CAST(SUM(k) AS HUGEINT) * 1000000000000 AS big FROM t GROUP BY s",
        "spans": "SELECT k, dt, INTERVAL 1 MONTH * k + INTERVAL 3 DAY AS span, NULL AS nothing FROM t "
                 "WHERE k IS NOT NULL",
    },
    domains={"f": [1.0, 0.5, -0.0, 0.0, NAN, float("inf"), -2.5],
             "s": ["a", "", "b,c", 'q"uote', "line\nbreak", " é "],
             "k": [1, 2, -3, 0, 12]},
)


def target_for(kind: str, tmp_path, request, name: str = "out") -> str:
    if kind == "postgresql":
        db = request.getfixturevalue("pg_database")
        return db.dsn
    if kind == "jsonl":
        return f"jsonl:{tmp_path / (name + '.jsonl')}"
    if kind in ("csv", "parquet"):
        return f"{kind}:{tmp_path / name}"
    return f"{kind}:{tmp_path / (name + '.' + kind)}"


@pytest.fixture(params=KINDS)
def kind(request):
    if request.param == "parquet":
        pytest.importorskip("pyarrow")
    if request.param == "postgresql":
        pytest.importorskip("psycopg")
    if request.param == "duckdb":
        pytest.importorskip("duckdb")
    return request.param


def schema(p: Pipeline, view: str) -> ViewSchema:
    rel = p.catalog.relation(view)
    return ViewSchema(view, tuple(Column(f.name, f.type) for f in rel.fields))


def contents(p: Pipeline, view: str) -> dict:
    return Counter(p.view(view).rows())


def apply(p: Pipeline, ops) -> None:
    if ops == RETRACT_ALL:
        for t in p.tables:
            p.delete(t, p.table_rows(t))
        return
    for sign, table, row in ops:
        (p.insert if sign == "+" else p.delete)(table, [row])


def check_equal(kind, target, p, schemas):
    for name, sc in schemas.items():
        got = sinkread.read(target, sc)
        want = sinkread.expected(kind, p.view(name).rows(), sc)
        assert got == want, f"{kind} sink, view {name}: only in target {got - want}, only in view {want - got}"


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_random_stream_equals_views_after_every_step(kind, seed, tmp_path, request):
    target = target_for(kind, tmp_path, request)
    p = Pipeline()
    p.execute(SPEC.ddl)
    for name, sql in SPEC.views.items():
        p.execute(f"CREATE VIEW {name} AS {sql}")
    schemas = {n: schema(p, n) for n in SPEC.views}
    sink = open_sink(target)
    for n, sc in schemas.items():
        assert sink.position(sc) is None
        sink.reset(0, sc, contents(p, n))
    steps = gen_steps(RandomChooser(seed), SPEC, n_steps=8)
    for number, ops in enumerate(steps, 1):
        apply(p, ops)
        changes = p.step()
        sink.write(number, schemas, changes)
        if number % 3 == 0:  # a reopened sink knows where it stands
            sink.close()
            sink = open_sink(target)
            for n, sc in schemas.items():
                assert sink.position(sc) is not None
        if kind == "duckdb":
            sink.close()  # DuckDB lets one process open a file once: read it between steps
        check_equal(kind, target, p, schemas)
        if kind == "duckdb":
            sink = open_sink(target)
    sink.close()
    assert all(len(p.view(n)) == 0 for n in schemas)  # the stream ends by retracting everything
    rec = sinkread.recorded(target)
    for n, sc in schemas.items():
        assert 0 <= rec[n] <= len(steps)


def one_row_view(p: Pipeline, select: str, name: str = "v") -> ViewSchema:
    p.execute(f"CREATE VIEW {name} AS {select}")
    return schema(p, name)


EDGE_VALUES = """
SELECT * FROM (VALUES
  (CAST(99999999999999999999999999999999999999 AS HUGEINT), CAST(-128 AS TINYINT),
   CAST('-12345678901234567890123456.789012' AS DECIMAL(38,6)), CAST('nan' AS DOUBLE), '',
   true, DATE '0001-01-01', TIMESTAMP '9999-12-31 23:59:59.999999',
   INTERVAL 14 MONTH + INTERVAL 3 DAY + INTERVAL 4 SECOND + INTERVAL 5 MICROSECOND),
  (CAST(-99999999999999999999999999999999999999 AS HUGEINT), CAST(127 AS TINYINT),
   CAST('0.000001' AS DECIMAL(38,6)), CAST('-inf' AS DOUBLE), 'ünï "c,o\nde"',
   false, DATE '2024-02-29', TIMESTAMP '1970-01-01 00:00:00',
   -(INTERVAL 1 MONTH + INTERVAL 30 DAY) - INTERVAL 1 MICROSECOND),
  (NULL, NULL, NULL, CAST('-0.0' AS DOUBLE), NULL, NULL, NULL, NULL, NULL),
  (NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, INTERVAL 0 SECOND)
) AS x(h, ti, d, f, s, b, dt, ts, iv)
"""


def test_every_type_round_trips(kind, tmp_path, request):
    """The edges of each type, written and deleted again: exact where the target can be exact; SQLite
    as documented (NaN stored as NULL, HUGEINT and wide DECIMAL values as REAL)."""
    target = target_for(kind, tmp_path, request)
    p = Pipeline()
    p.execute("CREATE TABLE on_off(x INT)")
    sc = one_row_view(p, f"SELECT x.* FROM ({EDGE_VALUES}) x, on_off")
    sink = open_sink(target)
    sink.reset(0, sc, contents(p, "v"))
    p.insert("on_off", [(1,), (2,)])  # every row twice
    sink.write(1, {"v": sc}, p.step())
    sink.close()
    rows = p.view("v").rows()
    assert len(rows) == 8
    got = sinkread.read(target, sc)
    if kind == "sqlite":
        want = Counter()
        for r in rows:
            h, ti, d, f, s, b, dt, ts, iv = r
            h = None if h is None else ("float", float(h))  # beyond 64 bits: a REAL (as SQLite stores 2**63)
            d = None if d is None else sinkread.canon(D(repr(float(d))))  # beyond 15 digits: a REAL
            want[(h, sinkread.canon(ti), d, None if f != f else sinkread.canon(f), *map(sinkread.canon, (s, b, dt, ts, iv)))] += 1
        assert got == want
    else:
        assert got == sinkread.expected(kind, rows, sc)
    # and out again: an empty target
    sink = open_sink(target)
    p.delete("on_off", [(1,), (2,)])
    sink.write(2, {"v": sc}, p.step())
    sink.close()
    assert sinkread.read(target, sc) == Counter()
    assert sinkread.recorded(target) == {"v": 2}


def test_arrow_refuses_a_hugeint_of_39_digits(tmp_path):
    """decimal128(38, 0) holds HUGEINT values of up to 38 digits (as DuckDB exports them); a larger one
    fails the step, naming it, and the log stays as it was."""
    pytest.importorskip("pyarrow")
    target = f"parquet:{tmp_path / 'out'}"
    p = Pipeline()
    p.execute("CREATE TABLE t(a HUGEINT); CREATE VIEW v AS SELECT a FROM t")
    sc = schema(p, "v")
    sink = open_sink(target)
    sink.reset(0, sc, {})
    p.insert("t", [(2 ** 127 - 1,)])
    with pytest.raises(SinkError, match="precision"):
        sink.write(1, {"v": sc}, p.step())
    p.insert("t", [(10 ** 38 - 1,)])
    sink.write(2, {"v": sc}, p.step())
    assert sinkread.recorded(target) == {"v": 2}
    assert sinkread.read(target, sc) == Counter({(("int", 10 ** 38 - 1),): 1})


def test_bag_rows_repeat_and_leave_one_copy_at_a_time(kind, tmp_path, request):
    target = target_for(kind, tmp_path, request)
    p = Pipeline()
    p.execute("CREATE TABLE t(a INT, b VARCHAR); CREATE VIEW v AS SELECT a, b FROM t")
    sc = schema(p, "v")
    sink = open_sink(target)
    sink.reset(0, sc, contents(p, "v"))
    script = [("+", [(1, None)] * 3 + [(2, "x")]), ("-", [(1, None)]), ("+", [(2, "x")] * 2), ("-", [(1, None)] * 2),
              ("-", [(2, "x")] * 3)]
    for number, (sign, rows) in enumerate(script, 1):
        (p.insert if sign == "+" else p.delete)("t", rows)
        sink.write(number, {"v": sc}, p.step())
        if kind == "duckdb":
            sink.close()
        assert sinkread.read(target, sc) == sinkread.expected(kind, p.view("v").rows(), sc)
        if kind == "duckdb":
            sink = open_sink(target)
    sink.close()


def test_a_failed_write_changes_nothing(kind, tmp_path, request):
    """A step the target refuses (a value that does not fit the column) is rolled back whole: the
    rows of every view and the recorded steps stay as they were, and the sink can go on."""
    target = target_for(kind, tmp_path, request)
    p = Pipeline()
    p.execute("CREATE TABLE t(a INT, s VARCHAR); CREATE VIEW v AS SELECT a, s FROM t; "
              "CREATE VIEW w AS SELECT COUNT(*) AS n FROM t")
    p.step()  # the views' first rows (w's (0,)) come with a step; the target starts from them below
    schemas = {"v": schema(p, "v"), "w": schema(p, "w")}
    sink = open_sink(target)
    for n, sc in schemas.items():
        sink.reset(0, sc, contents(p, n))
    p.insert("t", [(1, "a")])
    sink.write(1, schemas, p.step())
    sink.close()
    before = {n: sinkread.read(target, sc) for n, sc in schemas.items()}
    sink = open_sink(target)
    # w's change is fine, v's holds a value no target can store: the whole step is refused
    bad = {"w": [((2,), 1), ((1,), -1)], "v": [((2, object()), 1)]}
    with pytest.raises(SinkError):
        sink.write(2, schemas, bad)
    sink.close()
    assert {n: sinkread.read(target, sc) for n, sc in schemas.items()} == before
    assert sinkread.recorded(target) == {"v": 1, "w": 1}
    sink = open_sink(target)  # and it goes on from there
    p.insert("t", [(2, "b")])
    sink.write(2, schemas, p.step())
    sink.close()
    check_equal(kind, target, p, schemas)
    assert sinkread.recorded(target) == {"v": 2, "w": 2}


def test_changed_columns_are_a_new_view(kind, tmp_path, request):
    """position() is None once the view's columns differ from those recorded; a database sink then
    replaces its table, a change log refuses (it cannot rewrite what it has written)."""
    target = target_for(kind, tmp_path, request)
    p = Pipeline()
    p.execute("CREATE TABLE t(a INT); CREATE VIEW v AS SELECT a FROM t")
    p.insert("t", [(1,), (1,)])
    p.step()
    sink = open_sink(target)
    sink.reset(1, schema(p, "v"), contents(p, "v"))
    assert sink.position(schema(p, "v")) == 1
    p.execute("CREATE OR REPLACE VIEW v AS SELECT a, a * 2 AS twice FROM t")
    new = schema(p, "v")
    assert sink.position(new) is None
    if kind in TABLE_KINDS:
        sink.reset(1, new, contents(p, "v"))
        sink.close()
        assert sinkread.read(target, new) == sinkread.expected(kind, p.view("v").rows(), new)
        assert len(p.view("v").rows()) == 2
    else:
        with pytest.raises(SinkError, match="columns"):
            sink.reset(1, new, contents(p, "v"))
        sink.close()


def test_a_table_not_written_by_deltasql_is_left_alone(tmp_path):
    import sqlite3

    path = tmp_path / "mine.sqlite"
    con = sqlite3.connect(path)
    con.execute("CREATE TABLE v(x TEXT)")
    con.execute("INSERT INTO v VALUES ('precious')")
    con.commit()
    con.close()
    p = Pipeline()
    p.execute("CREATE TABLE t(a INT); CREATE VIEW v AS SELECT a FROM t")
    sink = open_sink(f"sqlite:{path}")
    with pytest.raises(SinkError, match="not written by deltasql"):
        sink.reset(0, schema(p, "v"), {})
    sink.close()
    con = sqlite3.connect(path)
    assert con.execute("SELECT * FROM v").fetchall() == [("precious",)]


def test_a_directory_that_is_not_a_change_log_is_left_alone(tmp_path):
    (tmp_path / "logs").mkdir()
    (tmp_path / "logs" / "notes.txt").write_text("mine")
    with pytest.raises(SinkError, match="not a deltasql change log"):
        open_sink(f"csv:{tmp_path / 'logs'}")
    (tmp_path / "changes.jsonl").write_text('{"mine": 1}\n')
    with pytest.raises(SinkError, match="not a deltasql change log"):
        open_sink(f"jsonl:{tmp_path / 'changes.jsonl'}")
    assert (tmp_path / "changes.jsonl").read_text() == '{"mine": 1}\n'


def test_target_strings():
    assert parse_target("duckdb:out.duckdb") == ("duckdb", "out.duckdb")
    assert parse_target("sqlite:/tmp/a:b.db") == ("sqlite", "/tmp/a:b.db")
    assert parse_target("postgresql://u@h:5/db?sslmode=disable") == ("postgresql", "postgresql://u@h:5/db?sslmode=disable")
    assert parse_target("postgres://h/db")[0] == "postgresql"
    assert parse_target("parquet:out") == ("parquet", "out")
    for bad in ("out.duckdb", "mysql://h/db", "duckdb:", "postgresql:x"):
        with pytest.raises(SinkError, match="unknown sink"):
            parse_target(bad)
    assert split_views("duckdb:out.duckdb") == (None, "duckdb:out.duckdb")
    assert split_views("revenue, top3=postgresql://h/db?a=b") == (["revenue", "top3"], "postgresql://h/db?a=b")
    assert split_views("jsonl:a=b.jsonl") == (None, "jsonl:a=b.jsonl")


def test_a_missing_driver_names_the_extra(monkeypatch, tmp_path):
    import builtins

    real = builtins.__import__

    def no_pyarrow(name, *a, **kw):
        if name.startswith("pyarrow"):
            raise ImportError(f"No module named {name!r}", name=name)
        return real(name, *a, **kw)

    import sys
    for m in [m for m in sys.modules if m.startswith("deltasql.connectors.sinks.parquet")]:
        monkeypatch.delitem(sys.modules, m)
    monkeypatch.setattr(builtins, "__import__", no_pyarrow)
    with pytest.raises(SinkError, match=r"pip install 'deltasql\[parquet\]'"):
        open_sink(f"parquet:{tmp_path / 'x'}")
    assert not os.path.exists(tmp_path / "x")


@pytest.mark.parametrize("small", [0, 1000])
def test_duckdb_bulk_and_row_statements_agree(small, tmp_path, request, monkeypatch):
    """The DuckDB sink writes a few rows a statement each and more through typed lists: both ways
    keep every type exactly."""
    pytest.importorskip("duckdb")
    from deltasql.connectors.sinks import duckdb as duckdb_sink

    monkeypatch.setattr(duckdb_sink, "SMALL", small)
    test_every_type_round_trips("duckdb", tmp_path, request)
    (tmp_path / "bag").mkdir()
    test_bag_rows_repeat_and_leave_one_copy_at_a_time("duckdb", tmp_path / "bag", request)


def test_a_sink_attached_to_a_reopened_durable_pipeline_catches_up_at_once(kind, tmp_path, request):
    """A sink registered on a reopened durable pipeline brings its target up to date at once, before
    any new step: from the step the target recorded, with the changes the state file kept for it while
    it was away (a change log gets each missed step once, in order).  Then it goes on with the steps."""
    target = target_for(kind, tmp_path, request)
    state = str(tmp_path / "state.db")
    steps = gen_steps(RandomChooser(7), SPEC, n_steps=9)  # 9 steps and the final retraction
    twin = Pipeline()
    deltas = [None]  # each step's changes per view, as the twin reports them

    def create(q: Pipeline) -> None:
        q.execute(SPEC.ddl)
        for name, sql in SPEC.views.items():
            q.execute(f"CREATE VIEW {name} AS {sql}")

    def run(q: Pipeline, ops) -> None:
        apply(q, ops)
        q.step()
        apply(twin, ops)
        changes = twin.step()
        deltas.append({n: Counter(dict(changes.get(n, []))) for n in SPEC.views})
        assert q.last_step == twin.last_step

    def check(q: Pipeline, feed) -> None:
        if kind == "duckdb":
            feed.close()  # DuckDB lets one process open a file once: read it with the sink detached
        check_equal(kind, target, q, schemas)
        rec = sinkread.recorded(target)
        for n in SPEC.views:
            changed = [k for k in range(1, q.last_step + 1) if deltas[k][n]]
            assert rec[n] == (changed[-1] if changed else 0), (n, rec[n], changed[-3:])
            if kind in ("jsonl", "csv", "parquet"):
                want = {k: _log_form(kind, deltas[k][n], schemas[n]) for k in range(1, q.last_step + 1)
                        if deltas[k][n]}
                got = {k: Counter({r: w for r, w in c.items() if w})
                       for k, c in sinkread.log_steps(target, schemas[n]).items()}
                assert got == want, n
        if kind == "duckdb":
            feed = q.sink(list(SPEC.views), target)
        return feed

    create(twin)
    p = Pipeline(path=state)
    create(p)
    schemas = {n: schema(p, n) for n in SPEC.views}
    feed = p.sink(list(SPEC.views), target)
    for ops in steps[:3]:
        run(p, ops)
    feed = check(p, feed)
    p.close()  # closes its sinks too; the state file keeps retaining the views for this target
    p = Pipeline(path=state)
    for ops in steps[3:7]:  # no sink attached: these steps' changes wait in the state file
        run(p, ops)
    p.close(checkpoint=False)  # (as a crash leaves the file)
    p = Pipeline(path=state)
    assert p.last_step == 7
    feed = p.sink(list(SPEC.views), target)  # caught up here, before any step
    feed = check(p, feed)
    for ops in steps[7:]:
        run(p, ops)
    feed = check(p, feed)
    p.close()
    assert all(len(twin.view(n)) == 0 for n in SPEC.views)  # the stream ends by retracting everything


def _log_form(kind: str, delta: Counter, sc) -> Counter:
    out = Counter()
    for row, w in delta.items():
        (key, _n), = sinkread.expected(kind, [row], sc).items()
        out[key] += w
    return Counter({r: w for r, w in out.items() if w})


def test_closing_the_pipeline_closes_its_sinks_once(tmp_path):
    p = Pipeline(path=str(tmp_path / "state.db"))
    p.execute("CREATE TABLE t(a INT); CREATE VIEW v AS SELECT a FROM t")
    feed = p.sink("v", f"sqlite:{tmp_path / 'out.sqlite'}")
    changes = p.changes("v", timeout=None)
    p.insert("t", [(1,)])
    p.step()
    p.close()
    assert p.sinks == [] and list(changes) == [(1, [((1,), 1)])]  # the iterator ended with the pipeline
    feed.close()  # already closed: nothing to do
    assert sinkread.recorded(f"sqlite:{tmp_path / 'out.sqlite'}") == {"v": 1}


@pytest.mark.parametrize("log", ["jsonl", "csv"])
def test_a_change_log_of_a_view_that_stopped_changing_resumes_after_restarts(log, tmp_path):
    """A log's position for a view is the last step that changed it; a sink attached again must not
    tell the state file it has everything up to the pipeline's step (the retention's floor), or the
    next restart's catch-up from that older position is refused (found by the exactly-once crash test)."""
    state = str(tmp_path / "state.db")
    target = f"{log}:{tmp_path / 'out'}" if log == "csv" else f"jsonl:{tmp_path / 'out.jsonl'}"
    p = Pipeline(path=state)
    p.execute("CREATE TABLE t(a INT, b INT); CREATE VIEW va AS SELECT a FROM t; "
              "CREATE VIEW vb AS SELECT DISTINCT b FROM t")
    p.sink(["va", "vb"], target)
    p.insert("t", [(1, 1)])
    p.step()
    for n in range(2, 5):  # steps that change va only
        p.insert("t", [(n, 1)])
        p.step()
    for _restart in range(3):
        p.close()
        p = Pipeline(path=state)
        p.sink(["va", "vb"], target)  # refused before: vb's log stands at step 1, the floor was moved past it
        p.insert("t", [(10 + p.last_step, 1)])
        p.step()
    p.insert("t", [(99, 2)])
    p.step()
    schemas = {n: schema(p, n) for n in ("va", "vb")}
    want = {n: sinkread.expected(log, p.view(n).rows(), sc) for n, sc in schemas.items()}
    p.close()
    for n, sc in schemas.items():
        total = Counter()
        for c in sinkread.log_steps(target, sc).values():
            total.update(c)
        assert +total == want[n], n
    assert sorted(sinkread.log_steps(target, schemas["vb"])) == [1, 8]  # each step once
