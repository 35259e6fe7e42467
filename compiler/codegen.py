"""SQL expressions to Python source, compiled once per view.

Three compilation modes keep SQL's three-valued logic cheap: ``value`` yields the SQL value (None
for NULL); ``truth`` yields something truthy exactly when the expression is TRUE (what WHERE needs);
``falsity`` exactly when it is FALSE (what NOT needs).  AND/OR/NOT then become Python's short-circuit
operators, and NULL checks are emitted only for nullable operands.  Generated functions: fused
filter/project batch functions, key functions for arrangements, join kernels, aggregate argument
extractors and sort keys.
"""

from __future__ import annotations

import ast
import builtins
import datetime
import re

from ..runtime.aggregates import INLINE_NAMES, SKIP, CountStar, Desc, merge_partials
from ..runtime.arrangement import LIST_MAX
from ..runtime.zset import drop_zeros

from ..sqllib import sqlfuncs as F
from ..sqllib.timebucket import bucketer, time_bucket
from . import maps, nested, structs
from .aggregates import runtime_function
from .functions import BY_FN as FUNCTIONS
from .plan import AggCall
from .expr import NEGATED, Call, Case, Col, Lit, columns_used, is_constant
from .types import quoted_text, timestamp_digits

def _nested(src, target) -> bool:
    return "list" in (src.kind, target.kind) or "struct" in (src.kind, target.kind) or "map" in (src.kind, target.kind)


COMPARE = {"eq": "==", "ne": "!=", "lt": "<", "le": "<=", "gt": ">", "ge": ">="}

