"""Structural refusal: the sqlglot constructs the binder accepts, argument by argument.

Law: a query reaches the binder only if every node of its qualified tree is of a class listed in
ACCEPTED, and every argument the node carries (not None, not empty, not False) is one its entry
lists, with a value the entry allows.  Anything else — a node type the binder has no rule for, a
join kind, a modifier, an ORDER BY inside a function call, a clause of a CTE — is a CompileError
naming the construct at its line:column.  So SQL that sqlglot parses and the binder would not read
is refused, never silently dropped; and a sqlglot upgrade that adds a node or an argument makes the
new thing refused until a rule reads it (tests/test_constructs.py walks every class sqlglot has).

An entry maps an argument to ``ANY`` (every value is read), to the values it may hold (strings
compared case-insensitively), or to a ``When`` (accepted in some contexts only).  Entries are grouped by the binder rule that reads them; when a rule
starts reading a new argument, its entry here says so in the same change.
"""

from __future__ import annotations

import re

from sqlglot import exp

from . import aggregates, functions
from .aggregates import is_aggregate
from .errors import CompileError
from .positions import position, token_span

ANY = object()


class When:
    """An argument accepted in some contexts only: ``accepts(node)`` says whether this node's is,
    ``message(node, sql)`` what to say when it is not."""

    def __init__(self, accepts, message):
        self.accepts = accepts
        self.message = message


def _a(*names, **valued) -> dict:
    out = {n: ANY for n in names}
    for k, v in valued.items():
        out[k] = v
    return out


_BINARY = _a("this", "expression")
_UNARY = _a("this")
_FUNCTION = _a("this", "expressions")

def _ignores_nulls(node) -> bool:
    """IGNORE NULLS where the binder reads it."""
    f = node.this
    if is_aggregate(f):
        entry = aggregates.lookup(f)  # DuckDB reads IGNORE NULLS of FIRST / LAST under OVER only
        return entry is not None and (entry.always_ignores_nulls or
                                      (entry.ignore_nulls and isinstance(node.parent, exp.Window)))
    return isinstance(f, (exp.Lag, exp.Lead, exp.FirstValue, exp.LastValue, exp.NthValue)) and \
        isinstance(node.parent, exp.Window)


def _is_fill(node) -> bool:
    """FILL(…) called as a window function."""
    return isinstance(node, exp.Anonymous) and node.name.lower() == "fill" and isinstance(node.parent, exp.Window)


