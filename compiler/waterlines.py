"""Waterlines: which columns of a plan's relations only ever change at or above a bound that moves
forward with the tables' watermarks, and what state that lets each operator discard.

A *bound* of a column c of relation R is an expression over watermarks (``Call("watermark")``
leaves, one per watermarked table column) such that every change R may still undergo (insertion
or deletion, from the next step on) has ``c`` NULL or ``c >= bound``.  Several alternatives may
hold at once; a bound is a tuple of expressions meaning their least (their minimum, so it is
``None`` while any is).  Rules, each a law of the operator it crosses:

- a table column declared with a LATENESS: its watermark (engine/tables.py drops what is below);
- filters keep their input's bounds (a subset of the changes);
- a projection ``f(x)`` with f non-decreasing in x (other arguments constant) has bound ``f(bound
  of x)``, since ``x >= b`` implies ``f(x) >= f(b)`` (``MONOTONE`` lists such functions);
- an inner join's changes are Δa ⋈ Ib or Ia ⋈ Δb: on the first path a's columns have a's bounds and
  b's columns what the condition implies (``b.y = a.x``, ``b.y >= e(a)`` with e non-decreasing);
  symmetrically on the second; an output column is bounded where both paths bound it (the least).
  With ``state_bounds``, a column of a that only a's own watermarks bound (none on the path through
  Ia) gets, on that path, the least value of it among the rows the join keeps of a (a ``KEPT``
  leaf): every later change there pairs a row kept now or one to come, and one to come is at or
  above a's bound, so least(a's bound, that least) only moves forward (Nexmark q6: the sellers of the
  auctions still open).  Only for a side whose rows the join drops (its kept rows stay few: the least
  is read by a scan of them at each step);
- an outer join or semi-join adds the rows of one side whose match changed: a change of the other
  side reaches them only through the keys, so their key columns keep the least of both sides'
  bounds, and their other columns are bounded only by their own side;
- an aggregate's changes are to the groups its input changes touch: its group-key columns keep the
  bound of their key expression; likewise top-k and window functions keep the bounds of their
  partition columns; DISTINCT and UNION ALL keep (the least of) their inputs' bounds.

From bounds follow the ``expiries`` of stateful operators: entries keyed by a value below the bound
of what may still reach them can be dropped, because no later change can touch them (a group of an
aggregate, a row of a join side that no later row of the other side can match, a partition of
top-k).  ``join_expiries`` also reads a join's residual condition: ``lo <= hi`` with lo over one
side and non-decreasing in a bounded column lets the other side drop rows whose hi is below lo's
bound (an interval join's rows that every later partner lies after).
"""

from __future__ import annotations

import datetime
import re

from . import plan as P
from .expr import Call, Case, Col, Lit, columns_used, conjuncts, is_constant, replace, shift
from .temporal import has_now
from .types import BIGINT

WATERMARK = "watermark"
KEPT = "kept_least"  # the least value of a column among the rows a join keeps of one side

# fn -> the argument in which it is non-decreasing (the others must be constants)
MONOTONE = {"add_interval": 0, "sub_interval": 0, "time_bucket": 1, "date_trunc": 0, "date_add_days": 0,
            "strftime": 0}
_NUMERIC_CASTS = ("int", "float", "decimal")
_STRFTIME_ORDER = ("%Y", "%m", "%d", "%H", "%M", "%S")


def leaf(table: str, k: int, column: str, type_) -> Call:
    """The watermark of table's k-th watermarked column (a bound's leaf)."""
    return Call(WATERMARK, (), type_, True, (table, k, column))


def kept(join, side: int, column: int, name: str, type_) -> Call:
    """The least non-NULL ``column`` among the rows ``join`` keeps of its ``side`` (0 left, 1 right)."""
    return Call(KEPT, (), type_, True, (join, side, column, name))


def leaf_name(x) -> str:
    if x.fn == KEPT:
        return f"least {x.extra[3]} the join keeps"
    return f"watermark({x.extra[0]}.{x.extra[2]})"


def bound_text(bound) -> str:
    """A bound as text: its expressions over watermarks named ``watermark(table.column)``."""
    found = leaves(bound)
    names = [leaf_name(x) for x in found]
    parts = [pretty(with_leaves_as_columns(e, found), names) for e in bound]
    return parts[0] if len(parts) == 1 else f"least({', '.join(parts)})"


