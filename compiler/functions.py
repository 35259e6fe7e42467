"""The scalar function registry: one entry per SQL function, read by everything that needs to know it.

An entry says what the function is called (the sqlglot node classes it is parsed into, with the node
arguments read in order, and the spellings sqlglot leaves as anonymous calls), in which dialects it
exists, how each argument is taken (``NUMBER``, ``TEXT``, …: see ``ExprBinder.argument``), its result
type, its NULL handling, whether it is deterministic, and its implementation: the function of the SQL
value library (``sqllib``) that generated code calls. The binder builds ``Call(entry.fn, …)`` from it,
codegen emits the call of ``implementation(dialect)``, and constructs.py accepts exactly the node
arguments listed. Adding a function is one entry here, its implementation in sqllib/, and its tests.

Laws every entry relies on:
- NULL handling ``STRICT``: the result is NULL when an argument is NULL (the implementation returns
  None for a None argument: sqllib's convention), so the result may be NULL exactly when an argument
  may be.
- An implementation is a pure function of its arguments (``deterministic``); a function that is not
  (RANDOM(), NOW()) has no implementation and the binder refuses it: a view cannot be maintained over
  it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from sqlglot import exp

from ..sqllib import sqlfuncs
from . import aggregate_states as AGS
from . import arrays as A
from . import duckdb_binding as DB
from . import hex_arguments as HX
from . import function_rules as R
from . import histogram_bins as HB
from . import lists as L
from . import maps as M
from . import structs as S
from .expr import Call
from .types import (BIGINT, BIT, BLOB, BOOLEAN, DATE, DOUBLE, HUGEINT, INTEGER, INTERVAL, TEXT, TIME, TIMESTAMP,
                    TIMESTAMPTZ, SqlType, decimal_type, list_of)

# how an argument is taken (ExprBinder.argument)
NUMBER = "number"  # any number (SQLite: a value read as a number); NULL is a DOUBLE NULL
TEXT_ARG = "text"  # a VARCHAR, without an implicit cast (DuckDB); NULL is a VARCHAR NULL
TEXT_OR_BLOB = "text_or_blob"  # a VARCHAR or a BLOB, as it is (the digests of its bytes); NULL a VARCHAR NULL
STRING = "string"  # any value, converted to VARCHAR as || converts it
AS_BIGINT = "bigint"  # any value, cast to BIGINT
INT = "int"  # an integer of at most 64 bits (a string constant is read as one)
INT32 = "int32"  # an integer of at most 32 bits
TEMPORAL = "temporal"  # a DATE or TIMESTAMP; NULL is a TIMESTAMP NULL
VALUE = "value"  # any value, as it is
TEXT_OR_LIST = "text_or_list"  # a list as it is, any other value as STRING takes it (LENGTH)
LIST = "list"  # a list (compiler/lists.py); NULL is a NULL list
LIST_OR_TEXT = "list_or_text"  # a list, or a VARCHAR as it is (array_extract of a string: its character)
MAP = "map"  # a map (compiler/maps.py); NULL is a NULL map
STRUCT = "struct"  # a named struct (compiler/structs.py); NULL is a NULL struct
STATE = "state"  # an aggregate state, AGGREGATE_STATE (compiler/aggregate_states.py)
ANY = VALUE  # (a list function's element: its ``prepare`` gives it the list's type)

STRICT = "strict"  # NULL in, NULL out (see the module docstring)


def same_type(args) -> SqlType:
    """The result has the first argument's type."""
    return args[0].type


def whole_number(args) -> SqlType:
    """The first argument's type, a DECIMAL's scale made 0 (FLOOR, CEIL, TRUNC; FLOOR and CEIL of an
    integer are of a DOUBLE outside SQLite: function_rules.prepare_whole)."""
    t = args[0].type
    return decimal_type(t.precision, 0) if t.kind == "decimal" else t


def rounded(args) -> SqlType:
    """ROUND(x, d): x's type; a DECIMAL keeps d digits (a constant) but no more than it had."""
    t, d = args[0].type, args[1]
    return decimal_type(t.precision, max(min(d.value, t.scale), 0)) if t.kind == "decimal" else t


def rounded_carry(args) -> SqlType:
    """ROUND(x, d): as ``rounded``, but a whole-number DECIMAL rounded to tens or more gains a digit for
    the carry (DuckDB: ROUND(9999::DECIMAL(4,0), -1) is a DECIMAL(5,0), up to 38 digits) unless it rounds
    past all its digits (ROUND(99::DECIMAL(2,0), -3) is 0, a DECIMAL(2,0)); a scaled one already has
    room: ROUND(999.9::DECIMAL(4,1), -3) is a DECIMAL(4,0)."""
    t, d = args[0].type, args[1]
    if t.kind == "decimal" and t.scale == 0 and d.value is not None and -t.precision <= d.value < 0:
        return decimal_type(min(t.precision + 1, 38), 0)
    return rounded(args)


def first_nullable(args) -> bool:
    return args[0].nullable


def never_null(args) -> bool:
    return False


def maybe_null(args) -> bool:
    return True


