"""Atomic steps: an operator raising mid-step leaves every operator's state exactly as before the step.

A failing step must roll back every stateful operator (compared as deep copies of all state before
and after), raise a StepError naming the operator that failed, leave the journal empty, and a
following good step must give the same state and outputs as a twin circuit that never saw the bad
input.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from deltasql.runtime import Circuit, IterationLimitError, StepError
from deltasql.runtime.aggregates import CountStar, Max, Min, Reducer, Sum
from deltasql.runtime.nested import NestedDistinct, NestedJoin, Scope, Select
from deltasql.runtime.operators import (Aggregate, Arrange, Constant, Delay, Differentiate, Distinct, Filter, FlatMap, Input,
                               Integrate, Join, Map, Output, Plus, Semijoin, SetOp, TopK)

from runtime_support import (assert_state_equal, bag_streams, build_nested, circuit_state, closure, closure_scope,
                             examples, positive, retract, walk)

EDGES = st.tuples(st.integers(0, 4), st.integers(0, 4))
HISTORY = bag_streams(EDGES, max_len=5, max_edits=4, min_len=1)
POISON = {(7, 8): 1, (8, 9): 1, (9, 7): 1}  # a cycle on nodes the history never uses


class Boom(Exception):
    pass


def poisoned(pred, armed: bool):
    """The identity on rows, raising Boom on a row satisfying ``pred`` when ``armed``."""
    def f(r):
        if armed and pred(r):
            raise Boom(f"poison row {r}")
        return r
    return f


def from_poison(r):
    return r[0] in (7, 8, 9)  # every tapped row starts with a node (or group key) from the input row


def is_77(r):
    return r == (7, 7)  # a closure row first derived at iteration 2 of the fixpoint


FLAT = ["join", "aggregate", "distinct", "setop", "semijoin", "topk", "integrate", "differentiate", "plus_constant"]
NESTED = ["closure", "closure_join", "inner", "outer"]


def build(poison_at: str, armed: bool = True):
    """A circuit with every kind of stateful operator reading one edge input, and one poisoned
    operator: a Map after ``poison_at`` (added last, so every other operator has already run), or
    inside the 2-D closure's body, or the closure's join combine, or inside a 3-D inner scope, or in
    the outer scope's body (node 7 enters Y only after an inner fixpoint has run)."""
    c = Circuit()
    e = c.add(Input("E"))
    taps = {}
    by_dst = c.add(Arrange(e, lambda r: (r[1],)))
    by_src = c.add(Arrange(e, lambda r: (r[0],)))
    taps["join"] = c.add(Join(by_dst, by_src, lambda a, b: (a[0], b[1])))
    taps["aggregate"] = c.add(Aggregate(e, lambda r: (r[0],), Reducer(
        [CountStar(), Min(), Max(), Sum("float")],
        [lambda r: 1, lambda r: r[1], lambda r: r[1], lambda r: r[1] / 7])))
    c.add(Output(c.add(Aggregate(e, lambda r: (), Reducer([CountStar()], [lambda r: 1]), global_=True))))
    taps["distinct"] = c.add(Distinct(c.add(Map(e, lambda r: (r[0],)))))
    taps["setop"] = c.add(SetOp(e, taps["join"], "except_all"))
    taps["semijoin"] = c.add(Semijoin(e, taps["join"], lambda r: (r[0],), lambda r: (r[0],), "semi"))
    c.add(Output(c.add(Semijoin(e, taps["join"], lambda r: (r[1],), lambda r: (r[0],), "anti"))))
    taps["topk"] = c.add(TopK(e, lambda r: r[0], lambda r: (r[1], r), 1, 0))
    taps["integrate"] = c.add(Integrate(e))
    taps["differentiate"] = c.add(Differentiate(taps["integrate"]))
    c.add(Output(c.add(Delay(e))))
    taps["plus_constant"] = c.add(Plus(e, c.add(Constant({(5, 5): 1, (0, 0): 1}))))
    for name, op in taps.items():
        c.add(Output(op, name))

    def wrap_map(body, x):
        m = body.add(Map(x, poisoned(is_77, armed)))
        m.label = "poison map"
        return m

    def combine(x, y):
        if armed and (x[0], y[1]) == (7, 7):
            raise Boom("poison pair")
        return (x[0], y[1])

    tc = c.add(Output(closure_scope(c, e, wrap=wrap_map if poison_at == "closure" else None,
                                    combine=combine if poison_at == "closure_join" else (lambda x, y: (x[0], y[1]))),
                      "tc"))

    def wrap_y(body, y):
        m = body.add(Map(y, poisoned(lambda r: r == (7,), armed)))
        m.label = "poison map"
        return m

    start = c.add(FlatMap(e, lambda r: [(r[0],)] if r[0] != 7 else []))
    good = c.add(Map(e, lambda r: (r[1],)))
    y, inner_tc = build_nested(c, start, e, good, wrap=wrap_map if poison_at == "inner" else None,
                               wrap_y=wrap_y if poison_at == "outer" else None)
    c.add(Output(y, "Y"))
    c.add(Output(inner_tc, "inner tc"))
    if poison_at in FLAT:
        m = c.add(Map(taps[poison_at], poisoned(from_poison, armed)))
        m.label = "poison map"
        c.add(Output(m))
    return c, e, tc


