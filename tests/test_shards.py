"""Sharded pipelines (engine/shards): the same answers as one worker, on every backend.

- the stable hash: equal SQL values hash alike whatever their type, in every process;
- exchanges are in the circuit (and in explain) for every stateful operator;
- every spec of the differential suite, run on three simulated workers against DuckDB (a seed each;
  DELTASQL_WORKERS=3 runs the whole suite sharded);
- failing steps and backfills change nothing on any worker;
- a subset on worker processes (NaN groups across processes, a killed worker).
The Ray backend has its own module (test_shards_ray.py).
"""

from __future__ import annotations

import datetime
import importlib
import os
import re
import subprocess
import sys
from collections import Counter
from decimal import Decimal

import pytest

from deltasql import DataError, Pipeline
from deltasql.compiler.routing import route_function
from deltasql.engine.shards import ShardsStopped, staging
from deltasql.runtime.hashing import value_hash
from deltasql.runtime.operators.exchange import Exchange
from deltasql.sqllib.dates import DATE_INFINITY, TIMESTAMP_NEG_INFINITY, Interval
from deltasql.sqllib.fardates import FarDate
from deltasql.sqllib.sqlfuncs import NAN
from tests.harness import (LONG, Mismatch, RandomChooser, Spec, ViewSpec, _project, diff_multisets, gen_steps,
                           harness, run)

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

DIFF_MODULES = ["aggregates", "asof", "dml", "expressions", "functions", "joins", "outer_joins", "recursion",
                "setops", "sqlite", "statistics", "subqueries", "time_windows", "topk"]


def _specs():
    out = []
    for m in DIFF_MODULES:
        mod = importlib.import_module(f"tests.test_diff_{m}")
        for name, spec in getattr(mod, "SPECS", {}).items():
            out.append(pytest.param(spec, id=f"{m}:{name}"))
    return out


# -- the hash -------------------------------------------------------------------------------------

EQUAL_CLASSES = [
    [1, 1.0, Decimal("1"), Decimal("1.000"), True],
    [0, 0.0, -0.0, Decimal("0"), Decimal("-0.00"), False],
    [2 ** 70, float(2 ** 70), Decimal(2 ** 70)],
    [1.5, Decimal("1.5"), Decimal("1.50")],
    [NAN, float("nan"), -float("nan")],
    [datetime.datetime(2024, 1, 1, 2, tzinfo=datetime.timezone(datetime.timedelta(hours=2))),
     datetime.datetime(2024, 1, 1, tzinfo=datetime.timezone.utc)],
    [Interval(1, 0, 0), Interval(0, 30, 0), datetime.timedelta(days=30)],
    [DATE_INFINITY, DATE_INFINITY],  # ('infinity' equals only itself: not the date 9999-12-31 it is built on)
    [TIMESTAMP_NEG_INFINITY, TIMESTAMP_NEG_INFINITY],
    [FarDate(-746_117), FarDate(-746_117)],  # a DATE before year 1 (sqllib/fardates.py), by its day
    [(1, "a", None), (1.0, "a", None)],
]


@pytest.mark.parametrize("values", EQUAL_CLASSES, ids=range(len(EQUAL_CLASSES)))
def test_equal_values_hash_alike(values):
    assert len({value_hash(v) for v in values}) == 1


SAMPLE = ["'abc'", "''", "'é'", "None", "3", "-1", "2.5", "float('nan')", "datetime.date(2024, 2, 29)",
          "datetime.datetime(2024, 2, 29, 13, 45, 10)", "datetime.time(1, 2, 3)", "(1, 'x', None)",
          "Decimal('-2.25')", "Interval(1, 2, 3)", "b'xy'", "FarDate(-746_117)"]


def test_hash_is_the_same_in_every_process():
    code = ("import datetime; from decimal import Decimal; from deltasql.sqllib.dates import Interval; "
            "from deltasql.sqllib.fardates import FarDate; from deltasql.runtime.hashing import value_hash; "
            f"print([value_hash(v) for v in [{', '.join(SAMPLE)}]])")
    outs = set()
    for seed in ("1", "2", "random"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        outs.add(subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                                check=True).stdout)
    assert len(outs) == 1


def test_route_parts_add_up_and_keep_keys_together():
    from deltasql.compiler.codegen import Codegen
    from deltasql.compiler.dialect import get_dialect
    from deltasql.compiler.expr import Col
    from deltasql.compiler.types import INTEGER, TEXT

    cg = Codegen(get_dialect("duckdb"))
    route = route_function(cg, (Col(0, INTEGER, True), Col(1, TEXT, True)), (True, False))
    delta = {(k % 5 if k % 7 else None, str(k % 3), k): (k % 3) - 1 or 2 for k in range(200)}
    for n in (1, 2, 3, 5):
        me = min(1, n - 1)
        parts = route(delta, n, me)
        assert len(parts) == n
        merged = {}
        for p in parts:
            assert not merged.keys() & p.keys()
            merged.update(p)
        assert merged == delta
        owner = {}
        for w, p in enumerate(parts):
            for r in p:
                if r[0] is None:
                    assert w == me  # a NULL join key never matches: it stays where it is
                else:
                    assert owner.setdefault(r[:2], w) == w


