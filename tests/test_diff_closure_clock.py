"""A recursive CTE iterated by one counter (no scope nested in its body) keeps its histories keyed by
the iteration number as a plain int (runtime/nested/scope.py): differential tests against DuckDB of
closures under random edge insert/delete streams (duplicates, NULLs, a final retraction) on one and
on three simulated workers, the int times themselves, a step failing in the middle of the fixpoint
(nothing changes), and saved state of the other time form refused."""

import copy
import random

import duckdb
import pytest

from deltasql import DataError, Pipeline
from deltasql.runtime.nested import NestedDistinct, NestedJoin, Scope
from deltasql.runtime.state import StateMismatch, export_circuit
from tests.harness import RETRACT_ALL, Spec, check_seed, check_steps, examples

DDL = "CREATE TABLE e(src INT, dst INT)"
TC = ("WITH RECURSIVE r(a, b) AS (SELECT src, dst FROM e UNION SELECT r.a, e.dst FROM r JOIN e ON r.b = e.src) "
      "SELECT a, b FROM r")
SPEC = Spec(ddl=DDL, views={
    "tc": TC,
    "reach": "WITH RECURSIVE r(n) AS (SELECT 0 UNION SELECT e.dst FROM r JOIN e ON r.n = e.src) SELECT n FROM r",
    "tc_sum": f"SELECT a, COUNT(*) AS n FROM ({TC}) GROUP BY a",
    # a nested recursion keeps tuple times: its outer scope reads (i,), the inner one (i, j)
    "nested": "WITH RECURSIVE r(n) AS (SELECT 0 UNION SELECT x.b FROM (WITH RECURSIVE tc(a, b) AS "
              "(SELECT r.n, r.n FROM r UNION SELECT tc.a, e.dst FROM tc JOIN e ON tc.b = e.src) "
              "SELECT a, b FROM tc) x) SELECT n FROM r",
}, domains={"src": list(range(9)), "dst": list(range(9))})


@pytest.mark.parametrize("workers", [1, 3])
@pytest.mark.parametrize("seed", range(examples(4, 25)))
def test_closures_match_duckdb(seed, workers):
    options = {"workers": 3, "backend": "simulated"} if workers == 3 else {}
    check_seed(SPEC, 1000 + seed, **options)


def test_chain_built_and_cut_step_by_step():
    """A 12-edge chain built one edge a step from both ends, cut in the middle and mended, and a
    duplicate edge: each change ripples through the iterations the fixpoint computed before."""
    chain = [(k, k + 1) for k in range(12)]
    steps = [[("+", "e", x)] for x in chain[::2] + chain[1::2]]
    steps += [[("-", "e", (6, 7))], [("+", "e", (6, 7)), ("+", "e", (6, 7))], [("-", "e", (6, 7))],
              [("+", "e", (12, 0))], [("-", "e", (3, 4)), ("+", "e", (3, 4))], RETRACT_ALL]
    spec = Spec(ddl=DDL, views={"tc": TC}, domains=SPEC.domains)
    check_steps(spec, steps)


def _scopes(circuit):
    for op in circuit.ops:
        if isinstance(op, Scope):
            yield op
            yield from _scopes(op.body)


def _times(scope):
    for op in scope.body.ops:
        if isinstance(op, NestedDistinct):
            for history in (*op.ins.values(), *op.outs.values()):
                yield from history
        if isinstance(op, NestedJoin):
            for trace, static in zip((op.left_trace, op.right_trace), op.static):
                if static:  # a relation the recursion only reads: row -> weight, no times
                    assert all(type(w) is int for bucket in trace.values() for w in bucket.values())
                    continue
                for bucket in trace.values():
                    for history in bucket.values():
                        yield from history


