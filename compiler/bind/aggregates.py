"""Aggregate calls: a sqlglot aggregate node -> P.AggCall, built from its entry in the aggregate
registry (compiler/aggregates.py): arguments taken as the entry says, its result type and NULL
handling, DISTINCT and ORDER BY where it reads them, FILTER always.

Laws: the entry decides (see compiler/aggregates.py): a refused aggregate is a CompileError at its
position naming the reason, and so is one that needs ORDER BY written without it; DISTINCT where the entry has no state for it is refused, where it changes
nothing (MIN, MAX) dropped; an entry's own rule (``agg_<rule>``) binds what the generic path cannot.
"""

from __future__ import annotations

import re
from fractions import Fraction

from sqlglot import exp

from .. import aggregate_states as AS
from .. import aggregates as AG
from .. import histogram_bins as HB
from ..codegen import NOT_CONSTANT, Codegen
from ...runtime.aggregates import order_key
from .. import lists
from .. import plan as P
from ..bind_expr import ExprBinder
from ..export_state import ExportState
from ..expr import Call, Case, Lit
from ..frontend import token_span
from ..types import (BIGINT, DOUBLE, HUGEINT, INTEGER, INTERVAL, TEXT, TIMESTAMP, TIMESTAMP_NS, list_of,
                     map_of)
from .builders import and_, call, is_not_null, not_


def _from_uhugeint(e) -> bool:
    """e is a UHUGEINT taken as a DOUBLE (aggregate_argument)."""
    return isinstance(e, Call) and e.fn == "cast" and e.args[0].type.kind == "uhugeint"


TEMPORAL_MAD = ("date", "timestamp", "timestamptz", "time")  # MAD of these is an INTERVAL


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


def _written_arguments(node, sql: str) -> int:
    """How many arguments a call has in the text (sqlglot keeps only those its node has room for)."""
    span = token_span(node)
    if span is None or not sql[:span[0]].rstrip().endswith("("):  # not written as a call (WITHIN GROUP)
        return 0
    depth, count, quote = 0, 1, None
    for ch in sql[span[0]:]:  # from the first argument to the call's closing parenthesis
        if quote:
            quote = None if ch == quote else quote
        elif ch in "'\"":
            quote = ch
        elif ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
            if depth < 0:
                break
        elif ch == "," and depth == 0:
            count += 1
    return count


