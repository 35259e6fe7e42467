"""Argument rules and result types of the registry entries (functions.py) for DuckDB's path functions,
the floored and float-stepping number functions, RANGE / GENERATE_SERIES as list functions and the
list aggregates and vector functions over lists of numbers.

Laws:
- an argument DuckDB reads from the first row of a batch (a path function's separator option,
  PARSE_FILENAME's trim_extension) must be a constant here: read per row it would give another answer
  than DuckDB's on some batch, so anything else is refused;
- FMOD / FDIV / NEXTAFTER compute in FLOAT when an argument is a FLOAT and none a DOUBLE (integers
  and DECIMALs become FLOATs: DuckDB's overload), else in DOUBLE; the call carries which as a last
  constant argument;
- the list functions over numbers take a list of numbers (an empty or NULL list is a list of NULLs);
- the BIT and BLOB functions take a BIT or a BLOB (``first_of``), no implicit cast.
"""

from __future__ import annotations

from sqlglot import exp

from .expr import Lit
from .types import BIGINT, BLOB, BOOLEAN, DATE, DOUBLE, REAL, TEXT, TIMESTAMP, SqlType, list_of


def first_of(t: SqlType):
    """A prepare rule: the first argument must be of type t (an untyped NULL becomes a NULL of it)."""
    def prepare(eb, node, args, what):
        a = args[0]
        if a.type.kind == "null":
            return [Lit(None, t)] + list(args[1:])
        if a.type != t:
            raise eb.error(node, f"{what} needs a {t}, not {a.type}")
        return args
    return prepare


def blob_or_literal(eb, node, args, what):
    """A prepare rule: the first argument a BLOB, or a string literal read as one (DuckDB casts a literal
    '\\xC3\\xA9' to the BLOB of those bytes; a VARCHAR column it refuses)."""
    a = args[0]
    if isinstance(a, Lit) and a.type.kind == "text":
        return [eb.coerce(a, BLOB, node)] + list(args[1:])
    return first_of(BLOB)(eb, node, args, what)


def _constant(eb, node, e, what, kind: str):
    if not isinstance(e, Lit):
        raise eb.error(node, f"{what} needs a constant {kind} here (DuckDB reads it from the first row only)")
    return e


def prepare_path(eb, node, args, what):
    """(path[, separator option]): the option a constant."""
    return [args[0]] + [_constant(eb, node, a, what, "separator option") for a in args[1:]]


def prepare_filename(eb, node, args, what):
    """PARSE_FILENAME(path[, trim_extension | separator[, separator]]): a VARCHAR second argument is the
    separator; both constants.  The call is always (path, trim_extension, separator)."""
    path, rest = args[0], list(args[1:])
    for a in rest:
        _constant(eb, node, a, what, "argument")
    if len(rest) == 1 and rest[0].type.kind == "text":
        rest = [Lit(False, BOOLEAN), rest[0]]
    trim = rest[0] if rest else Lit(False, BOOLEAN)
    if trim.type.kind == "text":  # ('true' / 'false' before a separator: DuckDB casts it to BOOLEAN)
        trim = eb.coerce(trim, BOOLEAN, node)
        if not isinstance(trim, Lit):
            raise eb.error(node, f"{what}: trim_extension {args[1].value!r} is not a BOOLEAN")
    if trim.type.kind not in ("bool", "null"):
        raise eb.error(node, f"{what}: trim_extension must be a BOOLEAN, not {trim.type}")
    sep = rest[1] if len(rest) > 1 else Lit(None, TEXT)
    if sep.type.kind not in ("text", "null"):
        raise eb.error(node, f"{what}: the separator option must be a VARCHAR, not {sep.type}")
    return [path, Lit(trim.value, BOOLEAN), Lit(sep.value, TEXT)]


def float_type(args) -> SqlType:
    """FLOAT if an argument is a FLOAT and none a DOUBLE (DuckDB's overload), else DOUBLE."""
    kinds = [(a.type.kind, a.type.bits) for a in args if a.type.kind == "float"]
    return REAL if kinds and all(b == 32 for _, b in kinds) else DOUBLE


def prepare_float(eb, node, args, what):
    """(x, y): both brought to the FLOAT or DOUBLE overload's type, then whether it is FLOAT."""
    t = float_type(args)
    return [eb.coerce(a, t, node) for a in args] + [Lit(t == REAL, BOOLEAN)]


def float_result(args) -> SqlType:
    return REAL if args[-1].value else DOUBLE


