"""Subscriptions, change iterators and sinks as the Pipeline drives them (engine/feeds.py): each
consumer gets every committed step that changed its view, a consumer that fails never undoes a step
and is named in the error, a sink's target equals its view after every step (views created over
existing data and views replaced included), and results come out as Arrow tables and data frames
equal to DuckDB's."""

from __future__ import annotations

import os
import threading
from collections import Counter

import pytest

from deltasql import DataError, DeliveryError, Pipeline, SinkError
from tests import sinkread
from tests.harness import RandomChooser, Spec, gen_steps
from tests.test_sinks import KINDS, SPEC, TABLE_KINDS, apply, target_for

SHOP = """
CREATE TABLE orders(id INT PRIMARY KEY, customer VARCHAR, amount DECIMAL(10, 2));
CREATE VIEW revenue AS SELECT customer, COUNT(*) AS n, SUM(amount) AS total FROM orders GROUP BY customer;
CREATE VIEW big AS SELECT customer, amount FROM orders WHERE amount > 5;
"""


def shop() -> Pipeline:
    p = Pipeline()
    p.execute(SHOP)
    return p


def added_up(deliveries) -> Counter:
    total = Counter()
    for _step, changes in deliveries:
        for row, w in changes:
            total[row] += w
    return +total


# -- subscriptions ----------------------------------------------------------------------------------

def test_subscribe_gets_each_step_that_changed_the_view():
    p = shop()
    got = []
    p.subscribe("big", lambda step, changes: got.append((step, sorted(changes))))
    p.insert("orders", [(1, "ada", 10), (2, "bob", 1)])
    p.step()
    p.insert("orders", [(3, "bob", 2)])  # big does not change
    p.step()
    p.execute("UPDATE orders SET amount = 12 WHERE id = 1")  # outside BEGIN: a step of its own (autocommit)
    assert p.take_changes() and p.last_step == 3
    assert got == [(1, [(("ada", 10), 1)]), (3, [(("ada", 10), -1), (("ada", 12), 1)])]


def test_a_failing_callback_does_not_undo_the_step_and_is_named():
    p = shop()
    seen = []

    def broken(step, changes):
        raise ValueError("downstream is full")

    p.subscribe("revenue", broken)
    later = p.subscribe("revenue", lambda step, changes: seen.append(step))
    p.insert("orders", [(1, "ada", 10)])
    with pytest.raises(DeliveryError) as e:
        p.step()
    assert e.value.view == "revenue" and e.value.step == 1 and "broken" in e.value.consumer
    assert "step 1 committed" in str(e.value) and "downstream is full" in str(e.value)
    assert isinstance(e.value.__cause__, ValueError)
    assert p.view("revenue").rows() == [("ada", 1, 10)]  # committed
    assert p.last_step == 1 and seen == [1]  # the other subscriber got the step
    assert dict(p.last_changes) == {"revenue": [(("ada", 1, 10), 1)], "big": [(("ada", 10), 1)]}
    later.close()
    p.insert("orders", [(2, "bob", 1)])
    with pytest.raises(DeliveryError):
        p.step()
    assert seen == [1]
    assert p.view("revenue").rows() == [("ada", 1, 10), ("bob", 1, 1)]


def test_subscribing_to_a_table_or_a_missing_view_is_refused():
    p = shop()
    with pytest.raises(DataError, match="a table"):
        p.subscribe("orders", print)
    with pytest.raises(DataError, match="unknown view 'nope'"):
        p.changes("nope")
    with pytest.raises(DataError, match="unknown view"):
        p.sink("nope", "jsonl:/nonexistent/x.jsonl")