def test_a_step_is_cut_into_parts_that_add_up():
    """The coordinator cuts a step's rows into lists (engine/shards/wire.split); each worker's Z-set
    (wire.joined) is its part, and the parts add up to the step, weights and all."""
    from deltasql.engine.shards.wire import joined, split
    from deltasql.runtime.zset import plus
    inserts = {(i, f"r{i}"): 1 for i in range(10)}
    mixed = {**inserts, (20, None): -1, (21, "x"): 3}
    for delta in (inserts, mixed, {}):
        for n in (1, 2, 3, 4):
            parts = split(delta, n)
            assert len(parts) == n
            assert all(weights is None for _, weights in parts) == (delta is not mixed)
            zsets = [joined(p) for p in parts]
            assert plus(*zsets) == delta and sum(map(len, zsets)) == len(delta)


# -- the circuit ------------------------------------------------------------------------------------

def test_an_exchange_merges_parts_into_their_sum():
    """Exchange.merge: the union of parts without a row in common, the Z-set sum of parts with rows in
    common (weights added, a row whose weights cancel dropped), whatever the order; a part given
    alone comes back as it is, and no part is changed."""
    from deltasql.runtime.zset import plus
    a = {(i, "a"): 1 for i in range(50)}
    b = {(i, "b"): 2 for i in range(30)}
    shared = {(1, "a"): -1, (2, "a"): 2, (7, "z"): 1}  # cancels one row of a, adds to another
    ex = Exchange.__new__(Exchange)
    cases = [[a, b], [a, None, b, {}], [a, shared], [shared, a, b], [b, shared, a], [a, b, shared, {(7, "z"): -1}]]
    for parts in cases:
        before = [dict(p) if p else p for p in parts]
        merged = ex.merge(parts)
        assert merged == plus(*(p for p in parts if p)) and all(merged.values())
        assert parts == before
    assert ex.merge([None, a, {}]) is a and ex.merge([None, {}]) == {}


def test_explain_shows_the_exchanges():
    p = Pipeline()
    p.execute("CREATE TABLE o(id INT, c INT, amt INT); CREATE TABLE c(id INT, region VARCHAR);"
              "CREATE VIEW v AS SELECT c.region, SUM(o.amt) AS s FROM o JOIN c ON o.c = c.id GROUP BY c.region;"
              "CREATE VIEW n AS SELECT COUNT(*) AS n FROM o")
    text = p.explain("v")
    assert "Exchange[by c#1](" in text and "Exchange[by id#0](" in text
    # sums and counts travel as partial groups (local-global aggregation)
    assert "Exchange[partial aggregate by region#1](" in text
    assert "Exchange[partial aggregate, gather]" in p.explain("n")
    p.execute("CREATE VIEW m AS SELECT c, MAX(amt) AS top FROM o GROUP BY c")
    assert "Exchange[by c#1](" in p.explain("m")  # MAX keeps every value: the rows cross


# -- the differential suite, sharded ------------------------------------------------------------------

@pytest.mark.parametrize("spec", _specs())
def test_differential_sharded(spec, monkeypatch):
    """Every differential spec on three simulated workers, checked against DuckDB after every step, and
    step by step against one worker: every step() returns the same changes (floats within the spec's
    tolerance; only the compared columns of a view whose answer may vary, e.g. ties at a LIMIT), and a
    step that fails fails with the same error.  Every batch insert() is given is staged (checked and
    kept by the workers, engine/shards/staging.py), however small."""
    monkeypatch.setattr(staging, "STAGE_MIN", 1)
    h = harness(spec)
    for seed in range(3 if LONG else 1):
        steps = gen_steps(RandomChooser(seed), h)
        f = run(spec, steps, seed, workers=1)
        if f is not None:
            raise Mismatch(f)
        one = h.trace
        f = run(spec, steps, seed, workers=3, backend="simulated")
        if f is not None:
            raise Mismatch(f)
        assert len(h.trace) == len(one)
        for i, (a, b) in enumerate(zip(one, h.trace)):
            assert type(a) is type(b), (i, a, b)
            if isinstance(a, str):
                assert a == b, i
                continue
            assert list(a) == list(b), i
            for view, changes in a.items():
                columns = h.views[view].columns

                def rows(ch):
                    return [r + (w,) for r, w in zip(_project([r for r, _ in ch], columns), (w for _, w in ch))]

                missing, extra = diff_multisets(rows(changes), rows(b[view]), spec.loose_types, spec.rel_tol)
                assert not missing and not extra, (f"seed {seed}, step {i}, view {view}: one worker's changes "
                                                   f"{missing} not in the sharded step's, its {extra} extra")


def _same_as_one_worker(spec: Spec, seeds, **options):
    for seed in seeds:
        steps = gen_steps(RandomChooser(seed), harness(spec))
        f = run(spec, steps, seed, **options)
        if f is not None:
            raise Mismatch(f)


