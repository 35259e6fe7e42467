"""A recursive join's trace of its recursive side kept as the UNION distinct's output history
(runtime/nested/shared_trace.py), and the join's pairs judged as they are made (NestedDistinct's
fusion, compiler/nested_judge.py): differential tests against DuckDB of recursive CTEs of several
shapes under random insert/delete streams (duplicates, NULLs, a final retraction) on one worker
(shared and fused) and on three simulated workers (not shared); the saved state equal to what the
join keeps unshared after every step; rows derived along several paths retracted one path at a
time; a step failing in the fused loop, and a durable pipeline reopened."""

import copy
import random

import duckdb
import pytest

from deltasql import DataError, Pipeline
from deltasql.runtime.nested import NestedDistinct, NestedJoin, Scope, scope as scope_module
from deltasql.runtime.arrangement import index_delta
from deltasql.runtime.nested import shared_trace
from deltasql.runtime.state import export_circuit
from tests.harness import RETRACT_ALL, Spec, check_seed, check_steps, examples

DDL = "CREATE TABLE e(src INT, dst INT)"
TC = ("WITH RECURSIVE r(a, b) AS (SELECT src, dst FROM e UNION SELECT r.a, e.dst FROM r JOIN e ON r.b = e.src) "
      "SELECT a, b FROM r")
VIEWS = {
    "tc": TC,
    # the recursive side on the right of the join
    "tc_right": "WITH RECURSIVE r(a, b) AS (SELECT src, dst FROM e UNION SELECT e.src, r.b FROM e JOIN r "
                "ON e.dst = r.a) SELECT a, b FROM r",
    # a residual condition and a computed output
    "tc_residual": "WITH RECURSIVE r(a, b, n) AS (SELECT src, dst, 1 FROM e UNION SELECT r.a, e.dst, "
                   "LEAST(r.n + 1, 4) FROM r JOIN e ON r.b = e.src AND e.dst <> r.a) SELECT a, b, n FROM r",
    # a key of two columns, one of them nullable
    "tc_pair": "WITH RECURSIVE r(a, b, c) AS (SELECT src, dst, dst % 3 FROM e UNION SELECT r.a, e.dst, e.dst % 3 "
               "FROM r JOIN e ON r.b = e.src AND r.c = e.src % 3) SELECT a, b, c FROM r",
    # no anchor of its own beside the constant: the join's output and a VALUES row
    "reach": "WITH RECURSIVE r(n) AS (SELECT 0 UNION SELECT e.dst FROM r JOIN e ON r.n = e.src) SELECT n FROM r",
    # above the fixpoint: an aggregate of the closure
    "tc_count": f"SELECT a, COUNT(*) AS n FROM ({TC}) GROUP BY a",
}
SPEC = Spec(ddl=DDL, views=VIEWS, domains={"src": list(range(8)), "dst": list(range(8))})


def _scopes(circuit):
    for op in circuit.ops:
        if isinstance(op, Scope):
            yield op
            yield from _scopes(op.body)


def _shared_joins(p):
    return [op for s in _scopes(p.circuit) for op in s.body.ops if isinstance(op, NestedJoin) and op.shared]


@pytest.mark.parametrize("workers", [1, 3])
@pytest.mark.parametrize("seed", range(examples(4, 25)))
def test_recursive_views_match_duckdb(seed, workers):
    options = {"workers": 3, "backend": "simulated"} if workers == 3 else {}
    check_seed(SPEC, 2000 + seed, **options)


def test_shared_and_fused_on_one_worker_only(monkeypatch):
    """Every view above shares its join's trace on one worker (and its generated step fuses the join
    into the distinct); on three workers the exchanges move rows, so no join shares."""
    taken = []

    def activate(join):
        shared_trace.activate(join)
        taken.append(join.shared)

    monkeypatch.setattr(scope_module, "activate", activate)
    p = Pipeline()
    p.execute(DDL)
    for name, sql in VIEWS.items():
        p.execute(f"CREATE VIEW {name} AS {sql}")
    p.insert("e", [(0, 1), (1, 2), (2, 0), (2, 3)])
    p.step()
    assert taken == [True] * len(VIEWS)
    assert all(s._tail is not None for s in _scopes(p.circuit))  # (iterations after the first: the fused distinct)
    for j in _shared_joins(p):
        d = j.share.distinct
        assert d.index == index_delta(d.outs, j.share.key)
        run = d.circuit.runner()
        assert "eval_fused" in str(run.__globals__[f"e{d.circuit.ops.index(d)}"])
    taken.clear()
    q = Pipeline(workers=3, backend="simulated")
    try:
        q.execute(DDL)
        q.execute(f"CREATE VIEW tc AS {TC}")
        q.insert("e", [(0, 1), (1, 2)])
        q.step()
        assert taken and not any(taken)
        assert not any(s._tail for s in _scopes(q.circuit))
        assert sorted(q.view("tc").rows()) == [(0, 1), (0, 2), (1, 2)]
    finally:
        q.close()