def prepare_whole(eb, node, args, what):
    """FLOOR/CEIL of an integer: DuckDB and PostgreSQL have no integer overload and take it as a DOUBLE
    (`typeof(floor(3))` is DOUBLE, `floor(3)::VARCHAR` '3.0'); SQLite keeps the integer."""
    x, = args
    if x.type.kind == "int" and eb.dialect.name != "sqlite":
        return [eb.coerce(x, DOUBLE, node)]
    return args


# -- RANGE / GENERATE_SERIES as list functions --------------------------------------------------------

def prepare_series(eb, node, args, what):
    """RANGE(stop) / RANGE(start, stop[, step]) of integers (up to BIGINT); the call is always (start,
    stop, step).  DuckDB's TIMESTAMP overloads are refused (not built)."""
    ints = []
    for a in args:
        if a.type.kind not in ("int", "null") or (a.type.kind == "int" and a.type.bits > 64):
            raise eb.error(node, f"{what} as a list function takes BIGINTs here, not {a.type}")
        ints.append(eb.coerce(a, BIGINT, node))
    if len(ints) == 1:
        ints = [Lit(0, BIGINT), ints[0]]
    if len(ints) == 2:
        ints.append(Lit(1, BIGINT))
    return ints


# -- list aggregates and vector functions ----------------------------------------------------------------

def _numbers(eb, node, lst, what, kinds=("int", "decimal", "float", "null")):
    if lst.type.elem.kind not in kinds:
        raise eb.error(node, f"{what} needs a list of numbers, not {lst.type}")


def prepare_numbers(eb, node, args, what):
    _numbers(eb, node, args[0], what)
    return args


def prepare_integers(eb, node, args, what):
    _numbers(eb, node, args[0], what, ("int", "null"))
    return args


def prepare_booleans(eb, node, args, what):
    if args[0].type.elem.kind not in ("bool", "null"):
        raise eb.error(node, f"{what} needs a list of BOOLEANs, not {args[0].type}")
    return args


def prepare_vectors(eb, node, args, what):
    """Two lists of FLOATs or DOUBLEs (DuckDB's overloads: integers and DECIMALs become FLOATs), of one
    type, then whether it is FLOAT."""
    for a in args:
        _numbers(eb, node, a, what)
    t = float_type([Lit(None, a.type.elem) for a in args if a.type.elem.kind != "null"])
    if all(a.type.elem.kind in ("int", "decimal", "null") for a in args):
        t = REAL
    from .lists import coerce
    return [coerce(eb, a, list_of(t), node) for a in args] + [Lit(t == REAL, BOOLEAN)]


def bits_type(args) -> SqlType:
    e = args[0].type.elem
    return e if e.kind == "int" else BIGINT


def prepare_string_agg(eb, node, args, what):
    """LIST_STRING_AGG(xs[, sep]): the elements as text; the separator a constant (',' by default)."""
    from .lists import coerce
    sep = args[1] if len(args) > 1 else Lit(",", TEXT)
    _constant(eb, node, sep, what, "separator")
    return [coerce(eb, args[0], list_of(TEXT), node), sep]


def prepare_median(eb, node, args, what):
    """LIST_MEDIAN of integers or floats (a DOUBLE).  DECIMALs are refused: DuckDB interpolates them in
    their scaled integers and truncates, which the MEDIAN aggregate reproduces only in part (BUGS.md
    #19.5); other types (DuckDB's discrete median) are not built."""
    _numbers(eb, node, args[0], what, ("int", "float", "null"))
    return args


# -- DECIMAL_DIVISION (DuckDB 2.0) ------------------------------------------------------------------------

def _as_decimal(eb, node, e, what):
    from .types import _int_digits, decimal_type
    if e.type.kind == "decimal":
        return e
    if e.type.kind == "int":
        return eb.coerce(e, decimal_type(_int_digits(e.type.bits), 0), node)
    raise eb.error(node, f"{what} takes DECIMAL or integer arguments, not {e.type}")