def pretty(e, names) -> str:
    """An expression as SQL-like text for explanations (constants as SQL literals)."""
    if isinstance(e, Col):
        return names[e.index] if e.index < len(names) else f"#{e.index}"
    if isinstance(e, Lit):
        v = e.value
        if isinstance(v, datetime.datetime):
            return f"TIMESTAMP '{v}'"
        if isinstance(v, datetime.date):
            return f"DATE '{v}'"
        if isinstance(v, datetime.timedelta):
            months = getattr(v, "months", 0)
            return f"INTERVAL '{months} months {v - datetime.timedelta(days=30 * months)}'" if months else \
                f"INTERVAL '{v}'"
        return repr(v)
    if isinstance(e, Case):
        whens = " ".join(f"WHEN {pretty(c, names)} THEN {pretty(v, names)}" for c, v in e.whens)
        return f"CASE {whens} ELSE {pretty(e.default, names)} END"
    args = [pretty(a, names) for a in e.args]
    if e.fn in ("add_interval", "add") and len(args) == 2:
        return f"{args[0]} + {args[1]}"
    if e.fn in ("sub_interval", "sub") and len(args) == 2:
        return f"{args[0]} - {args[1]}"
    if e.fn in ("date_trunc", "extract"):
        return f"{e.fn}('{e.extra}', {', '.join(args)})"
    return f"{e.fn}({', '.join(args)})"


def with_leaves_as_columns(e, found: list):
    """e with each watermark leaf replaced by Col(its position in ``found``)."""
    return replace(e, lambda x: Col(found.index(x), x.type, True, leaf_name(x))
                   if isinstance(x, Call) and x.fn in (WATERMARK, KEPT) else None)


def leaves(bound) -> list:
    """The watermark leaves a bound reads, each once, in order."""
    out = []
    for e in bound:
        stack = [e]
        while stack:
            x = stack.pop()
            if isinstance(x, Call) and x.fn in (WATERMARK, KEPT):
                if x not in out:
                    out.append(x)
            elif isinstance(x, Call):
                stack.extend(x.args)
            elif isinstance(x, Case):
                stack.append(x.default)
                stack.extend(a for pair in x.whens for a in pair)
    return out


def portable(bounds: tuple) -> tuple:
    """A view's column bounds as other views may read them: without those that read what one of its
    joins keeps (KEPT: only that view's lowering has the join at hand)."""
    return tuple(None if b is not None and any(x.fn == KEPT for x in leaves(b)) else b for b in bounds)


def least(a, b):
    """The bound that holds where both do: the least of two bounds (None if either is None)."""
    if a is None or b is None:
        return None
    return tuple(dict.fromkeys(a + b))


def expr_bound(e, bounds):
    """The bound of expression e over a row whose columns have ``bounds``, or None."""
    if isinstance(e, Col):
        return bounds[e.index]
    if isinstance(e, Lit):
        return (e,) if e.value is not None else None
    if not isinstance(e, Call):
        return None
    k = _monotone_argument(e)
    if k is None:
        return None
    inner = expr_bound(e.args[k], bounds)
    if inner is None:
        return None
    out = []
    for b in inner:
        args = e.args[:k] + (b,) + e.args[k + 1:]
        x = Call(e.fn, args, e.type, True, e.extra)
        if e.fn == "strftime":  # order-preserving only for 4-digit years
            year = Call("extract", (b,), BIGINT, True, "year")
            x = Case(((Call("ge", (year, Lit(1000, BIGINT)), P.BOOLEAN, True), x),), Lit(None, e.type), e.type)
        out.append(x)
    return tuple(out)


def _monotone_argument(e: Call):
    """The argument in which e is non-decreasing with every other argument constant, or None."""
    fn, args = e.fn, e.args
    if fn in ("add", "sub") and e.type.numeric and len(args) == 2:
        if is_constant(args[1]):
            return 0
        return 1 if fn == "add" and is_constant(args[0]) else None
    if fn == "cast" and len(args) == 1:
        src, dst = args[0].type.kind, e.type.kind
        if (src in ("date", "timestamp") and dst in ("date", "timestamp")) or \
                (src in _NUMERIC_CASTS and dst in _NUMERIC_CASTS):
            return 0
        return None
    if fn == "extract" and e.extra in ("year", "epoch", "epoch_ms", "epoch_us") and len(args) == 1:
        return 0
    if fn == "strftime" and not _order_preserving(args[1] if len(args) > 1 else None):
        return None
    k = MONOTONE.get(fn)
    if k is None or k >= len(args):
        return None
    if all(is_constant(a) for i, a in enumerate(args) if i != k):
        return k
    return None


