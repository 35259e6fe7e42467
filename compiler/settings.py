"""Session settings that change what a query answers: DuckDB's ``default_null_order`` (alias
``null_order``), ``default_order``, ``ieee_floating_point_ops`` and ``order_by_non_integer_literal``
(true: a query's ORDER BY term that is a constant other than a position is skipped, as DuckDB does;
false, the default: refused, as DuckDB errs), set with ``SET name = value``,
``PRAGMA name = value`` or ``PRAGMA name(value)`` and undone with ``RESET name``.

An ``ORDER BY`` term that does not say ``ASC``/``DESC`` takes ``default_order``, and one that does
not say ``NULLS FIRST``/``NULLS LAST`` takes ``default_null_order`` (``nulls_last``,
``nulls_first``, or the two rules that depend on the direction:
``nulls_first_on_asc_last_on_desc``, SQLite's and MySQL's, and ``nulls_last_on_asc_first_on_desc``,
Postgres's).  That holds wherever ORDER BY appears: a query's ORDER BY (top-k, DISTINCT ON),
ordered aggregates, and window specifications.

How the compiler reads them: before a statement is bound, ``apply_settings`` writes the
defaults into every ORDER BY term that left them out (``desc`` and ``nulls_first`` of each
``exp.Ordered``), so the binder sees only explicit orders and a view keeps the settings in force
when it was created (its tree, replicated to a sharded pipeline's workers, carries them).  sqlglot
fills ``nulls_first`` in for the dialect's default while parsing, so the parser is wrapped to note
on each term whether NULLS FIRST/LAST was written (``meta["nulls_explicit"]``).

``ieee_floating_point_ops = false`` makes a floating-point or DECIMAL division or remainder by zero
an error (true, the default: IEEE results, inf and NaN), and the logarithms, SQRT, GAMMA/LGAMMA of 0,
ASIN/ACOS/ATANH outside [-1, 1] and COT(0) errors where they would give inf or NaN.  It is written into
the tree as ``meta["ieee_floating_point_ops"] = False`` on every operator and function node, which the
binder reads (bind_expr: division and remainder; functions.STRICT_MATH: the function entries).

``calendar = 'gregorian'`` is the calendar every date function here follows (DuckDB's default with ICU);
another calendar is refused by name.

``regex_match_operator_semantics = 'full'`` makes the operators ``~``, ``!~``, ``~*`` and ``!~*`` match
the whole string (``'partial'``, the default: a match anywhere, as REGEXP_MATCHES); sqlglot parses the
operator and the function into one node, so every such node is marked ``meta["regex_full_match"]`` and
the binder (bind/patterns.py) applies it where the text between the operands is the operator.

Law: with the default settings (``asc``, ``nulls_last``, IEEE operations) a statement's tree is left
unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlglot import exp
from sqlglot.parser import Parser

from .current_setting import fold_current_settings
from .positions import error_at

NULL_ORDERS = ("nulls_last", "nulls_first", "nulls_first_on_asc_last_on_desc", "nulls_last_on_asc_first_on_desc")
# every spelling DuckDB accepts (case and '_' / ' ' aside), as DuckDB 1.x/2.x reads them
_NULL_ORDER_NAMES = {"nulls_last": "nulls_last", "nulls last": "nulls_last", "null last": "nulls_last",
                     "last": "nulls_last",
                     "nulls_first": "nulls_first", "nulls first": "nulls_first", "null first": "nulls_first",
                     "first": "nulls_first",
                     "nulls_first_on_asc_last_on_desc": "nulls_first_on_asc_last_on_desc",
                     "sqlite": "nulls_first_on_asc_last_on_desc", "mysql": "nulls_first_on_asc_last_on_desc",
                     "nulls_last_on_asc_first_on_desc": "nulls_last_on_asc_first_on_desc",
                     "postgres": "nulls_last_on_asc_first_on_desc"}
_ORDER_NAMES = {"asc": "asc", "ascending": "asc", "desc": "desc", "descending": "desc"}
_BOOLEAN_NAMES = {"true": True, "t": True, "yes": True, "y": True, "1": True,
                  "false": False, "f": False, "no": False, "n": False, "0": False}
SETTINGS = {"default_null_order": "default_null_order", "null_order": "default_null_order",
            "default_order": "default_order", "ieee_floating_point_ops": "ieee_floating_point_ops",
            "regex_match_operator_semantics": "regex_match_operator_semantics",
            "order_by_non_integer_literal": "order_by_non_integer_literal", "calendar": "calendar"}
_VALUES = {"default_null_order": (_NULL_ORDER_NAMES, ", ".join(NULL_ORDERS)),
           "default_order": (_ORDER_NAMES, "ASC, DESC"), "ieee_floating_point_ops": (_BOOLEAN_NAMES, "true, false"),
           "regex_match_operator_semantics": ({"partial": "partial", "full": "full"}, "partial, full"),
           "order_by_non_integer_literal": (_BOOLEAN_NAMES, "true, false"),
           "calendar": ({"gregorian": "gregorian"}, "gregorian (the one calendar deltasql's date functions follow)")}


@dataclass(frozen=True)
class Settings:
    default_order: str = "asc"
    default_null_order: str = "nulls_last"
    ieee_floating_point_ops: bool = True
    regex_match_operator_semantics: str = "partial"
    order_by_non_integer_literal: bool = False
    calendar: str = "gregorian"  # (DuckDB's ICU calendars; only the Gregorian one is built)

    @property
    def is_default(self) -> bool:
        return self == Settings()

    def nulls_first(self, desc: bool) -> bool:
        """Where NULLs go in an ORDER BY term of direction desc that does not say."""
        rule = self.default_null_order
        if rule == "nulls_first_on_asc_last_on_desc":
            return not desc
        if rule == "nulls_last_on_asc_first_on_desc":
            return desc
        return rule == "nulls_first"

    def with_setting(self, name: str, value: str | None) -> Settings:
        """The settings after ``SET name = value`` (value None: ``RESET name``)."""
        key = SETTINGS[name]
        if value is None:
            return Settings(**{**self.__dict__, key: getattr(Settings(), key)})
        table, expected = _VALUES[key]
        v = table.get(value.strip().lower().replace("-", "_"))
        if v is None:
            v = table.get(value.strip().lower().replace("_", " "))
        if v is None:
            raise ValueError(f"unrecognized value {value!r} for {name}: expected {expected}")
        return Settings(**{**self.__dict__, key: v})


def setting_statement(ast) -> tuple[exp.Expression, str, str | None] | None:
    """(the node to point at, the setting's name, its value or None for RESET) if ast is a SET,
    PRAGMA or RESET statement; None for any other statement.  The name is lower case, as written."""
    if isinstance(ast, exp.Command) and ast.name.upper() == "RESET":
        rest = ast.expression
        text = rest.this if isinstance(rest, exp.Literal) else str(rest or "")
        words = text.split()
        if words and words[0].upper() in ("GLOBAL", "SESSION", "LOCAL"):
            words = words[1:]
        if len(words) != 1:
            return None
        return ast, words[0].lower(), None
    if isinstance(ast, exp.Set) and not ast.args.get("unset") and len(ast.expressions) == 1:
        item = ast.expressions[0]
        target = item.this if isinstance(item, exp.SetItem) else None
        if isinstance(target, exp.EQ) and isinstance(target.this, exp.Column):
            return target, target.this.name.lower(), _value(target.expression)
        return None
    if isinstance(ast, exp.Pragma):
        target = ast.this
        if isinstance(target, exp.EQ) and isinstance(target.this, exp.Column):
            return target, target.this.name.lower(), _value(target.expression)
        if isinstance(target, exp.Anonymous) and len(target.expressions) == 1:
            return target, target.name.lower(), _value(target.expressions[0])
        if isinstance(target, exp.Column):
            return target, target.name.lower(), ""
    return None


def _value(node) -> str:
    if isinstance(node, exp.Literal) and node.is_string:
        return node.this
    if isinstance(node, (exp.Column, exp.Var, exp.Identifier)):
        return node.name
    return node.sql() if node is not None else ""


def apply_setting(settings: Settings, ast, sql: str) -> Settings:
    """The settings after the SET / PRAGMA / RESET statement ast; a CompileError at it for a setting
    deltasql does not have or a value the setting does not take."""
    node, name, value = setting_statement(ast)
    if name not in SETTINGS:
        raise error_at(node, f"setting {name} is not supported (deltasql has default_null_order, "
                             f"default_order, ieee_floating_point_ops, regex_match_operator_semantics, "
                             f"order_by_non_integer_literal and calendar)", sql)
    try:
        return settings.with_setting(name, value)
    except ValueError as e:
        raise error_at(node, str(e), sql) from None


def apply_settings(ast: exp.Expression, settings: Settings) -> None:
    """Write the settings into ast: the ORDER BY defaults into every term that leaves them out, and
    non-IEEE floating-point operations onto every operator and function node; CURRENT_SETTING of a
    setting as its value (compiler/current_setting.py)."""
    if not (isinstance(ast, exp.Insert) and isinstance(ast.expression, exp.Values)):  # (no walk of big VALUES)
        fold_current_settings(ast, settings)
    if settings.is_default:
        return
    if not settings.ieee_floating_point_ops:
        for node in ast.find_all(exp.Div, exp.Mod, exp.IntDiv, exp.Func):
            node.meta["ieee_floating_point_ops"] = False
    if settings.regex_match_operator_semantics == "full":
        for node in ast.find_all(exp.RegexpLike, exp.RegexpILike):
            node.meta["regex_full_match"] = True
    if settings.order_by_non_integer_literal:
        _skip_literal_order_terms(ast)
    if settings.default_order == "asc" and settings.default_null_order == "nulls_last":
        return
    for o in ast.find_all(exp.Ordered):
        said = o.args.get("desc")
        desc = bool(said) if said is not None else settings.default_order == "desc"
        if not o.meta.get("nulls_explicit"):
            o.set("nulls_first", settings.nulls_first(desc))
            o.meta["nulls_explicit"] = True
        if said is None:
            o.set("desc", desc)


def _skip_literal_order_terms(ast: exp.Expression) -> None:
    """order_by_non_integer_literal = true: a query's or an aggregate's ORDER BY term that is a constant
    other than an integer (a position) orders nothing, and is dropped (DuckDB skips it)."""
    for q in list(ast.find_all(exp.Select, exp.SetOperation)):
        order = q.args.get("order")
        if order is None:
            continue
        kept = [o for o in order.expressions if not _literal_term(o)]
        if len(kept) != len(order.expressions):
            order.set("expressions", kept)
            if not kept:
                q.set("order", None)
    for order in list(ast.find_all(exp.Order)):  # an aggregate's ORDER BY (agg(x ORDER BY k, 'lit')) too
        if isinstance(order.parent, (exp.Select, exp.SetOperation, exp.Window)) or order.this is None:
            continue
        kept = [o for o in order.expressions if not _literal_term(o)]
        if not kept:
            order.replace(order.this)
        elif len(kept) != len(order.expressions):
            order.set("expressions", kept)


def _literal_term(o: exp.Ordered) -> bool:
    return isinstance(o.this, (exp.Boolean, exp.Null)) or (isinstance(o.this, exp.Literal) and not o.this.is_int)


def _parse_ordered(self, *args, **kwargs):
    """sqlglot's ORDER BY term, noting whether NULLS FIRST / LAST was written."""
    start = self._index
    node = _original_parse_ordered(self, *args, **kwargs)
    if isinstance(node, exp.Ordered):
        toks = self._tokens[start:self._index][-2:]  # (the term's last words: not a subquery's)
        node.meta["nulls_explicit"] = (len(toks) == 2 and toks[0].text.upper() == "NULLS"
                                       and toks[1].text.upper() in ("FIRST", "LAST"))
    return node


_original_parse_ordered = getattr(Parser._parse_ordered, "__wrapped_ordered__", Parser._parse_ordered)
_parse_ordered.__wrapped_ordered__ = _original_parse_ordered  # (a reload wraps the original once)
Parser._parse_ordered = _parse_ordered

