"""Shared helpers for the runtime property tests: hypothesis settings, Z-set strategies, state snapshots."""

from __future__ import annotations

import copy
import os

from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st

from deltasql.runtime.arrangement import Arrangement
from deltasql.runtime.circuit import Circuit, Operator
from deltasql.runtime.nested import NestedDistinct, NestedJoin, Scope, Select
from deltasql.runtime.operators import Aggregate, Constant, Input, Output, Plus
from deltasql.runtime.zset import add_into

LONG = bool(os.environ.get("DELTASQL_LONG"))


def examples(n: int, shrink: bool = True) -> settings:
    """Deterministic hypothesis settings: n examples by default, 20x that under DELTASQL_LONG=1.
    ``shrink=False`` for tests expected to fail (xfail): report the first failure without shrinking."""
    phases = list(Phase) if shrink else [Phase.explicit, Phase.reuse, Phase.generate]
    return settings(max_examples=n * 20 if LONG else n, deadline=None, derandomize=True, database=None,
                    phases=phases, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


# -- Z-set streams --------------------------------------------------------------------------------

WEIGHTS = st.integers(-3, 3).filter(bool)


def zsets(rows, max_size: int = 6):
    """Arbitrary Z-sets (negative weights, weights > 1) over a row strategy."""
    return st.dictionaries(rows, WEIGHTS, max_size=max_size)


def zset_streams(rows, max_len: int = 6, max_size: int = 6, min_len: int = 2):
    """A stream of arbitrary Z-set deltas (its integral may be negative anywhere)."""
    return st.lists(zsets(rows, max_size), min_size=min_len, max_size=max_len)


@st.composite
def bag_streams(draw, rows, max_len: int = 6, max_edits: int = 6, min_len: int = 2):
    """A stream of deltas whose integral is a bag (positive weights) at every tick: each tick applies
    random edits (insert up to 3 copies, delete up to 3 copies of a present row) clipped at zero.
    Deletions, re-insertions, duplicates and weights > 1 all occur."""
    n = draw(st.integers(min_len, max_len))
    total: dict = {}
    out = []
    for _ in range(n):
        delta: dict = {}
        for row, dw in draw(st.lists(st.tuples(rows, WEIGHTS), max_size=max_edits)):
            if dw < 0 and total:  # mostly delete rows that are present
                if draw(st.booleans()):
                    row = draw(st.sampled_from(sorted(total, key=repr)))
            cur = total.get(row, 0) + delta.get(row, 0)
            new = max(0, cur + dw)
            if new != cur:
                delta[row] = delta.get(row, 0) + new - cur
                if not delta[row]:
                    del delta[row]
        add_into(total, delta)
        out.append(delta)
    return out


def consolidate(pairs) -> dict:
    """Sum (row, weight) pairs, dropping zero weights."""
    out: dict = {}
    for r, w in pairs:
        out[r] = out.get(r, 0) + w
    return {r: w for r, w in out.items() if w}


def run_law(build, reference, streams, final_retraction=True, compare=lambda z: z):
    """Feed ``streams`` (one list of deltas per input) through ``build(circuit, *inputs)``, which
    returns the operator under test (or a list of them); after each step the integrated output of
    each must equal ``reference(*integrated inputs)`` (a Z-set, or a list of them), both seen through
    ``compare``.  Finally retract every input: the outputs must equal the reference on empty inputs
    and no operator may keep state.  Returns the circuit."""
    c = Circuit()
    ins = [c.add(Input(f"in{k}")) for k in range(len(streams))]
    tops = build(c, *ins)
    single = not isinstance(tops, (list, tuple))
    outs = [c.add(Output(top, f"out{k}")) for k, top in enumerate([tops] if single else tops)]

    def check(totals, when):
        expected = reference(*totals)
        for k, (out, exp) in enumerate(zip(outs, [expected] if single else expected)):
            assert all(out.delta.values()), f"{when}: unconsolidated delta {out.delta}"
            assert compare(out.contents) == compare(exp), f"{when}, output {k}"

    totals = [{} for _ in streams]
    ticks = max(len(s) for s in streams)
    for t in range(ticks):
        for k, s in enumerate(streams):
            d = s[t] if t < len(s) else {}
            ins[k].feed(d)
            add_into(totals[k], d)
        c.step()
        check(totals, f"tick {t}")
    if final_retraction:
        for inp, total in zip(ins, totals):
            inp.feed(retract(total))
        c.step()
        check([{} for _ in streams], "after retracting everything")
        assert_clean(c, skip=outs)  # their contents were just compared
    return c


def retract(total: dict) -> dict:
    return {r: -w for r, w in total.items()}


def positive(z: dict) -> set:
    return {r for r, w in z.items() if w > 0}


# -- circuit state ------------------------------------------------------------------------------

# Attributes that wire or configure an operator (or are per-step scratch), not state carried across steps.
# ``time`` of a Scope is the last inner time it ran at: scratch, overwritten before it is read.
NOT_STATE = {"inputs", "circuit", "journal", "value", "body", "imports", "feedbacks", "exports", "source",
             "_timed", "_run", "reducer", "time", "zset", "label", "name", "_pairs"}


def walk(circuit: Circuit):
    """Every operator of a circuit and of the bodies of scopes nested in it, depth first."""
    for op in circuit.ops:
        yield op
        body = getattr(op, "body", None)
        if isinstance(body, Circuit):
            yield from walk(body)


def op_state(op: Operator) -> dict:
    """A deep copy of the operator's state attributes (everything except wiring, configuration
    and functions); arrangements are represented by their index."""
    out = {}
    for k, v in vars(op).items():
        if k in NOT_STATE or callable(v) or isinstance(v, Operator):
            continue
        if isinstance(v, Arrangement):
            v = v.index
        out[k] = copy.deepcopy(v)
    return out


def circuit_state(circuit: Circuit) -> list:
    """The state of every operator (recursively), tagged with its position and description."""
    return [(n, op.describe(), op_state(op)) for n, op in enumerate(walk(circuit))]


def assert_state_equal(before: list, after: list) -> None:
    assert len(before) == len(after)
    for (n, d, a), (_, _, b) in zip(before, after):
        assert a == b, f"state of #{n} {d} changed:\n before {a}\n after  {b}"


def leftover_state(circuit: Circuit, skip=()) -> list:
    """State containers that are not empty: what an all-retracted circuit must not hold.

    A global Aggregate keeps its one group () with a zero count and fresh reducer state; a Constant
    remembers that it was emitted (its value is not retracted)."""
    found = []
    for n, op in enumerate(walk(circuit)):
        if any(op is s for s in skip):
            continue
        for k, v in op_state(op).items():
            if isinstance(op, Aggregate) and op.global_ and k == "groups":
                if v != {(): [0, op.reducer.new()]}:
                    found.append((n, op.describe(), k, v))
                continue
            if isinstance(op, Aggregate) and op.global_ and k == "outputs":
                continue  # the one row for the empty input
            if isinstance(op, Constant) and k == "emitted":
                continue
            if isinstance(v, (dict, list, set, tuple)) and v:
                found.append((n, op.describe(), k, v))
    return found


def assert_clean(circuit: Circuit, skip=()) -> None:
    """Step once with no input (so last-delta holders such as Output.delta and Delay.held drain),
    then assert no operator (except those in ``skip``, checked by the caller) holds state."""
    circuit.step()
    left = leftover_state(circuit, skip)
    assert not left, "state left after retracting every input:\n" + "\n".join(map(repr, left))


# -- recursive circuits and their naive references ------------------------------------------------

def _src(r):
    return (r[0],)


def _dst(r):
    return (r[1],)


def _path(x, e):
    return (x[0], e[1])


def closure_scope(c: Circuit, edges: Operator, nonlinear: bool = False, name: str = "tc", wrap=None,
                  combine=_path):
    """Add to ``c`` the transitive closure of ``edges`` as a Scope: X = distinct(E + X ⋈ E), or with
    ``nonlinear`` X = distinct(E + X ⋈ X).  ``wrap(body, op)`` may insert operators after X (it
    returns the stream that is fed back and exported); ``combine`` builds a path from two rows.
    Returns the Select of the closure."""
    s = c.add(Scope(edges, name=name))
    imp = s.imports[0]
    fb = s.feedback("X")
    if nonlinear:
        j = s.body.add(NestedJoin(fb, fb, _dst, _src, combine, name="X⋈X"))
    else:
        j = s.body.add(NestedJoin(fb, imp, _dst, _src, combine, name="X⋈E"))
    x = s.body.add(NestedDistinct(s.body.add(Plus(imp, j)), name="X"))
    if wrap is not None:
        x = wrap(s.body, x)
    fb.connect(x)
    s.export(x)
    return c.add(Select(s, 0))


def closure(edges) -> set:
    """Naive iteration to convergence: X_{n+1} = E ∪ X_n ∘ E, from X_0 = ∅."""
    edges = set(edges)
    x: set = set()
    while True:
        nxt = edges | {(a, d) for (a, b) in x for (c, d) in edges if b == c}
        if nxt == x:
            return x
        x = nxt


def build_nested(c, start, e, good, inner_nonlinear=False, wrap=None, wrap_y=None):
    """Outer fixpoint over a node set Y, whose body computes an inner closure over edges out of Y:
        R  = {(a, b) ∈ E : a ∈ Y}
        TC = closure(R)                       (an inner Scope: times (i, j))
        Y  = distinct(S + {b : (a, b) ∈ TC, b ∈ G})
    Exports Y and TC (the latter summed over outer iterations: the closure at the fixpoint).
    ``wrap`` is passed to the inner closure; ``wrap_y(body, op)`` may insert operators after Y."""
    s = c.add(Scope(start, e, good, name="outer"))
    imp_s, imp_e, imp_g = s.imports
    fb_y = s.feedback("Y")
    r = s.body.add(NestedJoin(imp_e, fb_y, _src, lambda y: (y[0],), lambda ed, y: ed, name="R"))
    tc = closure_scope(s.body, r, nonlinear=inner_nonlinear, name="inner", wrap=wrap)
    p = s.body.add(NestedJoin(tc, imp_g, _dst, lambda g: (g[0],), lambda t, g: (t[1],), name="P"))
    y = s.body.add(NestedDistinct(s.body.add(Plus(imp_s, p)), name="Y"))
    if wrap_y is not None:
        y = wrap_y(s.body, y)
    fb_y.connect(y)
    s.export(y)
    s.export(tc)
    return [c.add(Select(s, 0)), c.add(Select(s, 1))]


def nested(S, E, G):
    """Naive nested iteration: the outer loop recomputes the inner closure from scratch each time."""
    start, edges, good = ({r[0] for r in positive(S)}, positive(E), {r[0] for r in positive(G)})
    y: set = set()
    while True:
        tc = closure({(a, b) for (a, b) in edges if a in y})
        nxt = start | {b for (a, b) in tc if b in good}
        if nxt == y:
            return [as_set_zset((v,) for v in y), as_set_zset(tc)]
        y = nxt


def as_set_zset(rows) -> dict:
    return {r: 1 for r in rows}
