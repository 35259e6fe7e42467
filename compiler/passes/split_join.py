"""Splitting a join condition into arrangement keys and a residual filter.

Law: for an inner or outer join, ON (l1 = r1 AND … AND rest) pairs the same rows as keying both
sides by (l1, …), (r1, …) and filtering the pairs by ``rest``, where each li reads only left columns
and each ri only right columns.  IS NOT DISTINCT FROM conjuncts become null-safe keys.
"""

from __future__ import annotations

from ..expr import Call, columns_used, conjuncts, shift


def split_condition(cond, n_left: int):
    """(left keys, right keys (over the right row), null-safe flags, residual or None)."""
    lk, rk, safe, rest = [], [], [], []
    for c in conjuncts(cond):
        pair = _key_pair(c, n_left)
        if pair is None:
            rest.append(c)
            continue
        left, right, null_safe = pair
        lk.append(left)
        rk.append(shift(right, -n_left))
        safe.append(null_safe)
    residual = None
    for c in rest:
        residual = c if residual is None else Call("and", (residual, c), c.type, residual.nullable or c.nullable)
    return tuple(lk), tuple(rk), tuple(safe), residual


def _key_pair(c, n_left: int):
    if not (isinstance(c, Call) and c.fn in ("eq", "is_not_distinct")):
        return None
    a, b = c.args
    ca, cb = columns_used(a), columns_used(b)
    if not ca or not cb:
        return None
    if max(ca) < n_left <= min(cb):
        return a, b, c.fn == "is_not_distinct"
    if max(cb) < n_left <= min(ca):
        return b, a, c.fn == "is_not_distinct"
    return None