class Codegen:
    """Compiles expressions over rows into Python source; constants and helpers go in ``env``."""

    def __init__(self, dialect):
        self.dialect = dialect
        self.env: dict = {"_SKIP": SKIP, "_NO_INIT": F.NO_INIT, "_drop_zeros": drop_zeros, "_Desc": Desc, "_F": F, "_NAN": F.NAN,
                          "_time_bucket": time_bucket, **INLINE_NAMES}
        for name in dir(F):
            if not name.startswith("_"):
                self.env["_" + name] = getattr(F, name)
        self._n = 0
        self._consts: dict = {}
        self.sources: list[str] = []  # every function generated, for --emit python

    # -- naming ---------------------------------------------------------------------------------
    def tmp(self) -> str:
        self._n += 1
        return f"_t{self._n}"

    def const(self, value) -> str:
        # equal values may differ (Decimal('0.5') == Decimal('0.50'), 0.0 == -0.0, frozenset({1}) ==
        # frozenset({True})) and equal reprs too (a compiled pattern's repr stops at 200 characters):
        # the key is the value and its repr together
        key = (type(value), value, repr(value)) if _hashable(value) else id(value)
        name = self._consts.get(key)
        if name is None:
            name = self._consts[key] = f"_k{len(self._consts)}"
            self.env[name] = value
        return name

    # -- bounded nesting ------------------------------------------------------------------------
    def _bounded(self, code: str) -> str:
        """Python's parser takes 200 levels of parentheses: code nested deeper than MAX_NESTING
        (a sum of hundreds of terms, deeply parenthesized SQL) becomes a function of its own, called
        with the row variables it reads."""
        if code.count("(") <= MAX_NESTING or _nesting(code) <= MAX_NESTING:
            return code
        tree = ast.parse(code, mode="eval")
        stored = {n.target.id for n in ast.walk(tree) if isinstance(n, ast.NamedExpr)}
        stored |= {a.arg for n in ast.walk(tree) if isinstance(n, ast.Lambda) for a in n.args.args}
        free = sorted({n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
                      - stored - self.env.keys() - set(dir(builtins)))
        name = self.fresh_name("_part")
        self.compile(f"def {name}({', '.join(free)}):\n    return {code}", name)
        return f"{name}({', '.join(free)})"

    # -- value mode -----------------------------------------------------------------------------
    def value(self, e, col) -> str:
        return self._bounded(self._value(e, col))

    def _value(self, e, col) -> str:
        if isinstance(e, Col):
            return col(e.index)
        if isinstance(e, Lit):
            v = e.value
            if v is None or isinstance(v, (bool, int, str)):
                return repr(v)
            if isinstance(v, float) and v == v and v not in (float("inf"), float("-inf")):
                return repr(v)
            return self.const(v)
        if isinstance(e, Case):
            if len(e.whens) <= FLAT_FROM:
                out = self.value(e.default, col)
                for cond, val in reversed(e.whens):
                    out = f"({self.value(val, col)} if {self.truth(cond, col)} else {out})"
                return out
            # many WHENs: the first that holds gives its value in a 1-tuple (true even for NULL),
            # a flat `or` chain where conditionals would nest once per WHEN
            arms = [f"({self.truth(c, col)} and ({self.value(v, col)},))" for c, v in e.whens]
            return f"({' or '.join(arms)} or ({self.value(e.default, col)},))[0]"
        if e.type.kind == "float" and e.type.bits == 32 and e.fn not in _REAL_SAFE:
            # FLOAT arithmetic is double arithmetic rounded to a float32 (exact for + - * /; see
            # sqllib/real.py); f32 also makes a NaN the one NaN
            return f"_f32({self._call(e, col)})"
        if e.type.kind == "float" and e.fn not in _NAN_SAFE:
            # inf - inf, abs(nan) and the like make a fresh NaN object: use the one NaN, so rows
            # holding NaN are equal (a retraction finds its insertion)
            return self._canonical_nan(self._call(e, col))
        return self._call(e, col)

    def _strict(self, args, col, template, cast=None) -> str:
        """NULL if any argument is NULL, else template(*argument codes).  ``cast(code, arg)``, if
        given, wraps the arguments it changes in a check that runs whether or not another argument
        is NULL (DuckDB casts both operands of a DECIMAL + before adding)."""
        codes, checks = [], []
        for a in args:
            code = self.value(a, col)
            wrapped = cast(code, a) if cast is not None else code
            if wrapped != code or (a.nullable and not (isinstance(a, Lit) and a.value is not None)):
                t = self.tmp()
                checks.append(f"(({t} := {wrapped}) is None)")
                codes.append(t)
            else:
                codes.append(code)
        body = template(*codes)
        if any(isinstance(a, Lit) and a.value is None for a in args):
            return "None"
        if not checks:
            return body
        # with casts, every argument is evaluated (| does not stop at the first NULL)
        return f"(None if {(' | ' if cast is not None else ' or ').join(checks)} else {body})"

    def _decimal_checks(self, e):
        """(wrap the result, wrap an operand) of DECIMAL +, -, * with DuckDB's overflow checks: the
        result must fit its type when the exact type would be wider (DECIMAL(38, s); DECIMAL(18, s) for
        some products, types.decimal_product); + and - cast each operand to it first, and fail when
        one does not fit.  No check where none can fail."""
        t = e.type
        if not self.dialect.decimal_overflow:
            return (lambda code: code), None
        what = {"add": "addition", "sub": "subtraction", "mul": "multiplication"}[e.fn]
        digits = [a.type.precision - a.type.scale if a.type.kind == "decimal" else 38 for a in e.args]
        if e.fn == "mul":
            wide = sum(a.type.precision if a.type.kind == "decimal" else 38 for a in e.args) > t.precision
        else:
            wide = max(digits) + 1 + t.scale > t.precision
        if not wide:
            return (lambda code: code), None
        check = self.const(F.make_decimal_check(t.precision, t.scale, what))
        cast = self.const(F.make_decimal_check(t.precision, t.scale, what, operand=True))
        whole = t.precision - t.scale

        def operand(code, arg):
            if e.fn == "mul" or (arg.type.kind == "decimal" and arg.type.precision - arg.type.scale <= whole):
                return code
            return f"{cast}({code})"
        return (lambda code: f"{check}({code})"), operand

    def _int_check(self, e, code: str) -> str:
        if e.type.kind == "uhugeint":
            return f"{self.const(F.check_uhugeint)}({code})"
        if e.type.kind != "int":
            return code
        check = self.const(F.make_int_check(e.type.bits, self.dialect.overflow_to_float))
        return f"{check}({code})"

    def _call(self, e: Call, col) -> str:
        fn, args = e.fn, e.args
        f = FUNCTIONS.get(fn)
        if f is not None:  # a function of the registry: its implementation handles NULL (STRICT)
            code = f"_{f.implementation(self.dialect.name)}({', '.join(self.value(a, col) for a in args)})"
            return self._int_check(e, code) if f.overflow else code  # ROUND(2147483647, -1) overflows
        kind = e.type.kind
        if fn == "try":  # TRY(e): a row's DataError becomes NULL (the thunk computes e for this row only)
            return f"_try_value(lambda: {self.value(args[0], col)})"
        if fn in ("add", "sub", "mul"):
            op = {"add": "+", "sub": "-", "mul": "*"}[fn]
            if kind == "decimal":
                helper = {"add": "_dadd", "sub": "_dsub", "mul": "_dmul"}[fn]
                result, operand = self._decimal_checks(e)
                return self._strict(args, col, lambda a, b: result(f"{helper}({a}, {b})"), operand)
            return self._strict(args, col, lambda a, b: self._int_check(e, f"({a} {op} {b})"))
        if fn in ("sqlite_div", "sqlite_mod"):
            return self._strict(args, col, lambda a, b: f"_{fn}({a}, {b})")
        if fn == "numeric":
            return f"_cast_numeric({self.value(args[0], col)})"
        if fn in ("bit_and", "bit_or", "bit_xor"):
            op = {"bit_and": "&", "bit_or": "|", "bit_xor": "^"}[fn]
            return self._strict(args, col, lambda a, b: f"({a} {op} {b})")
        if fn == "bit_not":
            return self._strict(args, col, lambda a: f"(~{a})")
        if fn in ("shift_left", "shift_right"):
            helper = "_shift_left" if fn == "shift_left" else "_shift_right"
            return self._strict(args, col, lambda a, b: f"{helper}({a}, {b}, {e.type.bits})")
        if fn == "neg":
            if kind == "decimal":
                return self._strict(args, col, lambda a: f"_dneg({a})")
            return self._strict(args, col, lambda a: self._int_check(e, f"(-{a})"))
        if fn in ("div", "idiv", "mod"):
            helper = {"div": "_fdiv", "idiv": "_idiv", "mod": {"int": "_imod", "uhugeint": "_imod", "decimal": "_dmod"}.get(kind, "_fmod")}[fn]
            if fn == "div" and kind == "decimal":
                helper = "_ddiv"
            if e.extra == "null":  # the dialect (sqlglot's safe flag) says x / 0 is NULL
                helper += "_null"
            elif e.extra == "error" and helper in ("_fdiv", "_ddiv", "_fmod"):  # x / 0 an error, not inf
                helper = "_fmod_checked" if helper == "_fmod" else "_fdiv_checked"
            if fn == "idiv":
                return self._strict(args, col, lambda a, b: self._int_check(e, f"{helper}({a}, {b})"))
            return self._strict(args, col, lambda a, b: f"{helper}({a}, {b})")
        if fn in COMPARE:
            if _floats(args):
                return self._strict(args, col, lambda a, b: _nan_compare(fn, a, b))
            op = COMPARE[fn]
            return self._strict(args, col, lambda a, b: f"({a} {op} {b})")
        if fn in ("is_distinct", "is_not_distinct") and _floats(args):  # NaN is not distinct from NaN
            a, b = self.tmp(), self.tmp()
            same = (f"(({a} := {self.value(args[0], col)}) == ({b} := {self.value(args[1], col)}) or "
                    f"({a} != {a} and {b} != {b}))")
            return same if fn == "is_not_distinct" else f"(not {same})"
        if fn == "is_distinct":
            return f"({self.value(args[0], col)} != {self.value(args[1], col)})"
        if fn == "is_not_distinct":
            return f"({self.value(args[0], col)} == {self.value(args[1], col)})"
        if fn in ("is_null", "is_not_null") and isinstance(args[0], Lit):
            return repr((args[0].value is None) == (fn == "is_null"))
        if fn in ("is_null", "is_not_null"):
            code = self.value(args[0], col)
            if not columns_used(args[0]):  # a constant expression: Python would fold it and warn
                code = f"({self.tmp()} := {code})"  # that `'aA' is None` compares with a literal
            return f"({code} is {'' if fn == 'is_null' else 'not '}None)"
        if fn in ("and", "or"):
            # a chain of ANDs (ORs) as one flat test: stop at the first FALSE (TRUE); else NULL if
            # any term was NULL
            dom = "False" if fn == "and" else "True"
            other = "True" if fn == "and" else "False"
            temps = []
            tests = []
            for a in _chain(e, fn):
                t = self.tmp()
                temps.append(t)
                tests.append(f"({t} := {self.value(a, col)}) is not {dom}")
            nulls = " or ".join(f"{t} is None" for t in temps)
            return f"({dom} if not ({' and '.join(tests)}) else (None if {nulls} else {other}))"
        if fn == "not":
            return self._strict(args, col, lambda a: f"(not {a})")
        if fn == "truthy":  # a number used as a condition (SQLite): non-zero is TRUE
            return self._strict(args, col, lambda a: f"({a} != 0)")
        if fn == "concat":
            return self._strict(args, col, lambda a, b: f"({a} + {b})")
        if fn == "like":
            ci, esc = e.extra
            x, p = self.value(args[0], col), self.value(args[1], col)
            if esc is not None and self.dialect.name == "sqlite":  # (a dangling escape: no match, no error)
                return f"_like({x}, {p}, {ci!r}, {esc!r}, False)"
            return f"_like({x}, {p}, {ci!r}, {esc!r})"
        if fn == "in_list":
            return self._in_list(e, col)
        if fn == "coalesce":
            if len(args) <= FLAT_FROM:
                out = self.value(args[-1], col)
                for a in reversed(args[:-1]):
                    t = self.tmp()
                    out = f"({t} if ({t} := {self.value(a, col)}) is not None else {out})"
                return out
            # many arguments: the first non-NULL one in a 1-tuple, a flat `or` chain (see CASE)
            arms = []
            for a in args[:-1]:
                t = self.tmp()
                arms.append(f"(({t} := {self.value(a, col)}) is not None and ({t},))")
            return f"({' or '.join(arms)} or ({self.value(args[-1], col)},))[0]"
        if fn == "cast":
            return self._cast(e, col)
        if fn == "try_cast" and _nested(e.args[0].type, e.type):  # element by element (nested.py)
            return f"({nested.try_conversion(self, e.args[0].type, e.type)})({self.value(e.args[0], col)})"
        if fn == "try_cast":  # the cast as a function of its argument's value, failures made NULL
            x = e.args[0]
            conversion = self._cast(Call("cast", (Col(0, x.type, x.nullable),), e.type, x.nullable, e.extra),
                                    lambda i: "_v")
            return f"_try_cast(lambda _v: {conversion}, {self.value(x, col)})"
        if fn == "to_text" and args[0].type.kind == "list":
            return self._cast(Call("cast", args, e.type, e.nullable, e.type), col)
        if fn == "to_text":
            helper = "_to_text_sqlite" if self.dialect.name == "sqlite" else "_to_text"
            if args[0].type.kind == "float" and args[0].type.bits == 32:
                helper = "_real_text"
            return self._strict(args, col, lambda a: f"{helper}({a})")
        if fn in ("greatest", "least"):
            # DuckDB ignores NULL arguments; NULL only when all are NULL
            codes = ", ".join(self.value(a, col) for a in args)
            return f"_{fn}({codes})"
        if fn == "trim":
            where = e.extra
            codes = [self.value(a, col) for a in args]
            chars = codes[1] if len(codes) > 1 else "' '"
            return f"_sql_trim({codes[0]}, {chars}, {where!r})"
        if fn == "extract":
            return f"_extract({e.extra!r}, {self.value(args[0], col)})"
        if fn == "time_bucket":
            fixed = [self._constant(a) for a in (args[0],) + args[2:]]
            if len(fixed) > 1 and fixed[1] is None:  # a NULL origin or offset: NULL
                return "None"
            if all(v is not _NOT_CONSTANT for v in fixed):  # prepared once (sqllib/timebucket.bucketer)
                width, third = fixed[0], fixed[1] if len(fixed) > 1 else None
                f = bucketer(width, third if e.extra == "origin" else None, third if e.extra == "offset" else None,
                             e.type.kind == "date")
                return f"{self.const(f)}({self.value(args[1], col)})"
            codes = [self.value(a, col) for a in args]
            origin = codes[2] if e.extra == "origin" else "None"
            offset = codes[2] if e.extra == "offset" else "None"
            return f"_time_bucket({codes[0]}, {codes[1]}, {origin}, {offset}, {e.type.kind == 'date'}, {len(codes) > 2})"
        if fn == "date_trunc":
            return f"_date_trunc({e.extra!r}, {self.value(args[0], col)}, {e.type.kind == 'date'})"
        if fn in ("add_interval", "sub_interval"):
            d, iv = self.value(args[0], col), self.value(args[1], col)
            fixed = self._constant(args[1])
            if (args[0].type.kind == "timestamp" and fixed is not _NOT_CONSTANT and fixed is not None
                    and not fixed.months):  # a timestamp plus a fixed length: one addition
                delta = datetime.timedelta(days=fixed.day_part, microseconds=fixed.micro_part)
                return f"_add_timedelta({d}, {self.const(delta if fn == 'add_interval' else -delta)})"
            return f"_{fn}({d}, {iv}, {e.type.kind == 'timestamp'})"
        if fn == "make_interval":
            return f"_make_interval({self.value(args[0], col)}, {e.extra!r})"
        if fn in ("interval_add", "interval_sub", "interval_neg"):
            ops = {"interval_add": lambda a, b: f"({a} + {b})", "interval_sub": lambda a, b: f"({a} - {b})",
                   "interval_neg": lambda a: f"(-{a})"}
            return self._strict(args, col, ops[fn])
        if fn == "interval_key":
            return self._strict(args, col, lambda a: f"{a}.key()")
        if fn in ("regexp_matches", "regexp_full_match", "regexp_extract", "regexp_extract_all", "regexp_replace",
                  "regexp_extract_groups", "regexp_extract_all_groups", "regexp_split"):
            return self._pattern_call(e, col)
        if fn == "glob":
            return f"_glob_match({self.value(args[0], col)}, {self.value(args[1], col)}, {e.extra!r})"
        if fn in ("list_reduce", "list_transform", "list_filter"):
            return self._lambda_call(e, col)
        if fn == "list_aggregate":  # list_mad(xs), …: an aggregate's runtime state fed the elements (lists.py)
            state = runtime_function(AggCall(e.extra, Col(0, e.args[0].type.elem, True), False, None, e.type))
            return f"_aggregate_list({self.value(args[0], col)}, {self.const(state)})"
        if fn == "struct_pack":  # {'a': x, …} (compiler/structs.py)
            return structs.gen_pack(self, e, col)
        if fn in ("list_slice", "list_slice_step"):
            codes = ", ".join(self.value(a, col) for a in args)
            return f"_{fn}({codes}, {e.extra[0]!r}, {e.extra[1]!r})"
        if fn == "string_slice":
            codes = ", ".join(self.value(a, col) for a in args)
            return f"_string_slice({codes}, {e.extra[0]!r}, {e.extra[1]!r})"
        if fn == "bit_count":
            return f"_bit_count({self.value(args[0], col)}, {e.extra})"
        if fn == "ilike":
            x, p = self.value(args[0], col), self.value(args[1], col)
            return f"_like({x}, {p}, True, {e.extra!r})"
        raise AssertionError(f"codegen: unknown function {fn!r}")

    def _lambda_call(self, e: Call, col) -> str:
        """list_transform / list_filter / list_reduce: the lambda (lists.Lambda) as a Python lambda over
        its parameters; the values it reads from the row (its captures, the call's last arguments) bound
        first, by an enclosing lambda, so a lambda inside it reads them too."""
        lam, args = e.extra, e.args
        n = len(args) - lam.captures
        own = ("_la", "_lx", "_li") if e.fn == "list_reduce" else ("_lx", "_li")
        def params(i):
            return own[i] if i < len(own) else f"_lc{i - len(own)}"
        body = self.truth(lam.body, params) if e.fn == "list_filter" else self.value(lam.body, params)
        if e.fn == "list_reduce":
            start = self.value(lam.start, lambda i: "_lx")
            init = self.value(args[1], col) if n > 1 else "_NO_INIT"
            code = f"_list_reduce(_ll, lambda _la, _lx, _li: {body}, lambda _lx: {start}, {init})"
        else:
            code = f"_{e.fn}(_ll, lambda _lx, _li: {body})"
        names = ["_ll"] + [f"_lc{k}" for k in range(lam.captures)]
        values = [self.value(args[0], col)] + [self.value(a, col) for a in args[n:]]
        return f"(lambda {', '.join(names)}: {code})({', '.join(values)})"

    def constant(self, e):
        """The value of a constant expression, or NOT_CONSTANT (see _constant)."""
        return self._constant(e)

    def _constant(self, e):
        """The value of a constant expression (folded once, here), or _NOT_CONSTANT when it reads a
        row or cannot be computed now (its error, if any, is then the row's to raise)."""
        if isinstance(e, Lit):
            return e.value
        if not is_constant(e):
            return _NOT_CONSTANT
        try:
            return eval(self.value(e, lambda i: "None"), self.env)  # noqa: S307 - generated from the plan
        except Exception:
            return _NOT_CONSTANT

    def _pattern_call(self, e: Call, col) -> str:
        """A regular expression function: a constant pattern (and replacement) was translated at compile
        time and goes in as a constant; otherwise the value is translated at run time."""
        opts, rx = e.extra[0], e.extra[1]
        codes = [self.value(a, col) for a in e.args]
        if rx is not None:
            codes[1] = self.const(rx)
        if e.fn == "regexp_replace":
            rewrite, every = e.extra[2], e.extra[3]
            if rewrite is not None:
                codes[2] = self.const(rewrite)
            return f"_regexp_replace({', '.join(codes)}, {opts!r}, {every!r})"
        return f"_{e.fn}({', '.join(codes)}, {opts!r})"

    def _in_list(self, e: Call, col) -> str:
        x, items = e.args[0], e.args[1:]
        if all(isinstance(i, Lit) for i in items):
            values = [i.value for i in items]
            has_null = any(v is None for v in values)
            s = self.const(frozenset(v for v in values if v is not None))
            t = self.tmp()
            miss = "None" if has_null else "False"
            return f"(None if ({t} := {self.value(x, col)}) is None else (True if {t} in {s} else {miss}))"
        codes = ", ".join(self.value(i, col) for i in items)
        t, u = self.tmp(), self.tmp()
        return (f"(None if ({t} := {self.value(x, col)}) is None else "
                f"(True if {t} in ({u} := ({codes},)) else (None if None in {u} else False)))")

    def _cast(self, e: Call, col) -> str:
        target = e.extra
        src = e.args[0].type
        a = self.value(e.args[0], col)
        k = target.kind
        if src == target:
            return a
        if k == "struct" or src.kind == "struct":
            return structs.gen_cast(self, src, target, a)
        if k == "map" or src.kind == "map":
            return maps.gen_cast(self, src, target, a)
        if k == "list" or src.kind == "list":
            return self._list_cast(src, target, a)
        if k == "int":
            return f"_cast_int({a}, {target.bits}, {self.dialect.cast_float_to_int_truncates})"
        if k == "uhugeint":
            return f"_cast_uhugeint({a})"
        if k == "float" and target.bits == 32:
            return f"_to_real({a})"
        if k == "float":
            if src.kind in ("int", "decimal", "bool", "uhugeint"):
                return self._strict(e.args, col, lambda v: f"float({v})")
            return f"_cast_float({a}, {self.dialect.name != 'sqlite'})"
        if k == "decimal":
            return f"_cast_decimal({a}, {target.scale}, {target.precision})"
        if k == "text" and src.kind == "timestamptz":
            return self._strict(e.args, col, lambda v: f"_timestamptz_text({v})")
        if k == "text":
            helper = "_to_text_sqlite" if self.dialect.name == "sqlite" else "_to_text"
            if src.kind == "float" and src.bits == 32:
                helper = "_real_text"
            return self._strict(e.args, col, lambda v: f"{helper}({v})")
        if k == "bool":
            return f"_cast_bool({a}, {self.dialect.bool_text!r})"
        if k == "date":
            return f"_cast_date({a})"
        if k == "timestamp" and target.precision:  # TIMESTAMP_S / _MS / _NS: rounded to the unit, range-checked
            return f"_cast_timestamp_unit({a}, {timestamp_digits(target)})"
        if k == "timestamp":
            return f"_cast_timestamp({a})"
        if k == "timestamptz":
            return f"_cast_timestamptz({a})"
        if k == "timetz":
            return f"_cast_timetz({a})"
        if k == "time" and src.kind == "timetz":
            return f"_timetz_time({a})"
        if k in ("time", "blob", "uuid", "bit"):
            return f"_cast_{k}({a})"
        if k == "interval":
            return f"_cast_interval({a})"
        if k == "null":
            return "None"
        raise AssertionError(f"codegen: cast to {target}")

    def _list_cast(self, src, target, a: str) -> str:
        """A cast to or from a list: each element through the element type's own cast (a function of
        ``_v``, the element), NULL elements kept (sqllib/lists.py)."""
        if target.kind == "text":
            conv = self._cast(Call("cast", (Col(0, src.elem, False),), target, False, target), lambda i: "_v")
            return f"_list_text({a}, lambda _v: {conv}, {quoted_text(src.elem)})"
        if src.kind == "list" and src.elem == target.elem:  # a LIST to an ARRAY or back: the value itself
            return f"_array_sized({a}, {target.size})" if target.size else a
        elem_src = src.elem if src.kind == "list" else src  # text: each element read from its text
        conv = self._cast(Call("cast", (Col(0, elem_src, False),), target.elem, False, target.elem),
                          lambda i: "_v")
        code = f"_cast_list({a}, lambda _v: {conv})"
        return f"_array_sized({code}, {target.size})" if target.size else code  # (an ARRAY: its length checked)

    # -- truth / falsity modes --------------------------------------------------------------------
    def truth(self, e, col) -> str:
        return self._bounded(self._truth(e, col))

    def falsity(self, e, col) -> str:
        return self._bounded(self._falsity(e, col))

    def _truth(self, e, col) -> str:
        if isinstance(e, Lit):
            return "True" if e.value is True else "False"
        if isinstance(e, Call):
            fn = e.fn
            if fn == "and":
                return f"({' and '.join(self.truth(a, col) for a in _chain(e, 'and'))})"
            if fn == "or":
                return f"({' or '.join(self.truth(a, col) for a in _chain(e, 'or'))})"
            if fn == "not":
                return self.falsity(e.args[0], col)
            if fn in COMPARE:
                return self._compare_test(e, col, fn)
            if fn in ("is_null", "is_not_null", "is_distinct", "is_not_distinct"):
                return self.value(e, col)
        return f"({self.value(e, col)} is True)"

    def _falsity(self, e, col) -> str:
        if isinstance(e, Lit):
            return "True" if e.value is False else "False"
        if isinstance(e, Call):
            fn = e.fn
            if fn == "and":
                return f"({' or '.join(self.falsity(a, col) for a in _chain(e, 'and'))})"
            if fn == "or":
                return f"({' and '.join(self.falsity(a, col) for a in _chain(e, 'or'))})"
            if fn == "not":
                return self.truth(e.args[0], col)
            if fn in COMPARE:
                return self._compare_test(e, col, NEGATED[fn])
            if fn in ("is_null", "is_not_null", "is_distinct", "is_not_distinct"):
                return f"(not {self.value(e, col)})"
        return f"({self.value(e, col)} is False)"

    def _canonical_nan(self, code: str) -> str:
        t = self.tmp()
        return f"({t} if ({t} := {code}) == {t} else _NAN)"

    def _compare_test(self, e, col, fn) -> str:
        """Truthy exactly when ``a fn b`` is TRUE (fn a comparison; NULL makes it not TRUE)."""
        a, b = e.args
        if (isinstance(a, Lit) and a.value is None) or (isinstance(b, Lit) and b.value is None):
            return "False"
        codes, checks = [], []
        for x in (a, b):
            code = self.value(x, col)
            if x.nullable:
                t = self.tmp()
                checks.append(f"({t} := {code}) is not None")
                codes.append(t)
            else:
                codes.append(code)
        if _floats(e.args):
            test = _nan_compare(fn, codes[0], codes[1])
        else:
            test = f"{codes[0]} {COMPARE[fn]} {codes[1]}"
        return f"({' and '.join(checks + [test])})"

    # -- generated functions ----------------------------------------------------------------------
    def compile(self, source: str, name: str):
        self.sources.append(source)
        code = compile(source, f"<deltasql {name}>", "exec")
        exec(code, self.env)
        fn = self.env[name]
        fn.source = source
        return fn

    def compile_later(self, source: str, name: str):
        """``compile(source, name)``, done when the function is first called, and neither listed in
        ``sources`` nor bound in ``env`` (its name need not be new): for a helper that most pipelines
        never run and that is no part of the circuit's computation (``sources`` is what --emit python
        shows and what a checkpoint's fingerprint reads)."""
        made: list = []

        def call(*args):
            if not made:
                defined: dict = {}
                exec(compile(source, f"<deltasql {name}>", "exec"), self.env, defined)
                made.append(defined[name])
            return made[0](*args)
        call.source = source
        return call

    def fresh_name(self, prefix: str) -> str:
        self._n += 1
        return f"{prefix}_{self._n}"


# deepest parenthesis nesting left in one generated expression (Python's parser stops at 200)
MAX_NESTING = 50
# CASE and COALESCE with more arms than this are generated flat (see Codegen._value)
FLAT_FROM = 8


def _nesting(code: str) -> int:
    """How deep parentheses (and brackets) nest in code, string literals left out."""
    depth = deepest = 0
    for ch in _STRINGS.sub("''", code):
        if ch in "([{":
            depth += 1
            deepest = max(deepest, depth)
        elif ch in ")]}":
            depth -= 1
    return deepest


_STRINGS = re.compile(r"'(?:[^'\\]|\\.)*'" + r'|"(?:[^"\\]|\\.)*"')


def _chain(e, fn: str) -> list:
    """The terms of a chain of one associative operator (a AND b AND c: the binder nests them)."""
    out, stack = [], [e]
    while stack:
        x = stack.pop()
        if isinstance(x, Call) and x.fn == fn:
            stack.extend(reversed(x.args))
        else:
            out.append(x)
    return out


# float-valued functions that never make a new NaN object (they return an argument or the one NaN)
_NAN_SAFE = frozenset({"coalesce", "greatest", "least"})
# FLOAT-valued functions whose result is already a float32 (an argument, or made one by the function)
_REAL_SAFE = _NAN_SAFE | {"cast", "try_cast"}


_NOT_CONSTANT = NOT_CONSTANT = object()  # (NOT_CONSTANT: the name other modules read)


def _floats(args) -> bool:
    return any(a.type.kind == "float" for a in args)


def _nan_compare(fn: str, a: str, b: str) -> str:
    """A DOUBLE comparison as DuckDB makes it: NaN equals NaN and is above every other value."""
    return {"eq": f"_nan_eq({a}, {b})", "ne": f"(not _nan_eq({a}, {b}))", "lt": f"_nan_lt({a}, {b})",
            "gt": f"_nan_lt({b}, {a})", "le": f"(not _nan_lt({b}, {a}))", "ge": f"(not _nan_lt({a}, {b}))"}[fn]


def row_col(var: str):
    return lambda i: f"{var}[{i}]"


def _hashable(v) -> bool:
    try:
        hash(v)
    except TypeError:
        return False
    return not isinstance(v, float) or v == v


def batch_function(cg: Codegen, steps, name_hint: str = "batch"):
    """Fuse a chain of ('filter', predicate) / ('project', exprs) steps into one function
    Z-set -> Z-set (the lifting of the row-wise chain, hence linear)."""
    name = cg.fresh_name(name_hint)
    lines = [f"def {name}(delta):", "    out = {}"]
    projects = any(kind == "project" for kind, _ in steps)
    if projects:
        lines.append("    get = out.get")
    lines.append("    for r0, w in delta.items():")
    cur = "r0"
    level = 0
    for kind, payload in steps:
        if kind == "filter":
            lines.append(f"        if not {cg.truth(payload, row_col(cur))}:")
            lines.append("            continue")
        else:
            level += 1
            nxt = f"r{level}"
            items = [cg.value(x, row_col(cur)) for x in payload]
            lines.append(f"        {nxt} = ({', '.join(items)}{',' if len(items) == 1 else ''})")
            cur = nxt
    if projects:
        lines.append(f"        out[{cur}] = get({cur}, 0) + w")
        lines.append("    return _drop_zeros(out)")
    else:
        lines.append(f"        out[{cur}] = w")
        lines.append("    return out")
    return cg.compile("\n".join(lines), name)


def row_function(cg: Codegen, exprs, name_hint: str = "row"):
    """row -> tuple of expression values."""
    name = cg.fresh_name(name_hint)
    items = [cg.value(x, row_col("r")) for x in exprs]
    body = f"({', '.join(items)}{',' if len(items) == 1 else ''})"
    return cg.compile(f"def {name}(r):\n    return {body}", name)


def key_function(cg: Codegen, exprs, null_safe=None, name_hint: str = "key", scalar: bool = False):
    """row -> key tuple, or None when a (non null-safe) key part is NULL: such a row can never
    match under SQL equality.  ``scalar`` (one key expression, not null-safe): the value itself
    instead of a 1-tuple."""
    name = cg.fresh_name(name_hint)
    null_safe = null_safe or (False,) * len(exprs)
    lines = [f"def {name}(r):"]
    parts = []
    for x, safe in zip(exprs, null_safe):
        code = cg.value(x, row_col("r"))
        if x.nullable and not safe:
            t = cg.tmp()
            lines.append(f"    {t} = {code}")
            lines.append(f"    if {t} is None:")
            lines.append("        return None")
            parts.append(t)
        else:
            parts.append(code)
    lines.append(f"    return {_key_tuple(parts, scalar)}")
    return cg.compile("\n".join(lines), name)


def _key_parts(cg: Codegen, exprs, null_safe, row: str) -> tuple[list[str], list[str]]:
    """key_function's key over ``row`` inside a loop over rows: (statements that skip the row when a
    non null-safe part is NULL, the key's parts)."""
    lines: list[str] = []
    parts = []
    for x, safe in zip(exprs, null_safe or (False,) * len(exprs)):
        code = cg.value(x, row_col(row))
        if x.nullable and not safe:
            t = cg.tmp()
            lines += [f"        {t} = {code}", f"        if {t} is None:", "            continue"]
            parts.append(t)
        else:
            parts.append(code)
    return lines, parts


def _key_tuple(parts, scalar: bool) -> str:
    if scalar:
        assert len(parts) == 1
        return parts[0]
    return f"({', '.join(parts)}{',' if len(parts) == 1 else ''})"


def arrange_function(cg: Codegen, exprs, null_safe=None, name_hint: str = "arrange", scalar: bool = False,
                     unique: bool = False, rows: bool = False):
    """The fused loop of an Arrange: (delta, keyed, index) -> None, which files each row of the
    Z-set ``delta`` under its key (key_function's, inlined; a row whose non null-safe key part is
    NULL is skipped) both in ``keyed`` (the delta by key, the operator's output) and in ``index``
    (the arrangement, consolidated: a weight reaching 0 is removed, then an empty bucket).  Keys
    are key_function's (``scalar``: one value, not a 1-tuple).  ``unique``: the index is {key: row}
    (runtime.arrangement.Arrangement's unique law: +1 files the row, -1 removes it if filed).
    ``rows``: buckets of the ``rows`` form (every row at most once: runtime/arrangement.py).
    Law: afterwards keyed = index_delta(delta) and index = index_old + keyed; a row is added to
    ``keyed`` before ``index`` changes and nothing between them can fail, so if a key expression
    raises, the index holds index_old + keyed exactly (what the journal entry undoes)."""
    name = cg.fresh_name(name_hint)
    lines = [f"def {name}(delta, keyed, index):", "    kget = keyed.get", "    iget = index.get",
             "    for r, w in delta.items():"]
    skips, parts = _key_parts(cg, exprs, null_safe, "r")
    lines += skips + [f"        k = {_key_tuple(parts, scalar)}",
              "        b = kget(k)", "        if b is None:", "            keyed[k] = {r: w}", "        else:",
              "            b[r] = w"]
    if unique:
        lines += ["        if w > 0:", "            index[k] = r", "        elif iget(k) == r:", "            del index[k]"]
    elif rows:
        lines += _file_rows_form("r", "w", "k", "index", " " * 8)
    else:
        lines += ["        b = iget(k)", "        if b is None:", "            index[k] = {r: w}", "            continue",
                  "        n = b.get(r, 0) + w", "        if n:", "            b[r] = n", "        else:",
                  "            del b[r]", "            if not b:", "                del index[k]"]
    return cg.compile("\n".join(lines), name)


def _file_rows_form(r: str, w: str, k: str, index: str, indent: str, get: str = "iget") -> list[str]:
    """runtime.arrangement.file_row inlined: weight ``w`` (±1) of row ``r`` under key ``k`` of a
    ``rows``-form index (a list of at most LIST_MAX rows, else {row: 1}); ``get`` is index.get."""
    lines = [f"bucket = {get}({k})", f"if {w} > 0:", "    if bucket is None:", f"        {index}[{k}] = [{r}]",
             "    elif bucket.__class__ is list:", f"        bucket.append({r})",
             f"        if len(bucket) > {LIST_MAX}:", f"            {index}[{k}] = dict.fromkeys(bucket, 1)",
             "    else:", f"        bucket[{r}] = 1", "else:", "    if bucket.__class__ is list:",
             f"        bucket.remove({r})", "    else:", f"        del bucket[{r}]", "    if not bucket:",
             f"        del {index}[{k}]"]
    return [indent + line for line in lines]


def join_kernel(cg: Codegen, n_left: int, residual=None, output=None, name_hint: str = "join", picks=(None, None),
                forms=("bag", "bag")):
    """The bilinear join kernel (Δa ⋈ Ib + Ia ⋈ Δb - Δa ⋈ Δb) with the residual condition and the
    output row (default: left row + right row) inlined.  ``picks`` (left, right): for a side
    arranged unprojected, the column of its stored rows that each of the side's columns reads.
    ``forms`` (left, right): each side's bucket form (runtime/arrangement.py): ``unique``, {key: row}
    (weight 1), so a probe of it finds one row or none; ``rows``, a bucket iterates its rows, each
    of weight 1; ``bag``, {row: weight} (the keyed deltas are {key: {row: weight}} in every form)."""
    name = cg.fresh_name(name_hint)
    lpick, rpick = picks

    def col(i):
        if i < n_left:
            return f"ra[{i if lpick is None else lpick[i]}]"
        return f"rb[{i - n_left if rpick is None else rpick[i - n_left]}]"

    test = cg.truth(residual, col) if residual is not None else None
    if output is None:
        make = "ra + rb"
    else:
        items = [cg.value(x, col) for x in output]
        make = f"({', '.join(items)}{',' if len(items) == 1 else ''})"

    def pair(indent: str, sign: str) -> list[str]:
        out = []
        if test is not None:
            out.append(f"{indent}if {test}:")
            indent += "    "
        out.append(f"{indent}r = {make}")
        out.append(f"{indent}out[r] = get(r, 0) {sign} wa * wb")
        return out

    def probe(delta: str, index: str, mine: str, theirs: str, their_form: str) -> list[str]:
        """Δ(mine) ⋈ I(theirs)."""
        head = [f"    for k, rows in {delta}.items():"]
        if their_form == "unique":
            return head + [f"        r{theirs} = {index}.get(k)", f"        if r{theirs} is not None:",
                           f"            w{theirs} = 1", f"            for r{mine}, w{mine} in rows.items():"] + \
                pair(" " * 16, "+")
        if their_form == "rows":
            return head + ["        other = " + index + ".get(k)", "        if other:", f"            w{theirs} = 1",
                           f"            for r{mine}, w{mine} in rows.items():",
                           f"                for r{theirs} in other:"] + pair(" " * 20, "+")
        return head + ["        other = " + index + ".get(k)", "        if other:",
                       f"            for r{mine}, w{mine} in rows.items():",
                       f"                for r{theirs}, w{theirs} in other.items():"] + pair(" " * 20, "+")

    lines = [f"def {name}(da, db, ia, ib):", "    out = {}", "    get = out.get"]
    lines += probe("da", "ib", "a", "b", forms[1])
    lines += probe("db", "ia", "b", "a", forms[0])
    lines += ["    if da and db:", "        for k in da.keys() & db.keys():",
              "            for ra, wa in da[k].items():", "                for rb, wb in db[k].items():"]
    lines += pair(" " * 20, "-")
    lines.append("    return _drop_zeros(out)")
    return cg.compile("\n".join(lines), name)


def join_fold(cg: Codegen, n_left: int, output, picks, forms, fold_parts, arranged=(None, None),
              name_hint: str = "join_fold"):
    """A join kernel and the fold of the aggregate after it in one loop, or None where it cannot be:
    (groups, da, db, ia, ib, sign, new) -> touched group keys.  Each pair of the three terms of
    join_kernel (Δa ⋈ Ib + Ia ⋈ Δb - Δa ⋈ Δb) goes straight into its group with the weight
    ±wa·wb, without the join's output Z-set between them.  ``fold_parts``: the reducer's
    (CompiledReducer.fold_parts); the group key and arguments read the join's output row, so every
    column of that row must be a column read or a constant (nothing that can fail, as the fold
    requires; the rows are then never made).

    Law: for aggregate functions whose states add up (combinable: COUNT, SUM, AVG, TOTAL) a fold is
    linear in the weights, so folding each pair with its weight gives the groups that folding the
    consolidated join output gives (a pair that cancels another touches its group and leaves it as
    it was: the Aggregate then emits nothing for it); sign -1 undoes sign +1.

    Returns (fold, raw): ``raw`` is, for each side whose arrangement's key is given in ``arranged``
    ((key expressions, null_safe, scalar): column reads only), a fold that also does that side's
    Arrange, from its unarranged delta, or None: (groups, delta, other side's keyed delta, ia, ib,
    sign, new, keyed_of) -> touched.  Each row of ``delta`` is filed in its side's index as
    arrange_function files it, then probes the other side's index (Δ ⋈ I of the other side, which
    its own Arrange has already updated; the inlined lines for an idle other side look both indexes
    up first: raw_lines' ``other_idle``); the two other terms need this side's delta by key
    (``keyed_of(delta)``), made only when the other side changed too.  Forward only (sign 1): its
    undo is the arrangement's and fold's with the delta by key."""
    key, names, values, body = fold_parts
    lpick, rpick = picks

    def col(i):
        if i < n_left:
            return f"ra[{i if lpick is None else lpick[i]}]"
        return f"rb[{i - n_left if rpick is None else rpick[i - n_left]}]"

    if output is None:
        return None  # (the default output is the whole pair of rows: arranged sides are projected first)
    items = [cg.value(x, col) for x in output]
    if not all(_PAIR_PLAIN.fullmatch(c) for c in items):
        return None
    name = cg.fresh_name(name_hint)

    def row_col_of(code: str) -> str:
        return re.sub(r"\br\[(\d+)\]", lambda m: items[int(m.group(1))], code)

    def pair(indent: str, weight: str, forward: bool = False, note=("add(k)",)) -> list[str]:
        """The fold of one pair of weight ``weight``; ``forward``: sign is always 1 (a raw fold);
        ``note``: the statements that note group ``k`` as touched (the reducer's ``add(k)``)."""
        out = [f"{indent}w = {weight}", f"{indent}k = {row_col_of(key)}"]
        lines = [indent + line[8:] for line in body[:-1]]  # (its last line returns)
        if forward:
            lines = [line for line in lines if line.strip() not in ("if sign < 0:", "w = -w")]
        at = lines.index(indent + "add(k)")
        lines[at:at + 1] = [indent + x for x in note]
        out += [f"{indent}{n} = {row_col_of(v)}" for n, v in zip(names, values)
                if re.search(rf"\b{n}\b", "\n".join(lines))]  # (COUNT(*)'s reads none)
        return out + lines

    def probe(delta: str, index: str, mine: str, theirs: str, their_form: str, note=("add(k)",)) -> list[str]:
        """Δ(mine) ⋈ I(theirs)."""
        head = [f"    for k{mine}, rows in {delta}.items():"]
        if their_form == "unique":
            return head + [f"        r{theirs} = {index}.get(k{mine})", f"        if r{theirs} is not None:",
                           f"            for r{mine}, w{mine} in rows.items():"] + pair(" " * 16, f"w{mine}", False, note)
        if their_form == "rows":
            return head + [f"        other = {index}.get(k{mine})", "        if other:",
                           f"            for r{mine}, w{mine} in rows.items():",
                           f"                for r{theirs} in other:"] + pair(" " * 20, f"w{mine}", False, note)
        return head + [f"        other = {index}.get(k{mine})", "        if other:",
                       f"            for r{mine}, w{mine} in rows.items():",
                       f"                for r{theirs}, w{theirs} in other.items():"] + pair(" " * 20, "wa * wb", False, note)

    def minus(note=("add(k)",)) -> list[str]:
        """- Δa ⋈ Δb."""
        return ["    if da and db:", "        for kk in da.keys() & db.keys():",
                "            for ra, wa in da[kk].items():", "                for rb, wb in db[kk].items():"] + \
            pair(" " * 20, "-(wa * wb)", False, note)

    lines = [f"def {name}(groups, da, db, ia, ib, sign, new):", "    touched = set()", "    add = touched.add"]
    lines += probe("da", "ib", "a", "b", forms[1])
    lines += probe("db", "ia", "b", "a", forms[0])
    lines += minus()
    lines.append("    return touched")
    fold = cg.compile("\n".join(lines), name)

    def raw(side: int):
        """The fold that arranges side ``side``'s delta itself (see above), or None."""
        if arranged[side] is None:
            return None
        raw_name = cg.fresh_name(f"{name_hint}_{'ab'[side]}")
        made = raw_lines(side, ("add(k)",))
        if made is None:
            return None
        head = [f"def {raw_name}(groups, da, db, ia, ib, sign, new, keyed_of):", "    touched = set()",
                "    add = touched.add"] + made[0] + ["    return touched"]
        fn = cg.compile("\n".join(head), raw_name)
        # (for a caller that inlines it, runtime/fused.py: ``fn.lines(note, other_idle)``, its lines with
        # ``note`` noting each touched group ``k`` instead of adding it to ``touched``, and the number
        # of those that run when the other side's delta is known to be empty; ``other_idle``: the caller
        # knows that it is, and takes only those, with both indexes probed first)
        fn.lines = lambda note, other_idle=False: raw_lines(side, note, other_idle)
        return fn

    def raw_lines(side: int, note, other_idle: bool = False):
        """The body of side ``side``'s raw fold (at a function's indentation), with ``note`` for
        the statements noting a touched group ``k``, and the number of its lines that run when the
        other side's delta is empty; or None where it cannot be made.

        ``other_idle``: only those lines, for a caller that knows the other side's delta is empty, with
        each row's two index lookups (the other side's probe, then its own bucket) before the pair
        is folded and the row filed.  At a million rows each lookup misses the caches (and, on 4 KB
        pages, the TLB): written next to each other, their misses overlap (out-of-order execution)
        instead of following one another.  Same result: with the other side's delta empty the two
        indexes are two Arranges' (one shared Arrange feeding both sides would have this delta on
        both), so filing a row cannot change the probe's bucket, and the fold reads no index."""
        exprs, null_safe, scalar = arranged[side]
        mine, theirs = ("a", "b") if side == 0 else ("b", "a")
        own, others = ("da", "db") if side == 0 else ("db", "da")
        head = [f"    for r{mine}, w{mine} in {own}.items():"]
        parts = []
        for x, safe in zip(exprs, null_safe):
            code = cg.value(x, row_col(f"r{mine}"))
            if not re.fullmatch(rf"r{mine}\[\d+\]", code):
                return None
            if x.nullable and not safe:
                head += [f"        if {code} is None:", "            continue"]
            parts.append(code)
        head.append(f"        k{mine} = {_key_tuple(parts, scalar)}")
        r, w, k, ix = f"r{mine}", f"w{mine}", f"k{mine}", f"i{mine}"
        if forms[side] == "unique":  # arrange_function's unique law
            look, filing = [], [f"        if {w} > 0:", f"            {ix}[{k}] = {r}",
                                f"        elif {ix}.get({k}) == {r}:", f"            del {ix}[{k}]"]
        elif forms[side] == "rows":
            look, *filing = _file_rows_form(r, w, k, ix, " " * 8, f"{ix}.get")
            look = [look]
        else:
            look = [f"        bucket = {ix}.get({k})"]
            filing = ["        if bucket is None:", f"            {ix}[{k}] = {{{r}: {w}}}",
                      "        else:", f"            n = bucket.get({r}, 0) + {w}", "            if n:",
                      f"                bucket[{r}] = n", "            else:", f"                del bucket[{r}]",
                      "                if not bucket:", f"                    del {ix}[{k}]"]
        if forms[1 - side] == "unique":
            probe_look = f"        r{theirs} = i{theirs}.get({k})"
            probing = [f"        if r{theirs} is not None:"] + pair(" " * 12, w, True, note)
        elif forms[1 - side] == "rows":
            probe_look = f"        other = i{theirs}.get({k})"
            probing = ["        if other:", f"            for r{theirs} in other:"] + pair(" " * 16, w, True, note)
        else:
            probe_look = f"        other = i{theirs}.get({k})"
            probing = ["        if other:", f"            for r{theirs}, w{theirs} in other.items():"] + \
                pair(" " * 16, "wa * wb", True, note)
        if other_idle:
            head += [probe_look, *look, *probing, *filing]
            return head, len(head)
        head += [*look, *filing, probe_look, *probing]
        alone = len(head)  # (the lines before: all it does when the other side's delta is empty)
        head += [f"    if {others}:", f"        {own} = keyed_of({own})"]
        head += ["    " + line for line in probe(others, f"i{mine}", theirs, mine, forms[side], note)]
        head += minus(note)[1:]  # (da and db are both non-empty here)
        return head, alone

    return fold, (raw(0), raw(1))


_PAIR_PLAIN = re.compile(r"r[ab]\[\d+\]|_k\d+|-?\d+|None|True|False")  # a join's output column that cannot fail


def pair_code(cg: Codegen, n_left: int, residual=None, output=None) -> tuple[str | None, str]:
    """Over a left row ``ra`` and a right row ``rb``: (the residual condition's test, or None; the
    output row)."""
    def col(i):
        return f"ra[{i}]" if i < n_left else f"rb[{i - n_left}]"

    make = "ra + rb" if output is None else \
        f"({', '.join(cg.value(x, col) for x in output)}{',' if len(output) == 1 else ''})"
    return (None if residual is None else cg.truth(residual, col)), make


def combine_function(cg: Codegen, n_left: int, residual=None, output=None, name_hint: str = "combine"):
    """(left row, right row) -> output row, or None when the residual condition is not TRUE."""
    name = cg.fresh_name(name_hint)
    test, make = pair_code(cg, n_left, residual, output)
    if test is None:
        return cg.compile(f"def {name}(ra, rb):\n    return {make}", name)
    return cg.compile(f"def {name}(ra, rb):\n    return {make} if {test} else None", name)


def nested_probe(cg: Codegen, side: int, key_exprs, null_safe, n_left: int, residual=None, output=None,
                 static=(False, False), scalar: bool = False, file_own: bool = True, shifted: bool = False):
    """A NestedJoin side's delta keyed, filed in its own trace and probed against the other side's
    trace in one loop, for a scope iterated by one counter (times i or (i,), totally ordered;
    runtime/nested/join.py): (delta, trace, now, out, pending, own, keyed) -> None.  Each row whose
    non null-safe key part is not NULL is filed in ``own`` at ``now`` and then appended to ``keyed``
    as (key, row, weight) (so ``keyed`` always lists what was filed: the join's undo); its pairs go
    into ``out`` at a time ≤ now, else into ``pending`` at their time.  key_function's key and
    combine_function's row are inlined (``scalar``: the key is one value, not a 1-tuple).
    ``static`` (this side, the other side): a side fed only at iteration 0, whose trace is key ->
    row -> weight (every update at time 0, ≤ every time): filed without a time, and probed with
    every pair going into ``out``.  Law: the same ``own``, ``keyed``, ``out`` and ``pending`` as
    NestedJoin._keyed, then NestedJoin._probe with key_function and combine_function, then
    NestedJoin._insert.  A join whose recursive side's trace is a distinct's output history
    (runtime/nested/shared_trace.py): that side files nothing (``file_own`` False: the distinct
    did), and the other side reads the history ``shifted`` by one iteration (the feedback's z⁻¹: an
    update at the distinct's time t is the join's at t + 1, so it counts now when t < now)."""
    name = cg.fresh_name("nested_probe")
    mine, theirs = ("ra", "rb") if side == 0 else ("rb", "ra")
    mine_static, theirs_static = static
    lines = [f"def {name}(delta, trace, now, out, pending, own, keyed):"] + (["    append = keyed.append"] if file_own else [])
    lines += ["    get = trace.get"] + (["    oget = own.get"] if file_own else []) + [f"    for {mine}, w in delta.items():"]
    skips, parts = _key_parts(cg, key_exprs, null_safe, mine)
    lines += skips + [f"        k = {_key_tuple(parts, scalar)}"] + (["        b = oget(k)"] if file_own else [])
    if file_own and mine_static:
        lines += ["        if b is None:", f"            own[k] = {{{mine}: w}}", "        else:",
                  f"            n = b.get({mine}, 0) + w", "            if n:", f"                b[{mine}] = n",
                  "            else:", f"                del b[{mine}]", "                if not b:",
                  "                    del own[k]"]
    elif file_own:
        lines += ["        if b is None:", f"            own[k] = {{{mine}: {{now: w}}}}", "        else:",
                  f"            h = b.get({mine})", "            if h is None:", f"                b[{mine}] = {{now: w}}",
                  "            else:", "                n = h.get(now, 0) + w", "                if n:",
                  "                    h[now] = n", "                else:", "                    del h[now]",
                  "                    if not h:", f"                        del b[{mine}]",
                  "                        if not b:", "                            del own[k]"]
    lines += ([f"        append((k, {mine}, w))"] if file_own else []) + [
              "        bucket = get(k)", "        if not bucket:", "            continue",
              f"        for {theirs}, {'w2' if theirs_static else 'times'} in bucket.items():"]
    test, make = pair_code(cg, n_left, residual, output)
    if test is not None:
        lines += [f"            if not {test}:", "                continue"]
    if theirs_static:
        lines += [f"            r = {make}", "            out[r] = out.get(r, 0) + w * w2"]
    else:
        at, due = ("t + 1", "t < now") if shifted else ("t", "t <= now")
        lines += [f"            r = {make}", "            for t, w2 in times.items():", f"                if {due}:",
                  "                    out[r] = out.get(r, 0) + w * w2", "                else:",
                  f"                    target = pending.get({at})", "                    if target is None:",
                  f"                        target = pending[{at}] = {{}}",
                  "                    target[r] = target.get(r, 0) + w * w2"]
    return cg.compile("\n".join(lines), name)


def sort_key_function(cg: Codegen, keys, name_hint: str = "sortkey"):
    """row -> a totally ordered key: the ORDER BY keys (DESC reversed, NULLs placed as asked)
    followed by the whole row as a tie-breaker."""
    name = cg.fresh_name(name_hint)
    parts = []
    lines = [f"def {name}(r):"]
    for k in keys:
        t = cg.tmp()
        lines.append(f"    {t} = {cg.value(k.expr, row_col('r'))}")
        flag = f"({t} is not None)" if k.nulls_first else f"({t} is None)"
        if k.expr.type.kind == "float":  # NaN sorts above every number, as in DuckDB
            nan = f"({t} != {t})"
            val = f"({nan}, {t} if {t} == {t} else 0.0)"
            if k.descending:
                val = f"_Desc({val})"
            parts.append(f"{flag}, ({val} if {t} is not None else 0)")
            continue
        val = f"_Desc({t})" if k.descending else t
        parts.append(f"{flag}, ({val} if {t} is not None else 0)")
    # the tie-breaker: the whole row, NULL and NaN made comparable
    lines.append("    return (" + ", ".join(parts) + (", " if parts else "") +
                 "tuple((v is None, v != v, 0 if v is None or v != v else v) for v in r))")
    return cg.compile("\n".join(lines), name)




class CompiledReducer:
    """A group reducer with generated extract/apply loops: the argument expressions and the updates of
    COUNT and integer SUM/AVG are inlined; other aggregate functions are called per value.  ``new``
    and ``result`` are generated too (one call per function, no loop over them).  Its state is flat
    (compiled_reducer's layout); ``result`` takes the group, ``[row count, state]``."""

    def __init__(self, functions, extract, apply, new, result, fold=None, fold_parts=None):
        self.functions = functions
        self.extract = extract
        self._apply = apply
        self.new = new
        self.result = result
        # (groups, delta, sign, new) -> touched keys: apply(groups, extract(delta), sign) in one loop,
        # or None where extracting may fail (then it must run, changing nothing, before apply)
        self.fold = fold
        # (key code, argument names, argument codes over row r, the fold's body) where fold is
        # given: what join_fold reuses to fold a join's pairs without making their rows
        self.fold_parts = fold_parts

    def apply(self, groups, items, sign):
        return self._apply(groups, items, sign, self.new)

    def merge(self, groups, partials, sign):
        return merge_partials(groups, partials, sign, self.new)


def state_layout(aggs, functions) -> list:
    """Where each function keeps its state in a group's state list ``st`` (a group is ``g = [row
    count, st]``), as ``(width, offset, slot)``, ``slot(j)`` the expression of the function's j-th
    state item:

    - COUNT(*) without FILTER keeps none (width 0): its result is the group's row count ``g[0]``,
      the sum of the weights of the group's rows, which is what COUNT(*) counts (offset None);
    - a function that gives its update and its result as code (``inline`` and ``result_code``: COUNT,
      SUM, AVG of integers, SUM of doubles) has the items of its ``new()`` list laid out in ``st``
      itself, one after the other (no list of its own to reach first);
    - any other function one item, ``st[offset]``, its own state (width None).

    The state stays a list of exact numbers (and lists of them) for the combinable functions, so
    partial groups add up item by item as before (aggregates.add_state)."""
    out, offset = [], 0
    for a, f in zip(aggs, functions):
        if type(f) is CountStar and a.filter is None:
            out.append((0, None, lambda j: "g[0]"))
            continue
        flat = (lambda o: lambda j: f"st[{o + j}]")(offset)
        state = f.new()
        if hasattr(f, "inline") and hasattr(f, "result_code") and type(state) is list \
                and f.inline(flat, "v") is not None and f.result_code(flat, lambda value: "c") is not None:
            out.append((len(state), offset, flat))
            offset += len(state)
        else:
            out.append((None, offset, (lambda o: lambda j: f"st[{o}][{j}]")(offset)))
            offset += 1
    return out


def compiled_reducer(cg: Codegen, keys, aggs, functions, value_code, scalar_key: bool = False):
    """Generate extract/apply for aggregate calls ``aggs`` with runtime aggregate ``functions``;
    ``value_code(agg)`` gives the Python expression of one argument over row ``r``.  The group key
    (expressions ``keys``) is inlined in extract, so its key function argument goes unused; the
    updates a function gives as statements (its ``inline``) are inlined in apply.  ``scalar_key``
    (one key expression): the key is its value itself, not a 1-tuple (Aggregate.scalar_key).  The
    state of a group is laid out by state_layout."""
    ext = cg.fresh_name("extract")
    app = cg.fresh_name("apply")
    values = [value_code(a) for a in aggs]
    names = [f"v{i}" for i in range(len(aggs))]
    key_items = [cg.value(x, row_col("r")) for x in keys]
    key = _key_tuple(key_items, scalar_key)
    packed = ", ".join([key, "w"] + values)
    lines = [f"def {ext}(delta, k):", f"    return [({packed}) for r, w in delta.items()]"]
    cg.compile("\n".join(lines), ext)
    layout = state_layout(aggs, functions)
    head = [f"def {app}(groups, items, sign, new):", "    touched = set()", "    add = touched.add",
            f"    for k, w, {', '.join(names)}{',' if len(names) == 1 else ''} in items:" if names else
            "    for k, w in items:"]
    body = ["        g = groups.get(k)", "        if g is None:", "            g = groups[k] = [0, new()]",
            "        if sign < 0:", "            w = -w", "        g[0] += w"]
    if any(width != 0 for width, _, _ in layout):
        body.append("        st = g[1]")
    for i, (a, f, (width, offset, slot)) in enumerate(zip(aggs, functions, layout)):
        if width == 0:
            continue  # (the row count)
        v = names[i]
        skip = a.filter is not None
        guard = f"{v} is not _SKIP" if skip else None
        inline = getattr(f, "inline", None)
        code = inline(slot, v) if inline is not None else None
        if code is None:
            stmt = [f"{cg.const(f)}.update(st[{offset}], {v}, w)"]  # (its own state)
        else:
            non_null, stmt = code
            if non_null:
                guard = f"{v} is not None" if not skip else f"{v} is not _SKIP and {v} is not None"
        if guard:
            body.append(f"        if {guard}:")
            body += [f"            {x}" for x in stmt]
        else:
            body += [f"        {x}" for x in stmt]
    body += ["        add(k)", "    return touched"]
    cg.compile("\n".join(head + body), app)
    fold = fold_parts = None
    if all(_PLAIN.fullmatch(c) for c in key_items + values):
        # keys and arguments are column reads and constants, which cannot fail: extract and apply
        # in one loop over the delta, without the list of items between them
        fold = cg.fresh_name("fold")
        loop = [f"def {fold}(groups, delta, sign, new):", "    touched = set()", "    add = touched.add",
                "    for r, w in delta.items():", f"        k = {key}"]
        read = "\n".join(body)
        loop += [f"        {n} = {v}" for n, v in zip(names, values) if re.search(rf"\b{n}\b", read)]
        cg.compile("\n".join(loop + body), fold)
        fold_parts = (key, names, values, body)
    new, res = cg.fresh_name("new_state"), cg.fresh_name("result")
    news = []
    for f, (width, _, _) in zip(functions, layout):
        if width is None:
            news.append(f"{cg.const(f.new)}()")
        elif width:
            state = f.new()  # (ints as they are; a list item is made afresh for each group)
            news.append(", ".join(repr(x) for x in state) if all(type(x) is int for x in state)
                        else f"*{cg.const(f.new)}()")
    cg.compile(f"def {new}():\n    return [{', '.join(news)}]", new)
    # (a function's result_code, where it gives one, inlined: COUNT's is its state's one number)
    inline = [f.result_code(slot, cg.const) if hasattr(f, "result_code") else None
              for f, (_, _, slot) in zip(functions, layout)]
    results = "".join(f"{code or f'{cg.const(f.result)}(st[{offset}])'}, "
                      for f, code, (_, offset, _) in zip(functions, inline, layout))
    cg.compile(f"def {res}(g):\n" + ("    st = g[1]\n" if "st[" in results else "") + f"    return ({results})", res)
    cg.env[res].items = results  # (the result's items over ``g`` and ``st = g[1]``, for a caller that inlines it)
    return CompiledReducer(list(functions), cg.env[ext], cg.env[app], cg.env[new], cg.env[res],
                           cg.env[fold] if fold is not None else None, fold_parts)


_PLAIN = re.compile(r"r\[\d+\]|_k\d+|-?\d+|None|True|False")  # generated code that reads or names a value


def cannot_fail(code: str) -> bool:
    """Whether generated code only reads a column or names a constant (so computing it cannot fail)."""
    return _PLAIN.fullmatch(code) is not None