@dataclass(frozen=True)
class Function:
    """One SQL scalar function (see the module docstring)."""

    fn: str  # its name in the expression IR (Call.fn) and in printed plans
    impl: str | Mapping[str, str] | None  # the sqllib function called (by dialect name, "*" the others)
    args: tuple[str, ...] = ()  # how each argument is taken
    result: SqlType | Callable = DOUBLE  # the result type, or a function of the bound arguments
    nodes: Mapping[type, tuple[str, ...]] = field(default_factory=dict)  # sqlglot class -> arguments read
    names: tuple[str, ...] = ()  # spellings sqlglot parses as anonymous functions (lower case)
    optional: int = 0  # how many of the last arguments may be left out
    variadic: bool = False  # the last argument kind repeats
    sqlite: bool = True  # whether the sqlite dialect has it
    nulls: str | Callable = STRICT  # STRICT, or a function of the bound arguments: may the result be NULL
    deterministic: bool = True
    what: str = ""  # the name errors use (default: fn in capitals)
    overflow: bool = False  # an integer result is checked against its type's range (as arithmetic is)
    written: bool = True  # False: an operator's implementation, no SQL function of its own
    # a rule run on the converted arguments before the call is built (a list function's element brought
    # to the list's element type: compiler/lists.py); (binder, node, args, label) -> args
    prepare: Callable | None = None

    @property
    def label(self) -> str:
        return self.what or self.fn.upper()

    def implementation(self, dialect: str) -> str:
        """The sqllib function generated code calls in this dialect."""
        if isinstance(self.impl, str):
            return self.impl
        return self.impl.get(dialect, self.impl["*"])

    def result_type(self, args) -> SqlType:
        return self.result(args) if callable(self.result) else self.result

    def nullable(self, args) -> bool:
        return any(a.nullable for a in args) if self.nulls == STRICT else self.nulls(args)

    def call(self, args, extra=None) -> Call:
        """The call of this function on bound, already converted arguments."""
        return Call(self.fn, tuple(args), self.result_type(args), self.nullable(args), extra)


def _c_math(name: str, arity: int = 1) -> Function:
    """A C math function of DOUBLEs (sqllib/numbers.py: NaN outside its domain, as DuckDB)."""
    node = getattr(exp, name.capitalize())
    return Function(name, f"sql_{name}", (NUMBER,) * arity, DOUBLE,
                    {node: ("this", "expression")[:arity]}, sqlite=False)