MIXED = Spec(
    "CREATE TABLE e(src INT, dst INT); CREATE TABLE n(id INT, g VARCHAR, x DOUBLE)",
    {"reach": "WITH RECURSIVE r(a, b) AS (SELECT src, dst FROM e UNION SELECT r.a, e.dst FROM r JOIN e "
              "ON r.b = e.src) SELECT a, b FROM r",
     "groups": "SELECT g, COUNT(*) AS c, SUM(x) AS s, MIN(x) AS m FROM n GROUP BY g",
     "total": "SELECT COUNT(*) AS c, MAX(x) AS m FROM n",
     "top": ViewSpec("SELECT id, x FROM n ORDER BY x DESC NULLS LAST, id LIMIT 3", columns=(1,)),
     "win": "SELECT id, g, ROW_NUMBER() OVER (PARTITION BY g ORDER BY id, x) AS rn FROM n WHERE id IS NOT NULL",
     "late": ViewSpec("SELECT n.g, e.dst FROM n JOIN e ON n.id = e.src", create_at=2),
     "dist": "SELECT DISTINCT g, x FROM n",
     "consts": "SELECT * FROM (VALUES (1, 'a'), (2, 'b')) t(k, v)"},
    domains={"src": [1, 2, 3, 4], "dst": [1, 2, 3, 4], "id": [1, 2, 3, 4, 5], "g": ["a", "b", "c"],
             "x": [1.0, 2.5, float("nan"), -0.0, 0.0]})


# every kind of state a partial group carries (operators/exchange.Combine): exact DECIMAL and float sums
# (with infinities), integer sums past 64 bits, counts, FILTER, a group key of two columns, a global
PARTIALS = Spec(
    "CREATE TABLE t(g VARCHAR, k INT, d DECIMAL(38, 10), x DOUBLE, i BIGINT)",
    {"by_g": "SELECT g, COUNT(*) AS n, COUNT(d) AS nd, SUM(d) AS sd, AVG(d) AS ad, SUM(x) AS sx, AVG(x) AS ax, "
             "SUM(i) AS si, AVG(i) AS ai, COUNT(*) FILTER (WHERE k > 2) AS nk, SUM(i) FILTER (WHERE k < 3) AS sk "
             "FROM t GROUP BY g",
     "by_gk": "SELECT g, k, SUM(x) AS s, COUNT(x) AS c FROM t GROUP BY g, k",
     "all": "SELECT COUNT(*) AS n, SUM(d) AS sd, AVG(x) AS ax, SUM(i) AS si FROM t"},
    domains={"g": ["a", "b", "c", "d"], "k": [1, 2, 3, 4],
             "d": [Decimal("1234567890123456789012345678.0123456789"), Decimal("-0.0000000001"), Decimal("2.5")],
             "x": [1.5, -2.25, 0.1, float("inf"), 1e300], "i": [2 ** 62, -3, 7]})


def test_partial_groups_add_up_like_rows():
    with Pipeline(workers=2, backend="simulated") as p:
        p.execute("CREATE TABLE t(g VARCHAR, x INT); CREATE VIEW v AS SELECT lower(g) AS g, SUM(x) AS s FROM t "
                  "GROUP BY lower(g)")
        p.insert("t", [("AbCd"[i % 4], i) for i in range(1000)])  # (cut every n-th row: the key is no column)
        p.step()
        # a worker sends at most one partial per group it saw, not its rows
        assert 0 < p._shards.stats["rows_exchanged"] <= 4
        assert sorted(p.view("v").rows()) == [("abcd"[g], sum(range(g, 1000, 4))) for g in range(4)]
    for kind, value in (("INT", int), ("VARCHAR", str)):
        with Pipeline(workers=2, backend="simulated") as p:
            p.execute(f"CREATE TABLE t(g {kind}, x INT); CREATE VIEW v AS SELECT g, SUM(x) AS s FROM t GROUP BY g")
            p.insert("t", [(value(i % 4), i) for i in range(1000)])
            p.step()
            # the rows were staged at the owner of their g, which owns the group (staging.owner_cut):
            # no partial crosses
            assert p._shards.stats["rows_exchanged"] == 0
            assert sorted(p.view("v").rows()) == [(value(g), sum(range(g, 1000, 4))) for g in range(4)]
    _same_as_one_worker(PARTIALS, range(3), workers=3, backend="simulated")
    _same_as_one_worker(PARTIALS, range(1), workers=2, backend="processes")


# a join under aggregates that add up: each worker folds the join's pairs straight into its partial
# groups (runtime/operators/exchange.Combine.split_fusions), by_id's with the Arrange of o done in the same
# loop (by_r and total share theirs); a step failing after the folds (by_r's cast of a sum past 32 bits)
# must undo that Arrange with the rest
JOIN_FOLDS = Spec(
    "CREATE TABLE o(id INT, c INT, amt BIGINT); CREATE TABLE c(c INT PRIMARY KEY, r VARCHAR)",
    {"by_r": "SELECT r, COUNT(*) AS n, CAST(SUM(amt) AS INTEGER) AS s FROM o JOIN c ON o.c = c.c GROUP BY r",
     "by_id": "SELECT o.id, SUM(amt) AS s, AVG(amt) AS a, COUNT(r) AS n FROM o JOIN c ON o.id = c.c GROUP BY o.id",
     "total": "SELECT COUNT(*) AS n, SUM(amt) AS s FROM c JOIN o USING (c)"},
    domains={"id": [1, 2, 3], "c": [1, 2, 3, 4], "r": ["x", "y", None], "amt": [1, 5, -2, 3_000_000_000]},
    keys={"c": ("c",)})