def _order_preserving(fmt) -> bool:
    """A strftime format whose texts sort as their timestamps do: fixed-width fields from the year
    down (%Y, %m, %d, %H, %M, %S, a prefix of that order) between constant separators."""
    if not isinstance(fmt, Lit) or not isinstance(fmt.value, str):
        return False
    fields = re.findall(r"%.", fmt.value)
    if not fields or list(fields) != list(_STRFTIME_ORDER[:len(fields)]):
        return False
    return not re.search(r"[0-9]", re.sub(r"%.", "", fmt.value))


# -- the analysis ---------------------------------------------------------------------------------

class Waterlines:
    """Bounds of every column of every plan node, memoized.  ``tables(name)`` gives a base table's
    column bounds (a tuple, None where unbounded), ``views(name)`` those of a view's output."""

    def __init__(self, tables, views, state_bounds: bool = False):
        self.tables = tables
        self.views = views
        self.state_bounds = state_bounds  # KEPT leaves (not on sharded pipelines: a worker keeps a shard)
        self.memo: dict = {}

    def of(self, node) -> tuple:
        key = id(node)
        hit = self.memo.get(key)
        if hit is None:
            hit = (node, self._of(node))  # the node is kept so its id stays its own
            self.memo[key] = hit
        return hit[1]

    def _of(self, node) -> tuple:
        width = len(node.fields)
        none = (None,) * width
        if isinstance(node, P.Scan):
            found = self.views(node.table) if node.is_view else self.tables(node.table)
            return tuple(found) if found is not None else none
        if isinstance(node, P.Filter) and has_now(node.predicate):
            return none  # rows enter and leave as the clock moves, whatever their age
        if isinstance(node, (P.Filter, P.Distinct)):
            return self.of(node.input)
        if isinstance(node, P.Project):
            inner = self.of(node.input)
            return tuple(expr_bound(e, inner) for e in node.exprs)
        if isinstance(node, P.Join):
            return self._join(node)
        if isinstance(node, P.Semijoin):
            left = self.of(node.left)
            right = self.of(node.right)
            out = [None] * width
            for lk, rk in zip(node.left_keys, node.right_keys):
                if isinstance(lk, Col):
                    out[lk.index] = least(left[lk.index], expr_bound(rk, right))
            return tuple(out)
        if isinstance(node, P.AsofJoin):
            return none
        if isinstance(node, P.Aggregate):
            inner = self.of(node.input)
            keys = [expr_bound(k, inner) for k in node.keys]
            return tuple(keys) + (None,) * (width - len(keys))
        if isinstance(node, (P.TopK, P.Window)):
            inner = self.of(node.input)
            out = [None] * width
            for p in node.partition:
                if isinstance(p, Col):
                    out[p.index] = inner[p.index]
            return tuple(out)
        if isinstance(node, P.Session):
            # a row at time t >= W only reaches sessions ending at or after t, and starts one that
            # ends after t: window_end keeps the time's bound; nothing else does (old rows of a
            # session are emitted again as it grows)
            return (None,) * (width - 1) + (expr_bound(node.time, self.of(node.input)),)
        if isinstance(node, P.UnionAll):
            parts = [self.of(p) for p in node.parts]
            return tuple(_least_all(bs) for bs in zip(*parts))
        if isinstance(node, P.SetOp):
            return tuple(least(a, b) for a, b in zip(self.of(node.left), self.of(node.right)))
        return none  # Values (only changes at its first step), RecRef, Fixpoint, …

    def _join(self, node: P.Join) -> tuple:
        left, right = self.of(node.left), self.of(node.right)
        nl = len(left)
        facts = _join_facts(node)
        via_left = _close(list(left) + [None] * len(right), facts)
        via_right = _close([None] * nl + list(right), facts)
        if self.state_bounds and node.kind == "inner":
            # only a side whose kept rows the join drops (else reading their least would cost a scan of
            # everything the side ever had, at every step)
            drops = [bool(keys or rows) for keys, rows in join_expiries(node, self)]
            for i, f in enumerate(node.fields):
                own, other = (left[i], via_right) if i < nl else (right[i - nl], via_left)
                if own is not None and other[i] is None and drops[0 if i < nl else 1] and \
                        not all(isinstance(x, Lit) for x in own):
                    side, col = (0, i) if i < nl else (1, i - nl)
                    other[i] = (kept(node, side, col, f.name, f.type),)
        inner = [least(a, b) for a, b in zip(via_left, via_right)]
        if node.kind == "inner":
            return tuple(inner)
        # unmatched rows of a preserved side: its own bounds on its own columns, least of both sides on
        # the key columns; the other side's columns are NULL there
        out = list(inner)
        sides = []
        if node.kind in ("left", "full"):
            sides.append((range(nl), node.left_keys, node.right_keys, left, right, 0))
        if node.kind in ("right", "full"):
            sides.append((range(nl, nl + len(right)), node.right_keys, node.left_keys, right, left, nl))
        for cols, own_keys, other_keys, own, other, offset in sides:
            padded = [None] * len(out)
            for ok, xk in zip(own_keys, other_keys):
                if isinstance(ok, Col):
                    padded[ok.index + offset] = least(own[ok.index], expr_bound(xk, other))
            for i in range(len(out)):
                if i in cols:
                    out[i] = least(out[i], padded[i])
        return tuple(out)