def test_changes_iterator_drains_waits_and_ends_when_the_view_is_dropped():
    p = shop()
    it = p.changes("big", timeout=0)
    assert list(it) == []
    for i in range(3):
        p.insert("orders", [(i, "ada", 10 + i)])
        p.step()
    assert [s for s, _ in it] == [1, 2, 3]
    p.insert("orders", [(9, "zed", 100)])
    p.step()
    assert [(s, c) for s, c in it] == [(4, [(("zed", 100), 1)])]  # iterating again goes on
    blocking = p.changes("big")  # no timeout: a consumer thread waits for each step
    got = []
    consumer = threading.Thread(target=lambda: got.extend(s for s, _ in blocking))
    consumer.start()
    for i in range(10, 13):
        p.insert("orders", [(i, "bob", 50)])
        p.step()
    p.execute("DROP VIEW big")  # ends the iteration
    consumer.join(timeout=30)
    assert not consumer.is_alive()
    assert got == [5, 6, 7]
    assert [s for s, _ in it] == [5, 6, 7]  # what it holds, then the end
    assert list(it) == []
    p.execute("CREATE VIEW big AS SELECT customer FROM orders")
    p.insert("orders", [(20, "ann", 1)])
    p.step()
    assert list(it) == []  # ended for good


def test_deltas_add_up_to_the_view_for_every_subscriber():
    """The invariant consumers rely on: a subscriber that starts from a view's rows and adds up every
    change it is handed has the view's rows after every step (random streams, duplicates, NULLs,
    a final retraction)."""
    for seed in (1, 2, 3, 4):
        p = Pipeline()
        p.execute(SPEC.ddl)
        for name, sql in SPEC.views.items():
            p.execute(f"CREATE VIEW {name} AS {sql}")
        got = {n: [] for n in SPEC.views}
        for n in SPEC.views:
            p.subscribe(n, lambda step, changes, n=n: got[n].append((step, changes)))
        for ops in gen_steps(RandomChooser(seed), SPEC, n_steps=8):
            apply(p, ops)
            p.step()
            for n in SPEC.views:
                assert _norm(added_up(got[n])) == _norm(Counter(p.view(n).rows())), (seed, n)


def _norm(c: Counter) -> Counter:
    return Counter({tuple(sinkread.canon(v) for v in row): k for row, k in c.items()})


# -- sinks through the pipeline ---------------------------------------------------------------------

def test_sinks_follow_views_created_over_data_and_replaced(kind, tmp_path, request):
    """Through p.sink: a view created over existing rows and sunk then, every step after, a CREATE OR
    REPLACE VIEW (same columns, then other columns: a database follows, a change log refuses), and
    DROP VIEW (the target keeps its last rows)."""
    target = target_for(kind, tmp_path, request)
    p = shop()
    p.insert("orders", [(1, "ada", 10), (2, "bob", 7), (3, "ada", 3)])
    p.step()
    p.execute("CREATE VIEW per_customer AS SELECT customer, amount FROM orders WHERE amount > 4")
    sink = p.sink(["per_customer", "revenue"], target)
    assert sink.position("per_customer") == 1 and sink.position("revenue") == 1

    def check():
        closed = kind == "duckdb"
        if closed:  # DuckDB opens a file once per process: read it with the sink closed
            sink.sink.close()
        for n in sink.views:
            got = sinkread.read(target, sink.schemas[n])
            assert got == sinkread.expected(kind, p.view(n).rows(), sink.schemas[n]), n
        if closed:
            from deltasql.connectors.sinks import open_sink
            sink.sink = open_sink(target)

    check()
    p.insert("orders", [(4, "cy", 9), (5, "ada", 3)])
    p.step()
    check()
    p.execute("CREATE OR REPLACE VIEW per_customer AS SELECT customer, amount FROM orders WHERE amount > 8")
    p.insert("orders", [(6, "dan", 20)])
    p.step()
    check()
    assert sink.position("per_customer") == 3
    p.execute("CREATE OR REPLACE VIEW per_customer AS SELECT customer, amount, amount * 2 AS twice FROM orders")
    p.insert("orders", [(7, "eve", 1)])
    if kind in TABLE_KINDS:
        p.step()
        check()
        assert sink.position("per_customer") == 4
    else:
        with pytest.raises(DeliveryError, match="replaced by one with other columns") as e:
            p.step()
        assert e.value.view == "per_customer"
        assert sink.views == ["revenue"]
        check()
    p.execute("DROP VIEW per_customer")
    p.insert("orders", [(8, "fay", 2)])
    p.step()
    assert sink.views == ["revenue"]
    check()
    sink.close()


