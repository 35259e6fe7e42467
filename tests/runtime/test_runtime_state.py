"""The state protocol (runtime/state.py): a circuit built afresh from the same code, given the state
another one exported between steps (through pickle, as a checkpoint stores it), behaves exactly like
it from then on; and every operator declares all the state it keeps.
"""

from __future__ import annotations

import pickle

import pytest
from hypothesis import given
from hypothesis import strategies as st

from deltasql.runtime import Circuit
from deltasql.runtime.nested import Feedback, Import
from deltasql.runtime.operators import Output
from deltasql.runtime.state import StateMismatch, export_circuit, import_circuit, layout
from deltasql.runtime.zset import add_into

from runtime_support import assert_state_equal, circuit_state, examples, op_state, walk
from test_runtime_backfill import STREAMS, build_base, build_new

# per-step scratch, empty between steps: not part of the saved state
TRANSIENT = {Import: {"delta"}, Feedback: {"held"}}


def build():
    c = Circuit()
    base = build_base(c)
    build_new(c, *base)
    return c, base


def test_every_operator_declares_the_state_it_keeps():
    """Whatever changes in an operator over a few steps is declared state (its construction-time
    configuration does not change); and what it declares, it has."""
    c, (e, f, _, _) = build()
    fresh = [op_state(op) for op in walk(c)]
    for d_e, d_f in [({(0, 1): 1, (1, 2): 2, (2, 0): 1}, {(1, 0): 1, (2, 2): 1}), ({(1, 2): -1}, {(0, 1): 1}),
                     ({(3, 3): 1}, {})]:
        e.feed(d_e)
        f.feed(d_f)
        c.step()
    for op, before in zip(walk(c), fresh):
        after = op_state(op)
        changed = {k for k in after if after[k] != before.get(k)} - TRANSIENT.get(type(op), set())
        assert changed <= set(op.state), f"{op.describe()} changed {sorted(changed - set(op.state))}, undeclared"
        assert set(op.state) <= set(vars(op)), op.describe()


@examples(60)
@given(es=STREAMS, fs=STREAMS, data=st.data())
def test_restored_circuit_continues_like_the_original(es, fs, data):
    ticks = max(len(es), len(fs))
    at = data.draw(st.integers(0, ticks), label="restore before tick")
    live, (e, f, _, _) = build()
    totals = {"E": {}, "F": {}}
    restored = restored_base = None
    for t in range(ticks + 2):
        if t == at:
            saved = pickle.dumps(export_circuit(live), protocol=5)
            restored, restored_base = build()
            assert layout(restored) == layout(live)
            import_circuit(restored, pickle.loads(saved))
            assert_state_equal(circuit_state(live), circuit_state(restored))
        d_e = es[t] if t < len(es) else {}
        d_f = fs[t] if t < len(fs) else {}
        pairs = [(live, (e, f))] + ([(restored, restored_base[:2])] if restored is not None else [])
        for c, (ce, cf) in pairs:
            ce.feed(d_e)
            cf.feed(d_f)
            c.step()
        add_into(totals["E"], d_e)
        add_into(totals["F"], d_f)
        if restored is not None:
            assert_state_equal(circuit_state(live), circuit_state(restored))
            assert [o.delta for o in live.ops if isinstance(o, Output)] == \
                [o.delta for o in restored.ops if isinstance(o, Output)]


def test_state_that_does_not_fit_is_refused():
    c, _ = build()
    saved = export_circuit(c)
    other = Circuit()
    build_base(other)
    with pytest.raises(StateMismatch, match="operators"):
        import_circuit(other, saved)
    wrong = list(saved)
    first = next(n for n, s in enumerate(wrong) if s is not None)
    wrong[first] = {"nope": {}}
    with pytest.raises(StateMismatch, match="nope"):
        import_circuit(c, wrong)
    stateless = next(n for n, op in enumerate(c.ops) if not op.state)
    wrong = list(saved)
    wrong[stateless] = {}
    with pytest.raises(StateMismatch, match="does not fit"):
        import_circuit(c, wrong)
