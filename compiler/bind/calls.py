"""Function calls: the scalar function registry (compiler/functions.py), anonymous calls by name,
and the calls that are refused where they appear (aggregates outside an aggregating SELECT,
GROUPING() without GROUP BY, FILTER on a non-aggregate, OVER).

Laws: a registry entry declares its arguments, result type and NULL handling, and the call is built
from it alone; a function that is not deterministic is refused (a view cannot be maintained over
it); an aggregate reaching the expression binder is an error at its position.
"""

from __future__ import annotations

from sqlglot import exp

from .. import functions as FN
from .. import lists, maps, structs
from ..aggregate_states import is_state
from ..aggregates import AGGREGATE_FUNCTION_NAMES
from ..duckdb_binding import constant_format
from ..expr import Call, Lit
from ..types import BIGINT, DATE, TEXT, TIMESTAMP
from .dates import _PART_FUNCTIONS
from .messages import _describe


class CallRules:
    """ExprBinder methods for the constructs above (mixed into ExprBinder)."""

    def _aggregate(self, node):
        if self.allow_aggregates:
            raise AssertionError("aggregate reached the expression binder")
        raise self.error(node, f"aggregate function {_describe(node, self.dialect.name)} is not allowed here")

    _Count = _Sum = _Avg = _Min = _Max = _LogicalAnd = _LogicalOr = _GroupConcat = _AnyValue = _aggregate

    _Stddev = _StddevSamp = _StddevPop = _Variance = _VariancePop = _Median = _aggregate

    def _Grouping(self, node):
        raise self.error(node, "GROUPING() is only allowed in a query with GROUP BY")

    def _Filter(self, node):
        raise self.error(node, "FILTER is only allowed on an aggregate function")

    def _Window(self, node):
        raise self.error(node, "window functions (OVER) are not supported")

    def _Anonymous(self, node):
        name = node.name.lower()
        if name == "now" and not node.expressions:
            return self.now(node)
        if name in AGGREGATE_FUNCTION_NAMES:
            return self._aggregate(node)
        args = node.expressions
        if name in lists.LAMBDA_NAMES and len(args) == 2:  # array_transform(xs, lambda x: …), …
            return lists.lambda_call(self.qb, self, node, lists.LAMBDA_NAMES[name], args[0], args[1])
        if name in ("list_reduce", "array_reduce", "reduce") and len(args) in (2, 3):
            return lists.reduce_call(self.qb, self, node, args)
        if name in ("list_aggr", "list_aggregate", "array_aggr", "array_aggregate"):
            if len(args) == 3 and isinstance(args[1], exp.Literal) and args[1].is_string \
                    and args[1].this.lower() in lists.AGGR_EXTRA:  # list_aggr(xs, 'string_agg', sep)
                return self.function(FN.BY_FN["list_string_agg_sep"], node, [args[0], args[2]])
            return lists.aggr_call(self, node, args)
        if name in lists.AGGREGATE_OF_LIST:
            return lists.aggregate_of_list(self, node, name, args)
        if name == "regexp_split_to_array" and len(args) in (2, 3):
            return self.regex_split(node, args[0], args[1], args[2] if len(args) == 3 else None)
        if name == "list_intersect":
            raise self.error(node, "LIST_INTERSECT is not supported: DuckDB lists the common elements in the order "
                                   "of its hash table, which is not reproduced")
        if name in ("round_even", "roundbankers"):
            return self.round_even(node, args)
        if name == "list_pack":  # list_value's other name
            return lists.array(self, node)
        if name == "list_slice" and len(args) in (3, 4):
            return lists.slice_function(self, node, *args)
        f = FN.BY_NAME.get(name)
        if f is not None and (not f.deterministic or len(f.args) - f.optional <= len(args) and
                              (f.variadic or len(args) <= len(f.args))):
            return self.function(f, node, args)
        if name in ("strpos", "instr") and len(args) == 2:
            hay, needle = (self.to_text(self.bind(a), node) for a in args)
            return FN.call("position", [needle, hay])
        if name in ("ltrim", "rtrim") and 1 <= len(args) <= 2:
            bound = [self.to_text(self.bind(a), node) for a in args]
            return Call("trim", tuple(bound), TEXT, any(a.nullable for a in bound),
                        "leading" if name == "ltrim" else "trailing")
        if name == "mod" and len(args) == 2:
            return self.arith("mod", exp.Mod(this=args[0].copy(), expression=args[1].copy()))  # (copies: _TimeToStr)
        if name == "strftime" and len(args) == 2:
            value, fmt = (args[1], args[0]) if self.dialect.name == "sqlite" else (args[0], args[1])
            f = self.bind(fmt)
            v = self.bind(value)
            if v.type.kind == "text" and f.type.kind in ("date", "timestamp"):  # DuckDB's strftime(format, d)
                v, f = f, v
            if v.type.kind == "text":
                v = self.coerce(v, TIMESTAMP, node)
            if v.type.kind not in ("date", "timestamp", "null"):
                raise self.error(node, f"STRFTIME needs a DATE or TIMESTAMP, not {v.type}")
            constant_format(self, node, f, "STRFTIME")
            return FN.call("strftime", [v, self.to_text(f, node)])
        if name in ("date_part", "datepart") and len(args) == 2:
            self.not_sqlite(node, "DATE_PART")
            part = args[0]
            if not (isinstance(part, exp.Literal) and part.is_string):
                return self.date_part_named(node, part, args[1])
            return self.date_part(node, part.this, args[1], "DATE_PART")
        if name in _PART_FUNCTIONS and len(args) == 1:
            return self.part_function(node, _PART_FUNCTIONS[name], name.upper(), args[0])
        if name == "age":
            self.not_sqlite(node, "AGE")
            if len(args) == 1:
                raise self.error(node, "AGE with one argument is not deterministic (it counts from the current "
                                       "date); a view cannot be maintained over it")
            if len(args) == 2:
                a, b = (self.bind(x) for x in args)
                a, b = (self.coerce(x, TIMESTAMP, node) if isinstance(x, Lit) and x.type.kind == "text" else x
                        for x in (a, b))
                return FN.call("age", [self.temporal_arg(node, a, "AGE"), self.temporal_arg(node, b, "AGE")])
        if name == "bit_count" and len(args) == 1:
            return self.bit_count(node, args[0])
        if name == "hash":
            raise self.error(node, "HASH() is not supported: DuckDB-specific hash values are not reproduced")
        if name in ("date_diff", "datediff") and len(args) == 3:
            a, b = self.coerce(self.bind(args[1]), DATE, node), self.coerce(self.bind(args[2]), DATE, node)
            return FN.call("date_diff_days", [b, a])
        raise self.error(node, f"unsupported function {node.name.upper()}()")

    def registered(self, node):
        """A call of a function the registry knows by its sqlglot class."""
        f = FN.BY_NODE[type(node)]
        return self.function(f, node, [node.args.get(k) for k in f.nodes[type(node)]])

    def function(self, f, node, arg_nodes):
        """The call of registry entry ``f`` on the SQL expressions ``arg_nodes`` (None: left out)."""
        if not f.deterministic:
            what = f.what or (f"{node.name.upper()}()" if isinstance(node, exp.Anonymous)
                              else _describe(node, self.dialect.name))
            raise self.error(node, f"{what} is not deterministic; a view cannot be maintained over it")
        if not f.sqlite:
            self.not_sqlite(node, f.label)
        if f.variadic:  # (a node's list argument holds the repeated ones)
            arg_nodes = [x for a in arg_nodes for x in (a if isinstance(a, list) else [a])]
        given = [a for a in arg_nodes if a is not None]
        if len(given) < len(f.args) - f.optional or any(a is None for a in arg_nodes[:len(given)]):
            raise self.error(node, f"{f.label} is missing an argument")
        bound = [self.bind(a) for a in given]
        kinds = f.args + f.args[-1:] * (len(bound) - len(f.args)) if f.variadic else f.args
        args = [self.argument(kind, node, e, f.label) for kind, e in zip(kinds, bound)]
        if f.fn == "printf":  # a HUGEINT marked: %x %o %b %u print it in 128 bits (sqllib/formatting.py)
            args = args[:1] + [FN.call("printf_wide", [a]) if a.type.kind == "int" and a.type.bits > 64 else a
                               for a in args[1:]]
        if f.fn in FN.STRICT_MATH and node.meta.get("ieee_floating_point_ops") is False:
            f = FN.BY_FN[f.fn + "_strict"]  # (SET ieee_floating_point_ops = false: settings.py)
        if f.prepare is not None:
            args = f.prepare(self, node, args, f.label)
        return Call(f.fn, tuple(args), f.result_type(args), f.nullable(args))

    def argument(self, kind, node, e, what):
        """A function's bound argument taken as ``kind`` says (functions.py)."""
        if kind == FN.NUMBER:
            return self.numeric_arg(node, e)
        if kind == FN.STRING:
            return self.to_text(e, node)
        if kind == FN.TEXT_ARG:
            return self.text_arg(node, e, what)
        if kind == FN.TEXT_OR_BLOB:
            return e if e.type.kind == "blob" else self.text_arg(node, e, what)
        if kind == FN.AS_BIGINT:
            return self.coerce(e, BIGINT, node)
        if kind == FN.INT:
            return self.int_arg(node, e, what)
        if kind == FN.INT32:
            return self.int_arg(node, e, what, max_bits=32)
        if kind == FN.TEMPORAL:
            return self.temporal_arg(node, e, what)
        if kind == FN.TEXT_OR_LIST:
            return e if lists.is_list(e) else self.to_text(e, node)
        if kind == FN.LIST:
            return lists.list_arg(self, node, e, what)
        if kind == FN.LIST_OR_TEXT:
            return e if e.type.kind == "text" else lists.list_arg(self, node, e, what)
        if kind == FN.MAP:
            return maps.map_arg(self, node, e, what)
        if kind == FN.STRUCT:
            return structs.struct_arg(self, node, e, what)
        if kind == FN.VALUE:
            return e
        if kind == FN.STATE:
            if not is_state(e.type):
                raise self.error(node, f"{what} needs an aggregate state (agg(…) EXPORT_STATE), not {e.type}")
            return e
        raise AssertionError(f"argument kind {kind!r}")