# -- query structure (binder.py, recursion.py, subqueries.py, frontend.py) ---------------------------
_QUERY = {
    exp.Select: _a("with_", "expressions", "distinct", "from_", "joins", "where", "group", "having",
                   "qualify", "windows", "order", "limit", "offset"),
    exp.Union: _a("with_", "this", "expression", "distinct", "by_name", "order", "limit", "offset"),
    # BY NAME on EXCEPT / INTERSECT: read by set_operation, which refuses it with its own message
    exp.Except: _a("with_", "this", "expression", "distinct", "by_name", "order", "limit", "offset"),
    exp.Intersect: _a("with_", "this", "expression", "distinct", "by_name", "order", "limit", "offset"),
    exp.Subquery: _a("this", "alias", "with_", "order", "limit", "offset"),
    exp.Values: _a("expressions", "alias"),
    exp.With: _a("expressions", "recursive"),
    # USING KEY (keyed_recursion.py) in a WITH RECURSIVE only
    exp.CTE: _a("this", "alias", "materialized", key_expressions=When(
        lambda n: isinstance(n.parent, exp.With) and bool(n.parent.args.get("recursive")),
        lambda n, sql: "USING KEY in a WITH that is not RECURSIVE")),
    exp.From: _UNARY,
    exp.Join: _a("this", "on", "using", side=("LEFT", "RIGHT", "FULL"),
                 kind=("INNER", "OUTER", "CROSS", "SEMI", "ANTI"), method=("ASOF",)),
    exp.Lateral: _a("this", "alias", "view", cross_apply=(False,)),
    # a parenthesized join, FROM (a JOIN b ON …), is Subquery(Table(joins=…)) without an alias: binder.source
    exp.Table: _a("this", "alias", joins=When(
        lambda node: isinstance(node.parent, exp.Subquery) and node.arg_key == "this" and not node.parent.alias,
        lambda node, sql: "JOIN inside a FROM item other than a parenthesized join")),
    # UNNEST(list) in FROM or joined (lists.unnest_source / unnest_join; WITH ORDINALITY: the frontend makes its
    # position a second column, WITH OFFSET is refused there)
    exp.Unnest: _a("expressions", "alias", "offset"),
    exp.TableAlias: _a("this", "columns"),
    exp.Where: _UNARY,
    exp.Having: _UNARY,
    exp.Qualify: _UNARY,
    exp.Group: _a("expressions", "all"),
    exp.Rollup: _a("expressions"),
    exp.Cube: _a("expressions"),
    exp.GroupingSets: _a("expressions"),
    exp.Grouping: _a("expressions"),
    # ORDER BY inside a call, f(x ORDER BY y), is Order(this=x): read for an aggregate (agg_call)
    # (and for FILL(x ORDER BY k) OVER …: bind/windows.fill_call)
    exp.Order: _a("expressions", this=When(lambda node: is_aggregate_call(node.parent) or _is_fill(node.parent),
                                           lambda node, sql: f"ORDER BY inside {describe(node.parent, sql=sql)}")),
    exp.Ordered: _a("this", "desc", "nulls_first"),
    exp.Limit: _a("expression", "limit_options"),  # (limit_offset refuses WITH TIES)
    exp.Offset: _a("expression"),
    # limit_options: read by limit_offset, which refuses PERCENT and WITH TIES
    exp.Fetch: _a("count", "limit_options", direction=("FIRST", "NEXT")),
    exp.LimitOptions: _a("percent", "rows", "with_ties"),
    exp.Distinct: _a("expressions", "on"),
    exp.Star: {},
    # DuckDB's agg(x) EXPORT_STATE parses as an alias named export_state: refused as that
    exp.Alias: _a("this", alias=When(lambda node: not (node.alias.upper() == "EXPORT_STATE"
                                                        and is_aggregate_call(node.this)),
                                     lambda node, sql: "EXPORT_STATE (an aggregate's state)")),
    exp.Column: _a("this", "table"),
    exp.Identifier: _a("this", "quoted"),
    # IGNORE NULLS around an aggregate that takes it (agg_call: FIRST, LAST, ANY_VALUE) or a window's
    # LAG / LEAD / FIRST_VALUE / LAST_VALUE / NTH_VALUE (window_call)
    exp.IgnoreNulls: _a(this=When(_ignores_nulls, lambda node, sql: f"IGNORE NULLS in {describe(node.this, sql=sql)}")),
    exp.Window: _a("this", "partition_by", "order", "spec", "alias", over=("OVER", "WINDOW")),
    exp.WindowSpec: _a("kind", "start", "start_side", "end", "end_side",
                       exclude=("CURRENT ROW", "GROUP", "TIES", "NO OTHERS")),
    exp.Filter: _BINARY,
    exp.WithinGroup: _BINARY,
    exp.Exists: _UNARY,
    exp.Any: _UNARY,
    exp.All: _UNARY,
    # a list literal [a, b] / ARRAY[a, b] / list_value(a, b) (lists.array), or LIKE ANY's patterns
    exp.Array: _a("expressions", "bracket_notation"),
    exp.In: _a("this", "expressions", "query", "field"),
    exp.Tuple: _a("expressions"),
}