def test_one_counter_times_are_ints_and_nested_ones_tuples():
    p = Pipeline()
    p.execute(DDL)
    p.execute(f"CREATE VIEW tc AS {TC}")
    p.execute(f"CREATE VIEW nested AS {SPEC.views['nested']}")
    p.insert("e", [(0, 1), (1, 2), (2, 3), (3, 1)])
    p.step()
    flat, outer, inner = list(_scopes(p.circuit))
    assert flat.one_counter and not outer.one_counter and not inner.one_counter
    joins = [op for s in (flat, outer, inner) for op in s.body.ops if isinstance(op, NestedJoin)]
    assert [j.static for j in joins] == [(False, True), (False, False)]  # not static in a nested scope
    assert {type(t) for t in _times(flat)} == {int} and max(_times(flat)) >= 2
    assert {len(t) for t in _times(outer)} == {1} and {len(t) for t in _times(inner)} == {2}


def _state(p):
    return copy.deepcopy((export_circuit(p.circuit), {t: p.table_rows(t) for t in p.tables},
                          {v: sorted(p.view(v).rows()) for v in p.views}))


def test_failing_step_inside_the_fixpoint_changes_nothing():
    """Joining two chains makes a path longer than max_iterations allows: the step fails after some
    iterations updated histories and scheduled work; everything is as it was, and later steps agree
    with a fresh pipeline."""
    def pipeline():
        p = Pipeline(max_iterations=8)
        p.execute(DDL)
        p.execute(f"CREATE VIEW tc AS {TC}")
        return p

    p = pipeline()
    rnd = random.Random(3)
    left = [(k, k + 1) for k in range(5)]
    right = [(k, k + 1) for k in range(10, 15)]
    extra = [(rnd.randrange(15), rnd.randrange(15)) for _ in range(6)]
    extra = [x for x in extra if not (x[0] < 10 <= x[1] or x[1] < x[0])]  # no path across, no cycle
    p.insert("e", left + right + extra)
    p.step()
    before = _state(p)
    p.insert("e", [(5, 10)])  # a path 0 -> 15 of 16 edges: iteration 8 still derives rows
    with pytest.raises(DataError, match="did not reach a fixpoint within 8 iterations"):
        p.step()
    assert _state(p) == before
    p.discard()
    p.delete("e", [(2, 3)])
    p.insert("e", [(4, 10)])  # now within the limit
    p.step()
    fresh = pipeline()
    fresh.insert("e", [x for x in left + right + extra + [(4, 10)] if x != (2, 3)])
    fresh.step()
    assert sorted(p.view("tc").rows()) == sorted(fresh.view("tc").rows())


def test_state_of_the_other_time_form_is_refused():
    p = Pipeline()
    p.execute(DDL)
    p.execute(f"CREATE VIEW tc AS {TC}")
    p.insert("e", [(0, 1), (1, 2)])
    p.step()
    scope = next(_scopes(p.circuit))
    saved = scope.export_state()
    assert saved["clock"] == "iteration"
    with pytest.raises(StateMismatch, match="saved times are tuples"):
        scope.import_state({**saved, "clock": "tuple"})


def test_failing_join_condition_mid_probe_changes_nothing():
    """The recursive join's condition overflows (BIGINT) for one edge, reached only after the probes
    of earlier rows filed them in the join's traces: the step fails and everything is as it was."""
    ddl = "CREATE TABLE e(src INT, dst INT, w BIGINT)"
    view = ("WITH RECURSIVE r(a, b) AS (SELECT src, dst FROM e UNION SELECT r.a, e.dst FROM r JOIN e "
            "ON r.b = e.src AND e.w * 4611686018427387904 >= 0) SELECT a, b FROM r")
    p = Pipeline()
    p.execute(ddl)
    p.execute(f"CREATE VIEW v AS {view}")
    good = [(k, k + 1, 1) for k in range(6)] + [(k, k + 2, 0) for k in range(5)]
    p.insert("e", good)
    p.step()
    before = _state(p)
    p.insert("e", [(6, 7, 1), (7, 8, 5)])  # (7, 8) is probed once rows reach 7, at iteration 1 and later
    with pytest.raises(DataError, match="(?i)overflow"):
        p.step()
    assert _state(p) == before
    p.discard()
    p.insert("e", [(6, 7, 1), (7, 8, 1)])
    p.step()
    con = duckdb.connect()
    con.execute(ddl)
    con.executemany("INSERT INTO e VALUES (?, ?, ?)", good + [(6, 7, 1), (7, 8, 1)])
    assert sorted(p.view("v").rows()) == sorted(con.execute(view).fetchall())
