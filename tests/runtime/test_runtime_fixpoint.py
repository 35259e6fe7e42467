"""Fixpoints equal naive iteration: nested scopes (2-D and 3-D time) on random insert/delete streams.

Each test compares, after every outer step, the integrated exports of a Scope with a naive iteration
to convergence recomputed from scratch on the integrated inputs; the stream ends by retracting every
input, after which every trace, history, pending and todo structure must be empty.  Inputs are bags
(positive integrated weights, duplicates included): the SQL domain of recursive CTEs.  The bag
(UNION ALL) recursion is linear, so it is also tested on arbitrary Z-sets.
"""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from deltasql.runtime import Circuit
from deltasql.runtime.nested import NestedDistinct, NestedJoin, Scope, Select
from deltasql.runtime.operators import Filter, Input, Map, Output, Plus

from runtime_support import (as_set_zset, bag_streams, build_nested, closure, closure_scope, consolidate, examples,
                             nested, positive, run_law, walk, zset_streams)

NODES = st.integers(0, 4)
EDGES = st.tuples(NODES, NODES)
EDGE_STREAMS = bag_streams(EDGES, max_len=7, max_edits=5, min_len=3)
NODE_STREAMS = bag_streams(st.tuples(NODES), max_len=7, max_edits=3, min_len=3)


def _src(r):
    return (r[0],)


def _dst(r):
    return (r[1],)


# -- closure: linear and non-linear recursion -------------------------------------------------------

@examples(80)
@given(EDGE_STREAMS)
def test_closure_linear(s):
    run_law(lambda c, e: closure_scope(c, e), lambda E: as_set_zset(closure(positive(E))), [s])


@examples(80)
@given(EDGE_STREAMS)
def test_closure_nonlinear(s):
    """X = distinct(E + X ⋈ X): both sides of the join are the recursive variable."""
    run_law(lambda c, e: closure_scope(c, e, nonlinear=True), lambda E: as_set_zset(closure(positive(E))), [s])


@examples(40)
@given(EDGE_STREAMS)
def test_two_closures_of_one_input(s):
    run_law(lambda c, e: [closure_scope(c, e), closure_scope(c, e, nonlinear=True)],
            lambda E: [as_set_zset(closure(positive(E)))] * 2, [s])


def test_idle_steps_emit_nothing():
    c = Circuit()
    e = c.add(Input("E"))
    out = c.add(Output(closure_scope(c, e)))
    e.feed({(1, 2): 1, (2, 3): 1, (3, 1): 1})
    c.step()
    assert len(out.contents) == 9
    for _ in range(3):
        c.step()
        assert out.delta == {}
    e.feed({(3, 1): -1})
    c.step()
    assert out.contents == {(1, 2): 1, (2, 3): 1, (1, 3): 1}


# -- mutual recursion with two feedback edges ----------------------------------------------------

def build_even_odd(c, e):
    """Odd = distinct(E + Even ⋈ E), Even = distinct(Odd ⋈ E): walks of odd and even length,
    each variable reading the other's feedback."""
    s = c.add(Scope(e, name="parity"))
    imp = s.imports[0]
    fb_odd, fb_even = s.feedback("odd"), s.feedback("even")
    join = s.body.add(NestedJoin(fb_even, imp, _dst, _src, lambda x, y: (x[0], y[1])))
    odd = s.body.add(NestedDistinct(s.body.add(Plus(imp, join)), name="odd"))
    even = s.body.add(NestedDistinct(s.body.add(NestedJoin(fb_odd, imp, _dst, _src, lambda x, y: (x[0], y[1])))))
    fb_odd.connect(odd)
    fb_even.connect(even)
    s.export(odd)
    s.export(even)
    return [c.add(Select(s, 0)), c.add(Select(s, 1))]


def even_odd(edges):
    """Naive Jacobi iteration of the pair to convergence."""
    odd: set = set()
    even: set = set()
    while True:
        n_odd = edges | {(a, d) for (a, b) in even for (c, d) in edges if b == c}
        n_even = {(a, d) for (a, b) in odd for (c, d) in edges if b == c}
        if (n_odd, n_even) == (odd, even):
            return [as_set_zset(odd), as_set_zset(even)]
        odd, even = n_odd, n_even


@examples(80)
@given(EDGE_STREAMS)
def test_mutual_recursion(s):
    run_law(build_even_odd, lambda E: even_odd(positive(E)), [s])


# -- UNION ALL recursion (bag semantics) bounded by a counter --------------------------------------

K = 4


def build_walks(c, start, e):
    """X = S + {(b, d + 1) : (v, d) ∈ X, (v, b) ∈ E, d < K}, no distinct: weights count walks."""
    s = c.add(Scope(start, e, name="walks"))
    imp_s, imp_e = s.imports
    fb = s.feedback("X")
    step = s.body.add(NestedJoin(fb, imp_e, lambda x: (x[0],), _src,
                                 lambda x, y: (y[1], x[1] + 1) if x[1] < K else None))
    x = s.body.add(Plus(imp_s, step))
    fb.connect(x)
    s.export(x)
    return c.add(Select(s, 0))


