"""Binned histograms, DuckDB's HISTOGRAM(x, bins) and HISTOGRAM_EXACT(x, bins), and the "other" bin.

The bins are a constant list (DuckDB reads them from each row; a view keeps them fixed): sorted and made
distinct at compile time, as DuckDB sorts them.  Values and bins are compared in one type, the common
type of x and the bins' elements, a DECIMAL read as a DOUBLE (DuckDB's bind).  A value no bin takes is
counted in the "other" bin, keyed by the largest value of that type as DuckDB keys it: an integer type's
maximum, infinity for a DOUBLE, '' for a VARCHAR, [] for a list; IS_HISTOGRAM_OTHER_BIN(v) tells that
value (and a DECIMAL's largest, a BOOLEAN never).  Other types (dates, whose other bin is DuckDB's
infinite date, structs) are refused.  The counting is runtime/histogram.py's BinnedHistogram.
"""

from __future__ import annotations

import decimal

from ..sqllib.lists import SqlList
from .expr import Lit
from .types import DOUBLE, SqlType, common_type


def bins_type(x: SqlType, elem: SqlType) -> SqlType | None:
    """The type values and bins are compared in, or None when they have none."""
    t = common_type(x, elem)
    if t is not None and t.kind == "decimal":
        return DOUBLE
    return t


def other_bin(t: SqlType):
    """(True, the other bin's key) for a type whose other bin is built, else (False, None)."""
    if t.kind == "int":
        return True, (1 << (t.bits - 1)) - 1
    if t.kind == "float":
        return True, float("inf")
    if t.kind == "text":
        return True, ""
    if t.kind == "list":
        return True, SqlList(())
    return False, None


def prepare_other_bin(binder, node, args, label: str):
    """IS_HISTOGRAM_OTHER_BIN(v): v and its type's other-bin key (a constant the call compares with)."""
    v, = args
    t = v.type
    if t.kind == "decimal":
        return [v, Lit(decimal.Decimal(10 ** t.precision - 1).scaleb(-t.scale), t)]
    if t.kind == "bool":
        return [v, Lit(None, t)]  # (never the other bin)
    built, other = other_bin(t)
    if not built and t.kind != "null":
        raise binder.error(node, f"{label} of a {t} is not supported")
    return [v, Lit(other, t)]