def test_a_join_under_partial_aggregates_is_folded_into_the_partial_groups():
    with Pipeline(workers=2, backend="simulated") as p:
        p.execute(JOIN_FOLDS.ddl)
        for name, view in JOIN_FOLDS.views.items():
            p.execute(f"CREATE VIEW {name} AS {view}")
        for w in p._shards.transport.workers:  # each view's partial aggregate folds its join
            assert len(w.replica.circuit._run.fused) == 3
    _same_as_one_worker(JOIN_FOLDS, range(4), workers=3, backend="simulated")
    _same_as_one_worker(JOIN_FOLDS, range(1), workers=2, backend="processes")


def test_threads_backend():
    _same_as_one_worker(MIXED, range(2), workers=3, backend="threads")


def test_one_simulated_worker():
    _same_as_one_worker(MIXED, range(1), workers=1, backend="simulated")


# -- failures change nothing --------------------------------------------------------------------------

@pytest.mark.parametrize("backend", ["simulated", "processes"])
def test_failed_step_and_backfill_change_nothing(backend):
    with Pipeline(workers=2, backend=backend) as p:
        p.execute("CREATE TABLE t(k INT, x BIGINT); "
                  "CREATE VIEW s AS SELECT k, CAST(SUM(x) AS INTEGER) AS s FROM t GROUP BY k; "
                  "CREATE VIEW c AS SELECT COUNT(*) AS n FROM t")
        p.insert("t", [(k, 1) for k in range(20)])
        p.step()
        before = (p.view("s").rows(), p.view("c").rows())
        p.insert("t", [(3, 3_000_000_000), (4, 1)])  # the cast fails on the worker owning group 3 only
        with pytest.raises(DataError, match=r"^s: integer overflow: 3000000001 does not fit"):
            p.step()
        assert (p.view("s").rows(), p.view("c").rows()) == before
        p.insert("t", [(4, 5)])
        assert p.step() == {"s": [((4, 1), -1), ((4, 6), 1)], "c": [((20,), -1), ((21,), 1)]}
        with pytest.raises(DataError, match=r"^view big: integer overflow: \d+ does not fit 64-bit integer; "
                                              r"nothing was changed$"):
            p.execute("CREATE VIEW big AS SELECT k, x * 10000000000 * 1000000000 AS y FROM t")
        assert "big" not in p.views
        p.execute("CREATE VIEW fine AS SELECT k, x FROM t WHERE x > 1")
        p.insert("t", [(5, 7)])
        assert p.step() == {"s": [((5, 1), -1), ((5, 8), 1)], "c": [((21,), -1), ((22,), 1)],
                            "fine": [((4, 5), 1), ((5, 7), 1)]}


@pytest.mark.parametrize("workers,backend", [(3, "simulated"), (2, "processes")])
def test_a_view_created_late_is_backfilled_from_the_coordinators_rows(workers, backend, monkeypatch):
    """Workers keep no table rows: a view created after steps is backfilled from each worker's part of
    the coordinator's rows of the tables it reads (staged batches, rows deleted and replaced since),
    beside the state of the operators it shares with older views, while a staged batch waits for the
    next step (which feeds it to the new views too); a backfill that fails leaves no rows behind on the
    workers.  Every answer as one worker gives it."""
    monkeypatch.setattr(staging, "STAGE_MIN", 10)
    ddl = ("CREATE TABLE o(id INT PRIMARY KEY, c INT, amount INT); CREATE TABLE c(c INT PRIMARY KEY, region VARCHAR); "
           "CREATE TABLE plain(x INT); "
           "CREATE VIEW by_c AS SELECT o.c, SUM(o.amount) AS s FROM o JOIN c ON o.c = c.c GROUP BY o.c")
    late = {"by_region": "SELECT c.region, COUNT(*) AS n, SUM(o.amount) AS s FROM o JOIN c ON o.c = c.c GROUP BY c.region",
            "big": "SELECT id, amount FROM o WHERE amount > 40",
            "xs": "SELECT x, COUNT(*) AS n FROM plain GROUP BY x"}

    def script(p):
        out = []
        p.execute(ddl)
        p.insert("c", [(k, "r" + str(k % 3)) for k in range(12)])
        p.insert("o", [(i, i % 12, i % 50) for i in range(200)])
        p.insert("plain", [(i % 4,) for i in range(30)])
        out.append(p.step())
        p.delete("o", [(i, i % 12, i % 50) for i in range(0, 200, 7)])
        p.upsert("o", [(3, 5, 99)])
        p.insert("o", [(i, i % 12, i % 50) for i in range(200, 260)])
        out.append(p.step())
        p.insert("o", [(i, i % 12, i % 50) for i in range(300, 330)])  # staged, queued while the views are built
        with pytest.raises(DataError):
            p.execute("CREATE VIEW bad AS SELECT id, amount * 10000000000 * 1000000000 AS z FROM o")
        for name, sql in late.items():
            p.execute(f"CREATE VIEW {name} AS {sql}")
        out.append(p.step())
        p.insert("o", [(i, i % 12, i % 50) for i in range(260, 300)])
        p.delete("plain", [(1,)])
        out.append(p.step())
        out.append({name: sorted(p.view(name).rows()) for name in ["by_c", *late]})
        return out

    with Pipeline() as one:
        expected = script(one)
    with Pipeline(workers=workers, backend=backend) as p:
        assert script(p) == expected