def _pipelines(monkeypatch):
    """Pipelines with every view: one that shares (and fuses), one that shares but runs every
    operator by itself (a row limit leaves fusions out), one that does not share (activate left
    out)."""
    def make(**options):
        p = Pipeline(**options)
        p.execute(DDL)
        for name, sql in VIEWS.items():
            p.execute(f"CREATE VIEW {name} AS {sql}")
        return p

    shared, unfused = make(), make(max_step_rows=10 ** 9)
    monkeypatch.setattr(scope_module, "activate", lambda join: None)
    plain = make()
    monkeypatch.undo()
    return shared, unfused, plain


def test_saved_state_is_the_unshared_join_state(monkeypatch):
    """After every step of a random stream (duplicate edges, NULLs, deletions, a final retraction),
    the shared pipelines' saved state (the join's trace derived from the distinct's history) equals
    the state of a pipeline whose joins keep their own traces, and so do the steps' answers."""
    shared, unfused, plain = _pipelines(monkeypatch)
    assert _shared_joins(shared) and _shared_joins(unfused) and not _shared_joins(plain)
    rnd = random.Random(7)
    live: list = []
    for _ in range(40):
        changes = []
        for _ in range(rnd.randrange(1, 4)):
            if live and rnd.random() < 0.4:
                changes.append(("-", live.pop(rnd.randrange(len(live)))))
            else:
                e = (rnd.choice([None, *range(7)]), rnd.choice([None, *range(7)]))
                live.append(e)
                changes.append(("+", e))
        changes.append(("+", (1, 2)))  # a duplicate edge, more of them as the stream goes
        live.append((1, 2))
        answers = []
        for p in (shared, unfused, plain):
            for sign, e in changes:
                (p.insert if sign == "+" else p.delete)("e", [e])
            answers.append(p.step())
        assert answers[0] == answers[1] == answers[2]
        assert export_circuit(shared.circuit) == export_circuit(unfused.circuit) == export_circuit(plain.circuit)
    for p in (shared, unfused, plain):
        p.delete("e", live)
        p.step()
        assert all(not p.view(name).rows() for name in VIEWS if name != "reach")
        assert p.view("reach").rows() == [(0,)]
    assert export_circuit(shared.circuit) == export_circuit(unfused.circuit) == export_circuit(plain.circuit)


def test_rows_derived_along_several_paths_retracted_one_path_at_a_time():
    """0 reaches 3 along three paths and 4, 5 through 3; removing the paths one edge a step keeps the
    rows until the last path goes, then putting one back brings them again; duplicate edges too."""
    edges = [(0, 1), (1, 3), (0, 2), (2, 3), (0, 3), (3, 4), (4, 5), (5, 3)]
    steps = [[("+", "e", x) for x in edges], [("+", "e", (1, 3))], [("-", "e", (0, 3))], [("-", "e", (1, 3))],
             [("-", "e", (1, 3))], [("-", "e", (2, 3))], [("+", "e", (0, 3)), ("-", "e", (0, 1))],
             [("-", "e", (0, 3)), ("+", "e", (2, 3))], [("-", "e", (3, 4)), ("+", "e", (0, 4))], RETRACT_ALL]
    check_steps(Spec(ddl=DDL, views=VIEWS, domains=SPEC.domains), steps)


def _state(p):
    return copy.deepcopy((export_circuit(p.circuit), {v: sorted(p.view(v).rows()) for v in p.views}))


def test_failing_step_in_the_fused_loop_changes_nothing():
    """The recursive join's output overflows (BIGINT) for one row, judged after other rows of the
    same iteration were: the step fails, the histories, the index and the join's trace are as
    they were, and later steps agree with DuckDB."""
    ddl = "CREATE TABLE e(src BIGINT, dst BIGINT)"
    view = ("WITH RECURSIVE r(a, b, s) AS (SELECT src, dst, src FROM e UNION SELECT e.src, r.b, e.src * r.s "
            "FROM e JOIN r ON e.dst = r.a) SELECT a, b, s FROM r")
    p = Pipeline()
    p.execute(ddl)
    p.execute(f"CREATE VIEW v AS {view}")
    good = [(k, k + 1) for k in range(1, 6)]
    p.insert("e", good)
    p.step()
    (join,) = _shared_joins(p)
    before = _state(p)
    # iteration 1 judges (2**40, 1, 7 * 2**40), then meets 2**40 * 2**40
    p.insert("e", [(7, 1), (8, 1), (2 ** 40, 7), (2 ** 40, 2 ** 40)])
    with pytest.raises(DataError, match="(?i)overflow"):
        p.step()
    assert _state(p) == before
    d = join.share.distinct
    assert d.index == index_delta(d.outs, join.share.key)
    p.discard()
    more = [(7, 1), (8, 1), (9, 7)]
    p.insert("e", more)
    p.step()
    con = duckdb.connect()
    con.execute(ddl)
    con.executemany("INSERT INTO e VALUES (?, ?)", good + more)
    assert sorted(p.view("v").rows()) == sorted(con.execute(view).fetchall())