# -- expressions (bind_expr.py: ExprBinder._<Class>, in compiler/bind/) ---------------------------------
_EXPRESSIONS = {
    exp.Literal: _a("this", "is_string"),
    exp.HexString: _a("this", "is_integer"),
    exp.Null: {},
    exp.Boolean: _UNARY,
    exp.Paren: _UNARY,
    exp.Placeholder: _a("this"),
    exp.Neg: _UNARY,
    exp.Not: _UNARY,
    exp.Add: _BINARY, exp.Sub: _BINARY, exp.Mul: _BINARY, exp.Div: _a("this", "expression", "typed", "safe"),
    # Div's typed/safe and Mod's safe: the dialect's division rules, which arith reads (dialect.py)
    exp.IntDiv: _BINARY, exp.Mod: _a("this", "expression", "safe"),
    exp.BitwiseAnd: _BINARY, exp.BitwiseOr: _BINARY, exp.BitwiseXor: _BINARY, exp.BitwiseNot: _UNARY,
    exp.BitwiseLeftShift: _BINARY, exp.BitwiseRightShift: _BINARY,
    exp.EQ: _BINARY, exp.NEQ: _BINARY, exp.LT: _BINARY, exp.LTE: _BINARY, exp.GT: _BINARY, exp.GTE: _BINARY,
    exp.NullSafeEQ: _BINARY, exp.NullSafeNEQ: _BINARY, exp.Is: _BINARY,
    exp.And: _BINARY, exp.Or: _BINARY, exp.Xor: _BINARY,
    exp.Between: _a("this", "low", "high", "symmetric"),
    exp.Like: _a("this", "expression", "negate"), exp.ILike: _a("this", "expression", "negate"),
    exp.Escape: _BINARY,
    exp.Glob: _BINARY, exp.SimilarTo: _BINARY,
    exp.RegexpLike: _a("this", "expression", "flag"), exp.RegexpILike: _a("this", "expression", "flag"),
    exp.RegexpFullMatch: _a("this", "expression", "options"),
    # null_if_pos_overflow, single_replace: DuckDB's semantics, which regex_call implements
    exp.RegexpExtract: _a("this", "expression", "position", "occurrence", "parameters", "group",
                          "null_if_pos_overflow"),
    # bound as REGEXP_EXTRACT is (ExprBinder._RegexpExtractAll)
    exp.RegexpExtractAll: _a("this", "expression", "position", "occurrence", "parameters", "group"),
    exp.RegexpReplace: _a("this", "expression", "replacement", "position", "occurrence", "modifiers",
                          "single_replace"),
    # string_split_regex(s, p[, options]): the options are read into limit (ExprBinder._RegexpSplit)
    exp.RegexpSplit: _a("this", "expression", "limit"),
    exp.Case: _a("this", "ifs", "default"), exp.If: _a("this", "true", "false"),
    exp.Coalesce: _a("this", "expressions"), exp.Nullif: _BINARY,
    exp.Greatest: _a("this", "expressions", "ignore_nulls"), exp.Least: _a("this", "expressions", "ignore_nulls"),
    exp.Cast: _a("this", "to"), exp.TryCast: _a("this", "to", "safe"), exp.Try: _UNARY,
    exp.DataType: _a("this", "expressions", "nested", "values"), exp.DataTypeParam: _a("this"),  # values: INT[3]
    exp.Interval: _a("this", "unit"), exp.Var: _UNARY,
    exp.DPipe: _a("this", "expression", "safe"), exp.Concat: _a("expressions", "safe", "coalesce"),
    exp.ConcatWs: _a("expressions", "safe", "coalesce"),
    exp.Substring: _a("this", "start", "length"), exp.Trim: _a("this", "expression", "position"),
    exp.StrPosition: _a("this", "substr", "position"),
    exp.Pad: _a("this", "expression", "fill_pattern", "is_left"),
    exp.SHA2: _a("this", "length"),
    exp.Chr: _a("expressions"),
    exp.Bracket: _a("this", "expressions", "offset", "safe"), exp.Slice: _a("this", "expression", "step"),
    exp.Collate: _BINARY,
    exp.Trunc: _a("this", "decimals"), exp.Log: _BINARY, exp.Pi: {},
    exp.Round: _a("this", "decimals"),
    exp.Extract: _BINARY,
    exp.TimestampTrunc: _a("this", "unit"), exp.DateTrunc: _a("unit", "this"),
    exp.DateDiff: _a("this", "expression", "unit", "date_part_boundary"),  # boundaries counted (dates.py)
    exp.DateAdd: _a("this", "expression", "unit"),
    exp.DateBin: _a("this", "expression", "unit"),  # time_bucket(width, ts [, origin | offset])
    exp.StrToTime: _a("this", "format"), exp.UnixToTime: _a("this", "scale"),
    exp.TimestampFromParts: _a("year", "month", "day", "hour", "min", "sec"), exp.DateAdd: _a("this", "expression", "unit"),
    exp.DayOfMonth: _UNARY, exp.WeekOfYear: _UNARY, exp.LastDay: _UNARY,
    exp.DateFromParts: _a("year", "month", "day"), exp.TimeToUnix: _UNARY,
    exp.Year: _UNARY, exp.Month: _UNARY, exp.Day: _UNARY, exp.Hour: _UNARY, exp.Minute: _UNARY,
    exp.Second: _UNARY, exp.Quarter: _UNARY, exp.Week: _a("this", "mode"), exp.DayOfWeek: _UNARY,
    exp.DayOfWeekIso: _UNARY, exp.DayOfYear: _UNARY,
    exp.Typeof: _UNARY,
    exp.ArraySort: _a("this", "asc", "nulls_first"),  # list_sort, list_reverse_sort (lists.sort)
    # UNNEST(xs) in a SELECT list: the frontend makes it a join with UNNEST where it may (ExprBinder._Explode)
    exp.Explode: _UNARY,
    exp.ArraySlice: _a("this", "start", "end", "step", "is_length"),  # list_slice / array_slice (lists)
    # list_transform / list_filter with a lambda (lists.lambda_call)
    exp.Transform: _BINARY, exp.ArrayFilter: _BINARY, exp.Lambda: _a("this", "expressions"),
    exp.TimeToStr: _a("this", "format"),
    # STRUCT values (compiler/structs.py): {'a': 1} / struct_pack(a := 1), s.a, struct_extract(s, 'a'), and
    # STRUCT(a INT, …) types (a ColumnDef per field)
    exp.Struct: _a("expressions"), exp.Dot: _BINARY, exp.StructExtract: _BINARY,
    exp.PropertyEQ: _BINARY, exp.ColumnDef: _a("this", "kind"),
    # MAP values (compiler/maps.py): MAP {k: v}, map(keys, values), map_from_entries([(k, v), …])
    exp.ToMap: _UNARY, exp.Map: _a("keys", "values"), exp.MapFromEntries: _UNARY,
    # the scalar functions of the registry (functions.py), each with the node arguments it reads
    **{node: _a(*reads) for node, reads in functions.accepted().items()},
    exp.Encode: _a("this", charset=("'utf-8'",)), exp.Decode: _a("this", charset=("'utf-8'",)),  # (UTF-8 only)
    exp.Getbit: _a("this", "expression", zero_is_msb=(True,)),  # GET_BIT(bits, 0) is the leftmost bit, as DuckDB
    exp.Anonymous: _FUNCTION,
    exp.Subquery: _QUERY[exp.Subquery],
    # RANGE / GENERATE_SERIES in an expression: list functions (bind/series_values.py)
    exp.GenerateSeries: _a("start", "end", "step", "is_end_exclusive"),
}

