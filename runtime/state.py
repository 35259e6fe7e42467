"""Saving and restoring a circuit's state between steps: what a durable pipeline checkpoints.

Each operator names in ``state`` the attributes it keeps from one step to the next and hands them
out with ``export_state()`` as plain data (dicts, lists and tuples of SQL values, which pickle
writes fast); a stateless operator exports None.  A circuit's state is the list of its operators'
states in circuit order; a nested scope's state is its body's.

Law: for two circuits with the same ``layout`` (built by the same code from the same definitions),
``import_circuit(b, export_circuit(a))`` between steps makes every later step of b equal a's: the
same output deltas and the same state.  Nothing else is needed, because an operator's behaviour is
a function of its construction (fixed by the layout) and of its state.  The exported objects are
shared with the live operators: serialize them before the next step.  What an operator derives from
its state (the order in which it discards entries behind a watermark, runtime/expiry.py) is not
saved: once every operator has its state, each operator's ``after_import()`` (if it has one) makes
it again.
"""

from __future__ import annotations


class StateMismatch(ValueError):
    """Saved state that does not fit the circuit it is imported into."""


def export_circuit(circuit) -> list:
    """Every operator's state, in circuit order (None for stateless ones)."""
    return [op.export_state() for op in circuit.ops]


def import_circuit(circuit, states: list) -> None:
    """Give each operator of ``circuit`` its saved state (from a circuit of the same layout)."""
    if len(states) != len(circuit.ops):
        raise StateMismatch(f"saved state has {len(states)} operators, the circuit {len(circuit.ops)}")
    for n, (op, saved) in enumerate(zip(circuit.ops, states)):
        if (saved is None) != (not op.state):
            raise StateMismatch(f"operator #{n} {op.describe()}: saved state does not fit")
        if saved is not None:
            if not isinstance(saved, dict) or set(saved) != set(op.state):
                raise StateMismatch(f"operator #{n} {op.describe()}: saved state has {sorted(saved)}, "
                                    f"the operator keeps {sorted(op.state)}")
            op.import_state(saved)
    for op in circuit.ops:
        rebuild = getattr(op, "after_import", None)
        if rebuild is not None:
            rebuild()


def layout(circuit, indent: str = "") -> str:
    """What saved state depends on, as text: one line per operator (nested bodies indented) with its
    description, its inputs and the attributes it keeps.  Equal layouts exchange state."""
    index = {id(op): n for n, op in enumerate(circuit.ops)}
    lines = []
    for n, op in enumerate(circuit.ops):
        ins = ",".join(str(index.get(id(i), "?")) for i in op.inputs)
        kind = f"{type(op).__module__}.{type(op).__qualname__}"
        lines.append(f"{indent}#{n} {kind} {op.describe()}({ins}) [{','.join(op.state)}] {op.label}")
        body = getattr(op, "body", None)
        if body is not None:
            lines.append(layout(body, indent + "    "))
    return "\n".join(lines)