# -- worker processes ---------------------------------------------------------------------------------

def test_processes_subset():
    _same_as_one_worker(MIXED, range(2), workers=2, backend="processes")


def test_nan_is_one_group_across_processes():
    with Pipeline(workers=3, backend="processes") as p:
        p.execute("CREATE TABLE t(k INT, x DOUBLE); CREATE VIEW v AS SELECT x, COUNT(*) AS n FROM t GROUP BY x")
        p.insert("t", [(k, float("nan")) for k in range(30)] + [(k, 0.0) for k in range(10)]
                 + [(k, -0.0) for k in range(10, 20)])
        p.step()
        rows = p.view("v").rows()
        assert len(rows) == 2 and sorted(n for _, n in rows) == [20, 30]


@pytest.mark.parametrize("own_process", [True, False])
def test_a_worker_process_freezes_what_it_starts_with(monkeypatch, own_process):
    """A worker alone in its process moves what the process holds when it starts serving out of the
    collector's generations (gc.freeze); a worker thread of the pipeline's own process does not (the
    objects are the caller's)."""
    from deltasql.engine.shards.backends import QueueChannel
    from deltasql.engine.shards.worker import Worker

    frozen = []
    monkeypatch.setattr("gc.freeze", lambda: frozen.append(True))
    channel = QueueChannel(pickled=True)
    worker = Worker(0, 1, channel, own_process=own_process)
    channel.inbox.put(("ping",))
    channel.inbox.put(("stop",))
    worker.serve()
    assert channel.outbox.get() == ("done", 0) and channel.outbox.get() == ("done", None)
    assert frozen == ([True] if own_process else [])


def test_a_killed_worker_stops_the_pipeline():
    p = Pipeline(workers=2, backend="processes")
    try:
        p.execute("CREATE TABLE t(k INT); CREATE VIEW v AS SELECT k, COUNT(*) AS n FROM t GROUP BY k")
        p.insert("t", [(1,), (2,)])
        p.step()
        proc = p._shards.transport.procs[1]
        proc.kill()
        proc.join()
        p.insert("t", [(3,)])
        with pytest.raises(ShardsStopped, match=r"worker 1 died: process \d+ \(killed by signal 9\)"):
            p.step()
        with pytest.raises(ShardsStopped, match="stopped"):
            p.step()
        assert p.view("v").rows() == [(1, 1), (2, 1)]
    finally:
        p.close()

def test_a_worker_killed_after_the_decision_is_found_at_the_next_command():
    """A step's last round ("go") is posted on the processes backend: step() returns once every worker
    is told, and their "done" is read when the next round begins.  A worker that dies before it reads
    "go" leaves the step committed (the decision was made; the other worker committed it), and the
    next command stops the pipeline naming the dead worker."""
    import signal

    p = Pipeline(workers=2, backend="processes")
    try:
        p.execute("CREATE TABLE t(k INT, x INT); CREATE VIEW v AS SELECT k, SUM(x) AS s FROM t GROUP BY k")
        p.insert("t", [(1, 1), (2, 2)])
        p.step()
        victim = p._shards.transport.procs[1]

        def stop_at_commit(fed, meta, copied=None):
            def hook():
                os.kill(victim.pid, signal.SIGSTOP)  # it cannot read "go" any more
            return hook

        p._journal_hook = stop_at_commit
        p.insert("t", [(1, 10), (3, 3)])
        assert p.step() == {"v": [((1, 1), -1), ((1, 11), 1), ((3, 3), 1)]}
        del p._journal_hook
        victim.kill()
        victim.join()
        assert p.view("v").rows() == [(1, 11), (2, 2), (3, 3)]
        assert p.last_step == 2
        p.insert("t", [(4, 4)])
        with pytest.raises(ShardsStopped, match=r"worker 1 died: process \d+ \(killed by signal 9\)"):
            p.step()
        assert p.view("v").rows() == [(1, 11), (2, 2), (3, 3)]
    finally:
        p.close()



def _stream(rnd, n_steps):
    """Steps of edges (a chain with shortcuts: long fixpoints) and node rows, some deleted later."""
    steps, live = [], []
    for i in range(n_steps):
        ins = [("e", (rnd.randrange(40), rnd.randrange(40))) for _ in range(25)]
        ins += [("n", (rnd.randrange(40), "g%d" % rnd.randrange(5), float(rnd.randrange(9)))) for _ in range(10)]
        dels = [live.pop(rnd.randrange(len(live))) for _ in range(min(len(live), 8))] if i % 2 else []
        live += ins
        steps.append((ins, dels))
    return steps


def _apply(p, step):
    ins, dels = step
    for sign, batch in (("+", ins), ("-", dels)):
        for table in ("e", "n"):
            rows = [r for t, r in batch if t == table]
            if rows:
                (p.insert if sign == "+" else p.delete)(table, rows)
    return p.step()


