"""A recursive join's trace of its recursive side, kept once: as the distinct's output history.

In a scope iterated by one counter, a recursive CTE's body is typically

    Feedback(D) --exchange--> NestedJoin(recursive side, static side) --> (+ anchor) --exchange--> D

where D is the UNION's NestedDistinct and the other side of the join is static (a relation the
recursion only reads).  The join's trace of the recursive side is key -> row -> {time: weight}; the
feedback is z⁻¹ in inner time and the loop ends only when every feedback edge is empty, so every
update D makes at time t reaches the join at t + 1 and is filed there: at every step boundary, and
inside an iteration whenever the static side probes (only at iteration 0, when the feedback is
empty), the join's trace of that side is D's output history with every time shifted by one, filed
under the join's key, provided the join runs before D in an iteration (the compiler checks: else
D's history would already hold this iteration's output, which the join meets only at the next).  So the join need not keep it: D keeps its output history filed by that key
too (``NestedDistinct.index``: key -> row -> the very history dict of ``outs``), the recursive
side's probe files nothing, and the static side's probe reads D's index with times shifted
(codegen.nested_probe's ``file_own``/``shifted``).  A row of the fixpoint is then stored in two
structures (D's input and output histories) instead of three.

The law holds only where the exchanges on the cycle are the identity (one worker: the join's
partition of the recursive side is D's partition); sharded, each worker keeps the join's own trace.
Which one holds is decided when the scope first runs (``activate``), after a worker has pointed
its exchanges at the other workers, and stays for the operators' lifetime.  Saved state keeps one
form: a shared join exports its trace derived from D's history, and after an import drops it again
and D rebuilds its index from its output history.

Where D's input is the join's output (plus the anchor), D's fusion (NestedDistinct.fusions) judges
the recursive side's pairs as the generated loop makes them (compiler/nested_judge.py): no Z-set of
the join's output, no Plus, no exchange call between them.
"""

from __future__ import annotations

from ..arrangement import index_delta


class Sharing:
    """What the compiler found for a join: its recursive ``side`` reads the feedback of ``distinct``
    through ``exchanges`` (the other side is static); ``key`` the side's key function (row -> key or
    None); ``probes`` the join's two generated probes for the shared form; ``judge`` D's generated
    judge with the index and the fused probe (compiler/nested_judge.distinct_judge)."""

    def __init__(self, side: int, distinct, exchanges, key, probes, judge):
        self.side = side
        self.distinct = distinct
        self.exchanges = exchanges
        self.key = key
        self.probes = probes
        self.judge = judge


def activate(join) -> None:
    """Share ``join``'s recursive-side trace with its distinct when the law holds here (module
    docstring): every exchange on the cycle is the identity."""
    sh = join.share
    if sh is None or join.shared or not all(x.identity() for x in sh.exchanges):
        return
    d = sh.distinct
    d.index_key, d.judge, d.index_join = sh.key, sh.judge, join
    join.shared = True
    settle(join)


def settle(join) -> None:
    """After an activation or a state import: D's index rebuilt from its output history, and the
    join's own trace of the shared side dropped (it is that history, shifted)."""
    d = join.share.distinct
    d.index = index_delta(d.outs, join.share.key)  # (key -> row -> the very history dicts of outs)
    if join.share.side == 0:
        join.left_trace = {}
    else:
        join.right_trace = {}


def refile(distinct, rows) -> None:
    """Bring D's index in line with its output history for ``rows`` (after the journal undid an
    iteration's output)."""
    index, outs, key = distinct.index, distinct.outs, distinct.index_key
    for r in rows:
        k = key(r)
        if k is None:
            continue
        h = outs.get(r)
        b = index.get(k)
        if h is not None:
            if b is None:
                index[k] = {r: h}
            else:
                b[r] = h
        elif b is not None and r in b:
            del b[r]
            if not b:
                del index[k]


def shifted_trace(distinct) -> dict:
    """The join's trace that sharing stands for: D's indexed output history, each time + 1."""
    return {k: {r: {t + 1: w for t, w in h.items()} for r, h in b.items()} for k, b in distinct.index.items()}