def test_a_sink_reattached_later_catches_up(kind, tmp_path, request):
    """Closed, then attached again after more steps: a database gets the view's rows in one
    transaction; a change log cannot be caught up without the changes it missed and says so."""
    target = target_for(kind, tmp_path, request)
    p = shop()
    sink = p.sink("revenue", target)
    p.insert("orders", [(1, "ada", 10)])
    p.step()
    sink.close()
    p.insert("orders", [(2, "ada", 5), (3, "bob", 2)])
    p.step()
    p.step()
    if kind in TABLE_KINDS:
        sink = p.sink("revenue", target)
        assert sink.position("revenue") == 3
        sink.close()
        assert sinkread.read(target, sink.schemas["revenue"]) == \
            sinkread.expected(kind, p.view("revenue").rows(), sink.schemas["revenue"])
    else:
        with pytest.raises(SinkError, match="not retained"):
            p.sink("revenue", target)
        assert p.sinks == []


def test_a_target_ahead_of_the_pipeline_is_refused(tmp_path):
    target = f"sqlite:{tmp_path / 'out.sqlite'}"
    p = shop()
    p.sink("revenue", target)
    for i in range(3):
        p.insert("orders", [(i, "ada", 1)])
        p.step()
    for s in p.sinks:
        s.close()
    fresh = shop()  # another pipeline, at step 0
    with pytest.raises(SinkError, match="up to step 3, but the pipeline is at step 0"):
        fresh.sink("revenue", target)


def test_a_failed_sink_write_is_retried_before_the_next_step(tmp_path):
    """A real failure of the target (the JSON-lines log's commit record cannot be written while a
    directory stands in its way): the step commits, DeliveryError names the sink, and once the
    target works again the missed step is written first, in order."""
    path = tmp_path / "out.jsonl"
    p = shop()
    sink = p.sink("revenue", f"jsonl:{path}")
    p.insert("orders", [(1, "ada", 10)])
    p.step()
    blocker = tmp_path / "out.jsonl.deltasql.tmp"
    blocker.mkdir()
    p.insert("orders", [(2, "bob", 4)])
    with pytest.raises(DeliveryError, match="sink jsonl:") as e:
        p.step()
    assert e.value.step == 2 and e.value.view == "revenue"
    assert p.view("revenue").rows() == [("ada", 1, 10), ("bob", 1, 4)]
    assert sinkread.recorded(f"jsonl:{path}") == {"revenue": 1}
    assert len(sink.backlog) == 1
    blocker.rmdir()
    p.insert("orders", [(3, "cy", 1)])
    p.step()
    assert sink.backlog == []
    assert sinkread.recorded(f"jsonl:{path}") == {"revenue": 3}
    steps = [int(line.split(",")[0].split(":")[1]) for line in path.read_text().splitlines()]
    assert steps == sorted(steps) and set(steps) == {1, 2, 3}
    assert sinkread.read(f"jsonl:{path}", sink.schemas["revenue"]) == \
        sinkread.expected("jsonl", p.view("revenue").rows(), sink.schemas["revenue"])


def test_several_views_to_one_target_share_its_transactions(tmp_path):
    p = shop()
    target = f"sqlite:{tmp_path / 'out.sqlite'}"
    a = p.sink("revenue", target)
    b = p.sink(["big"], target)
    assert a is b and a.views == ["revenue", "big"] and len(p.sinks) == 1
    p.insert("orders", [(1, "ada", 10)])
    p.step()
    assert sinkread.recorded(target) == {"revenue": 1, "big": 1}


# -- Arrow and pandas -------------------------------------------------------------------------------

ARROW_SPEC = Spec(
    ddl="CREATE TABLE t(k INTEGER, s VARCHAR, d DECIMAL(10,2), f DOUBLE, b BOOLEAN, dt DATE, ts TIMESTAMP)",
    views={
        "agg": "SELECT s, COUNT(*) AS n, SUM(d) AS total, AVG(f) AS mean, MIN(dt) AS first_day, MAX(ts) AS last_ts, "
               "BOOL_AND(b) AS all_b, CAST(SUM(k) AS HUGEINT) AS hk, CAST(MIN(k) AS TINYINT) AS tk FROM t GROUP BY s",
        "rows": "SELECT k, s, b, dt + INTERVAL 1 MONTH AS next_month, INTERVAL 1 DAY * k AS span, NULL AS nothing FROM t",
    },
)