FUNCTIONS: tuple[Function, ...] = (
    # -- numbers (sqllib/numbers.py) --------------------------------------------------------------------
    Function("abs", "sql_abs", (NUMBER,), same_type, {exp.Abs: ("this",)}),
    Function("sign", "sql_sign", (NUMBER,), INTEGER, {exp.Sign: ("this",)}),
    Function("sqrt", "sql_sqrt", (NUMBER,), DOUBLE, {exp.Sqrt: ("this",)}),
    Function("power", "sql_power", (NUMBER, NUMBER), DOUBLE, {exp.Pow: ("this", "expression")}),
    Function("floor", "sql_floor", (NUMBER,), whole_number, {exp.Floor: ("this",)}, prepare=R.prepare_whole),
    Function("ceil", "sql_ceil", (NUMBER,), whole_number, {exp.Ceil: ("this",)}, names=("ceiling",),
             prepare=R.prepare_whole),
    Function("trunc", "sql_trunc", (NUMBER,), whole_number, sqlite=False),  # ExprBinder._Trunc
    Function("ln", "sql_ln", (NUMBER,), DOUBLE, {exp.Ln: ("this",)}, sqlite=False),
    Function("exp", "sql_exp", (NUMBER,), DOUBLE, {exp.Exp: ("this",)}, sqlite=False),
    # LOG(x), LOG(b, x), LOG2(x), LOG10(x) are all sqlglot's Log: ExprBinder._Log picks one of these
    Function("log10", "sql_log10", (NUMBER,), DOUBLE, sqlite=False, what="LOG"),
    Function("log2", "sql_log2", (NUMBER,), DOUBLE, sqlite=False, what="LOG"),
    Function("log", "sql_log", (NUMBER, NUMBER), DOUBLE, sqlite=False),
    *(_c_math(n) for n in ("sin", "cos", "tan", "cot", "asin", "acos", "atan", "degrees", "radians", "sinh",
                           "cosh", "tanh", "asinh", "acosh", "atanh", "cbrt")),
    _c_math("atan2", 2),
    Function("isnan", "sql_isnan", (NUMBER,), BOOLEAN, {exp.IsNan: ("this",)}, sqlite=False),
    Function("isinf", "sql_isinf", (NUMBER,), BOOLEAN, {exp.IsInf: ("this",)}, sqlite=False),
    Function("isfinite", "sql_isfinite", (NUMBER,), BOOLEAN, names=("isfinite",), sqlite=False),
    Function("signbit", "sql_signbit", (NUMBER,), BOOLEAN, names=("signbit",), sqlite=False),
    Function("even", "sql_even", (NUMBER,), DOUBLE, names=("even",), sqlite=False),
    Function("gamma", "sql_gamma", (NUMBER,), DOUBLE, names=("gamma",), sqlite=False),
    Function("lgamma", "sql_lgamma", (NUMBER,), DOUBLE, names=("lgamma",), sqlite=False),
    Function("gcd", "sql_gcd", (INT, INT), BIGINT, names=("gcd", "greatest_common_divisor"), sqlite=False),
    Function("lcm", "sql_lcm", (INT, INT), BIGINT, names=("lcm", "least_common_multiple"), sqlite=False),
    Function("factorial", "sql_factorial", (INT32,), HUGEINT, {exp.Factorial: ("this",)}, sqlite=False),
    Function("binom", "sql_binom", (INT32, INT32), HUGEINT, names=("binom",), sqlite=False),
    # -- aggregate states (compiler/aggregate_states.py, sqllib/aggregate_states.py) ----------------------
    Function("finalize", "sql_finalize", (STATE,), lambda args: AGS.finalized_type(args[0].type), names=("finalize",),
             sqlite=False, nulls=maybe_null),
    Function("combine", "sql_combine", (STATE, STATE), same_type, names=("combine",), sqlite=False,
             nulls=lambda args: all(a.nullable for a in args), prepare=AGS.same_states),
    Function("is_histogram_other_bin", "sql_is_histogram_other_bin", (VALUE,), BOOLEAN,
             names=("is_histogram_other_bin",), sqlite=False, prepare=HB.prepare_other_bin),
    # -- strings (sqllib/strings.py) --------------------------------------------------------------------
    Function("length", "sql_length", (TEXT_OR_LIST,), BIGINT, {exp.Length: ("this",)}),  # a list's too
    Function("upper", {"sqlite": "sql_upper", "*": "duck_upper"}, (STRING,), TEXT, {exp.Upper: ("this",)}),
    Function("lower", {"sqlite": "sql_lower", "*": "duck_lower"}, (STRING,), TEXT, {exp.Lower: ("this",)}),
    Function("reverse", "sql_reverse", (STRING,), TEXT, {exp.Reverse: ("this",)}),
    Function("strip_accents", "sql_strip_accents", (STRING,), TEXT, names=("strip_accents",), sqlite=False),
    Function("repeat", "sql_repeat", (TEXT_OR_LIST, AS_BIGINT), R.text_or_same_list, {exp.Repeat: ("this", "times")}),
    Function("left", {"sqlite": "sql_left", "postgres": "sql_left", "*": "duck_left"}, (STRING, AS_BIGINT), TEXT, {exp.Left: ("this", "expression")}),
    Function("right", "sql_right", (STRING, AS_BIGINT), TEXT, {exp.Right: ("this", "expression")}),
    Function("contains", "sql_contains", (STRING, STRING), BOOLEAN, {exp.Contains: ("this", "expression")},
             prepare=DB.prepare_contains),
    Function("starts_with", "sql_starts_with", (STRING, STRING), BOOLEAN,
             {exp.StartsWith: ("this", "expression")}),
    Function("ends_with", "sql_ends_with", (STRING, STRING), BOOLEAN, {exp.EndsWith: ("this", "expression")}),
    Function("translate", "sql_translate", (TEXT_ARG,) * 3, TEXT, {exp.Translate: ("this", "from_", "to")},
             sqlite=False),
    Function("md5", "sql_md5", (TEXT_OR_BLOB,), TEXT, {exp.MD5: ("this",)}, sqlite=False),
    Function("sha1", "sql_sha1", (TEXT_OR_BLOB,), TEXT, {exp.SHA: ("this",)}, sqlite=False),
    Function("sha256", "sql_sha256", (TEXT_OR_BLOB,), TEXT, sqlite=False),  # SHA2(x, 256): ExprBinder._SHA2
    Function("ascii", "sql_ascii", (TEXT_ARG,), INTEGER, {exp.Ascii: ("this",)}, sqlite=False),
    Function("replace", "sql_replace", (STRING,) * 3, TEXT, {exp.Replace: ("this", "expression", "replacement")}),
    Function("split_part", "split_part", (TEXT_ARG, TEXT_ARG, INT), TEXT,
             {exp.SplitPart: ("this", "delimiter", "part_index")}, sqlite=False),
    Function("suffix", "sql_ends_with", (STRING, STRING), BOOLEAN, names=("suffix",), sqlite=False),
    Function("prefix", "sql_starts_with", (STRING, STRING), BOOLEAN, names=("prefix",), sqlite=False),
    Function("overlay", "sql_overlay", (STRING, STRING, AS_BIGINT, AS_BIGINT), TEXT,
             {exp.Overlay: ("this", "expression", "from_", "for_")}, optional=1, sqlite=False),
    Function("regexp_escape", "sql_regexp_escape", (TEXT_ARG,), TEXT, names=("regexp_escape",), sqlite=False),
    Function("unicode", "sql_unicode", (TEXT_ARG,), INTEGER, {exp.Unicode: ("this",)}, names=("ord",),
             sqlite=False),
    Function("strlen", "sql_strlen", (TEXT_ARG,), BIGINT, names=("strlen",), sqlite=False),
    Function("bit_length", "sql_bit_length", (TEXT_ARG,), BIGINT, {exp.BitLength: ("this",)}, sqlite=False),
    Function("to_base", "sql_to_base", (INT, INT32, INT32), TEXT, names=("to_base",), optional=1, sqlite=False),
    # FORMAT / PRINTF (sqllib/formatting.py): the values after the format as they are (fmt reads their kind)
    Function("format", "sql_format", (TEXT_ARG, VALUE), TEXT, {exp.Format: ("this", "expressions")}, optional=1,
             variadic=True, sqlite=False),
    Function("printf", "sql_printf", (TEXT_ARG, VALUE), TEXT, names=("printf",), optional=1, variadic=True,
             sqlite=False),
    Function("printf_wide", "printf_wide", (VALUE,), same_type, written=False),  # a HUGEINT argument of PRINTF
    # -- string similarity (sqllib/similarity.py) ------------------------------------------------------
    Function("levenshtein", "levenshtein", (TEXT_ARG, TEXT_ARG), BIGINT, {exp.Levenshtein: ("this", "expression")},
             sqlite=False),
    Function("damerau_levenshtein", "damerau_levenshtein", (TEXT_ARG, TEXT_ARG), BIGINT,
             names=("damerau_levenshtein",), sqlite=False),
    Function("hamming", "hamming", (TEXT_ARG, TEXT_ARG), BIGINT, names=("hamming", "mismatches"), sqlite=False),
    Function("jaro_similarity", "jaro_similarity", (TEXT_ARG, TEXT_ARG, NUMBER), DOUBLE,
             names=("jaro_similarity",), optional=1, sqlite=False),
    # (sqlglot reads DuckDB's third argument, the score cutoff, into case_insensitive: function_rules.py)
    Function("jaro_winkler_similarity", "jaro_winkler_similarity", (TEXT_ARG, TEXT_ARG, NUMBER), DOUBLE,
             {exp.JarowinklerSimilarity: ("this", "expression", "case_insensitive")}, optional=1, sqlite=False,
             prepare=R.prepare_score_cutoff),
    Function("jaccard", "jaccard", (TEXT_ARG, TEXT_ARG), DOUBLE, names=("jaccard",), sqlite=False),
    # -- dates (sqllib/dates.py) ------------------------------------------------------------------------
    Function("dayname", "dayname", (TEMPORAL,), TEXT, {exp.Dayname: ("this",)}, sqlite=False,
             nulls=maybe_null),  # (NULL for an infinite value)
    Function("monthname", "monthname", (TEMPORAL,), TEXT, {exp.Monthname: ("this",)}, sqlite=False,
             nulls=maybe_null),  # (NULL for an infinite value)
    Function("last_day", "last_day", (TEMPORAL,), DATE, sqlite=False, nulls=maybe_null),  # ExprBinder._LastDay
    Function("make_date", "make_date", (INT, INT, INT), DATE, sqlite=False),  # ExprBinder._DateFromParts
    # -- lists (sqllib/lists.py; argument rules and result types in compiler/lists.py) -------------------
    Function("array_length", "list_length", (LIST,), BIGINT, {exp.ArraySize: ("this",)}, sqlite=False),
    Function("list_element", "list_element", (LIST_OR_TEXT, INT), L.element_type,
             names=("list_extract", "list_element", "array_extract"), sqlite=False, nulls=maybe_null),
    Function("list_contains", "list_contains", (LIST, ANY), BOOLEAN, {exp.ArrayContains: ("this", "expression")},
             sqlite=False, prepare=L.prepare_element),
    Function("list_position", "list_position", (LIST, ANY), INTEGER, {exp.ArrayPosition: ("this", "expression")},
             names=("list_position", "list_indexof", "array_indexof"), sqlite=False, nulls=maybe_null,
             prepare=L.prepare_element),
    Function("list_concat", "list_concat", (LIST, LIST), L.same_list, {exp.ArrayConcat: ("this", "expressions")},
             names=("list_cat",), variadic=True, sqlite=False, nulls=never_null, prepare=L.prepare_concat),
    Function("list_append", "list_append", (LIST, ANY), L.same_list, {exp.ArrayAppend: ("this", "expression")},
             names=("array_push_back",), sqlite=False, nulls=never_null, prepare=L.prepare_element),
    # list_prepend(x, list) parses as ArrayPrepend(this=list, expression=x); array_push_front(list, x)
    Function("list_prepend", "list_prepend", (LIST, ANY), L.same_list, {exp.ArrayPrepend: ("this", "expression")},
             names=("array_push_front",), sqlite=False, nulls=never_null, prepare=L.prepare_element),
    Function("list_has_any", "list_has_any", (LIST, LIST), BOOLEAN, {exp.ArrayOverlaps: ("this", "expression")},
             names=("array_has_any",), sqlite=False, prepare=L.prepare_lists),
    Function("list_has_all", "list_has_all", (LIST, LIST), BOOLEAN, {exp.ArrayContainsAll: ("this", "expression")},
             names=("list_has_all",), sqlite=False, prepare=L.prepare_lists),
    Function("list_contained_by", "list_contained_by", (LIST, LIST), BOOLEAN,
             {exp.ArrayContainedBy: ("this", "expression")}, sqlite=False, prepare=L.prepare_lists, what="<@"),
    Function("array_pop_back", "array_pop_back", (LIST,), L.same_list, names=("array_pop_back",), sqlite=False),
    Function("array_pop_front", "array_pop_front", (LIST,), L.same_list, names=("array_pop_front",), sqlite=False),
    Function("list_reverse", "list_reverse", (LIST,), L.same_list, {exp.ArrayReverse: ("this",)},
             names=("list_reverse",), sqlite=False),
    Function("list_unique", "list_unique", (LIST,), BIGINT, names=("list_unique", "array_unique"), sqlite=False),
    Function("flatten", "flatten", (LIST,), L.flattened, {exp.Flatten: ("this",)}, sqlite=False,
             prepare=L.prepare_flatten),
    Function("list_min", "list_min", (LIST,), L.element_type, {exp.ArrayMin: ("this",)}, names=("list_min",), sqlite=False,
             nulls=maybe_null),
    Function("list_max", "list_max", (LIST,), L.element_type, {exp.ArrayMax: ("this",)}, names=("list_max",), sqlite=False,
             nulls=maybe_null),
    Function("list_sum", "list_sum", (LIST,), L.sum_type, names=("list_sum",), sqlite=False, nulls=maybe_null,
             prepare=L.prepare_sum),
    Function("list_first", "list_first", (LIST,), L.element_type, names=("list_first",), sqlite=False,
             nulls=maybe_null),
    Function("list_last", "list_last", (LIST,), L.element_type, names=("list_last",), sqlite=False, nulls=maybe_null),
    Function("list_count", "list_count", (LIST,), BIGINT, names=("list_count",), sqlite=False),
    Function("list_avg", "list_avg", (LIST,), DOUBLE, names=("list_avg",), sqlite=False, nulls=maybe_null,
             prepare=L.prepare_sum),
    Function("list_zip", "list_zip", (LIST, VALUE), L.zipped, names=("list_zip", "array_zip"), optional=1, variadic=True,
             sqlite=False, nulls=never_null, prepare=L.prepare_zip),
    # lists as vectors (sqllib/vectors.py): NULL for a NULL list, an error for a NULL element
    *(Function(fn, fn, (LIST, LIST), L.vector_type, nodes, names, sqlite=False, prepare=L.prepare_vectors,
               nulls=maybe_null if "cosine" in fn else STRICT)
      for fn, nodes, names in (
          ("list_inner_product", {}, ("list_inner_product", "list_dot_product")),
          ("list_negative_inner_product", {}, ("list_negative_inner_product", "list_negative_dot_product")),
          ("list_distance", {exp.EuclideanDistance: ("this", "expression")}, ()),
          ("list_cosine_similarity", {}, ("list_cosine_similarity",)),
          ("list_cosine_distance", {exp.CosineDistance: ("this", "expression")}, ()))),
    Function("string_split", "string_split", (TEXT_ARG, TEXT_ARG), list_of(TEXT), {exp.Split: ("this", "expression")},
             sqlite=False, nulls=first_nullable),
    Function("array_to_string", "array_to_string", (LIST, TEXT_ARG), TEXT,
             {exp.ArrayToString: ("this", "expression")}, sqlite=False,
             nulls=maybe_null, prepare=L.prepare_to_string),
    Function("list_sort", "list_sort", (LIST,), L.same_list, sqlite=False),  # ExprBinder._ArraySort
    Function("list_value", "list_value", (ANY,), L.list_of_first, variadic=True, nulls=never_null,  # lists.array
             written=False),
    Function("list_concat_strict", "list_concat_strict", (LIST, LIST), L.same_list, written=False),  # a || b
    Function("array_value", "array_value", (ANY,), A.value_type, names=("array_value",), variadic=True,
             sqlite=False, nulls=never_null, prepare=A.prepare_value),  # an ARRAY (compiler/arrays.py)
    # -- structs (sqllib/structs.py; binding in compiler/structs.py) ---------------------------------------
    Function("row", "row_value", (ANY,), S.row_type, names=("row",), variadic=True, sqlite=False,
             nulls=never_null),
    Function("struct_keys", "struct_keys", (STRUCT,), list_of(TEXT), names=("struct_keys",), sqlite=False,
             nulls=first_nullable, prepare=S.prepare_keys),
    Function("struct_field", "struct_field", (ANY, INT), S.field_type, written=False, nulls=maybe_null),  # s.a
    # -- maps (sqllib/maps.py; argument rules, result types and the constructors in compiler/maps.py) --------
    Function("map_keys", "map_keys", (MAP,), M.keys_type, {exp.MapKeys: ("this",)}, sqlite=False),
    Function("map_values", "map_values", (MAP,), M.values_type, names=("map_values",), sqlite=False),
    Function("map_entries", "map_entries", (MAP,), M.entries_type, names=("map_entries",), sqlite=False),
    Function("map_extract", "map_extract", (MAP, VALUE), M.values_type, names=("map_extract", "element_at"),
             sqlite=False, nulls=first_nullable, prepare=M.prepare_key),
    Function("map_extract_value", "map_extract_value", (MAP, VALUE), M.value_of, names=("map_extract_value",),
             sqlite=False, nulls=maybe_null, prepare=M.prepare_key),
    Function("map_contains", "map_contains", (MAP, VALUE), BOOLEAN, names=("map_contains",), sqlite=False,
             prepare=M.prepare_key),
    Function("cardinality", "cardinality", (MAP,), BIGINT, names=("cardinality",), sqlite=False),
    Function("map_concat", "map_concat", (MAP, MAP), M.same_map, names=("map_concat",), variadic=True,
             sqlite=False, nulls=lambda args: all(a.nullable for a in args), prepare=M.prepare_maps),
    Function("map_pack", "map_pack", (VALUE,), M.pack_type, variadic=True, nulls=never_null, written=False),  # MAP {…}
    Function("map_from_lists", "map_from_lists", (LIST, LIST), M.pack_type, written=False),  # map(keys, values)
    Function("map_from_entries", "map_from_entries", (LIST,), M.pack_type, written=False),  # map_from_entries(…)
    # -- reached by a rule of the binder's own (a node shared with other functions, an argument order or
    # a check of its own): the entry types the call and names its implementation --------------------------
    Function("round", "round_half_away", (NUMBER, AS_BIGINT), rounded_carry, optional=1, overflow=True),  # _Round
    Function("round_even", "round_half_even", (NUMBER, AS_BIGINT), rounded_carry, sqlite=False, overflow=True),  # round_even
    Function("trunc_digits", "sql_trunc_digits", (NUMBER, AS_BIGINT), rounded, sqlite=False, what="TRUNC"),  # _Trunc
    Function("substring", {"sqlite": "substring", "postgres": "substring", "*": "duck_substring"}, (STRING, AS_BIGINT, AS_BIGINT), TEXT, optional=1),  # _Substring
    Function("position", "sql_position", (STRING, STRING), BIGINT),  # _StrPosition; STRPOS, INSTR
    Function("lpad", {"duckdb": "duck_lpad", "*": "sql_lpad"}, (STRING, AS_BIGINT, STRING), TEXT, optional=1),  # _Pad
    Function("rpad", {"duckdb": "duck_rpad", "*": "sql_rpad"}, (STRING, AS_BIGINT, STRING), TEXT, optional=1),  # _Pad
    Function("chr", "sql_chr", (INT32,), TEXT, sqlite=False),  # _Chr
    Function("concat_ws", "concat_ws", (STRING,), TEXT, variadic=True, nulls=first_nullable),  # _ConcatWs
    Function("strftime", "sql_strftime", (TEMPORAL, STRING), TEXT),  # _Anonymous: SQLite's order differs
    Function("age", "age", (TEMPORAL, TEMPORAL), INTERVAL, sqlite=False),  # _Anonymous (one argument: refused)
    Function("date_diff", "date_diff", (STRING, TEMPORAL, TEMPORAL), BIGINT),  # _DateDiff (a unit first)
    Function("strptime", "sql_strptime", (STRING, STRING), TIMESTAMP, sqlite=False),  # _StrToTime
    Function("strptime_tz", "sql_strptime_tz", (STRING, STRING), TIMESTAMPTZ, sqlite=False,  # Postgres
             nulls=maybe_null, what="TO_TIMESTAMP"),  # TO_TIMESTAMP(text, format): NULL where it does not parse
    Function("to_timestamp", "sql_to_timestamp", (NUMBER,), TIMESTAMPTZ, sqlite=False),  # _UnixToTime
    Function("make_timestamp", "sql_make_timestamp", (NUMBER,) * 6, TIMESTAMP, optional=5,  # one or six
             sqlite=False),  # _TimestampFromParts, _UnixToTime
    # -- operators' implementations --------------------------------------------------------------------
    Function("concat_ws_free", "concat_skip_null", (STRING,), TEXT, variadic=True, nulls=never_null,
             written=False),  # CONCAT(a, b, ...) where NULLs are skipped
    Function("string_element", "duck_string_element", (TEXT_ARG, INT), TEXT, written=False),  # s[i]
    Function("ascii_lower", "ascii_lower", (STRING,), TEXT, written=False),  # SQLite's COLLATE NOCASE
    Function("date_add_days", "date_add_days", (TEMPORAL, INT), DATE, written=False),  # date ± n
    Function("date_diff_days", "date_diff_days", (TEMPORAL, TEMPORAL), BIGINT, written=False),  # date - date
    Function("time_add_interval", "time_add_interval", (VALUE, VALUE), TIME, written=False),  # time ± interval
    # -- BLOB and BIT (sqllib/binary.py) ------------------------------------------------------------------
    Function("octet_length", "blob_octet_length", (VALUE,), BIGINT, names=("octet_length",), sqlite=False,
             prepare=R.first_of(BLOB)),
    Function("get_bit", "bits_get", (VALUE, INT32), INTEGER, names=("get_bit",), sqlite=False,
             prepare=R.first_of(BIT)),  # ExprBinder._Getbit
    # hexadecimal and binary digits (sqllib/hex.py; arguments in compiler/hex_arguments.py)
    Function("hex", "sql_hex", (VALUE,), TEXT, {exp.Hex: ("this",)}, sqlite=False, prepare=HX.prepare_hex),
    Function("bin", "sql_bin", (VALUE,), TEXT, {exp.ToBinary: ("this",)}, names=("bin",), sqlite=False,
             prepare=HX.prepare_bin),
    Function("unhex", "sql_unhex", (TEXT_ARG,), BLOB, {exp.Unhex: ("this",)}, sqlite=False),
    Function("unbin", "sql_unbin", (TEXT_ARG,), BLOB, names=("unbin", "from_binary"), sqlite=False),
    Function("encode", "sql_encode", (TEXT_ARG,), BLOB, {exp.Encode: ("this",)}, sqlite=False),
    Function("decode", "sql_decode", (VALUE,), TEXT, {exp.Decode: ("this",)}, sqlite=False,
             prepare=R.blob_or_literal),
    Function("to_base64", "sql_to_base64", (VALUE,), TEXT, {exp.ToBase64: ("this",)}, names=("base64",),
             sqlite=False, prepare=R.blob_or_literal),
    Function("from_base64", "sql_from_base64", (TEXT_ARG,), BLOB, {exp.FromBase64: ("this",)}, sqlite=False),
    Function("blob_concat", "blob_concat", (VALUE, VALUE), BLOB, written=False),  # BLOB || BLOB
    Function("bits_count", "bits_count", (VALUE,), BIGINT, written=False),  # BIT_COUNT(BIT)
    Function("bits_and", "bits_and", (VALUE, VALUE), BIT, written=False),  # BIT & BIT
    Function("bits_or", "bits_or", (VALUE, VALUE), BIT, written=False),  # BIT | BIT
    Function("bits_xor", "bits_xor", (VALUE, VALUE), BIT, written=False),  # BIT ^ BIT, XOR(BIT, BIT)
    Function("bits_not", "bits_not", (VALUE,), BIT, written=False),  # ~BIT
    Function("date_add_time", "date_add_time", (VALUE, VALUE), TIMESTAMP, written=False),  # date + time
    Function("timestamp_diff", "timestamp_diff", (TEMPORAL, TEMPORAL), INTERVAL, written=False),  # ts - ts
    Function("interval_mul", "interval_mul", (NUMBER, NUMBER), INTERVAL, written=False),  # interval * n
    # -- paths, floored division, float steps, list aggregates and series (misc-19: sqllib/paths.py,
    # fmath.py, list_aggregates.py; argument rules in compiler/function_rules.py) ---------------------------
    Function("parse_path", "parse_path", (TEXT_ARG, TEXT_ARG), list_of(TEXT), names=("parse_path",), optional=1,
             sqlite=False, nulls=first_nullable, prepare=R.prepare_path),
    Function("parse_dirname", "parse_dirname", (TEXT_ARG, TEXT_ARG), TEXT, names=("parse_dirname",), optional=1,
             sqlite=False, nulls=first_nullable, prepare=R.prepare_path),
    Function("parse_dirpath", "parse_dirpath", (TEXT_ARG, TEXT_ARG), TEXT, names=("parse_dirpath",), optional=1,
             sqlite=False, nulls=first_nullable, prepare=R.prepare_path),
    Function("parse_filename", "parse_filename", (TEXT_ARG, VALUE, TEXT_ARG), TEXT, names=("parse_filename",),
             optional=2, sqlite=False, nulls=first_nullable, prepare=R.prepare_filename),
    Function("fmod", "sql_fmod", (NUMBER, NUMBER), R.float_result, names=("fmod",), sqlite=False,
             prepare=R.prepare_float),
    Function("fdiv", "sql_fdiv", (NUMBER, NUMBER), R.float_result, names=("fdiv",), sqlite=False,
             prepare=R.prepare_float),
    Function("nextafter", "sql_nextafter", (NUMBER, NUMBER), R.float_result, names=("nextafter",), sqlite=False,
             prepare=R.prepare_float),
    Function("list_product", "list_product", (LIST,), DOUBLE, names=("list_product",), sqlite=False,
             nulls=maybe_null, prepare=R.prepare_numbers),
    Function("list_bit_and", "list_bit_and", (LIST,), R.bits_type, names=("list_bit_and",), sqlite=False,
             nulls=maybe_null, prepare=R.prepare_integers),
    Function("list_bit_or", "list_bit_or", (LIST,), R.bits_type, names=("list_bit_or",), sqlite=False,
             nulls=maybe_null, prepare=R.prepare_integers),
    Function("list_bool_and", "list_bool_and", (LIST,), BOOLEAN, names=("list_bool_and",), sqlite=False,
             nulls=maybe_null, prepare=R.prepare_booleans),
    Function("list_bool_or", "list_bool_or", (LIST,), BOOLEAN, names=("list_bool_or",), sqlite=False,
             nulls=maybe_null, prepare=R.prepare_booleans),
    Function("list_string_agg", "list_string_agg", (LIST,), TEXT, names=("list_string_agg",), sqlite=False,
             nulls=maybe_null, prepare=R.prepare_string_agg),
    Function("list_string_agg_sep", "list_string_agg", (LIST, TEXT_ARG), TEXT, sqlite=False, nulls=maybe_null,
             prepare=R.prepare_string_agg, what="LIST_STRING_AGG", written=False),  # list_aggr(xs, 'string_agg', sep)
    Function("list_sem", "list_sem", (LIST,), DOUBLE, names=("list_sem",), sqlite=False, nulls=maybe_null,
             prepare=R.prepare_numbers),
    Function("list_mode", "list_mode", (LIST,), L.element_type, names=("list_mode",), sqlite=False,
             nulls=maybe_null),
    Function("list_median", "list_median", (LIST,), DOUBLE, names=("list_median",), sqlite=False,
             nulls=maybe_null, prepare=R.prepare_median),
    # RANGE(…) / GENERATE_SERIES(…) in an expression (compiler/bind/series_values.py; in FROM: bind/series.py)
    # TRUNC(x, d) of a FLOAT: as of a DOUBLE, then rounded to float32 (DuckDB's answer to the last bit)
    Function("trunc_digits_real", "sql_trunc_digits_real", (NUMBER, AS_BIGINT), rounded, sqlite=False, what="TRUNC",
             written=False),
    # DECIMAL_DIVISION(a, b[, scale]): rounded half to even at the scale (sqllib/numbers.decimal_division)
    Function("decimal_division", "decimal_division", (NUMBER, NUMBER, INT), R.decimal_division_type,
             names=("decimal_division",), optional=1, sqlite=False, nulls=maybe_null, prepare=R.prepare_decimal_division),
    # grapheme clusters (sqllib/strings.graphemes, the rule REVERSE uses)
    Function("substring_grapheme", "duck_substring_grapheme", (TEXT_ARG, INT, INT), TEXT, names=("substring_grapheme",),
             optional=1, sqlite=False),
    Function("length_grapheme", "length_grapheme", (TEXT_ARG,), BIGINT, names=("length_grapheme",), sqlite=False),
    # DATE_PART(part, d) with the part in a column (a constant part is bind/dates.date_part's extract)
    Function("date_part_named", "date_part_named", (TEXT_ARG, VALUE), DOUBLE, sqlite=False, what="DATE_PART",
             nulls=maybe_null, written=False),
    Function("list_range", "list_range", (INT, INT, INT), list_of(BIGINT), sqlite=False, what="RANGE"),
    # EQUI_WIDTH_BINS(min, max, bins, nice) (sqllib/binning.py): the call carries the result's element kind
    Function("equi_width_bins", "equi_width_bins", (VALUE, VALUE, INT, VALUE), R.bins_type,
             names=("equi_width_bins",), sqlite=False, prepare=R.prepare_bins),
    Function("list_series", "list_series", (INT, INT, INT), list_of(BIGINT), sqlite=False, what="GENERATE_SERIES"),
    # -- not deterministic: refused, a view cannot be maintained over them -------------------------------
    Function("random", None, nodes={exp.Rand: ("this",)}, deterministic=False, what="RANDOM()"),
    Function("current_date", None, nodes={exp.CurrentDate: ("this",), exp.CurrentTime: ("this",),
                                          exp.CurrentTimestamp: ("this", "sysdate")},
             deterministic=False, what="CURRENT_DATE"),
    Function("uuid", None, nodes={exp.Uuid: ("this", "name")},  # named as written
             names=("uuid", "gen_random_uuid", "random_uuid", "uuidv4", "uuidv7"), deterministic=False),
)