def test_durable_pipeline_reopened(tmp_path):
    """A pipeline with a state file, closed and reopened between random steps: its recursive views
    continue as a pipeline that never closed (the shared trace saved in the join's own form and
    the distinct's index rebuilt from its history on reopen)."""
    path = str(tmp_path / "state")
    twin = Pipeline()
    p = Pipeline(path=path, checkpoint_every=3)  # (reopened from a checkpoint and the journal after it)
    for q in (p, twin):
        q.execute(DDL)
        q.execute(f"CREATE VIEW tc AS {TC}")
        q.execute(f"CREATE VIEW tc_right AS {VIEWS['tc_right']}")
    rnd = random.Random(11)
    live: list = []
    for n in range(24):
        if live and rnd.random() < 0.35:
            batch, sign = [live.pop(rnd.randrange(len(live)))], "-"
        else:
            batch, sign = [(rnd.randrange(8), rnd.randrange(8)) for _ in range(rnd.randrange(1, 3))], "+"
            live += batch
        for q in (p, twin):
            (q.insert if sign == "+" else q.delete)("e", batch)
            q.step()
        if n % 5 == 4:
            p.close()
            p = Pipeline(path=path, checkpoint_every=3)
        for name in ("tc", "tc_right"):
            assert sorted(p.view(name).rows()) == sorted(twin.view(name).rows())
    p.insert("e", [(0, 1)])
    p.step()
    assert len(_shared_joins(p)) == 2
    for j in _shared_joins(p):
        d = j.share.distinct
        assert d.index == index_delta(d.outs, j.share.key)
    p.close()


def test_distinct_before_the_join_in_the_body_is_not_shared():
    """Mutual recursion where the join reading a distinct's feedback runs after that distinct in an
    iteration: the history would hold the iteration's own output, which the join sees only one
    iteration later, so that join keeps its own trace (a NULL key in the stream, as found)."""
    view = ("WITH RECURSIVE ev(n) AS (SELECT 0 UNION SELECT e.dst FROM od JOIN e ON od.n = e.src), "
            "od(n) AS (SELECT e.dst FROM ev JOIN e ON ev.n = e.src) SELECT n FROM od")
    p = Pipeline()
    p.execute(DDL)
    p.insert("e", [(0, None), (None, None), (0, 1), (1, 2), (2, 3)])
    p.step()
    p.execute(f"CREATE VIEW v AS {view}")
    assert not _shared_joins(p)
    assert not any(isinstance(op, NestedDistinct) and op.index is not None
                   for s in _scopes(p.circuit) for op in s.body.ops)
    # (DuckDB has no mutual recursion) ev = {0, 2}; od, a bag, the dst of each edge leaving ev
    assert sorted(p.view("v").rows(), key=repr) == [(1,), (3,), (None,)]
    p.delete("e", [(1, 2)])
    p.step()
    assert sorted(p.view("v").rows(), key=repr) == [(1,), (None,)]


def test_checkpoint_of_a_circuit_without_the_shared_form_is_refused(tmp_path, monkeypatch):
    """A checkpoint written where the recursive join kept its own trace (as before shared traces:
    no generated code for the shared form) is refused on reopen, saying why; the journal alone
    (no checkpoint) replays into the new form."""
    from deltasql.engine.storage import StorageError
    from deltasql.compiler import lower

    def build(path, checkpoint):
        p = Pipeline(path=path, checkpoint_every=1 if checkpoint else 10 ** 6)
        p.execute(DDL)
        p.execute(f"CREATE VIEW tc AS {TC}")
        p.insert("e", [(0, 1), (1, 2), (2, 0)])
        p.step()
        p.close(checkpoint=checkpoint)

    monkeypatch.setattr(lower, "_share_traces", lambda *args: None)
    build(str(tmp_path / "old"), True)
    build(str(tmp_path / "journal"), False)
    monkeypatch.undo()
    with pytest.raises(StorageError, match="checkpoint was taken from a circuit that this deltasql"):
        Pipeline(path=str(tmp_path / "old"))
    p = Pipeline(path=str(tmp_path / "journal"))
    assert len(p.view("tc").rows()) == 9 and len(_shared_joins(p)) == 1
    p.close()