def test_a_worker_killed_at_random_moments_leaves_whole_steps():
    """SIGKILL one worker process at a random moment of a stream of steps, many times.  The step it
    interrupts raises ShardsStopped naming the worker, its process and the signal; the pipeline holds
    whole steps only: its views and tables equal those of one worker after the same number of steps
    (the interrupted step either never happened, or, if every worker had finished it before the kill
    reached the commit, is committed and reported); every later step is refused."""
    import random
    import signal
    import threading
    import time

    rnd = random.Random(20)
    ddl = ("CREATE TABLE e(src INT, dst INT); CREATE TABLE n(id INT, g VARCHAR, x DOUBLE); "
           "CREATE VIEW reach AS WITH RECURSIVE r(a, b) AS (SELECT src, dst FROM e UNION "
           "SELECT r.a, e.dst FROM r JOIN e ON r.b = e.src) SELECT a, b FROM r; "
           "CREATE VIEW per AS SELECT n.g, COUNT(*) AS c, SUM(n.x) AS s FROM n JOIN e ON n.id = e.src GROUP BY n.g; "
           "CREATE VIEW total AS SELECT COUNT(*) AS c FROM n")
    trials = 30 if LONG else 6
    outcomes = Counter()
    for trial in range(trials):
        steps = _stream(rnd, 8)
        p = Pipeline(workers=2, backend="processes")
        try:
            p.execute(ddl)
            p.step()
            t0 = time.perf_counter()
            victim = p._shards.transport.procs[rnd.randrange(2)]
            # the first trial finds how long a stream takes; the others kill within that time
            delay = rnd.uniform(0, duration) if trial else None
            timer = threading.Timer(delay, os.kill, (victim.pid, signal.SIGKILL)) if trial else None
            if timer:
                timer.start()
            returned, stopped = [], None
            try:
                for step in steps:
                    returned.append(_apply(p, step))
            except ShardsStopped as e:
                stopped = e
            if timer:
                timer.join()
            else:
                duration = time.perf_counter() - t0
            if stopped is not None:
                assert re.search(r"worker [01] died: process \d+ \(killed by signal 9\)|its pipe closed",
                                 str(stopped)), str(stopped)
                committed = "committed" in str(stopped)
                outcomes["committed then stopped" if committed else "stopped"] += 1
                p.insert("n", [(1, "g1", 1.0)])
                with pytest.raises(ShardsStopped, match="stopped"):
                    p.step()
            else:
                outcomes["finished before the kill"] += 1
            p.discard()  # what the refused steps left queued
            done = p.last_step - 1  # the DDL's step came first
            with Pipeline() as one:
                one.execute(ddl)
                one.step()
                expected = [_apply(one, s) for s in steps[:done]]
                for v in ("reach", "per", "total"):
                    assert sorted(p.view(v).rows(), key=repr) == sorted(one.view(v).rows(), key=repr), (trial, v)
                for t in ("e", "n"):
                    assert sorted(p.table_rows(t)) == sorted(one.table_rows(t))
            # what step() reported, the interrupted step's changes included when it was committed
            got = returned + ([p.last_changes] if stopped is not None and done > len(returned) else [])
            assert [_rounded(c) for c in got] == [_rounded(c) for c in expected]
        finally:
            p.close()
    assert outcomes["stopped"] + outcomes["committed then stopped"] >= 1, outcomes  # the kills hit steps


def test_a_worker_killed_at_the_commit_point_leaves_the_step_committed():
    """A worker SIGKILLed after every worker finished the step and the coordinator took its changes
    (where a durable pipeline writes its journal): the step is committed — tables, views, last_step,
    and what step() would have returned (``last_changes``) hold it — StoppedAfterCommit says so, and
    the pipeline goes no further."""
    from deltasql.engine.shards import StoppedAfterCommit

    p = Pipeline(workers=2, backend="processes")
    try:
        p.execute("CREATE TABLE t(k INT, x INT); CREATE VIEW v AS SELECT k, SUM(x) AS s FROM t GROUP BY k")
        p.insert("t", [(1, 1), (2, 2)])
        p.step()
        victim = p._shards.transport.procs[1]

        def kill_at_commit(fed, meta, copied=None):
            def hook():
                victim.kill()
                victim.join()
            return hook

        p._journal_hook = kill_at_commit
        p.insert("t", [(1, 10), (3, 3)])
        with pytest.raises(StoppedAfterCommit, match=r"worker 1 died: process \d+ \(killed by signal 9\), after "
                                                     r"every worker had finished the step: the step is committed"):
            p.step()
        assert p.last_step == 2
        assert p.last_changes == {"v": [((1, 1), -1), ((1, 11), 1), ((3, 3), 1)]}
        assert p.view("v").rows() == [(1, 11), (2, 2), (3, 3)]
        assert p.table_rows("t") == [(1, 1), (1, 10), (2, 2), (3, 3)]
        p.insert("t", [(4, 4)])
        with pytest.raises(ShardsStopped, match="stopped"):
            p.step()
    finally:
        p.close()