# -- aggregates (the aggregate registry, aggregates.py: bind/aggregates.py) and window functions
# (bind/windows.py) ------------------------------------------------------------------------------------
_AGGREGATES = {node: _a(*reads) for node, reads in aggregates.accepted().items()}


def _framed_rank_window(node) -> bool:
    """RANK / PERCENT_RANK's ORDER BY argument where the OVER orders too (or names a window)."""
    w = node.parent
    return isinstance(w, exp.Window) and (w.args.get("order") is not None or w.args.get("alias") is not None)


_WINDOW_FUNCTIONS = {
    exp.RowNumber: {}, exp.DenseRank: {}, exp.CumeDist: {},
    # RANK(ORDER BY k) OVER (… ORDER BY o …): each row's rank by k among its frame (bind/windows.framed_rank)
    exp.Rank: _a(expressions=When(_framed_rank_window, lambda n, sql: "ORDER BY inside RANK()")),
    exp.PercentRank: _a(expressions=When(_framed_rank_window, lambda n, sql: "ORDER BY inside PERCENT_RANK()")),
    exp.Ntile: _UNARY, exp.Lag: _a("this", "offset", "default"), exp.Lead: _a("this", "offset", "default"),
    exp.FirstValue: _UNARY, exp.LastValue: _UNARY, exp.NthValue: _a("this", "offset"),
}

ACCEPTED: dict[type, dict] = {**_QUERY, **_EXPRESSIONS, **_AGGREGATES, **_WINDOW_FUNCTIONS}

