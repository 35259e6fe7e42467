"""Lowering a KeyedFixpoint (``WITH RECURSIVE … USING KEY``) into a KeyedRecursion operator
(runtime/nested/keyed.py), which recomputes the recursion whenever one of its inputs changes.

As for a Fixpoint, the maximal subplans of the step that do not read the recursion are lowered in
the enclosing circuit and imported; so is the anchor.  The step itself is lowered into the
operator's child circuit with the ordinary (not nested) incremental operators, ``t`` and
``recurring.t`` being two of its inputs: one run of that circuit is one iteration, fed with the
changes of its inputs since the previous run.  Inside it nothing is shared with other views, nothing
expires, and there are no exchanges: on a sharded pipeline the operator's inputs are gathered to
one worker (an exchange with no key), which runs the whole recursion; the other workers hold nothing
of it.
"""

from __future__ import annotations

from operator import itemgetter

from ..runtime.nested.keyed import KeyedRecursion
from . import plan as P


def lower_keyed(low, node: P.KeyedFixpoint):
    gid = node.group
    available = low.available
    invariant = P.invariant_subplans((node.step,), available)
    anchor = low.exchange(low.lower(node.anchor), None, name="gather")
    imports = [low.exchange(low.lower(p), None, name="gather") for p in invariant]
    keys = node.keys
    key = itemgetter(*keys)
    key_names = ", ".join(node.fields[i].name for i in keys)
    op = low.add(KeyedRecursion(anchor, *imports, key=key, distinct=node.distinct,
                                max_iterations=node.max_iterations or 10_000,
                                name=f"WITH RECURSIVE {node.name} USING KEY", key_names=key_names),
                 "recursion")
    saved = low.circuit, low.available, low.local, low.lines
    low.circuit, low.available, low.local, low.lines = op.body, available | {gid}, True, None
    try:
        for p, imp in zip(invariant, op.imports):
            low.memo[(id(op.body), p)] = imp
        low.memo[(id(op.body), P.RecRef(node.name, node.fields, gid))] = op.working
        low.memo[(id(op.body), P.RecRef(node.recurring, node.fields, gid))] = op.recurring
        op.connect(low.lower(node.step))
    finally:
        low.circuit, low.available, low.local, low.lines = saved
    return op