DURABLE_DDL = ("CREATE TABLE e(src INT, dst INT); CREATE TABLE n(id INT, g VARCHAR, x DOUBLE); "
               "CREATE VIEW reach AS WITH RECURSIVE r(a, b) AS (SELECT src, dst FROM e UNION "
               "SELECT r.a, e.dst FROM r JOIN e ON r.b = e.src) SELECT a, b FROM r; "
               "CREATE VIEW per AS SELECT n.g, COUNT(*) AS c, SUM(n.x) AS s FROM n JOIN e ON n.id = e.src GROUP BY n.g; "
               "CREATE VIEW total AS SELECT COUNT(*) AS c FROM n; "
               "CREATE VIEW top AS SELECT id, g, x FROM n ORDER BY x DESC, id, g LIMIT 3")


def _same_state(p, one):
    for v in ("reach", "per", "total", "top", "late"):
        if v in one.views:
            assert sorted(p.view(v).rows(), key=repr) == sorted(one.view(v).rows(), key=repr), v
    for t in ("e", "n"):
        assert sorted(p.table_rows(t)) == sorted(one.table_rows(t)), t


@pytest.mark.parametrize("backend", ["simulated", "processes"])
def test_durable_sharded_pipeline_reopens_like_one_worker(tmp_path, backend):
    """Pipeline(path=..., workers=2): checkpoints hold every worker's shard at one step; a reopen
    (from a checkpoint and the journal after it, a view created in between) goes on exactly like a
    pipeline of one worker that never stopped; so does a reopen with another number of workers (3, or
    one in the pipeline's process), which computes the operators' state again from the tables."""
    from deltasql.engine.storage import StorageError

    rnd = __import__("random").Random(7)
    steps = _stream(rnd, 12)
    path = str(tmp_path / "state.db")
    one = Pipeline()
    p = Pipeline(path=path, workers=2, backend=backend, checkpoint_every=3)
    try:
        for q in (p, one):
            q.execute(DURABLE_DDL)
            q.step()
        for i, step in enumerate(steps):
            if i in (4, 9):  # reopen: from the checkpoint of step 3 (6) and the journal after it
                p.close(checkpoint=i == 9)
                p = Pipeline(path=path, workers=2, backend=backend, checkpoint_every=3)
                _same_state(p, one)
            if i == 6:
                for q in (p, one):
                    q.execute("CREATE VIEW late AS SELECT n.g, e.dst FROM n JOIN e ON n.id = e.src")
            assert _rounded(_apply(p, step)) == _rounded(_apply(one, step)), i
        _same_state(p, one)
        extra = _stream(rnd, 6)
        for i, (workers, how) in enumerate(((3, backend), (1, None), (2, backend), (2, backend))):
            # 2 -> 3 and 1 -> 2 from a checkpoint; 3 -> 1 from the 2 workers' checkpoint and the journal the 3
            # wrote; then 2 -> 2 from the checkpoint of 2 made after it
            p.close(checkpoint=i != 1)
            p = Pipeline(path=path, workers=workers, backend=how, checkpoint_every=100)
            assert p.workers == workers
            _same_state(p, one)
            for step in extra[2 * i:2 * i + 2]:
                assert _rounded(_apply(p, step)) == _rounded(_apply(one, step)), (workers, step)
        _same_state(p, one)
    finally:
        p.close()
        one.close()


def _rounded(changes: dict) -> dict:
    return {v: sorted(((tuple(round(x, 9) if isinstance(x, float) else x for x in r), w) for r, w in rows), key=repr)
            for v, rows in changes.items()}


# -- the command line ---------------------------------------------------------------------------------

EXAMPLES = {"shop": ["shop.sql", "shop_changes.sql"], "bank": ["bank.sql", "bank.accounts.csv", "bank_transfers.jsonl"],
            "graph": ["graph.sql", "graph.links.csv", "graph_changes.sql"], "org": ["org.sql", "org_changes.sql"]}