def failing_operator(c: Circuit, poison_at: str):
    """The operator the StepError must name."""
    if poison_at == "closure_join":
        return next(op for op in walk(c) if isinstance(op, NestedJoin) and op.name == "X⋈E"
                    and op.circuit.scope.name == "tc")
    return next(op for op in walk(c) if op.label == "poison map")


@pytest.mark.parametrize("poison_at", FLAT + NESTED)
@examples(15)
@given(history=HISTORY, data=st.data())
def test_failed_step_changes_nothing(poison_at, history, data):
    c, e, tc = build(poison_at)
    twin, te, _ = build(poison_at, armed=False)
    bad = data.draw(st.integers(0, len(history) - 1), label="bad tick")
    total: dict = {}
    for t, d in enumerate(history):
        if t == bad:
            e.feed(d)
            e.feed(POISON)
            before = circuit_state(c)
            with pytest.raises(StepError) as err:
                c.step()
            assert isinstance(err.value.cause, Boom)
            assert err.value.op is failing_operator(c, poison_at)
            assert str(err.value).startswith(f"{err.value.op.label or type(err.value.op).__name__}: ")
            assert c.journal.entries == []
            assert_state_equal(before, circuit_state(c))
            e.feed(retract(POISON))  # withdraw the poison; the good part of the change stays queued
        else:
            e.feed(d)
        c.step()
        te.feed(d)
        twin.step()
        for k, v in d.items():
            total[k] = total.get(k, 0) + v
        assert_state_equal(circuit_state(twin), circuit_state(c))
        assert tc.contents == {p: 1 for p in closure(positive(total))}


# -- stateful operators whose own functions raise -------------------------------------------------

def raising(fn, armed):
    def f(*args):
        if armed and any(isinstance(a, tuple) and 9 in a for a in args):
            raise Boom("poison")
        return fn(*args)
    return f


def _arrange_key(c, e, a):
    raiser = c.add(Arrange(e, raising(lambda r: (r[1],), a)))
    return raiser, c.add(Join(raiser, c.add(Arrange(e, lambda r: (r[0],))), lambda x, y: (x[0], y[1])))


def _nested_join(c, e, a):
    sel = closure_scope(c, e, combine=raising(lambda x, y: (x[0], y[1]), a))
    scope = sel.inputs[0]
    return next(op for op in scope.body.ops if isinstance(op, NestedJoin)), sel


def _overflow_at(total, armed):
    def check(t):  # Sum's range check of its result: called when the group's output is recomputed
        if armed and t == total:
            raise Boom("overflow")
    return check


OPERATORS = {
    # name: builder(c, e, armed) -> the raising operator, or (it, the operator to output)
    # (Aggregate and TopK used to keep the rows folded in before the raise: fixed in a96a22b)
    "map": lambda c, e, a: c.add(Map(e, raising(lambda r: r, a))),
    "filter": lambda c, e, a: c.add(Filter(e, raising(lambda r: True, a))),
    "flat_map": lambda c, e, a: c.add(FlatMap(e, raising(lambda r: [r, r], a))),
    "arrange_key": _arrange_key,
    "join_combine": lambda c, e, a: c.add(Join(c.add(Arrange(e, lambda r: (r[1],))),
                                               c.add(Arrange(e, lambda r: (r[0],))),
                                               raising(lambda x, y: (x[0], y[1]), a))),
    "semijoin_left_key": lambda c, e, a: c.add(Semijoin(e, c.add(Map(e, lambda r: (r[1], r[0]))),
                                                         raising(lambda r: (r[0],), a), lambda r: (r[0],))),
    "semijoin_right_key": lambda c, e, a: c.add(Semijoin(e, c.add(Map(e, lambda r: (r[1], r[0]))),
                                                          lambda r: (r[0],), raising(lambda r: (r[0],), a))),
    "aggregate_key": lambda c, e, a: c.add(Aggregate(e, raising(lambda r: (r[0],), a),
                                                      Reducer([CountStar()], [lambda r: 1]))),
    "aggregate_argument": lambda c, e, a: c.add(Aggregate(e, lambda r: (r[0],), Reducer(
        [CountStar(), Min()], [lambda r: 1, raising(lambda r: r[1], a)]))),
    "aggregate_result": lambda c, e, a: c.add(Aggregate(e, lambda r: (r[0],), Reducer(
        [CountStar(), Sum("int", check=_overflow_at(17, a))], [lambda r: 1, lambda r: r[1]]))),
    "topk_order": lambda c, e, a: c.add(TopK(e, lambda r: r[0], raising(lambda r: (r[1], r), a), 2)),
    "topk_partition": lambda c, e, a: c.add(TopK(e, raising(lambda r: r[0], a), lambda r: (r[1], r), 2)),
    "nested_join_combine": _nested_join,
}