# SET ieee_floating_point_ops = false (compiler/settings.py): the entries whose inf or NaN results become
# errors, each with its strict variant (sqllib/numbers.py, "…_strict"), which the binder calls instead
STRICT_MATH = ("ln", "log10", "log2", "log", "sqrt", "gamma", "lgamma", "cot", "asin", "acos", "atanh", "fmod", "fdiv")


def _strict_variant(f: Function) -> Function:
    return Function(f.fn + "_strict", f.impl + "_strict", f.args, f.result, optional=f.optional, sqlite=False,
                    what=f.label, written=False, prepare=f.prepare)


FUNCTIONS = FUNCTIONS + tuple(_strict_variant(f) for f in FUNCTIONS if f.fn in STRICT_MATH)
BY_FN: dict[str, Function] = {f.fn: f for f in FUNCTIONS}


def call(fn: str, args, extra=None) -> Call:
    """The call of function ``fn`` of the registry on bound, already converted arguments."""
    return BY_FN[fn].call(args, extra)
BY_NODE: dict[type, Function] = {node: f for f in FUNCTIONS for node in f.nodes}
BY_NAME: dict[str, Function] = {name: f for f in FUNCTIONS for name in f.names}


def accepted() -> dict[type, tuple[str, ...]]:
    """For constructs.py: each node class of the registry -> the node arguments the binder reads."""
    return {node: reads for f in FUNCTIONS for node, reads in f.nodes.items()}


def _check() -> None:
    """Every entry's implementation exists in the SQL value library (at import: a typo fails at once)."""
    assert len(BY_FN) == len(FUNCTIONS), "two entries of one fn"
    for f in FUNCTIONS:
        impls = [] if f.impl is None else [f.impl] if isinstance(f.impl, str) else list(f.impl.values())
        assert f.deterministic == (f.impl is not None), f.fn
        for name in impls:
            assert callable(getattr(sqlfuncs, name, None)), f"{f.fn}: sqllib has no {name}"


_check()