def prepare_decimal_division(eb, node, args, what):
    """DECIMAL_DIVISION(a, b[, scale]): a and b as DECIMALs (an integer as the DECIMAL(digits, 0) that holds
    it); the scale a constant from 0 to 38 (default max(6, a's scale + b's precision + 1)); the result is
    DECIMAL(a's integer digits + b's scale + scale, scale), refused past 38 digits as DuckDB refuses it."""
    a, b = (_as_decimal(eb, node, e, what) for e in args[:2])
    if len(args) > 2:
        s = args[2]
        if not isinstance(s, Lit):
            raise eb.error(node, f"{what} needs a constant scale")
        if s.value is not None and not 0 <= s.value <= 38:
            raise eb.error(node, f"{what}: the scale must be between 0 and 38, not {s.value}")
        scale = s.value
    else:
        scale = max(6, a.type.scale + b.type.precision + 1)
    width = a.type.precision - a.type.scale + b.type.scale + (scale or 0)
    if width > 38:
        raise eb.error(node, f"{what} could not perform an accurate division: it needs width {width} to represent "
                             f"the result, past the DECIMAL type's 38 digits")
    return [a, b, Lit(scale, BIGINT), Lit(width, BIGINT)]


def decimal_division_type(args) -> SqlType:
    from .types import decimal_type
    return decimal_type(args[3].value, args[2].value or 0)


def text_or_same_list(args) -> SqlType:
    """REPEAT's result: the list's type for a list (DuckDB's list overload), else VARCHAR."""
    return args[0].type if args[0].type.kind == "list" else TEXT


def prepare_score_cutoff(eb, node, args, what):
    """JARO_WINKLER_SIMILARITY(a, b[, cutoff]): the third argument is DuckDB's score cutoff (sqlglot names it
    case_insensitive, another dialect's meaning: refused outside DuckDB's dialect)."""
    if len(args) > 2 and eb.dialect.name != "duckdb":
        raise eb.error(node, f"{what} with a third argument is not supported in the {eb.dialect.name} dialect")
    return args


# -- EQUI_WIDTH_BINS (sqllib/binning.py) -------------------------------------------------------------

def _bins_output(t: SqlType) -> SqlType:
    """The element type of EQUI_WIDTH_BINS' result: max's type, a DECIMAL's a DOUBLE (DuckDB's bind)."""
    return DOUBLE if t.kind == "decimal" else t


def prepare_bins(eb, node, args, what):
    """(min, max, bin_count, nice_rounding): min and max brought to the overload DuckDB picks (BIGINT
    for integers, DOUBLE for other numbers, TIMESTAMP for dates and timestamps); then the kind and
    width of the result's elements, the type of max."""
    lo, hi, bins, nice = args
    # a HUGEINT constant that fits a BIGINT takes the BIGINT overload, as DuckDB casts it (-9223372036854775808
    # is a HUGEINT literal to both: the negation of 9223372036854775808)
    written = [n.this if isinstance(n, exp.Paren) else n for n in (node.expressions if isinstance(node, exp.Anonymous)
                                                                  else [])[:2]]
    lo, hi = (Lit(a.value, BIGINT) if isinstance(a, Lit) and a.type.kind == "int" and a.type.bits > 64
              and a.value is not None and -2 ** 63 <= a.value < 2 ** 63 and i < len(written)
              and isinstance(written[i].this if isinstance(written[i], exp.Neg) else written[i], exp.Literal)
              else a for i, a in enumerate((lo, hi)))
    kinds = {a.type.kind for a in (lo, hi)} - {"null"}
    out = _bins_output(hi.type if hi.type.kind != "null" else lo.type)
    if kinds <= {"int"} and all(a.type.bits <= 64 for a in (lo, hi) if a.type.kind == "int") and kinds:
        compute = BIGINT
    elif kinds and kinds <= {"int", "decimal", "float"} and out != REAL and \
            all(a.type.bits <= 64 for a in (lo, hi) if a.type.kind == "int"):
        compute = DOUBLE
    elif kinds and kinds <= {"date", "timestamp"}:
        compute = TIMESTAMP
    else:
        types = " and ".join(str(a.type) for a in (lo, hi))
        raise eb.error(node, f"{what} of {types} is not supported")
    if nice.type.kind not in ("bool", "null"):
        raise eb.error(node, f"{what}: nice_rounding must be a BOOLEAN, not {nice.type}")
    if out.kind == "null":
        out = compute
    kind = {"int": "int", "float": "double", "date": "date", "timestamp": "timestamp"}[out.kind]
    return [eb.coerce(lo, compute, node), eb.coerce(hi, compute, node), eb.coerce(bins, BIGINT, node),
            eb.coerce(nice, BOOLEAN, node), Lit(kind, TEXT), Lit(out.bits if kind == "int" else 64, BIGINT)]


def bins_type(args) -> SqlType:
    kind, bits = args[4].value, args[5].value
    return list_of({"int": SqlType("int", bits), "double": DOUBLE, "date": DATE, "timestamp": TIMESTAMP}[kind])