def build_with(name, armed):
    c = Circuit()
    e = c.add(Input("E"))
    c.add(Output(c.add(Distinct(e))))  # stateful work done before the failing operator
    c.add(Output(c.add(Join(c.add(Arrange(e, lambda r: (r[0],))), c.add(Arrange(e, lambda r: (r[1],))),
                            lambda x, y: (x, y)))))
    made = OPERATORS[name](c, e, armed)
    raiser, top = made if isinstance(made, tuple) else (made, made)
    c.add(Output(top))
    return c, e, raiser


@pytest.mark.parametrize("name", sorted(OPERATORS))
def test_operator_raising_on_its_own_function(name):
    c, e, op = build_with(name, True)
    twin, te, _ = build_with(name, False)
    good1 = {(0, 1): 1, (1, 2): 2, (2, 3): 1, (1, 4): 1}
    for circ, inp in ((c, e), (twin, te)):
        inp.feed(good1)
        circ.step()
    good2 = {(3, 1): 1, (0, 1): -1, (4, 4): 3}
    e.feed(good2)
    e.feed({(1, 9): 1})  # the poison row comes last, after the good rows were processed
    before = circuit_state(c)
    with pytest.raises(StepError) as err:
        c.step()
    assert isinstance(err.value.cause, Boom)
    assert err.value.op is op
    assert_state_equal(before, circuit_state(c))
    e.feed({(1, 9): -1})
    c.step()
    te.feed(good2)
    twin.step()
    assert_state_equal(circuit_state(twin), circuit_state(c))


# -- iteration limit ------------------------------------------------------------------------------

def build_counter(c, start, nested_in_scope: bool):
    """X = S + {(v, n + 1) : (v, n) ∈ X, n < 3 or v = 9}: converges unless S holds a row for node 9.
    With ``nested_in_scope`` the counter is a Scope inside another Scope's body.  Returns
    (select, the scope that diverges)."""
    def counter(parent, src):
        s = parent.add(Scope(src, max_iterations=12, name="counter"))
        fb = s.feedback("X")
        inc = s.body.add(FlatMap(fb, lambda r: [(r[0], r[1] + 1)] if r[1] < 3 or r[0] == 9 else []))
        x = s.body.add(Plus(s.imports[0], inc))
        fb.connect(x)
        s.export(x)
        return parent.add(Select(s, 0)), s

    if not nested_in_scope:
        return counter(c, start)
    outer = c.add(Scope(start, name="outer"))
    sel, inner = counter(outer.body, outer.imports[0])
    outer.export(outer.body.add(NestedDistinct(sel)))
    return c.add(Select(outer, 0)), inner


def build_limit(nested_in_scope):
    c = Circuit()
    e = c.add(Input("E"))
    tc = c.add(Output(closure_scope(c, e)))
    c.add(Output(c.add(Aggregate(e, lambda r: (r[0],), Reducer([Min()], [lambda r: r[1]])))))
    sel, diverging = build_counter(c, c.add(Map(e, lambda r: (r[0], 0))), nested_in_scope)
    out = c.add(Output(sel))
    return c, e, tc, out, diverging


@pytest.mark.parametrize("nested_in_scope", [False, True], ids=["2d", "3d"])
def test_iteration_limit_rolls_back_and_names_the_scope(nested_in_scope):
    c, e, tc, out, diverging = build_limit(nested_in_scope)
    e.feed({(0, 1): 1, (1, 2): 1})
    c.step()
    e.feed({(2, 0): 1, (9, 1): 1})  # the row for node 9 makes the counter diverge
    before = circuit_state(c)
    with pytest.raises(StepError) as err:
        c.step()
    assert isinstance(err.value.cause, IterationLimitError)
    assert err.value.op is diverging
    assert_state_equal(before, circuit_state(c))
    assert c.journal.entries == []
    e.feed({(9, 1): -1})
    c.step()
    assert tc.contents == {p: 1 for p in closure({(0, 1), (1, 2), (2, 0)})}
    assert out.contents == {(v, n): 1 for v in (0, 1, 2) for n in range(4)}


@examples(15)
@given(history=HISTORY, data=st.data())
def test_a_failing_before_commit_hook_undoes_the_tick(history, data):
    """What a durable pipeline relies on when its journal write fails: every operator has run, the
    hook raises, and the tick is undone as if it had never run."""
    c, e, _ = build("join", armed=False)
    twin, te, _ = build("join", armed=False)
    bad = data.draw(st.integers(0, len(history) - 1), label="bad tick")
    seen = []
    for t, d in enumerate(history):
        if t == bad:
            e.feed(d)
            before = circuit_state(c)

            def hook():
                seen.append(t)
                raise Boom("disk full")

            with pytest.raises(Boom):
                c.step(before_commit=hook)
            assert seen[-1] == t and c.journal.entries == []
            assert_state_equal(before, circuit_state(c))  # the input's queued delta included
        else:
            e.feed(d)
        c.step(before_commit=lambda: seen.append(-1))
        te.feed(d)
        twin.step()
        assert_state_equal(circuit_state(twin), circuit_state(c))
