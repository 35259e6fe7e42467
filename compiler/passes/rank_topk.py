"""Rank filters become a top-k per partition (as Feldera and Flink do):

  σ_{r ≤ k}(window_{p,o}[r, …](x)) = σ_{r ≤ k}(window_{p,o}[r, …](topk_{p,o,k}(x)))

for r one of ROW_NUMBER (topk keeps the first k rows of each partition p in order o), RANK (those and
every row tied with the k-th on o) or DENSE_RANK (the rows of the first k groups of ties), and only
when every call of the window is one of these three.  It holds because the rows kept are a prefix
of each partition in the window's own order (the same total order, tie-breaker included), every row
the filter keeps is in that prefix, and these functions give a row of a prefix the value they give it
in the whole partition.  The filter stays: it is what selects by rank.  ``r < k`` counts as
``r ≤ k - 1`` and ``r = k`` as ``r ≤ k`` (the filter then keeps only the k-th).  A change then costs
a search in its partition plus the first k rows, instead of ranking the whole partition again.
Runs last: the passes before it rebuild TopK nodes without ``ties``.  Idempotent: a window already
over such a top-k is left as it is.
"""

from __future__ import annotations

from .. import plan as P
from ..expr import Call, Col, Lit, conjuncts

RANKS = {"row_number": "", "rank": "rank", "dense_rank": "dense"}
FLIP = {"le": "ge", "lt": "gt", "eq": "eq", "ge": "le", "gt": "lt"}


def rank_topk(plan):
    return _walk(plan, {})


def _walk(node, memo):
    if id(node) in memo:
        return memo[id(node)][1]
    out = P.with_inputs(node, [_walk(i, memo) for i in node.inputs])
    if isinstance(out, P.Filter) and isinstance(out.input, P.Window):
        out = _rewrite(out, out.input)
    memo[id(node)] = (node, out)
    return out


def _rewrite(filt, win):
    if not win.calls or any(c.fn not in RANKS for c in win.calls):
        return filt
    bound = _rank_bound(filt.predicate, len(win.input.fields), win.calls)
    if bound is None:
        return filt
    limit, ties = bound
    below = win.input
    if (isinstance(below, P.TopK) and below.offset == 0 and below.ties == ties and below.order == win.order
            and below.partition == win.partition and below.limit is not None and below.limit <= max(limit, 0)):
        return filt  # already a top-k (the pass ran before): applying it twice changes nothing
    top = P.TopK(win.input, win.order, max(limit, 0), 0, win.partition, ties)
    return P.Filter(P.Window(top, win.partition, win.order, win.calls, win.names), filt.predicate)


def _rank_bound(predicate, first_call: int, calls):
    """(k, ties) from the first conjunct that bounds a rank column by an integer constant."""
    for c in conjuncts(predicate):
        if not isinstance(c, Call) or len(c.args) != 2 or c.fn not in FLIP:
            continue
        a, b, fn = c.args[0], c.args[1], c.fn
        if isinstance(b, Col) and isinstance(a, Lit):
            a, b, fn = b, a, FLIP[fn]
        if not (isinstance(a, Col) and a.index >= first_call and isinstance(b, Lit)):
            continue
        if type(b.value) is not int or fn not in ("le", "lt", "eq"):
            continue
        limit = b.value - 1 if fn == "lt" else b.value
        return limit, RANKS[calls[a.index - first_call].fn]
    return None