def _least_all(bounds):
    out = bounds[0]
    for b in bounds[1:]:
        out = least(out, b)
    return out


def _join_facts(node: P.Join) -> list:
    """The join condition as facts ``hi >= lo`` over the concatenated row (hi a column)."""
    nl = len(node.left.fields)
    facts = []
    for lk, rk in zip(node.left_keys, node.right_keys):
        rk = shift(rk, nl)
        facts += [(lk, rk), (rk, lk)]
    if node.residual is not None:
        for c in conjuncts(node.residual):
            pair = _ordered(c)
            if pair is not None:
                lo, hi = pair
                facts.append((hi, lo))
                if c.fn == "eq":
                    facts.append((lo, hi))
    return [(hi, lo) for hi, lo in facts if isinstance(hi, Col)]


def _ordered(c):
    """(lo, hi) of a comparison lo <= hi (or <, =), or None."""
    if not isinstance(c, Call) or len(c.args) != 2:
        return None
    a, b = c.args
    if c.fn in ("le", "lt", "eq"):
        return a, b
    if c.fn in ("ge", "gt"):
        return b, a
    return None


def _close(bounds: list, facts: list) -> list:
    """Bounds implied by facts hi >= lo: hi gets lo's bound (a few rounds reach chains)."""
    for _ in range(3):
        changed = False
        for hi, lo in facts:
            if bounds[hi.index] is None:
                b = expr_bound(lo, bounds)
                if b is not None:
                    bounds[hi.index] = b
                    changed = True
        if not changed:
            break
    return bounds


# -- expiries: what each stateful operator may drop --------------------------------------------------

def key_expiries(keys, bounds) -> list:
    """(position in keys, bound) of each key expression with a bound: state keyed by these keys may
    drop the entries whose key at one of these positions is below its bound."""
    out = []
    for i, k in enumerate(keys):
        b = expr_bound(k, bounds)
        if b is not None and not all(isinstance(x, Lit) for x in b):
            out.append((i, b))
    return out


def join_expiries(node: P.Join, lines: Waterlines):
    """For each side of an inner join: what its arrangement may drop, as (key rules, row rules):
    key rules (position in the join key, bound) and row rules (expression over the side's row,
    bound); a row of that side whose key part or expression is below the bound can never match a
    later row of the other side."""
    left, right = lines.of(node.left), lines.of(node.right)
    nl = len(left)
    out = []
    for side in ("left", "right"):
        keys, other_keys, other = ((node.left_keys, node.right_keys, right) if side == "left" else
                                   (node.right_keys, node.left_keys, left))
        key_rules = []
        for j, ok in enumerate(other_keys):
            b = expr_bound(ok, other)
            if b is not None and not all(isinstance(x, Lit) for x in b):
                key_rules.append((j, b))
        row_rules = []
        for c in conjuncts(node.residual) if node.residual is not None else ():
            pair = _ordered(c)
            if pair is None:
                continue
            for lo, hi in ((pair,) if c.fn != "eq" else (pair, pair[::-1])):
                mine = _side_expr(hi, side, nl)
                theirs = _side_expr(lo, "right" if side == "left" else "left", nl)
                if mine is None or theirs is None:
                    continue
                b = expr_bound(theirs, other)
                if b is not None and not all(isinstance(x, Lit) for x in b):
                    row_rules.append((mine, b))
        out.append((key_rules, row_rules))
    return out


def _side_expr(e, side: str, nl: int):
    """e over one side's own row, if it reads only that side (and something of it); else None."""
    cols = columns_used(e)
    if not cols:
        return None
    if side == "left" and max(cols) < nl:
        return e
    if side == "right" and min(cols) >= nl:
        return shift(e, -nl)
    return None
