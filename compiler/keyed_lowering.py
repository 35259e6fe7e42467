"""Lowering a KeyedFixpoint (``WITH RECURSIVE … USING KEY``) into a KeyedRecursion operator
(runtime/nested/keyed.py), which recomputes the recursion whenever one of its inputs changes.

As for a Fixpoint, the maximal subplans of the step that do not read the recursion are lowered in
the enclosing circuit and imported; so is the anchor.  The step itself is lowered into the
operator's child circuit with the ordinary (not nested) incremental operators, ``t`` and
``recurring.t`` being two of its inputs: one run of that circuit is one iteration, fed with the
changes of its inputs since the previous run.  Inside it nothing is shared with other views, nothing
expires, and there are no exchanges: on a sharded pipeline the operator's inputs are gathered to
one worker (an exchange with no key), which runs the whole recursion; the other workers hold nothing
of it.  With aggregates in USING KEY (a KeyAggregation), the fold and its check are lowered the same
way into a second child circuit reading the candidates (runtime/nested/keyed_aggregation.py).
"""

from __future__ import annotations

from operator import itemgetter

from ..runtime.nested.keyed import KeyedRecursion
from ..runtime.nested.keyed_aggregation import AggregatingKeyedRecursion
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
    agg = node.aggregation
    common = dict(distinct=node.distinct, max_iterations=node.max_iterations or 10_000,
                  name=f"WITH RECURSIVE {node.name} USING KEY", key_names=key_names)
    if agg is None:
        op = low.add(KeyedRecursion(anchor, *imports, key=key, **common), "recursion")
        working = node.fields
    else:
        op = low.add(AggregatingKeyedRecursion(anchor, *imports, keys=keys, columns=agg.columns,
                                               written=agg.written, **common), "recursion")
        working = node.fields if node.distinct else agg.raw[:-1]
    saved = low.circuit, low.available, low.local, low.lines
    low.circuit, low.available, low.local, low.lines = op.body, available | {gid}, True, None
    try:
        for p, imp in zip(invariant, op.imports):
            low.memo[(id(op.body), p)] = imp
        low.memo[(id(op.body), P.RecRef(node.name, working, gid))] = op.working
        low.memo[(id(op.body), P.RecRef(node.recurring, node.fields, gid))] = op.recurring
        op.connect(low.lower(node.step))
        if agg is not None:  # the fold and its check: a second child circuit fed the candidates
            low.circuit = op.fold
            low.memo[(id(op.fold), P.RecRef(agg.candidates, agg.raw, gid))] = op.fold_input
            op.connect_fold(low.lower(agg.fold), low.lower(agg.check) if agg.check is not None else None)
    finally:
        low.circuit, low.available, low.local, low.lines = saved
    return op