# classes accepted in some places only (the node itself, whatever its arguments)
ONLY_IN: dict[type, When] = {
    # name := value only as a field of struct_pack / {…}; a field definition only inside STRUCT(…)
    exp.PropertyEQ: When(lambda n: isinstance(n.parent, exp.Struct), lambda n, sql: describe(n, sql=sql)),
    exp.ColumnDef: When(lambda n: isinstance(n.parent, exp.DataType), lambda n, sql: describe(n, sql=sql)),
}


def _present(v) -> bool:
    return v is not None and v is not False and v != [] and v != ""


def is_aggregate_call(node) -> bool:
    """An aggregate function call (the ORDER BY and DISTINCT inside it are the binder's to read)."""
    return node is not None and is_aggregate(node)


def _allowed(spec, v, node=None) -> bool:
    if spec is ANY:
        return True
    if isinstance(spec, When):
        return bool(spec.accepts(node))
    if isinstance(v, exp.Expression):
        v = v.name if isinstance(v, (exp.Var, exp.Identifier)) else v.sql()
    if isinstance(v, str):
        return v.upper() in {s.upper() for s in spec if isinstance(s, str)}
    return v in spec


def describe(node: exp.Expression, arg: str | None = None, value=None, sql: str = "") -> str:
    """The construct in SQL words: what the user wrote, as far as it can be told."""
    what = _NAMES.get(type(node)) or type(node).__name__
    if isinstance(node, exp.Func) and (type(node) not in _NAMES or _called(node, sql)):
        what = f"{_function_name(node, sql)}()"
    if arg is None:
        return what
    if isinstance(value, exp.Order) or (isinstance(value, list) and value and isinstance(value[0], exp.Order)):
        if isinstance(node.parent, exp.Window) and node.parent.args.get("order") is not None:
            return f"ORDER BY inside {what} together with an ORDER BY in its OVER"
        return f"ORDER BY inside {what}"
    words = _ARG_WORDS.get((type(node), arg)) or _ARG_WORDS.get((None, arg)) or arg.rstrip("_").replace("_", " ").upper()
    if isinstance(value, exp.Expression) and not isinstance(value, (exp.Var, exp.Identifier)):
        value = None
    if isinstance(value, (exp.Var, exp.Identifier)):
        value = value.name
    if isinstance(value, str) and value:
        words = f"{value.upper()} {words}" if (type(node), arg) in _VALUE_FIRST else f"{words} {value.upper()}"
    return f"{words} in {what}" if (type(node), arg) not in _VALUE_FIRST else words


def _function_name(node: exp.Func, sql: str) -> str:
    """A function's name as written (sqlglot renames some: UNNEST is EXPLODE, LIST is ARRAY_AGG)."""
    span = token_span(node) if sql else None
    if span is not None:
        m = re.search(r"([A-Za-z_][A-Za-z0-9_]*)\s*\(\s*(?:DISTINCT\s+)?$", sql[:span[0]], re.I)
        if m:
            return m.group(1).upper()
        m = re.match(r"([A-Za-z_][A-Za-z0-9_]*)\s*\(", sql[span[0]:])
        if m:
            return m.group(1).upper()
    return node.sql_name() if not isinstance(node, exp.Anonymous) else node.name.upper()


def _called(node: exp.Func, sql: str) -> bool:
    """Whether the node is written as a call, NAME(…) (LIST_VALUE(1, 2) rather than [1, 2])."""
    span = token_span(node) if sql else None
    return span is not None and re.match(r"[A-Za-z_][A-Za-z0-9_]*\s*\(", sql[span[0]:]) is not None


