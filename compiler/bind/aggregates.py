"""Aggregate calls: a sqlglot aggregate node -> P.AggCall (runtime function, argument, DISTINCT,
FILTER, ORDER BY, result type).

Laws: aggregates skip NULLs (COUNT(*) counts rows); SUM of integers is a HUGEINT (BIGINT in SQLite),
of DECIMALs a DECIMAL(38, s); AVG and the statistics are DOUBLEs; an aggregate that is not
deterministic or approximate is refused, as are DISTINCT forms the runtime has no state for.
"""

from __future__ import annotations

import re
from fractions import Fraction

from sqlglot import exp

from .. import lists
from .. import plan as P
from ..bind_expr import ExprBinder
from ..expr import Case, Lit
from ..frontend import token_span
from ..types import BIGINT, BOOLEAN, DOUBLE, HUGEINT, INTEGER, TEXT, decimal_type
from .builders import call, not_

_MORE_AGGREGATES = (exp.ArgMax, exp.ArgMin, exp.PercentileCont, exp.PercentileDisc, exp.Quantile,
                    exp.BitwiseAndAgg, exp.BitwiseOrAgg, exp.BitwiseXorAgg, exp.CountIf, exp.Corr, exp.CovarPop,
                    exp.CovarSamp, exp.RegrSlope, exp.RegrIntercept, exp.RegrR2, exp.RegrCount, exp.RegrAvgx,
                    exp.RegrAvgy, exp.RegrSxx, exp.RegrSyy, exp.RegrSxy, exp.Skewness, exp.Kurtosis)


_MORE_AGGREGATE_NAMES = ("product", "fsum", "favg", "sumkahan", "kahan_sum", "entropy", "kurtosis_pop")


def _agg_name(node, sql: str = "") -> str:
    """The name of an aggregate function as the user wrote it (sqlglot renames some: LIST is
    ARRAY_AGG, MAX_BY is ARG_MAX), upper-cased."""
    if isinstance(node, exp.Anonymous):
        return node.name.upper()
    meta = node.meta
    if "start" in meta and sql[meta["start"]:meta["end"] + 1].replace("_", "").isalnum():
        return sql[meta["start"]:meta["end"] + 1].upper()
    span = token_span(node)  # the name has no position of its own: it is the word before "(" + arguments
    m = re.search(r"([A-Za-z_][A-Za-z0-9_]*)\s*\(\s*(?:DISTINCT\s+)?$", sql[:span[0]], re.I) if span else None
    return (m.group(1) if m else node.sql().split("(")[0]).upper()


def _no_real_interpolation(binder, node, x, name: str) -> None:
    """DuckDB interpolates the quantiles of a FLOAT in 32-bit arithmetic (a FLOAT result): not built."""
    if x.type.kind == "float" and x.type.bits == 32:
        raise binder.error(node, f"{name} of a FLOAT (interpolated in 32-bit floats) is not supported; "
                                 "cast the argument to DOUBLE")