def _cli(*args) -> str:
    r = subprocess.run([sys.executable, "-m", "deltasql", *args], cwd=os.path.join(ROOT, "sql_examples"),
                       capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr
    return r.stdout


@pytest.mark.parametrize("name", EXAMPLES)
def test_cli_workers_print_what_one_worker_prints(name):
    files = EXAMPLES[name]
    one = _cli("run", *files, "--format", "jsonl")
    assert one and _cli("run", *files, "--format", "jsonl", "--workers", "3", "--backend", "simulated") == one
    if name == "graph":  # recursion, across processes
        assert _cli("run", *files, "--format", "jsonl", "--workers", "2") == one


def test_cli_state_file_with_workers(tmp_path):
    """run --state PATH --workers 2 keeps a sharded state file; run and state reopen it with --workers 2,
    and with one worker or three (the state computed again from the tables) they say the same."""
    state = str(tmp_path / "shop.db")
    first = _cli("run", "shop.sql", "shop_changes.sql", "--state", state, "--workers", "2", "--format", "jsonl")
    assert first
    shown = _cli("state", state, "--workers", "2")
    assert "last step: 8" in shown
    assert _cli("state", state) == shown == _cli("state", state, "--workers", "3")


def test_repartition_refused_where_views_depend_on_watermarks(tmp_path):
    """A state whose tables have watermarks is reopened only with the number of workers that saved it:
    its views' state depends on the steps that brought the rows (late rows dropped), not only on them."""
    from deltasql.engine.storage import StorageError

    path = str(tmp_path / "state.db")
    with Pipeline(path=path, workers=2, backend="simulated") as p:
        p.execute("CREATE TABLE t(k INT, ts TIMESTAMP NOT NULL LATENESS INTERVAL '2' SECONDS);"
                  "CREATE MATERIALIZED VIEW c AS SELECT k, COUNT(*) AS n FROM t GROUP BY k")
        p.insert("t", [(1, "2026-01-01 00:00:10"), (2, "2026-01-01 00:00:11")])
        p.step()
        p.insert("t", [(1, "2026-01-01 00:00:01")])  # late: dropped
        p.step()
        rows = p.view("c").rows()
    for workers in (3, 1):
        with pytest.raises(StorageError, match="depend on watermarks or NOW\\(\\), so it cannot be split again: "
                                               "open it with workers=2"):
            Pipeline(path=path, workers=workers, backend="simulated" if workers > 1 else None)
    with Pipeline(path=path, workers=2, backend="simulated") as p:
        assert p.view("c").rows() == rows


# -- state: what a checkpoint of a sharded pipeline holds ---------------------------------------------

def test_sharded_state_moves_to_a_pipeline_built_alike():
    """Every worker's state, exported between steps and imported into a pipeline built by the same DDL
    with as many workers, goes on exactly like the original (the building block of a sharded
    checkpoint: every shard at one step)."""
    from deltasql.runtime.state import export_circuit, import_circuit

    ddl = ("CREATE TABLE e(src INT, dst INT); CREATE TABLE n(id INT, g VARCHAR); "
           "CREATE VIEW reach AS WITH RECURSIVE r(a, b) AS (SELECT src, dst FROM e UNION "
           "SELECT r.a, e.dst FROM r JOIN e ON r.b = e.src) SELECT a, b FROM r; "
           "CREATE VIEW per AS SELECT n.g, COUNT(*) AS c FROM n JOIN e ON n.id = e.src GROUP BY n.g")
    batches = [[(1, 2), (2, 3), (3, 4)], [(4, 1), (2, 5)], [(5, 6)]]
    a = Pipeline(workers=3, backend="simulated")
    b = Pipeline(workers=3, backend="simulated")
    try:
        for p in (a, b):
            p.execute(ddl)
        a.insert("n", [(i, "g%d" % (i % 2)) for i in range(7)])
        a.insert("e", batches[0])
        a.step()
        b.insert("n", [(i, "g%d" % (i % 2)) for i in range(7)])  # queued in b's tables, as a's were
        b._tables["n"].commit()
        b._tables["e"].queue_insert(batches[0])
        b._tables["e"].commit()
        import_circuit(b.circuit, export_circuit(a.circuit))
        b._shards.import_state(a._shards.export_state())
        for rows in batches[1:]:
            a.insert("e", rows)
            b.insert("e", rows)
            assert a.step() == b.step()
        a.delete("e", [(2, 3)])
        b.delete("e", [(2, 3)])
        assert a.step() == b.step()
        assert a.view("reach").rows() == b.view("reach").rows()
        with Pipeline(workers=2, backend="simulated") as c:
            c.execute(ddl)
            with pytest.raises(ValueError, match="workers=3"):
                c._shards.import_state(a._shards.export_state())
    finally:
        a.close()
        b.close()


def test_a_step_costs_a_round_per_exchange_depth():
    """The exchanges of one depth (both sides of each join, every view's first exchange) share a round:
    a step is (deepest exchange + 2) rounds, whatever the number of views, less the depths that move no
    row (staging.local_exchanges)."""
    with Pipeline(workers=2, backend="simulated") as p:
        p.execute("CREATE TABLE o(id INT, c INT, amt INT); CREATE TABLE c(id INT, region VARCHAR)")
        for i in range(5):
            p.execute(f"CREATE VIEW v{i} AS SELECT c.region, SUM(o.amt + {i}) AS s FROM o JOIN c ON o.c = c.id "
                      f"GROUP BY c.region")
        p.execute("CREATE VIEW by_amt AS SELECT o.amt, c.region FROM o JOIN c ON o.amt = c.id")  # (o by amt)
        p.insert("o", [(1, 1, 10)])
        p.step()
        before = dict(p._shards.stats)
        p.insert("o", [(2, 1, 5)])
        p.step()
        assert p._shards.stats["rounds"] - before["rounds"] == 2 + 2
        # every exchange of the circuit takes part once: the join's two and by_amt's o by amt (c's by id is
        # shared) at the first depth, the five aggregates' at the second, in 2 rounds instead of 8 (a depth
        # takes no round only when none of its exchanges moves a row: without by_amt, o's queue cut by c
        # and c unchanged, the first depth would take none)
        exchanges = sum(isinstance(op, Exchange) for op in p.circuit.ops)
        assert exchanges == 2 + 5 + 1
        assert p._shards.stats["exchanges"] - before["exchanges"] == exchanges