def test_to_arrow_equals_duckdbs_arrow_for_the_same_query():
    """Schema and rows of p.view(v).to_arrow() equal DuckDB's own to_arrow_table() of the view's query
    over the same rows, after every step of random streams."""
    pa = pytest.importorskip("pyarrow")
    duckdb = pytest.importorskip("duckdb")
    for seed in (1, 2):
        p = Pipeline()
        p.execute(ARROW_SPEC.ddl)
        con = duckdb.connect()
        con.execute(ARROW_SPEC.ddl)
        for name, sql in ARROW_SPEC.views.items():
            p.execute(f"CREATE VIEW {name} AS {sql}")
        for ops in gen_steps(RandomChooser(seed), ARROW_SPEC, n_steps=6):
            apply(p, ops)
            p.step()
            con.execute("DELETE FROM t")
            rows = p.table_rows("t")
            if rows:
                con.executemany("INSERT INTO t VALUES (?, ?, ?, ?, ?, ?, ?)", rows)
            for name, sql in ARROW_SPEC.views.items():
                ours = p.view(name).to_arrow()
                theirs = con.sql(sql).to_arrow_table()
                assert ours.schema.equals(theirs.schema), (name, ours.schema, theirs.schema)
                assert _arrow_rows(ours) == _arrow_rows(theirs), (seed, name)
            assert isinstance(ours, pa.Table)


def _arrow_rows(table) -> Counter:
    out = Counter()
    for rec in table.to_pylist():
        out[tuple(("NaN",) if isinstance(v, float) and v != v else v for v in rec.values())] += 1
    return out


def test_df_is_a_pandas_frame_of_the_rows():
    pd = pytest.importorskip("pandas")
    p = shop()
    p.insert("orders", [(1, "ada", 10), (2, "ada", 5), (3, None, 7)])
    p.step()
    df = p.view("revenue").df()
    assert isinstance(df, pd.DataFrame)
    assert list(df.columns) == ["customer", "n", "total"]
    assert sorted(map(tuple, df.astype(object).where(df.notna(), None).itertuples(index=False)),
                  key=str) == sorted(p.view("revenue").rows(), key=str)


# -- the command line -------------------------------------------------------------------------------

def test_cli_sinks_equal_the_views_and_the_jsonl_log_equals_the_printed_changes(tmp_path, capsys):
    pytest.importorskip("duckdb")
    from deltasql import cli

    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    views = os.path.join(root, "sql_examples", "shop.sql")
    changes = os.path.join(root, "sql_examples", "shop_changes.sql")
    targets = {"duckdb": f"duckdb:{tmp_path / 'o.duckdb'}", "sqlite": f"sqlite:{tmp_path / 'o.sqlite'}",
               "jsonl": f"jsonl:{tmp_path / 'o.jsonl'}", "csv": f"csv:{tmp_path / 'logs'}"}
    argv = ["run", views, changes, "--format", "jsonl"]
    for t in targets.values():
        argv += ["--sink", t]
    argv += ["--sink", f"revenue_by_region,top_customers=sqlite:{tmp_path / 'two.sqlite'}"]
    assert cli.main(argv) == 0
    printed = capsys.readouterr().out
    # the same run through the API, to compare the targets with the final views
    from deltasql.connectors.changefiles import read_units
    from deltasql.connectors.session import Session

    session = Session("duckdb")
    for unit in read_units(views, "duckdb") + read_units(changes, "duckdb"):
        session.apply(unit)
    q = session.p
    from deltasql.engine.feeds import view_schema

    for kind, target in targets.items():
        for name in q.views:
            sc = view_schema(q, name)
            assert sinkread.read(target, sc) == sinkread.expected(kind, q.view(name).rows(), sc), (kind, name)
    assert set(sinkread.recorded(f"sqlite:{tmp_path / 'two.sqlite'}")) == {"revenue_by_region", "top_customers"}
    step_lines = [line for line in printed.splitlines() if line.startswith('{"step"')]
    assert (tmp_path / "o.jsonl").read_text().splitlines()[-len(step_lines):] == step_lines