class AggregateBinding:
    """QueryBinder methods for the constructs above (mixed into QueryBinder)."""

    def agg_call(self, node, eb: ExprBinder) -> P.AggCall:
        filt = None
        if isinstance(node, exp.Filter):
            cond_node = node.expression.this if isinstance(node.expression, exp.Where) else node.expression
            filt = eb.condition(cond_node)
            node = node.this
        distinct = False
        arg_node = node.this
        order = ()
        while isinstance(arg_node, (exp.Distinct, exp.Order)):
            if isinstance(arg_node, exp.Order):
                order = tuple((eb.bind(o.this), bool(o.args.get("desc")), bool(o.args.get("nulls_first")))
                              for o in arg_node.expressions)
                arg_node = arg_node.this
            else:
                distinct = True
                if len(arg_node.expressions) != 1:
                    raise self.error(node, "aggregates over several DISTINCT arguments are not supported")
                arg_node = arg_node.expressions[0]
        if isinstance(node, exp.Count):
            if arg_node is None or isinstance(arg_node, exp.Star):
                if distinct:
                    raise self.error(node, "COUNT(DISTINCT *) is not valid SQL")
                return P.AggCall("count_star", None, False, filt, BIGINT, False)
            return P.AggCall("count", eb.bind(arg_node), distinct, filt, BIGINT, False)
        if isinstance(node, exp.Anonymous) and node.name.lower() == "total":
            # SQLite's TOTAL(x): the floating-point sum, 0.0 over no rows
            if len(node.expressions) != 1:
                raise self.error(node, "TOTAL takes one argument")
            arg_node = node.expressions[0]
            if isinstance(arg_node, exp.Distinct):
                distinct, arg_node = True, arg_node.expressions[0]
            arg = eb.coerce(eb.sqlite_numeric(eb.bind(arg_node), node), DOUBLE, node)
            return P.AggCall("total", arg, distinct, filt, DOUBLE, False)
        if isinstance(node, (exp.First, exp.Last, exp.Mode)) and order:  # FIRST(x ORDER BY k), MODE(…)
            if distinct:
                raise self.error(node, f"DISTINCT is not supported in {_agg_name(node, self.sql)}")
            arg = eb.bind(arg_node)
            fn = {exp.First: "first", exp.Last: "last", exp.Mode: "mode"}[type(node)]
            return P.AggCall(fn, arg, False, filt, arg.type, True, order)
        if isinstance(node, exp.ArrayAgg):  # LIST / ARRAY_AGG (compiler/lists.py)
            return lists.list_agg(self, node, _agg_name(node, self.sql), eb.bind(arg_node), distinct, order, filt)
        refused = self.refused_aggregate(node, self.sql)
        if refused:
            raise self.error(node, refused)
        if isinstance(node, _MORE_AGGREGATES) or (isinstance(node, exp.Anonymous) and
                                                   node.name.lower() in _MORE_AGGREGATE_NAMES):
            if distinct:
                raise self.error(node, f"DISTINCT is not supported in {_agg_name(node, self.sql)}")
            return self.more_agg_call(node, eb, filt)
        arg = eb.bind(arg_node)
        if isinstance(node, (exp.Sum, exp.Avg)):
            if self.dialect.name == "sqlite":
                arg = eb.sqlite_numeric(arg, node)
            if arg.type.kind == "null":
                arg = eb.coerce(arg, BIGINT)
            if not arg.type.numeric:
                raise self.error(node, f"{type(node).__name__.upper()} needs a number, not {arg.type}")
            if isinstance(node, exp.Avg):
                return P.AggCall("avg", arg, distinct, filt, DOUBLE)
            k = arg.type.kind
            t = (DOUBLE if k == "float" else decimal_type(38, arg.type.scale) if k == "decimal"
                 else (BIGINT if self.dialect.name == "sqlite" else HUGEINT))
            return P.AggCall("sum", arg, distinct, filt, t)
        if isinstance(node, (exp.Min, exp.Max)):
            if node.expressions:
                raise self.error(node, "MIN/MAX take one argument")
            return P.AggCall("min" if isinstance(node, exp.Min) else "max", arg, False, filt, arg.type)
        if isinstance(node, (exp.LogicalAnd, exp.LogicalOr)):
            arg = eb.as_condition(arg, node)
            return P.AggCall("bool_and" if isinstance(node, exp.LogicalAnd) else "bool_or", arg, distinct,
                             filt, BOOLEAN)
        if isinstance(node, exp.GroupConcat):
            sep_node = node.args.get("separator")
            sep = eb.bind(sep_node) if sep_node is not None else Lit(",", TEXT)
            if not isinstance(sep, Lit) or not isinstance(sep.value, str):
                raise self.error(sep_node or node, "the STRING_AGG separator must be a string constant")
            if distinct and sep_node is not None and self.dialect.name == "sqlite":
                raise self.error(node, "DISTINCT aggregates must have exactly one argument")
            return P.AggCall("string_agg", eb.to_text(arg, node), distinct, filt, TEXT, True, order, sep.value)
        if isinstance(node, (exp.Stddev, exp.StddevSamp, exp.StddevPop, exp.Variance, exp.VariancePop,
                             exp.Median)):
            if self.dialect.name == "sqlite":
                arg = eb.sqlite_numeric(arg, node)
            if not arg.type.numeric and arg.type.kind != "null":
                raise self.error(node, f"{type(node).__name__.upper()} needs a number, not {arg.type}")
            fn = {exp.Stddev: "stddev_samp", exp.StddevSamp: "stddev_samp", exp.StddevPop: "stddev_pop",
                  exp.Variance: "var_samp", exp.VariancePop: "var_pop", exp.Median: "median"}[type(node)]
            t = arg.type if fn == "median" and arg.type.kind == "decimal" else DOUBLE
            if fn == "median":
                _no_real_interpolation(self, node, arg, "MEDIAN")
            return P.AggCall(fn, arg, distinct, filt, t)
        raise self.error(node, f"unsupported aggregate {type(node).__name__}")

    @staticmethod
    def refused_aggregate(node, sql: str) -> str | None:
        """Why an aggregate cannot be maintained, or None."""
        name = _agg_name(node, sql)
        if isinstance(node, (exp.First, exp.Last)):
            return (f"{name} without ORDER BY is not deterministic (it takes whichever row arrives first) "
                    f"and cannot be maintained: write {name}(x ORDER BY …)")
        if isinstance(node, exp.AnyValue):
            return f"{name} is not deterministic and cannot be maintained"
        if isinstance(node, (exp.ApproxDistinct, exp.ApproxQuantile)):
            return f"{name} is approximate (its answer depends on how rows arrive); use the exact aggregate"
        if isinstance(node, exp.Mode):
            return ("MODE without ORDER BY is not supported: DuckDB breaks ties by the order it reads rows; "
                    "write MODE(x ORDER BY …)")
        if isinstance(node, exp.ArrayAgg) or name == "HISTOGRAM":
            return f"{name} is not supported (list and map values are not supported)"
        return None

    def more_agg_call(self, node, eb: ExprBinder, filt) -> P.AggCall:
        """The aggregates of runtime/statistics.py and the bit, argument, product and alias ones."""
        name = _agg_name(node, self.sql)
        if isinstance(node, exp.Anonymous):
            args = list(node.expressions)
        else:
            args = [node.this] + [v for k, v in node.args.items() if k != "this" and isinstance(v, exp.Expression)]

        def numeric(e, what=name):
            if self.dialect.name == "sqlite":
                e = eb.sqlite_numeric(e, node)
            if e.type.kind == "null":
                return eb.coerce(e, DOUBLE, node)
            if not e.type.numeric:
                raise self.error(node, f"{what} needs a number, not {e.type}")
            return e

        lname = name.lower()
        pairwise = isinstance(node, (exp.ArgMax, exp.ArgMin, exp.Corr, exp.CovarPop, exp.CovarSamp, exp.RegrSlope,
                                     exp.RegrIntercept, exp.RegrR2, exp.RegrCount, exp.RegrAvgx, exp.RegrAvgy,
                                     exp.RegrSxx, exp.RegrSyy, exp.RegrSxy))
        quantile = isinstance(node, (exp.PercentileCont, exp.PercentileDisc, exp.Quantile))
        if any(isinstance(a, exp.Distinct) for a in args):
            raise self.error(node, f"DISTINCT is not supported in {name}")
        if len(args) != (2 if pairwise or quantile else 1):
            raise self.error(node, f"{name} takes {2 if pairwise or quantile else 1} argument(s)")
        if isinstance(node, exp.CountIf):
            # COUNT_IF(c) = SUM(CASE WHEN c THEN 1 WHEN NOT c THEN 0 END): NULL when every c is NULL
            c = eb.bind(args[0])
            if c.type.kind not in ("bool", "null"):
                raise self.error(node, f"{name} needs a BOOLEAN, not {c.type}")
            v = Case(((c, Lit(1, BIGINT)), (not_(c), Lit(0, BIGINT))), Lit(None, BIGINT), BIGINT, True)
            return P.AggCall("sum", v, False, filt, HUGEINT)
        if lname in ("fsum", "sumkahan", "kahan_sum", "favg"):  # compensated float sums: ours are exact
            x = eb.coerce(numeric(eb.bind(args[0])), DOUBLE, node)
            return P.AggCall("avg" if lname == "favg" else "sum", x, False, filt, DOUBLE)
        if pairwise:
            a, b = eb.bind(args[0]), eb.bind(args[1])
            if isinstance(node, (exp.ArgMax, exp.ArgMin)):  # ARG_MAX(arg, val): the pair (val, arg)
                fn, t = ("arg_max" if isinstance(node, exp.ArgMax) else "arg_min"), a.type
                a, b = b, a
            else:
                a, b = numeric(a), numeric(b)
                fn = lname
                t = BIGINT if fn == "regr_count" else DOUBLE
            return P.AggCall(fn, call("pair", [a, b], a.type), False, filt, t, fn != "regr_count")
        if quantile:
            x = eb.bind(args[0])
            q = eb.bind(args[1])
            if not isinstance(q, Lit) or not q.type.numeric or q.value is None or not -1 <= q.value <= 1:
                raise self.error(args[1], f"the fraction of {name} must be a number constant between -1 and 1")
            discrete = not isinstance(node, exp.PercentileCont)
            if not discrete:
                x = numeric(x)
                _no_real_interpolation(self, node, x, name)
            t = x.type if discrete or x.type.kind == "decimal" else DOUBLE
            return P.AggCall("quantile_disc" if discrete else "quantile_cont", x, False, filt, t, True,
                             param=Fraction(str(q.value)))
        x = eb.bind(args[0])
        if isinstance(node, (exp.BitwiseAndAgg, exp.BitwiseOrAgg, exp.BitwiseXorAgg)):
            if x.type.kind == "null":
                x = eb.coerce(x, INTEGER, node)
            if x.type.kind != "int":
                raise self.error(node, f"{name} needs an integer, not {x.type}")
            fn = {exp.BitwiseAndAgg: "bit_and", exp.BitwiseOrAgg: "bit_or", exp.BitwiseXorAgg: "bit_xor"}[type(node)]
            return P.AggCall(fn, x, False, filt, x.type)
        if lname == "entropy":
            return P.AggCall("entropy", x, False, filt, DOUBLE, False)
        x = numeric(x)
        if lname == "product":
            return P.AggCall("product", eb.coerce(x, DOUBLE, node), False, filt, DOUBLE)
        fn = {exp.Skewness: "skewness", exp.Kurtosis: "kurtosis"}.get(type(node), lname)
        return P.AggCall(fn, x, False, filt, DOUBLE)
