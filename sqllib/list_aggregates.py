"""The aggregates of a list's elements (LIST_PRODUCT, LIST_BIT_AND, LIST_MODE, …, and list_aggregate's
names for them) and RANGE / GENERATE_SERIES as functions returning lists.

Laws, as DuckDB computes them: a NULL list is NULL; NULL elements are skipped; an aggregate of no
element is NULL (a list of NULLs or an empty list); the list's order is the aggregation order, so
ties are decided by it (LIST_MODE: the value reached first among the most frequent).
- LIST_PRODUCT multiplies the elements as DOUBLEs from left to right;
- LIST_SEM is the population standard deviation over √n (DuckDB's running sums, in doubles);
- LIST_MEDIAN of integers or DOUBLEs is the mean of the middle two in order (NaN above every number);
- RANGE(start, stop, step) counts from start while below stop (above, for a negative step); the
  GENERATE_SERIES spelling includes stop; a step of 0 gives [].
"""

from __future__ import annotations

import math
from .lists import SqlList, element_key
from .numbers import NAN

__all__ = ["aggregate_list", "list_product", "list_bit_and", "list_bit_or", "list_bool_and", "list_bool_or", "list_string_agg",
           "list_sem", "list_mode", "list_median", "list_range", "list_series"]


def _values(v):
    return None if v is None else [x for x in v if x is not None]


def list_product(v):
    vals = _values(v)
    if not vals:
        return None
    out = 1.0
    for x in vals:
        out *= float(x)
    return NAN if out != out else out


def list_bit_and(v):
    vals = _values(v)
    if not vals:
        return None
    out = vals[0]
    for x in vals[1:]:
        out &= x
    return out


def list_bit_or(v):
    vals = _values(v)
    if not vals:
        return None
    out = 0
    for x in vals:
        out |= x
    return out


def list_bool_and(v):
    vals = _values(v)
    return all(vals) if vals else None


def list_bool_or(v):
    vals = _values(v)
    return any(vals) if vals else None


def list_string_agg(v, sep):
    """The elements (already text) joined by sep (NULL elements skipped; NULL if none)."""
    vals = _values(v)
    if not vals or sep is None:
        return None
    return sep.join(vals)


def list_sem(v):
    """The standard error of the mean, sqrt(var_pop / n), with DuckDB's running (Welford) sums in doubles
    over the list in its order, so the last bit is DuckDB's too."""
    vals = _values(v)
    if not vals:
        return None
    n, mean, squares = 0, 0.0, 0.0
    for x in vals:
        x = float(x)
        n += 1
        delta = x - mean
        mean += delta / n
        squares += delta * (x - mean)
    r = math.sqrt(squares / n) / math.sqrt(n) if squares == squares and squares >= 0 else NAN
    return NAN if r != r else r


def list_mode(v):
    vals = _values(v)
    if not vals:
        return None
    counts: dict = {}
    for x in vals:
        k = NAN if x != x else x
        counts[k] = counts.get(k, 0) + 1
    best = max(counts.values())
    return next(k for k, c in counts.items() if c == best)  # (dicts keep first occurrence order)


def list_median(v):
    vals = _values(v)
    if not vals:
        return None
    vals.sort(key=element_key)
    n = len(vals)
    lo, hi = vals[(n - 1) // 2], vals[n // 2]
    if lo != lo or hi != hi:
        return NAN
    if lo == hi:
        return float(lo)
    return lo * 0.5 + hi * 0.5 if isinstance(lo, float) or isinstance(hi, float) else float(lo) * 0.5 + float(hi) * 0.5


def aggregate_list(v, agg):
    """An aggregate over a list's elements (list_mad, list_histogram: compiler/lists.py): ``agg`` is the
    aggregate's runtime state (new / update / result; it skips NULLs), fed each element once."""
    if v is None:
        return None
    st = agg.new()
    for x in v:
        agg.update(st, x, 1)
    return agg.result(st)


def _series(start, stop, step, inclusive: bool):
    if start is None or stop is None or step is None:
        return None
    if not step:
        return SqlList(())
    if inclusive:
        stop = stop + 1 if step > 0 else stop - 1
    return SqlList(range(start, stop, step))


def list_range(start, stop, step):
    return _series(start, stop, step, False)


def list_series(start, stop, step):
    return _series(start, stop, step, True)