def _counted_bits(node) -> bool:
    """Whether an aggregate call is read only by BIT_COUNT (through parentheses): it and every call equal to
    it in the query (which the binder computes once)."""
    def counted(n) -> bool:
        parent = n.parent
        while isinstance(parent, exp.Paren):
            parent = parent.parent
        return isinstance(parent, exp.Anonymous) and parent.name.lower() == "bit_count" and len(parent.expressions) == 1
    return all(counted(n) for n in node.root().find_all(type(node)) if n == node)


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
        ignore_nulls = isinstance(node, exp.IgnoreNulls) or isinstance(node.parent, exp.IgnoreNulls)
        if isinstance(node, exp.IgnoreNulls):
            node = node.this
        distinct = False
        arg_node = node.this
        order = ()
        while isinstance(arg_node, (exp.Distinct, exp.Order)):
            if isinstance(arg_node, exp.Order):
                self.no_literal_order_keys(arg_node)
                order = tuple((eb.bind(o.this), bool(o.args.get("desc")), bool(o.args.get("nulls_first")))
                              for o in arg_node.expressions)
                arg_node = arg_node.this
            else:
                distinct = True
                if len(arg_node.expressions) != 1:
                    raise self.error(node, "aggregates over several DISTINCT arguments are not supported")
                arg_node = arg_node.expressions[0]
        entry = AG.lookup(node)
        if entry is None:
            raise self.error(node, f"unsupported aggregate {type(node).__name__}")
        name = _agg_name(node, self.sql)
        if entry.refused:
            raise self.error(node, entry.refused.format(name=name))
        if entry.unordered and not order:
            raise self.error(node, entry.unordered.format(name=name))
        if distinct and not entry.distinct:
            raise self.error(node, f"DISTINCT is not supported in {name}")
        if entry.distinct == AG.SAME:
            distinct = False
        if ignore_nulls and not entry.ignore_nulls:
            raise self.error(node, f"IGNORE NULLS is not supported in {name}")
        if ignore_nulls or entry.always_ignores_nulls:
            return self.agg_ignoring_nulls(entry, node, eb, arg_node, distinct, filt, order, name)
        if entry.rule:
            return getattr(self, "agg_" + entry.rule)(entry, node, eb, arg_node, distinct, filt, order, name)
        args = self.aggregate_values(entry, node, eb, arg_node, name)
        if distinct and _from_uhugeint(args[0]):
            raise self.error(node, f"{name}(DISTINCT x) of a UHUGEINT is not supported (DuckDB takes the distinct "
                                   f"UHUGEINTs, then sums them as DOUBLEs)")
        arg = args[0] if len(args) == 1 else call("pair", args, args[0].type)
        return P.AggCall(entry.fn, arg, distinct, filt, entry.result_type(args, self.dialect), entry.nullable,
                         order if entry.order else ())

    def no_literal_order_keys(self, order_node) -> None:
        """agg(x ORDER BY 'k'): DuckDB refuses an ORDER BY key that is a literal other than an integer
        (it has no effect), as in a query's ORDER BY; agg(x, ',' ORDER BY y, '_') is such a key."""
        if self.dialect.name != "duckdb":
            return
        for o in order_node.expressions:
            e = o.this
            if isinstance(e, (exp.Boolean, exp.Null)) or (isinstance(e, exp.Literal) and not e.is_int):
                raise self.error(e, f"ORDER BY a non-integer literal ({e.sql()}) has no effect")

    def agg_ignoring_nulls(self, entry, node, eb, arg_node, distinct, filt, order, name) -> P.AggCall:
        """agg(x IGNORE NULLS) = agg(x) FILTER (WHERE x IS NOT NULL) (FIRST, LAST, ANY_VALUE)."""
        x, = self.aggregate_values(entry, node, eb, arg_node, name)
        keep = is_not_null(x)
        return P.AggCall(entry.fn, x, distinct, keep if filt is None else and_(filt, keep),
                         entry.result_type([x], self.dialect), entry.nullable, order)

    def aggregate_values(self, entry, node, eb: ExprBinder, arg_node, name: str) -> list:
        """The arguments of an aggregate call, bound and taken as its entry says."""
        bound = [eb.bind(a) for a in self.aggregate_nodes(entry, node, arg_node, name)]
        return [self.aggregate_argument(kind, node, e, eb, name) for kind, e in zip(entry.args, bound)]

    def aggregate_nodes(self, entry, node, arg_node, name: str) -> list:
        """The argument expressions of an aggregate call, as many as its entry takes."""
        if isinstance(node, exp.Anonymous):
            nodes = list(node.expressions)
        else:
            nodes = [arg_node] + [v for k, v in node.args.items() if k != "this" and isinstance(v, exp.Expression)]
        if any(isinstance(a, exp.Distinct) for a in nodes):
            raise self.error(node, f"DISTINCT is not supported in {name}")
        if len(nodes) != len(entry.args) or any(a is None for a in nodes):
            raise self.error(node, f"{name} takes {len(entry.args)} argument(s)")
        return nodes

    def aggregate_argument(self, kind: str, node, e, eb: ExprBinder, name: str):
        """An aggregate's bound argument taken as ``kind`` says (compiler/aggregates.py)."""
        if kind == AG.ANY:
            return e
        if kind == AG.CONDITION:
            return eb.as_condition(e, node)
        if kind == AG.BOOLEAN_ARG:
            if e.type.kind not in ("bool", "null"):
                raise self.error(node, f"{name} needs a BOOLEAN, not {e.type}")
            return e
        if kind in (AG.INTEGER, AG.INTEGER_OR_BIT):
            if e.type.kind == "null":
                e = eb.coerce(e, INTEGER, node)
            if kind == AG.INTEGER_OR_BIT and e.type.kind == "bit":
                return e
            if e.type.kind != "int":
                raise self.error(node, f"{name} needs an integer, not {e.type}")
            return e
        if self.dialect.name == "sqlite":  # the numeric kinds: SQLite reads text and booleans as numbers
            e = eb.sqlite_numeric(e, node)
        elif kind == AG.SUMMABLE and e.type.kind == "bool" and name == "SUM":  # DuckDB's SUM(BOOLEAN): the TRUEs
            e = eb.coerce(e, INTEGER, node)
        if e.type.kind == "null" and kind != AG.STATISTIC:
            return eb.coerce(e, BIGINT if kind == AG.SUMMABLE else DOUBLE, node)
        if e.type.kind == "uhugeint":  # DuckDB's SUM/AVG/MEDIAN/MAD of a UHUGEINT: of each value as a DOUBLE
            return eb.coerce(e, DOUBLE, node)
        if not e.type.numeric and e.type.kind != "null":
            raise self.error(node, f"{name} needs a number, not {e.type}")
        return eb.coerce(e, DOUBLE, node) if kind == AG.AS_DOUBLE else e

    # -- the entries' rules of their own (compiler/aggregates.py: rule=…) ------------------------------
    def agg_count(self, entry, node, eb, arg_node, distinct, filt, order, name) -> P.AggCall:
        """COUNT(*) counts rows (its own entry, count_star); COUNT(x) the rows where x is not NULL."""
        if node.expressions:  # COUNT(a, b): no such function in DuckDB, Postgres or SQLite
            raise self.error(node, f"COUNT takes one argument or *, not {1 + len(node.expressions)}")
        if arg_node is None or isinstance(arg_node, exp.Star):
            if distinct:
                raise self.error(node, "COUNT(DISTINCT *) is not valid SQL")
            return P.AggCall("count_star", None, False, filt, BIGINT, False)
        return P.AggCall(entry.fn, eb.bind(arg_node), distinct, filt, BIGINT, False)

    def agg_total(self, entry, node, eb, arg_node, distinct, filt, order, name) -> P.AggCall:
        """SQLite's TOTAL(x), an anonymous call: its DISTINCT is inside the argument list."""
        if len(node.expressions) != 1:
            raise self.error(node, "TOTAL takes one argument")
        arg_node = node.expressions[0]
        if isinstance(arg_node, exp.Distinct):
            distinct, arg_node = True, arg_node.expressions[0]
        arg = eb.coerce(eb.sqlite_numeric(eb.bind(arg_node), node), DOUBLE, node)
        return P.AggCall(entry.fn, arg, distinct, filt, DOUBLE, False)

    def agg_extreme(self, entry, node, eb, arg_node, distinct, filt, order, name) -> P.AggCall:
        """MIN / MAX of one argument (sqlglot reads SQLite's MIN(a, b) as an aggregate too)."""
        arg = eb.bind(arg_node)
        if node.expressions:
            raise self.error(node, "MIN/MAX take one argument")
        return P.AggCall(entry.fn, arg, False, filt, arg.type)

    def agg_string_agg(self, entry, node, eb, arg_node, distinct, filt, order, name) -> P.AggCall:
        """STRING_AGG(x [, separator] [ORDER BY …]): the separator a string constant (default ',')."""
        arg = eb.bind(arg_node)
        sep_node = node.args.get("separator")
        sep = eb.bind(sep_node) if sep_node is not None else Lit(",", TEXT)
        if not isinstance(sep, Lit) or not isinstance(sep.value, str):
            raise self.error(sep_node or node, "the STRING_AGG separator must be a string constant")
        if distinct and sep_node is not None and self.dialect.name == "sqlite":
            raise self.error(node, "DISTINCT aggregates must have exactly one argument")
        return P.AggCall(entry.fn, eb.to_text(arg, node), distinct, filt, TEXT, True, order, sep.value)

    def agg_export_state(self, entry, node, eb, arg_node, distinct, filt, order, name) -> P.AggCall:
        """agg(x) EXPORT_STATE: the aggregate's state (compiler/aggregate_states.py), fed what agg is fed."""
        core = arg_node.this if isinstance(arg_node, exp.Filter) else arg_node
        core = core.this if isinstance(core, exp.IgnoreNulls) else core
        if not AG.is_aggregate(core) or isinstance(core, ExportState) or isinstance(node.parent, exp.Window):
            if not AG.is_aggregate(core) and not isinstance(core, ExportState):
                eb.bind(core)  # a function refused for its own reason says so
            raise self.error(node, "EXPORT_STATE is only supported right after an aggregate call (not of a "
                                   "window function), as in sum(x) EXPORT_STATE")
        inner = self.agg_call(arg_node, eb)
        if inner.distinct:
            raise self.error(node, "EXPORT_STATE of a DISTINCT aggregate is not supported (as in DuckDB: the "
                                   "state does not keep the set of distinct values)")
        return P.AggCall("export_state", inner.arg, False, inner.filter, AS.state_type(inner), False, inner.order)

    def agg_combine_aggr(self, entry, node, eb, arg_node, distinct, filt, order, name) -> P.AggCall:
        """COMBINE_AGGR(state): the state of all the group's states (NULL states skipped)."""
        x, = self.aggregate_values(entry, node, eb, arg_node, name)
        if not AS.is_state(x.type):
            raise self.error(node, f"COMBINE_AGGR needs an aggregate state (agg(…) EXPORT_STATE), not {x.type}")
        return P.AggCall("combine_aggr", x, False, filt, x.type, False)

    def agg_histogram(self, entry, node, eb, arg_node, distinct, filt, order, name) -> P.AggCall:
        """HISTOGRAM(x): a map from value to count; HISTOGRAM(x, bins): counted into bins."""
        if isinstance(node, exp.Anonymous) and len(node.expressions) == 2:
            return self.agg_binned_histogram(AG.BY_FN["histogram_bins"], node, eb, arg_node, distinct, filt,
                                             order, name)
        x, = self.aggregate_values(entry, node, eb, arg_node, name)
        return P.AggCall(entry.fn, x, distinct, filt, entry.result_type([x], self.dialect), entry.nullable)

    def agg_binned_histogram(self, entry, node, eb, arg_node, distinct, filt, order, name) -> P.AggCall:
        """HISTOGRAM(x, bins) / HISTOGRAM_EXACT(x, bins), the bins a constant list (compiler/histogram_bins.py)."""
        x_node, bins_node = self.aggregate_nodes(entry, node, arg_node, name)
        x, bins = eb.bind(x_node), eb.bind(bins_node)
        if bins.type.kind != "list":
            raise self.error(bins_node, f"the bins of {name} must be a list, not {bins.type}")
        t = HB.bins_type(x.type, bins.type.elem)
        built, other = HB.other_bin(t) if t is not None else (False, None)
        if not built:
            raise self.error(node, f"{name} of a {x.type} into bins of {bins.type.elem} is not supported")
        value = Codegen(self.dialect).constant(eb.coerce(bins, list_of(t), bins_node))
        if value is NOT_CONSTANT:
            raise self.error(bins_node, f"the bins of {name} must be a constant list (DuckDB reads them from "
                                        "every row, which a view does not)")
        if value is None or any(b is None for b in value):
            raise self.error(bins_node, f"the bins of {name} cannot be NULL or hold NULL")
        keys = sorted(set(value), key=order_key)
        x = eb.coerce(x, t, x_node)
        return P.AggCall(entry.fn, x, False, filt, map_of(t, HUGEINT), True, param=(tuple(keys), other))

    def agg_bitstring_agg(self, entry, node, eb, arg_node, distinct, filt, order, name) -> P.AggCall:
        """BITSTRING_AGG(x, lo, hi): lo and hi integer constants, lo <= hi; BITSTRING_AGG(c) of a constant c;
        BIT_COUNT(BITSTRING_AGG(x)), the number of distinct values, whatever range DuckDB's statistics give."""
        nodes = list(node.expressions)
        if len(nodes) not in (1, 3):
            raise self.error(node, f"{name} takes one argument or three (x, min, max)")
        x = eb.bind(nodes[0])
        if x.type.kind not in ("int", "uhugeint"):
            raise self.error(node, f"{name} needs an integer, not {x.type}")
        if len(nodes) == 1 and _counted_bits(node):  # BIT_COUNT(BITSTRING_AGG(x)): whatever the range
            bounds = [None, None]
        elif len(nodes) == 1:
            if not isinstance(x, Lit) or x.value is None:
                raise self.error(node, f"{name}(x) takes its range from DuckDB's column statistics (the values a "
                                       f"table ever held, narrowed by filters), which a view does not reproduce: "
                                       f"write {name}(x, min, max)")
            bounds = [x.value, x.value]
        else:
            bounds = []
            for b_node in nodes[1:]:
                b = eb.bind(b_node)
                value = Codegen(self.dialect).constant(b) if b.type.kind in ("int", "uhugeint") else NOT_CONSTANT
                if value is NOT_CONSTANT or value is None:
                    raise self.error(b_node, f"the min and max of {name} must be integer constants")
                bounds.append(value)
            if bounds[0] > bounds[1]:
                raise self.error(node, f"invalid explicit bitstring range: minimum ({bounds[0]}) > maximum "
                                       f"({bounds[1]})")
        return P.AggCall(entry.fn, x, False, filt, entry.result_type([x], self.dialect), True, param=tuple(bounds))

    def agg_decimal_average(self, entry, node, eb, arg_node, distinct, filt, order, name) -> P.AggCall:
        """DECIMAL_AVERAGE(x): x a DECIMAL (DuckDB refuses other numbers; misc-19)."""
        x, = self.aggregate_values(entry, node, eb, arg_node, name)
        if x.type.kind != "decimal":
            raise self.error(node, f"{name} needs a DECIMAL, not {x.type} (cast it, e.g. x::DECIMAL(18, 2))")
        return P.AggCall(entry.fn, x, False, filt, x.type)

    def agg_list(self, entry, node, eb, arg_node, distinct, filt, order, name) -> P.AggCall:
        """LIST / ARRAY_AGG (x ORDER BY …): compiler/lists.py checks that the keys decide the order."""
        return lists.list_agg(self, node, name, eb.bind(arg_node), distinct, order, filt)

    def agg_median(self, entry, node, eb, arg_node, distinct, filt, order, name) -> P.AggCall:
        """MEDIAN(x) and MAD(x): interpolated in x's type (DECIMAL) or in doubles.  The MEDIAN of a
        value that cannot be interpolated (VARCHAR, BOOLEAN, a list) is DuckDB's lower middle value,
        QUANTILE_DISC(x, 0.5)."""
        if entry.fn == "median":
            raw = eb.bind(self.aggregate_nodes(entry, node, arg_node, name)[0])
            if raw.type.kind in ("text", "bool", "list"):
                return P.AggCall("quantile_disc", raw, False, filt, raw.type, True, param=Fraction(1, 2))
        if entry.fn == "mad":
            raw = eb.bind(self.aggregate_nodes(entry, node, arg_node, name)[0])
            if raw.type.kind in TEMPORAL_MAD:  # an INTERVAL (runtime/temporal_mad.py)
                return P.AggCall("mad_temporal", raw, False, filt, INTERVAL)
        if entry.fn == "median":
            raw = eb.bind(self.aggregate_nodes(entry, node, arg_node, name)[0])
            if raw.type == TIMESTAMP_NS:
                raise self.error(node, f"{name} of a TIMESTAMP_NS is not supported (DuckDB interpolates in "
                                       f"nanoseconds, which a value here cannot hold)")
            if raw.type.kind in TEMPORAL_MAD:  # in its unit; a DATE's is a TIMESTAMP (runtime/temporal_median.py)
                t = TIMESTAMP if raw.type.kind == "date" else raw.type
                return P.AggCall("median_temporal", raw, False, filt, t)
        x, = self.aggregate_values(entry, node, eb, arg_node, name)
        _no_real_interpolation(self, node, x, name)
        if entry.fn == "mad" and x.type.kind in ("int", "null"):
            x = eb.coerce(x, DOUBLE, node)  # DuckDB's MAD of an integer is over doubles
        return P.AggCall(entry.fn, x, False, filt, entry.result_type([x], self.dialect))

    def agg_count_if(self, entry, node, eb, arg_node, distinct, filt, order, name) -> P.AggCall:
        """COUNT_IF(c) = SUM(CASE WHEN c THEN 1 WHEN NOT c THEN 0 END): NULL when every c is NULL."""
        c, = self.aggregate_values(entry, node, eb, arg_node, name)
        v = Case(((c, Lit(1, BIGINT)), (not_(c), Lit(0, BIGINT))), Lit(None, BIGINT), BIGINT, True)
        return P.AggCall(entry.fn, v, False, filt, entry.result_type([v], self.dialect))

    def agg_arg_extreme(self, entry, node, eb, arg_node, distinct, filt, order, name) -> P.AggCall:
        """ARG_MAX(arg, val): the state keeps the pairs (val, arg)."""
        a, b = self.aggregate_values(entry, node, eb, arg_node, name)
        return P.AggCall(entry.fn, call("pair", [b, a], b.type), False, filt, entry.result_type([a, b], self.dialect))

    def agg_quantile(self, entry, node, eb, arg_node, distinct, filt, order, name) -> P.AggCall:
        """QUANTILE_CONT / QUANTILE_DISC (x, q): q a constant fraction between -1 and 1 (negative:
        counted from the top)."""
        x_node, q_node = self.aggregate_nodes(entry, node, arg_node, name)
        descending = False
        if isinstance(q_node, exp.Order):  # quantile(x, q ORDER BY x [DESC]): DESC counts from the top (-q)
            keys = q_node.expressions
            if len(keys) != 1 or keys[0].this != x_node:
                raise self.error(q_node, f"ORDER BY inside {name} must order by its argument")
            descending = bool(keys[0].args.get("desc"))
            q_node = q_node.this
        x = eb.bind(x_node)
        q = eb.bind(q_node)
        several = isinstance(q, Lit) and q.type.kind == "list"  # QUANTILE(x, [q1, q2, …]): a list of quantiles
        fractions = list(q.value) if several and q.value is not None else [q.value if isinstance(q, Lit) else None]
        if not isinstance(q, Lit) or not (q.type.numeric or several and (q.type.elem.numeric or not fractions)) or \
                any(f is None or not -1 <= f <= 1 for f in fractions):
            raise self.error(q_node, f"the fraction of {name} must be a number constant between -1 and 1, "
                                     "or a list of them")
        if len({f < 0 for f in fractions}) > 1:
            raise self.error(q_node, f"the fractions of {name} must all have the same sign (DuckDB's rule)")
        if _written_arguments(node, self.sql) > 2:  # sqlglot drops a third argument
            raise self.error(node, f"{name} takes two arguments")
        if entry.fn == "quantile_cont":
            x = self.aggregate_argument(entry.args[0], node, x, eb, name)
            _no_real_interpolation(self, node, x, name)
        t = entry.result_type([x, q], self.dialect)
        if descending:  # counted from the top: -q (DuckDB's negative fraction), the top itself for q = 0
            if any(f < 0 for f in fractions):
                raise self.error(q_node, f"the fraction of {name} ordered DESC must be between 0 and 1")
            fractions = [1 if f == 0 else -f for f in fractions]
        param = tuple(Fraction(str(f)) for f in fractions) if several else Fraction(str(fractions[0]))
        return P.AggCall(entry.fn, x, False, filt, list_of(t) if several else t, True, param=param)
