"""Circuit.run_ops backfill: operators added to a live circuit, fed the integrals of the operators they
read, end in the same state as if they had been in the circuit from the start.

Two circuits see the same random history.  One has every operator from the start; the other starts
with only the base operators, and at a random tick the rest are added and backfilled by ``run_ops``
with seeds as the compiler makes them (an Input's integrated contents, an Arrange's or Output's
``integral()``), then the journal is committed.  From then on the two must agree on all state, except
the last-delta holders (Output.delta) right after the backfill, which saw one big delta.
"""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from deltasql.runtime import Circuit
from deltasql.runtime.aggregates import CountStar, Max, Reducer, StringAgg, Sum
from deltasql.runtime.operators import (Aggregate, Arrange, Constant, Distinct, Input, Integrate, Join, Map, Output, Plus,
                               Semijoin, SetOp, TopK)
from deltasql.runtime.zset import add_into

from runtime_support import (assert_state_equal, bag_streams, build_nested, circuit_state, closure, closure_scope,
                             examples, positive)

EDGES = st.tuples(st.integers(0, 4), st.integers(0, 4))
STREAMS = bag_streams(EDGES, max_len=6, max_edits=4, min_len=1)


def src(r):
    return (r[0],)


def dst(r):
    return (r[1],)


def build_base(c):
    e, f = c.add(Input("E")), c.add(Input("F"))
    by_src = c.add(Arrange(e, src))
    out_e = c.add(Output(e, "E"))
    c.add(Output(c.add(Join(by_src, c.add(Arrange(f, dst)), lambda a, b: (a, b)))))
    return e, f, by_src, out_e


def build_new(c, e, f, by_src, out_e):
    """Operators that read the base: an existing arrangement (alone and on both sides of a join), an
    Input, an Output, and every stateful operator kind including 2-D and 3-D scopes."""
    first = len(c.ops)
    outs = [
        c.add(Join(by_src, c.add(Arrange(f, dst)), lambda a, b: (b[0], a[1]))),
        c.add(Join(by_src, by_src, lambda a, b: (a[1], b[1]))),
        c.add(Join(c.add(Arrange(e, dst)), by_src, lambda a, b: (a[0], b[1]))),
        c.add(Aggregate(e, src, Reducer([CountStar(), Max(), Sum("float"), StringAgg()],
                                        [lambda r: 1, lambda r: r[1], lambda r: r[1] / 3,
                                         lambda r: (r[1], str(r[1]))]))),
        c.add(Aggregate(f, lambda r: (), Reducer([CountStar()], [lambda r: 1]), global_=True)),
        c.add(Distinct(c.add(Map(out_e, src)))),
        c.add(Semijoin(e, f, src, dst, "mark")),
        c.add(SetOp(e, f, "except_all")),
        c.add(SetOp(e, f, "intersect")),
        c.add(TopK(e, lambda r: r[0], lambda r: (r[1], r), 1, 1)),
        c.add(Plus(e, c.add(Constant({(0, 0): 2})))),
        closure_scope(c, e),
        closure_scope(c, e, nonlinear=True),
        *build_nested(c, c.add(Map(f, src)), e, c.add(Map(f, dst))),
    ]
    for op in outs:
        c.add(Output(op))
    c.add(Integrate(f))  # its output is a value, not a delta: compared as state, not through an Output
    return c.ops[first:]


def seeds_for(created, totals):
    """The compiler's seeds: each existing operator read by a new one presents its integral."""
    inside = set(map(id, created))
    seeds = {}
    for op in created:
        for i in op.inputs:
            if id(i) not in inside:
                seeds[id(i)] = dict(totals[i.name]) if isinstance(i, Input) else i.integral()
    return seeds


def without_last_deltas(state):
    return [(n, d, {k: v for k, v in s.items() if not (d.startswith("Output") and k == "delta")})
            for n, d, s in state]


@examples(60)
@given(es=STREAMS, fs=STREAMS, data=st.data())
def test_backfill_equals_from_the_start(es, fs, data):
    ticks = max(len(es), len(fs))
    at = data.draw(st.integers(0, ticks), label="backfill before tick")
    full = Circuit()
    full_base = build_base(full)
    build_new(full, *full_base)
    live = Circuit()
    live_base = build_base(live)
    totals = {"E": {}, "F": {}}
    for t in range(ticks + 2):
        if t == at:
            created = build_new(live, *live_base)
            live.run_ops(created, seeds_for(created, totals))
            live.journal.commit()
            if t > 0:  # (at tick 0 the full circuit has not run yet: no Constant or empty-group row)
                assert_state_equal(without_last_deltas(circuit_state(full)), without_last_deltas(circuit_state(live)))
        d_e = es[t] if t < len(es) else {}
        d_f = fs[t] if t < len(fs) else {}
        for c, (e, f, _, _) in ((full, full_base), (live, live_base)):
            e.feed(d_e)
            f.feed(d_f)
            c.step()
        add_into(totals["E"], d_e)
        add_into(totals["F"], d_f)
        if t == at:  # the global aggregate's and the constant's rows came with the backfill
            assert_state_equal(without_last_deltas(circuit_state(full)), without_last_deltas(circuit_state(live)))
        elif t > at:
            assert_state_equal(circuit_state(full), circuit_state(live))
    assert [o.contents for o in live.ops if isinstance(o, Output)] == [o.contents for o in full.ops
                                                                       if isinstance(o, Output)]
    tc_outputs = [o for o in live.ops if isinstance(o, Output) and type(o.inputs[0]).__name__ == "Select"]
    assert tc_outputs[0].contents == {p: 1 for p in closure(positive(totals["E"]))}


def test_backfill_then_failed_step_keeps_the_backfill():
    """run_ops followed by a journal commit: a later failing step rolls back to the backfilled state."""
    c = Circuit()
    e, f, by_src, out_e = build_base(c)
    e.feed({(0, 1): 1, (1, 2): 1})
    c.step()
    created = build_new(c, e, f, by_src, out_e)
    c.run_ops(created, seeds_for(created, {"E": {(0, 1): 1, (1, 2): 1}, "F": {}}))
    c.journal.commit()
    boom = c.add(Map(e, lambda r: 1 / 0 if r == (9, 9) else r))
    c.add(Output(boom))
    before = circuit_state(c)
    e.feed({(2, 3): 1, (9, 9): 1})
    try:
        c.step()
    except Exception as err:
        assert getattr(err, "op", None) is boom
    else:
        raise AssertionError("the step should have failed")
    e.feed({(2, 3): -1, (9, 9): -1})
    assert_state_equal(before, circuit_state(c))