def walks(S, E):
    """Naive iteration X_{n+1} = S + step(X_n) on Z-sets until X_{n+1} = X_n."""
    x: dict = {}
    while True:
        step = consolidate(((b, d + 1), wx * we) for (v, d), wx in x.items() if d < K
                           for (a, b), we in E.items() if a == v)
        nxt = consolidate(list(S.items()) + list(step.items()))
        if nxt == x:
            return x
        x = nxt


STARTS = st.tuples(NODES, st.integers(0, 1))


@examples(80)
@given(bag_streams(STARTS, max_len=5, max_edits=3), EDGE_STREAMS)
def test_bag_recursion_with_counter(a, b):
    run_law(build_walks, walks, [a, b])


@examples(40)
@given(zset_streams(STARTS, max_len=5, max_size=3), zset_streams(EDGES, max_len=5, max_size=5))
def test_bag_recursion_on_zsets(a, b):
    run_law(build_walks, walks, [a, b])


# -- 3-D time: a Scope nested in another Scope's body -----------------------------------------------

@examples(80)
@given(NODE_STREAMS, EDGE_STREAMS, NODE_STREAMS)
def test_scope_in_scope(a, b, g):
    run_law(build_nested, nested, [a, b, g])


@examples(40)
@given(NODE_STREAMS, EDGE_STREAMS, NODE_STREAMS)
def test_scope_in_scope_nonlinear_inner(a, b, g):
    run_law(lambda c, *ins: build_nested(c, *ins, inner_nonlinear=True), nested, [a, b, g])


def build_nested_in_wrapper(c, start, e, good):
    """The 3-D circuit inside the body of one more Scope (4-D times (i, j, k)); the wrapper has no
    feedback of its own, so its exports are the 3-D circuit's."""
    w = c.add(Scope(start, e, good, name="wrapper"))
    y, tc = build_nested(w.body, *w.imports)
    w.export(y)
    w.export(tc)
    return [c.add(Select(w, 0)), c.add(Select(w, 1))]


@examples(30)
@given(NODE_STREAMS, EDGE_STREAMS, NODE_STREAMS)
def test_scope_in_scope_in_scope(a, b, g):
    run_law(build_nested_in_wrapper, nested, [a, b, g])


def test_scope_in_scope_in_scope_runs_at_depth_four():
    c = Circuit()
    ins = [c.add(Input(n)) for n in "SEG"]
    y, _ = [c.add(Output(o)) for o in build_nested_in_wrapper(c, *ins)]
    ins[0].feed({(0,): 1})
    ins[1].feed({(0, 1): 1, (1, 2): 1, (2, 3): 1})
    ins[2].feed({(1,): 1, (2,): 1})
    c.step()
    assert y.contents == {(0,): 1, (1,): 1, (2,): 1}
    times = {t for op in walk(c) if isinstance(op, NestedDistinct) for h in op.ins.values() for t in h}
    assert {len(t) for t in times} == {2, 3}  # Y at (i, j), the inner closure at (i, j, k)


def test_scope_in_scope_really_nests():
    """The 3-D circuit has operators at inner times of length 2, and its state does drain."""
    c = Circuit()
    ins = [c.add(Input(n)) for n in "SEG"]
    outs = [c.add(Output(o)) for o in build_nested(c, *ins)]
    ins[0].feed({(0,): 1})
    ins[1].feed({(0, 1): 1, (1, 2): 1, (2, 3): 1, (3, 0): 1})
    ins[2].feed({(1,): 1, (2,): 1})
    c.step()
    assert outs[0].contents == {(0,): 1, (1,): 1, (2,): 1}  # 3 is not good, so (3, 0) is never in R
    inner = [op for op in walk(c) if isinstance(op, NestedDistinct) and op.name == "X"]
    assert inner and all(len(t) == 2 for op in inner for times in op.ins.values() for t in times)
    ins[2].feed({(1,): -1})
    c.step()
    assert outs[0].contents == {(0,): 1}  # 1, then 2, reachable only through 1 ∈ Y
    assert outs[1].contents == {(0, 1): 1}


# -- filters and maps inside a scope --------------------------------------------------------------

@examples(40)
@given(EDGE_STREAMS)
def test_linear_operators_in_the_body(s):
    """X = distinct(E' + X ⋈ E') with E' = map/filter of E inside the body."""
    def build(c, e):
        def wrap(body, x):
            return body.add(Filter(body.add(Map(x, lambda r: r)), lambda r: True))
        return closure_scope(c, c.add(Filter(e, lambda r: r[0] != 3)), wrap=wrap)
    run_law(build, lambda E: as_set_zset(closure({r for r in positive(E) if r[0] != 3})), [s])
