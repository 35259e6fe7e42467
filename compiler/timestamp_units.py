"""Where a TIMESTAMP_S / TIMESTAMP_MS / TIMESTAMP_NS keeps its type and where it becomes a TIMESTAMP.

DuckDB keeps the unit where a value passes through unchanged — a column, a CAST's argument, TYPEOF,
list literals, comparisons, COALESCE / CASE / GREATEST / LEAST, MIN / MAX / FIRST / LAST / ANY_VALUE /
MODE / ARG_MIN / ARG_MAX / LIST / HISTOGRAM / QUANTILE_DISC, the window functions that return a row's
value — and computes with a TIMESTAMP everywhere else (``x + INTERVAL 1 SECOND``, ``date_trunc``,
``year(x)``, ``x::DATE`` …: TIMESTAMP results), except that DATE_PART / EXTRACT, HOUR … NANOSECOND,
EPOCH*, TIMEZONE* and STRFTIME of a TIMESTAMP_S or _MS take DuckDB's TIMESTAMP_NS overload: the same
values, but an error outside TIMESTAMP_NS's range (1677..2262), as DuckDB's.  Our values of the three are TIMESTAMP values already
(datetimes rounded to the unit), so widening one to TIMESTAMP changes its type, never its value.

Laws: ``widen`` returns its argument unchanged where the parent node passes the value through, else the
same value typed TIMESTAMP (and marks the node, so TYPEOF over it is refused: DuckDB's name there is
decided per function); MEDIAN keeps the unit (runtime/temporal_median.py interpolates in it);
QUANTILE_CONT and MAD of them are refused.
"""

from __future__ import annotations

from sqlglot import exp

from .expr import Call, Lit
from .types import TIMESTAMP, TIMESTAMP_NS

_KEEP = (exp.Cast, exp.TryCast, exp.Typeof, exp.Array, exp.Alias, exp.Select, exp.Paren, exp.Ordered,
         exp.Order, exp.Group, exp.Distinct, exp.Tuple, exp.Min, exp.Max, exp.AnyValue, exp.First, exp.Last,
         exp.ArgMin, exp.ArgMax, exp.ArrayAgg, exp.Count, exp.Mode, exp.PercentileDisc, exp.Quantile, exp.Median,
         exp.Coalesce, exp.Case, exp.If, exp.Greatest, exp.Least, exp.Nullif, exp.Lag, exp.Lead,
         exp.FirstValue, exp.LastValue, exp.NthValue, exp.Window, exp.EQ, exp.NEQ, exp.LT, exp.LTE, exp.GT,
         exp.GTE, exp.NullSafeEQ, exp.NullSafeNEQ, exp.Between, exp.In, exp.Is, exp.Not, exp.Filter,
         exp.IgnoreNulls, exp.RespectNulls, exp.Where, exp.Having)
_KEEP_CALLS = frozenset(("histogram", "median", "list_value", "list_pack", "array_value", "any_value", "arbitrary", "first",
                         "last", "min", "max", "arg_min", "arg_max", "argmin", "argmax", "min_by", "max_by"))
# DuckDB binds these to their TIMESTAMP_NS overload for a TIMESTAMP_S / _MS argument
_AS_NS = (exp.Extract, exp.Hour, exp.Minute, exp.Second, exp.TimeToUnix, exp.UnixToTime, exp.TimeToStr)
_AS_NS_CALLS = frozenset(("date_part", "datepart", "millisecond", "microsecond", "nanosecond", "epoch_us", "epoch_ns",
                          "timezone", "timezone_hour", "timezone_minute"))
_INTERPOLATED = (exp.PercentileCont,)
_INTERPOLATED_CALLS = frozenset(("mad", "quantile_cont", "quantile"))


def is_unit(t) -> bool:
    """A TIMESTAMP_S, TIMESTAMP_MS or TIMESTAMP_NS type."""
    return t.kind == "timestamp" and bool(t.precision)


def widen(eb, node, e):
    """e (the bound node, of a unit type) as its parent node takes it: unchanged, or typed TIMESTAMP."""
    parent = node.parent
    if isinstance(parent, _INTERPOLATED) or (isinstance(parent, exp.Anonymous)
                                             and parent.name.lower() in _INTERPOLATED_CALLS):
        raise eb.error(parent, f"{parent.sql(dialect='duckdb').split('(')[0].upper()} of a {e.type} is not supported "
                               f"(DuckDB interpolates in its unit)")
    if parent is None or isinstance(parent, _KEEP) or (isinstance(parent, exp.Anonymous)
                                                       and parent.name.lower() in _KEEP_CALLS):
        return e
    node.meta["widened_unit"] = True
    if isinstance(parent, _AS_NS) or (isinstance(parent, exp.Anonymous) and parent.name.lower() in _AS_NS_CALLS):
        return e if e.type == TIMESTAMP_NS else Call("cast", (e,), TIMESTAMP_NS, e.nullable, TIMESTAMP_NS)
    if isinstance(e, Lit):
        return Lit(e.value, TIMESTAMP)
    return Call("cast", (e,), TIMESTAMP, e.nullable, TIMESTAMP)


def typeof_widened(arg) -> bool:
    """Whether a TIMESTAMP_S / _MS / _NS inside arg was widened to a TIMESTAMP (TYPEOF is refused)."""
    return any(n.meta_get("widened_unit") for n in arg.walk())