def test_cli_refuses_a_bad_sink_before_running(tmp_path, capsys):
    from deltasql import cli

    views = tmp_path / "v.sql"
    views.write_text("CREATE TABLE t(a INT); CREATE VIEW v AS SELECT a FROM t;")
    with pytest.raises(SystemExit) as e:
        cli.main(["run", str(views), "--sink", "mysql://h/db"])
    assert e.value.code == 2
    assert "unknown sink 'mysql://h/db'" in capsys.readouterr().err
    assert cli.main(["run", str(views), "--sink", f"w=sqlite:{tmp_path / 'x.sqlite'}"]) == 1
    assert "unknown view 'w'" in capsys.readouterr().err


@pytest.fixture(params=KINDS)
def kind(request):
    for module, kinds in (("pyarrow", ("parquet",)), ("psycopg", ("postgresql",)), ("duckdb", ("duckdb",))):
        if request.param in kinds:
            pytest.importorskip(module)
    return request.param



def test_view_names_are_found_as_the_dialect_folds_them(tmp_path):
    p = Pipeline()
    p.execute("CREATE TABLE t(a INT); CREATE VIEW Totals AS SELECT COUNT(*) AS n FROM t")
    got = []
    p.subscribe("TOTALS", lambda step, changes: got.append(changes))
    feed = p.sink("totals", f"sqlite:{tmp_path / 'o.sqlite'}")
    p.insert("t", [(1,)])
    p.step()
    assert sorted(got[0]) == [((0,), -1), ((1,), 1)]
    assert feed.views == [p.views[0]]


def test_subscribers_add_up_across_replacements_and_sql_transactions():
    """Rows at subscribing plus every change handed on equal the view after each step: through
    CREATE OR REPLACE VIEW (same columns: the difference comes with the next step), change statements
    that execute() commits on their own or as a transaction (each a step), and a ROLLBACK."""
    p = shop()
    p.insert("orders", [(1, "ada", 10), (2, "bob", 7)])
    p.step()
    start = Counter(p.view("big").rows())
    got = []
    p.subscribe("big", lambda step, changes: got.append((step, changes)))

    def check():
        total = start.copy()
        for _step, changes in got:
            for row, w in changes:
                total[row] += w
        assert +total == Counter(p.view("big").rows())

    p.execute("INSERT INTO orders VALUES (3, 'cy', 30)")  # autocommit: a step of its own
    check()
    p.execute("CREATE OR REPLACE VIEW big AS SELECT customer, amount FROM orders WHERE amount > 8")
    p.execute("BEGIN; INSERT INTO orders VALUES (4, 'dan', 9); DELETE FROM orders WHERE id = 1; COMMIT")
    check()
    p.execute("BEGIN; INSERT INTO orders VALUES (5, 'eve', 50); ROLLBACK")
    p.step()
    check()
    p.execute("CREATE OR REPLACE VIEW big AS SELECT customer, amount FROM orders WHERE amount > 100")
    p.step()  # the replacement alone: everything retracted
    check()
    assert [s for s, _ in got] == sorted(s for s, _ in got) and len({s for s, _ in got}) == len(got)
    assert p.view("big").rows() == []


def test_a_target_that_missed_a_replacement_starts_the_view_anew(kind, tmp_path, request):
    """A sink detached while its view was replaced by another query with the same columns: attached
    again, a database gets the new view's rows; a change log cannot follow and says so."""
    target = target_for(kind, tmp_path, request)
    p = shop()
    p.insert("orders", [(1, "ada", 10), (2, "bob", 7)])
    p.step()
    p.sink("big", target).close()
    p.execute("CREATE OR REPLACE VIEW big AS SELECT customer, amount FROM orders WHERE amount > 8")
    p.step()
    if kind in TABLE_KINDS:
        feed = p.sink("big", target)
        feed.close()
        assert sinkread.read(target, feed.schemas["big"]) == \
            sinkread.expected(kind, p.view("big").rows(), feed.schemas["big"])
        assert sinkread.recorded(target) == {"big": 2}
    else:
        with pytest.raises(SinkError, match="already holds view big"):
            p.sink("big", target)