_NAMES = {exp.Join: "JOIN", exp.Select: "SELECT", exp.CTE: "WITH", exp.With: "WITH", exp.Table: "a FROM item",
          exp.Window: "OVER", exp.WindowSpec: "a window frame", exp.Ordered: "ORDER BY", exp.Cast: "CAST",
          exp.Column: "a column", exp.Union: "UNION", exp.Except: "EXCEPT", exp.Intersect: "INTERSECT",
          exp.Lateral: "LATERAL", exp.Subquery: "a subquery", exp.Values: "VALUES", exp.Group: "GROUP BY",
          exp.Limit: "LIMIT", exp.Fetch: "FETCH", exp.Distinct: "DISTINCT", exp.IgnoreNulls: "IGNORE NULLS",
          exp.RespectNulls: "RESPECT NULLS", exp.Order: "ORDER BY", exp.Unnest: "UNNEST",
          exp.Pivot: "PIVOT", exp.Lambda: "a lambda (->)", exp.Struct: "a STRUCT value",
          exp.Array: "a list value", exp.PropertyEQ: "a named argument (:=)", exp.Dot: "a field access (.)",
          exp.TableSample: "TABLESAMPLE", exp.Kwarg: "a named argument (=>)", exp.Parameter: "a parameter",
          exp.SessionParameter: "a session parameter", exp.Nearest: "NEAREST"}
_ARG_WORDS = {(exp.Join, "kind"): "JOIN", (exp.Join, "side"): "JOIN", (exp.Join, "method"): "JOIN",
              (exp.Join, "match_condition"): "ASOF JOIN … MATCH_CONDITION", (exp.Join, "nearest"): "NEAREST",
              (exp.CTE, "key_expressions"): "USING KEY", (exp.With, "search"): "SEARCH",
              (exp.With, "cycle"): "CYCLE", (exp.Ordered, "with_fill"): "WITH FILL",
              (exp.WindowSpec, "exclude"): "EXCLUDE", (exp.Window, "first"): "FIRST/LAST",
              (None, "this"): "the argument", (None, "expressions"): "the arguments",
              (None, "sample"): "TABLESAMPLE", (None, "pivots"): "PIVOT", (None, "laterals"): "LATERAL VIEW",
              (None, "connect"): "CONNECT BY", (None, "into"): "SELECT INTO", (None, "format"): "FORMAT",
              (None, "ordinality"): "WITH ORDINALITY", (None, "locks"): "FOR UPDATE",
              (None, "settings"): "SETTINGS", (None, "exclude"): "EXCLUDE", (None, "replace"): "REPLACE",
              (None, "rename"): "RENAME", (None, "except_"): "EXCLUDE", (None, "db"): "a schema name",
              (None, "catalog"): "a catalog name", (None, "version"): "AT / FOR SYSTEM_TIME",
              (None, "collate"): "COLLATE", (None, "zone"): "a time zone"}
# why a construct is refused, where that is not "not built yet"
_REASONS = {"sample": ": a sample is random, and a view cannot be maintained over it (DuckDB's REPEATABLE seed "
                      "picks rows by its own generator in its storage order, which deltasql does not reproduce)"}
_VALUE_FIRST = {(exp.Join, "kind"), (exp.Join, "side"), (exp.Join, "method")}


def refusal(node: exp.Expression, sql: str = ""):
    """(node to point at, message) when the node or one of its arguments is not accepted, else None."""
    spec = ACCEPTED.get(type(node))
    if spec is None:
        return node, f"{describe(node, sql=sql)} is not supported"
    only = ONLY_IN.get(type(node))
    if only is not None and not only.accepts(node):
        return node, f"{only.message(node, sql)} is not supported"
    for arg, v in node.args.items():
        if not _present(v):
            continue
        allowed = spec.get(arg)
        if allowed is None:
            where = v if isinstance(v, exp.Expression) else (v[0] if isinstance(v, list) and v and
                                                           isinstance(v[0], exp.Expression) else node)
            return where, f"{describe(node, arg, v, sql)} is not supported{_REASONS.get(arg, '')}"
        if not _allowed(allowed, v, node):
            what = allowed.message(node, sql) if isinstance(allowed, When) else describe(node, arg, v, sql)
            return node, f"{what} is not supported"
    return None


def check(tree: exp.Expression, sql: str) -> None:
    """Raise a CompileError at the first construct of tree (in source order) that is not accepted."""
    for node in tree.walk(bfs=False):
        found = refusal(node, sql)
        if found is not None and __import__("os").environ.get("CONSTRUCTS_LOG"):
            with open(__import__("os").environ["CONSTRUCTS_LOG"], "a") as f:
                f.write(f"{found[1]}\t{type(found[0]).__name__}\t{sql[:150]!r}\n")
            continue
        if found is not None:
            at, message = found
            line, col = position(at, sql)
            raise CompileError(message, line, col, sql)

