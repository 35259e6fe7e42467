"""Join reordering: a tree of inner joins is a set of inputs and a set of conditions; pick an order in
which every join has a key when one exists, instead of the FROM list's order.

Law: inner joins are associative and commutative up to the order of columns, so
(a ⋈ b) ⋈_p c = π((a ⋈_q c) ⋈_r b) for any split of the conditions p ∧ q ∧ r that places each
condition at the first join where all its columns are present.  A final projection restores the
original column order.  FROM a, b, c WHERE a.x = c.x AND b.y = c.y then joins a with c, then b,
instead of starting with the cross product a × b.  Orders without a cross product are kept as written.
"""

from __future__ import annotations

from .. import plan as P
from ..expr import Call, Col, columns_used, conjuncts, remap, shift
from ..types import BOOLEAN
from .rule import TOP_DOWN, Rule
from .split_join import split_condition


def _reorder(node):
    if not (isinstance(node, P.Join) and node.kind == "inner"):
        return None
    leaves, preds = _flatten(node)
    if len(leaves) > 2:
        order = _greedy(leaves, preds)
        if order != list(range(len(leaves))):
            return _build(leaves, preds, order)
    return None


# top-down: the whole tree of inner joins is seen before its parts (a tree already in a good order
# is left as it is, and so are its subtrees, each a prefix of that order)
reorder_joins = Rule("reorder_joins", _reorder, TOP_DOWN)


def _flatten(node):
    """The inputs of a tree of inner joins and its conditions over their concatenated columns."""
    if not (isinstance(node, P.Join) and node.kind == "inner"):
        return [node], []
    left, lp = _flatten(node.left)
    right, rp = _flatten(node.right)
    nl = len(node.left.fields)
    preds = lp + [shift(p, nl) for p in rp]
    for lk, rk, safe in zip(node.left_keys, node.right_keys, node.null_safe):
        r = shift(rk, nl)
        preds.append(Call("is_not_distinct" if safe else "eq", (lk, r), BOOLEAN, not safe))
    if node.residual is not None:
        preds += conjuncts(node.residual)
    return left + right, preds


def _offsets(leaves):
    out, n = [], 0
    for leaf in leaves:
        out.append(n)
        n += len(leaf.fields)
    return out


def _owners(p, offsets, widths) -> frozenset:
    cols = columns_used(p)
    return frozenset(i for i, (o, w) in enumerate(zip(offsets, widths)) if any(o <= c < o + w for c in cols))


def _is_key(p) -> bool:
    return isinstance(p, Call) and p.fn in ("eq", "is_not_distinct")


def _greedy(leaves, preds) -> list:
    offsets = _offsets(leaves)
    widths = [len(leaf.fields) for leaf in leaves]
    owners = [_owners(p, offsets, widths) for p in preds]
    placed = [0]
    remaining = list(range(1, len(leaves)))
    while remaining:
        have = set(placed)
        pick = None
        for j in remaining:
            if any(_is_key(p) and j in o and len(o) >= 2 and o <= have | {j} for p, o in zip(preds, owners)):
                pick = j
                break
        if pick is None:
            pick = remaining[0]  # nothing connects: a cross product is unavoidable here
        placed.append(pick)
        remaining.remove(pick)
    return placed


def _build(leaves, preds, order):
    offsets = _offsets(leaves)
    widths = [len(leaf.fields) for leaf in leaves]
    owners = [_owners(p, offsets, widths) for p in preds]
    mapping = {}  # original column -> column of the tree built so far
    first = order[0]
    tree = leaves[first]
    for c in range(widths[first]):
        mapping[offsets[first] + c] = c
    done = [False] * len(preds)
    have = {first}
    for j in order[1:]:
        n_left = len(tree.fields)
        local = dict(mapping)
        for c in range(widths[j]):
            local[offsets[j] + c] = n_left + c
        now = []
        for k, (p, o) in enumerate(zip(preds, owners)):
            if not done[k] and o <= have | {j}:
                now.append(_renumber(p, local))
                done[k] = True
        cond = None
        for p in now:
            cond = p if cond is None else Call("and", (cond, p), p.type, cond.nullable or p.nullable)
        if cond is None:
            lk, rk, safe, residual = (), (), (), None
        else:
            lk, rk, safe, residual = split_condition(cond, n_left)
        tree = P.Join(tree, leaves[j], "inner", lk, rk, safe, residual)
        mapping = local
        have.add(j)
    leftover = [_renumber(p, mapping) for k, p in enumerate(preds) if not done[k]]
    for p in leftover:  # conditions over one input only (they are normally pushed below already)
        tree = P.Filter(tree, p)
    fields = tree.fields
    total = sum(widths)
    exprs = tuple(P.col(fields, mapping[i]) for i in range(total))
    names = tuple(f.name for leaf in leaves for f in leaf.fields)
    return P.Project(tree, exprs, names)


def _renumber(e, mapping):
    return remap(e, lambda c: Col(mapping[c.index], c.type, c.nullable, c.name))
