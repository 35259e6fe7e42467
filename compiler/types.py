"""SQL types: what a column holds, how values are checked on insert, and how types combine."""

from __future__ import annotations

import datetime
import decimal
import operator
import re
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

from ..sqllib.errors import Unrepresentable
from ..sqllib.errors import show_value  # noqa: F401 - re-exported for the binder and the engine
from .errors import DataError

from ..sqllib import binary, real, timestamp_units, timestamps, timetz
from ..sqllib.fardates import FarDate
from ..sqllib.interval_text import cast_interval
from ..sqllib.lists import SqlList, parse_list_text
from ..sqllib.maps import make_map, parse_map_text
from ..sqllib.structs import SqlStruct, parse_struct_text, struct_class
from ..sqllib.sqlfuncs import NAN  # the one NaN object: dict keys (GROUP BY, DISTINCT) then see every NaN as one value

INT_BITS = {"tinyint": 8, "smallint": 16, "int": 32, "bigint": 64, "hugeint": 128}


@dataclass(frozen=True, slots=True)
class SqlType:
    """kind: int, float, decimal, text, bool, date, timestamp, timestamptz, time, interval, blob, uuid, bit, list,
    struct, map,
    uhugeint (DuckDB's unsigned 128-bit integer: a kind of its own, not a number to the rules that mix
    numbers, since DuckDB mixes it with signed integers by rules of its own), or null (the type of NULL).
    ``bits`` is an integer's width, 32 for a float32 (FLOAT/REAL; 0 is a DOUBLE); ``precision``/``scale``
    a decimal's (a TIMESTAMP's ``precision`` is 0 for DuckDB's microsecond TIMESTAMP, else its unit's
    fraction digits + 1: TIMESTAMP_S 1, TIMESTAMP_MS 4, TIMESTAMP_NS 10; sqllib/timestamp_units.py);
    ``elem`` a list's element type (``[]`` is a list of NULL type); ``fields`` a struct's
    (name, type) pairs (an unnamed struct, row(…), has '' for every name: compiler/structs.py); a map's
    are (("key", K), ("value", V)), the struct of its entries (compiler/maps.py)."""

    kind: str
    bits: int = 0
    precision: int = 0
    scale: int = 0
    elem: SqlType | None = None
    fields: tuple[tuple[str, SqlType], ...] = ()
    size: int = 0  # a fixed-size ARRAY's length (DuckDB's INT[3]: a list of that many elements); 0 a LIST
    # an AGGREGATE_STATE's aggregate call (a plan AggCall, compiler/aggregate_states.py); its signature,
    # which is what the type compares by, is the one field's name
    agg: object = field(default=None, compare=False)

    def __str__(self) -> str:
        if self.kind == "list":
            return f"{self.elem}[{self.size or ''}]"
        if self.kind == "map":
            return f"MAP({self.fields[0][1]}, {self.fields[1][1]})"
        if self.kind == "struct":
            return "STRUCT(" + ", ".join(f"{_type_name(n)} {t}" if n else str(t) for n, t in self.fields) + ")"
        if self.kind == "int":
            return {8: "TINYINT", 16: "SMALLINT", 32: "INTEGER", 64: "BIGINT", 128: "HUGEINT"}[self.bits]
        if self.kind == "decimal":
            return f"DECIMAL({self.precision},{self.scale})"
        if self.kind == "aggstate":
            return f"AGGREGATE_STATE<{self.fields[0][0]}>"
        if self.kind == "float" and self.bits == 32:
            return "FLOAT"
        if self.kind == "timestamp" and self.precision:
            return _TIMESTAMP_UNIT_NAMES[self.precision]
        return {"float": "DOUBLE", "text": "VARCHAR", "bool": "BOOLEAN", "date": "DATE",
                "timestamp": "TIMESTAMP", "timestamptz": "TIMESTAMP WITH TIME ZONE", "interval": "INTERVAL", "null": "NULL",
                "uhugeint": "UHUGEINT", "time": "TIME", "timetz": "TIME WITH TIME ZONE", "blob": "BLOB", "uuid": "UUID", "bit": "BIT"}[self.kind]

    @property
    def numeric(self) -> bool:
        return self.kind in ("int", "float", "decimal")


TINYINT = SqlType("int", 8)
SMALLINT = SqlType("int", 16)
INTEGER = SqlType("int", 32)
BIGINT = SqlType("int", 64)
HUGEINT = SqlType("int", 128)
DOUBLE = SqlType("float")
REAL = SqlType("float", 32)  # FLOAT / REAL: values are Python floats that are exactly float32s (sqllib/real.py)
TEXT = SqlType("text")
BOOLEAN = SqlType("bool")
DATE = SqlType("date")
TIMESTAMP = SqlType("timestamp")
TIMESTAMPTZ = SqlType("timestamptz")
# DuckDB's TIMESTAMP_S / _MS / _NS: TIMESTAMPs (datetimes) whose casts round to the unit (precision: its
# fraction digits + 1); the binder widens them to TIMESTAMP wherever DuckDB computes with a TIMESTAMP
# (compiler/timestamp_units.py)
TIMESTAMP_S = SqlType("timestamp", precision=1)
TIMESTAMP_MS = SqlType("timestamp", precision=4)
TIMESTAMP_NS = SqlType("timestamp", precision=10)
_TIMESTAMP_UNIT_NAMES = {1: "TIMESTAMP_S", 4: "TIMESTAMP_MS", 10: "TIMESTAMP_NS"}
INTERVAL = SqlType("interval")
NULLTYPE = SqlType("null")
UHUGEINT = SqlType("uhugeint")
TIME = SqlType("time")  # a time of day, a datetime.time (no zone)
TIMETZ = SqlType("timetz")  # a time of day and a UTC offset, a sqllib.timetz.TimeTZ
BLOB = SqlType("blob")  # bytes (sqllib/binary.py)
UUID = SqlType("uuid")  # uuid.UUID
BIT = SqlType("bit")  # a bit string, the str of its bits
UHUGEINT_MAX = (1 << 128) - 1


def list_of(elem: SqlType, size: int = 0) -> SqlType:
    """The type of a LIST of ``elem`` (DuckDB's ``elem[]``), or of a fixed-size ARRAY of ``size`` of them
    (DuckDB's ``elem[size]``: a list whose length the type fixes, checked where a value gets the type)."""
    return SqlType("list", elem=elem, size=size)


def typeof_name(t: SqlType) -> str:
    """The type's name as DuckDB's TYPEOF gives it: the NULL type quoted, "NULL", also inside a nested type."""
    if t.kind == "null":
        return '"NULL"'
    if t.kind == "aggstate":  # DuckDB 2.0 names no aggregate
        return "AGGREGATE_STATE"
    if t.kind == "list":
        return f"{typeof_name(_elem(t))}[{t.size or ''}]"
    if t.kind == "map":
        return f"MAP({typeof_name(t.fields[0][1])}, {typeof_name(t.fields[1][1])})"
    if t.kind == "struct" and not any(field_names(t)):  # row(…): DuckDB names it a TUPLE
        return "TUPLE(" + ", ".join(typeof_name(ft) for _, ft in t.fields) + ")"
    if t.kind == "struct":
        return "STRUCT(" + ", ".join(f"{_type_name(n)} {typeof_name(ft)}" if n else typeof_name(ft)
                                     for n, ft in t.fields) + ")"
    return str(t)


def quoted_text(t: SqlType) -> bool:
    """Whether DuckDB quotes a value of type t inside a list's, struct's or map's text where its text holds a
    character that would not read back (',', ':', a space at an end, …): every type but the numbers and
    BOOLEAN, whose texts never do ('[\'2020-01-01 12:00:00\', \'01:00:00\']')."""
    return t.kind in ("text", "date", "timestamp", "timestamptz", "time", "timetz", "interval", "blob", "uuid", "bit")


def struct_of(fields: Iterable[tuple[str, SqlType]]) -> SqlType:
    """The type of a STRUCT of these (name, type) pairs."""
    return SqlType("struct", fields=tuple(fields))


def map_of(key: SqlType, value: SqlType) -> SqlType:
    """The type of a MAP from ``key`` to ``value``."""
    return SqlType("map", fields=(("key", key), ("value", value)))


def field_names(t: SqlType) -> tuple[str, ...]:
    return tuple(n for n, _ in t.fields)


def _type_name(name: str) -> str:
    """A field name as DuckDB prints it in a type: quoted unless a plain lower-case word."""
    if re.fullmatch(r"[a-z_][a-z0-9_]*", name) and name.upper() not in ("KEY", "VALUE", "ORDER", "GROUP"):
        return name
    return '"' + name.replace('"', '""') + '"'


def decimal_type(precision: int = 18, scale: int = 3) -> SqlType:
    return SqlType("decimal", precision=min(precision, 38), scale=scale)


_BY_NAME = {
    "TINYINT": TINYINT, "INT1": TINYINT, "SMALLINT": SMALLINT, "INT2": SMALLINT, "SHORT": SMALLINT,
    "INT": INTEGER, "INTEGER": INTEGER, "INT4": INTEGER, "MEDIUMINT": INTEGER, "SIGNED": INTEGER,
    "BIGINT": BIGINT, "INT8": BIGINT, "LONG": BIGINT, "INT64": BIGINT, "HUGEINT": HUGEINT, "INT128": HUGEINT,
    "UTINYINT": SMALLINT, "USMALLINT": INTEGER, "UINT": BIGINT, "UINTEGER": BIGINT, "UBIGINT": HUGEINT,
    "DOUBLE": DOUBLE, "FLOAT": REAL, "REAL": REAL, "FLOAT4": REAL, "FLOAT8": DOUBLE,
    "DOUBLE PRECISION": DOUBLE,
    "VARCHAR": TEXT, "TEXT": TEXT, "CHAR": TEXT, "NCHAR": TEXT, "NVARCHAR": TEXT, "STRING": TEXT,
    "BPCHAR": TEXT, "CHARACTER": TEXT, "CLOB": TEXT,
    "BOOLEAN": BOOLEAN, "BOOL": BOOLEAN, "LOGICAL": BOOLEAN,
    "DATE": DATE, "TIMESTAMP": TIMESTAMP, "DATETIME": TIMESTAMP, "TIMESTAMPNTZ": TIMESTAMP,
    "TIMESTAMPTZ": TIMESTAMPTZ, "TIMESTAMP WITH TIME ZONE": TIMESTAMPTZ, "TIMESTAMPLTZ": TIMESTAMPTZ,
    "TIMESTAMP_S": TIMESTAMP_S, "TIMESTAMP_MS": TIMESTAMP_MS, "TIMESTAMP_NS": TIMESTAMP_NS,
    "INTERVAL": INTERVAL, "UHUGEINT": UHUGEINT, "UINT128": UHUGEINT, "TIME": TIME, "TIMETZ": TIMETZ,
    "TIME WITH TIME ZONE": TIMETZ,
    "BLOB": BLOB, "BYTEA": BLOB, "VARBINARY": BLOB, "BINARY": BLOB, "UUID": UUID, "BIT": BIT, "BITSTRING": BIT,
}


def from_sqlglot(dt: Any, dialect: Any) -> SqlType:
    """The SqlType of a sqlglot DataType node; raises LookupError for types we do not support."""
    from sqlglot import exp

    name = dt.this.name if isinstance(dt.this, exp.DataType.Type) else str(dt.this)
    if name in ("ARRAY", "LIST"):
        if len(dt.expressions) != 1 or not isinstance(dt.expressions[0], exp.DataType):
            raise LookupError(str(dt.sql(dialect="duckdb")))
        size = 0
        values = dt.args.get("values")
        if values:  # INT[3]: DuckDB's fixed-size ARRAY
            if len(values) != 1 or not isinstance(values[0], exp.Literal) or not values[0].is_int \
                    or not 0 < int(values[0].name) <= 100_000:
                raise LookupError(f"{dt.sql(dialect='duckdb')} (an ARRAY's size must be a constant from 1 to 100000)")
            size = int(values[0].name)
        return list_of(from_sqlglot(dt.expressions[0], dialect), size)
    if name in ("STRUCT", "MAP") and dialect.name == "sqlite":
        raise LookupError(f"{dt.sql(dialect='duckdb')} (the sqlite dialect has no nested types)")
    if name == "STRUCT":
        return _struct_from_sqlglot(dt, dialect)
    if name == "MAP":
        if len(dt.expressions) != 2 or not all(isinstance(x, exp.DataType) for x in dt.expressions):
            raise LookupError(str(dt.sql(dialect="duckdb")))
        return map_of(*(from_sqlglot(x, dialect) for x in dt.expressions))
    if name in ("DECIMAL", "NUMERIC", "BIGDECIMAL", "DECIMAL32", "DECIMAL64", "DECIMAL128"):
        params = [int(p.name) for p in dt.expressions if p.name.isdigit()]
        if dialect.decimal_is_float:
            return DOUBLE
        if not params:
            return decimal_type(18, 3)
        precision = params[0]
        scale = params[1] if len(params) > 1 else 0
        if not 1 <= precision <= 38 or not 0 <= scale <= precision:
            raise LookupError(f"DECIMAL({precision},{scale}): precision must be 1-38 and scale 0-precision")
        return decimal_type(precision, scale)
    sql = dt.sql(dialect="duckdb").upper().split("(")[0].strip()
    for candidate in (name, sql):
        t = _BY_NAME.get(candidate)
        if t is not None:
            if t is INTEGER and dialect.name == "sqlite":
                return BIGINT  # SQLite integers are 64-bit whatever the declared name
            if t is REAL and dialect.name == "sqlite":
                return DOUBLE  # SQLite's REAL is 8 bytes
            return t
    raise LookupError(str(dt.sql(dialect="duckdb")))


def _struct_from_sqlglot(dt: Any, dialect: Any) -> SqlType:
    """STRUCT(a INT, b VARCHAR): names as written (DuckDB keeps their case), each a distinct name."""
    from sqlglot import exp

    fields = []
    for f in dt.expressions:
        if not isinstance(f, exp.ColumnDef) or not isinstance(f.args.get("kind"), exp.DataType):
            raise LookupError(f"{dt.sql(dialect='duckdb')} (a STRUCT field needs a name and a type)")
        fields.append((f.name, from_sqlglot(f.args["kind"], dialect)))
    names = [n.lower() for n, _ in fields]
    if not fields or len(set(names)) != len(names):
        raise LookupError(f"{dt.sql(dialect='duckdb')} (a STRUCT needs fields of distinct names)")
    return struct_of(fields)


# -- combining types -------------------------------------------------------------------------------

_NUMERIC_RANK = {"int": 0, "decimal": 1, "float": 2}


def _elem(t: SqlType) -> SqlType:
    """A list type's element type."""
    return cast(SqlType, t.elem)


def common_type(a: SqlType, b: SqlType) -> SqlType | None:
    """The type both coerce to (UNION branches, CASE results, comparisons), or None if none."""
    if a == b:
        return a
    if a.kind == "null":
        return b
    if b.kind == "null":
        return a
    if a.numeric and b.numeric:
        if a.kind == b.kind == "int":
            return a if a.bits >= b.bits else b
        if a.kind == b.kind == "float":
            return REAL if a.bits == b.bits == 32 else DOUBLE
        if "float" in (a.kind, b.kind):
            return a if a.kind == "float" else b  # FLOAT with an integer or a DECIMAL is a FLOAT in DuckDB
        if a.kind == b.kind == "decimal":
            return _decimal_union(max(a.precision - a.scale, b.precision - b.scale), max(a.scale, b.scale))
        d, i = (a, b) if a.kind == "decimal" else (b, a)
        return _decimal_union(max(d.precision - d.scale, _int_digits(i.bits)), d.scale)
    if a.kind == b.kind == "list":  # an ARRAY and a LIST: the ARRAY (DuckDB's; the LIST's length is checked)
        elem = common_type(_elem(a), _elem(b))
        size = a.size if b.size in (0, a.size) else b.size if a.size == 0 else 0
        return None if elem is None else list_of(elem, size)
    if a.kind == b.kind == "struct":
        return _common_struct(a, b)
    if a.kind == b.kind == "map":
        key, value = common_type(a.fields[0][1], b.fields[0][1]), common_type(a.fields[1][1], b.fields[1][1])
        return None if key is None or value is None else map_of(key, value)
    if "uhugeint" in (a.kind, b.kind):
        return _common_uhugeint(b if a.kind == "uhugeint" else a)
    if a.kind == b.kind == "timestamp":  # two units: the finer (DuckDB: TIMESTAMP_S with TIMESTAMP_NS, _NS)
        return a if timestamp_digits(a) > timestamp_digits(b) else b
    if {a.kind, b.kind} == {"date", "timestamp"}:
        return TIMESTAMP
    if {a.kind, b.kind} in ({"date", "timestamptz"}, {"timestamp", "timestamptz"}):
        return TIMESTAMPTZ
    return None


def timestamp_digits(t: SqlType) -> int:
    """A TIMESTAMP type's unit as fraction digits of a second: 6 (TIMESTAMP), 0, 3 or 9."""
    return t.precision - 1 if t.precision else 6


def _common_uhugeint(other: SqlType) -> SqlType | None:
    """A UHUGEINT with another type, as DuckDB combines them (COALESCE, UNION, CASE, lists): with a signed
    integer the next wider signed integer (TINYINT: SMALLINT, BIGINT: HUGEINT), with a DECIMAL a
    DECIMAL(38, its scale), with a FLOAT or DOUBLE that type.  Not with a HUGEINT: DuckDB makes that a
    DOUBLE, but our HUGEINT also holds DuckDB's UBIGINT, which DuckDB combines into a UHUGEINT (the
    narrower unsigned types too are signed types here, so their combinations are checked values of a
    signed type where DuckDB's are UHUGEINTs: the same values, or an overflow error)."""
    if other.kind == "int" and other.bits < 128:
        return SqlType("int", other.bits * 2)
    if other.kind == "decimal":
        return decimal_type(38, other.scale)
    if other.kind == "float":
        return other
    return None


def _common_struct(a: SqlType, b: SqlType) -> SqlType | None:
    """Two structs of the same field names (or one unnamed, matched by position): field by field."""
    if len(a.fields) != len(b.fields):
        return None
    an, bn = field_names(a), field_names(b)
    if all(an) and all(bn) and [n.lower() for n in an] != [n.lower() for n in bn]:
        return None
    fields = []
    for (na, ta), (nb, tb) in zip(a.fields, b.fields):
        t = common_type(ta, tb)
        if t is None:
            return None
        fields.append((na or nb, t))
    return struct_of(fields)


def decimal_product(a: SqlType, b: SqlType, duckdb: bool = True) -> SqlType:
    """The type of DECIMAL a * DECIMAL b: DECIMAL(p1 + p2, s1 + s2), at most 38 digits.  DuckDB (``duckdb``)
    keeps a product of two DECIMALs of at most 18 digits in 18 digits when its scale is under 18 (its
    64-bit form), where a product that does not fit is an overflow error."""
    precision, scale = a.precision + b.precision, a.scale + b.scale
    if duckdb and precision > 18 and max(a.precision, b.precision) <= 18 and scale < 18:
        precision = 18
    return decimal_type(min(precision, 38), scale)


def _decimal_union(whole: int, scale: int) -> SqlType:
    """The DECIMAL holding ``whole`` integer digits and ``scale`` fraction digits; past 38 digits the
    scale gives way (as DuckDB does)."""
    if whole + scale > 38:
        scale = max(38 - whole, 0)
    return decimal_type(min(whole + scale, 38), scale)


def _int_digits(bits: int) -> int:
    return {8: 3, 16: 5, 32: 10, 64: 19, 128: 38}[bits]


def int_range(bits: int) -> tuple[int, int]:
    return -(1 << (bits - 1)), (1 << (bits - 1)) - 1


# -- values on insert ------------------------------------------------------------------------------

# kind -> (Python types a column accepts, reader): text is read as DuckDB reads it (dates, times, intervals,
# BLOB/UUID/BIT in their text forms)
_READERS = {"date": ((datetime.date, str, FarDate), timestamps.cast_date),
             "timestamp": ((datetime.date, str), timestamps.cast_timestamp),
             "timestamptz": ((datetime.date, str), timestamps.cast_timestamptz),
             "time": ((datetime.time, str), timestamps.cast_time),
             "timetz": ((datetime.time, str), timetz.cast_timetz),
             "blob": ((bytes, bytearray, str), binary.cast_blob),
             "uuid": ((uuid.UUID, str), binary.cast_uuid),
             "bit": ((str,), binary.cast_bit),
             "interval": ((datetime.timedelta, str), cast_interval)}


def coerce_value(value: Any, t: SqlType, where: str) -> Any:
    """Check (and normalise) a Python value for a column of type t; None passes (NOT NULL is
    checked by the caller).  Raises DataError naming ``where`` when the value does not fit."""
    if value is None:
        return None
    k = t.kind
    if k == "list":
        return _coerce_list(value, t, where)
    if k == "struct":
        return _coerce_struct(value, t, where, coerce_value)
    if k == "map":
        return _coerce_map(value, t, where, coerce_value)
    try:
        if k in ("int", "uhugeint"):
            if isinstance(value, bool) or not isinstance(value, int):
                if isinstance(value, float) and value.is_integer():
                    value = int(value)
                elif isinstance(value, decimal.Decimal) and value == value.to_integral_value():
                    if value.adjusted() > 40:  # 1e999999999: int() would build a billion digits
                        raise DataError(f"{where}: {show_value(value)} is out of range for {t}")
                    value = int(value)
                elif isinstance(value, str) and value.strip().lstrip("+-").isdigit():
                    value = int(value)
                else:
                    raise TypeError
            lo, hi = int_range(t.bits) if k == "int" else (0, UHUGEINT_MAX)
            if not lo <= value <= hi:
                raise DataError(f"{where}: {show_value(value)} is out of range for {t}")
            return value if type(value) is int else int(value)  # (an int subclass: a plain int, as stored values are)
        if k == "float":
            if isinstance(value, bool):
                raise TypeError
            if isinstance(value, (int, float, decimal.Decimal, str)):
                if t.bits == 32:
                    return real.to_real(value)
                value = float(value)
                return NAN if value != value else value
            raise TypeError
        if k == "decimal":
            if isinstance(value, bool):
                raise TypeError
            if isinstance(value, float):
                value = decimal.Decimal(repr(value))
            elif isinstance(value, (int, str)):
                value = decimal.Decimal(value)
            elif not isinstance(value, decimal.Decimal):
                raise TypeError
            if not value.is_finite():
                raise TypeError
            q = value.quantize(decimal.Decimal(1).scaleb(-t.scale), rounding=decimal.ROUND_HALF_UP,
                               context=decimal.Context(prec=80))
            if q.copy_abs() >= decimal.Decimal(10) ** (t.precision - t.scale):  # exact (abs() rounds)
                raise DataError(f"{where}: {value} does not fit {t}")
            return q
        if k == "text":
            if not isinstance(value, str):
                raise TypeError
            if not value.isascii() and SURROGATE.search(value):
                raise DataError(f"{where}: a string holding a lone surrogate ({show_value(value)}) is not Unicode "
                                f"text")
            return value if type(value) is str else str.__str__(value)  # (a str subclass: a plain str)
        if k == "bool":
            if isinstance(value, bool):
                return value
            if isinstance(value, int) and value in (0, 1):
                return bool(value)
            if isinstance(value, str):
                text = value.strip().lower()
                if text in ("true", "t", "1", "yes", "y"):
                    return True
                if text in ("false", "f", "0", "no", "n"):
                    return False
            raise TypeError
        if k == "timestamp" and t.precision:
            if not isinstance(value, (datetime.date, str)):
                raise TypeError
            try:
                return timestamp_units.cast_timestamp_unit(value, timestamp_digits(t))
            except Unrepresentable as e:
                raise DataError(f"{where}: {e}") from None
            except DataError:
                raise ValueError from None
        reader = _READERS.get(k)
        if reader is not None:
            accepted, read = reader
            if not isinstance(value, accepted) or (k == "date" and isinstance(value, datetime.datetime)):
                raise TypeError
            try:
                return read(value)
            except Unrepresentable as e:
                raise DataError(f"{where}: {e}") from None
            except DataError:
                raise ValueError from None  # reported below as a value that does not fit the column
    except DataError:
        raise
    except (TypeError, ValueError, ArithmeticError):
        pass
    raise DataError(f"{where}: {show_value(value)} is not a valid {t}")


def _coerce_list(value: Any, t: SqlType, where: str) -> Any:
    """A LIST column's value: a Python list or tuple (a JSON array) or DuckDB's text form '[1, 2]'
    (a CSV field), each element checked (and converted) as the element type's column would be."""
    if isinstance(value, str):
        try:
            items = parse_list_text(value)
        except DataError:
            raise DataError(f"{where}: {show_value(value)} is not a valid {t}") from None
        return _sized(SqlList(None if x is None else assign_value(x, _elem(t), where) for x in items), t, where)
    if not isinstance(value, (list, tuple)):
        raise DataError(f"{where}: {show_value(value)} is not a valid {t}")
    return _sized(SqlList(None if x is None else coerce_value(x, _elem(t), where) for x in value), t, where)


def _sized(v: SqlList, t: SqlType, where: str) -> SqlList:
    """An ARRAY's value has its type's length."""
    if t.size and len(v) != t.size:
        raise DataError(f"{where}: {show_value(v)} is not a valid {t} (it has {len(v)} elements)")
    return v


def _coerce_struct(value: Any, t: SqlType, where: str, convert: Callable) -> Any:
    """A STRUCT column's value: a dict by field name (a JSON object; names as the type has them, in
    any case; a missing field is NULL), a list or tuple by position, or DuckDB's text form
    ('{a: 1, b: x}', a CSV field); each field checked (and converted) by ``convert`` as its type's
    column would be (text fields assigned, as a cast reads them)."""
    names = field_names(t)
    if isinstance(value, SqlStruct) and value.names == names:
        values: Sequence[Any] = value
    elif isinstance(value, dict):
        lower = {n.lower(): i for i, n in enumerate(names)}
        values = [None] * len(names)
        for key, v in value.items():
            i = lower.get(str(key).lower())
            if i is None:
                raise DataError(f"{where}: {show_value(value)} is not a valid {t} (no field {key!r})")
            values[i] = v
    elif isinstance(value, (list, tuple)) and len(value) == len(names):
        values = value
    elif isinstance(value, str):
        try:
            texts = parse_struct_text(value, names)
        except DataError:
            raise DataError(f"{where}: {show_value(value)} is not a valid {t}") from None
        return struct_class(names)(None if x is None else assign_value(x, ft, where)
                                   for x, (_, ft) in zip(texts, t.fields))
    else:
        raise DataError(f"{where}: {show_value(value)} is not a valid {t}")
    return struct_class(names)(None if x is None else convert(x, ft, where) for x, (_, ft) in zip(values, t.fields))


def _coerce_map(value: Any, t: SqlType, where: str, convert: Callable) -> Any:
    """A MAP column's value: a dict (a JSON object, whose keys are text: read as the key type), a list of
    (key, value) pairs, or DuckDB's text form ('{1=a, 2=b}', a CSV field); keys unique and not NULL."""
    kt, vt = t.fields[0][1], t.fields[1][1]
    try:
        if isinstance(value, str):
            pairs = [(assign_value(k, kt, where), None if v is None else assign_value(v, vt, where))
                     for k, v in parse_map_text(value)]
        else:
            if isinstance(value, dict):
                items: Any = value.items()
            elif isinstance(value, (list, tuple)) and all(isinstance(e, (list, tuple)) and len(e) == 2 for e in value):
                items = value
            else:
                raise DataError(f"{where}: {show_value(value)} is not a valid {t}")
            pairs = [(None if k is None else (assign_value(k, kt, where) if isinstance(k, str) and kt.kind != "text"
                                              else convert(k, kt, where)),
                      None if v is None else convert(v, vt, where)) for k, v in items]
        return make_map(pairs)
    except DataError as e:
        if str(e).startswith(where):
            raise
        raise DataError(f"{where}: {show_value(value)} is not a valid {t} ({e})") from None


# a code point UTF-8 cannot encode: such a string could be neither stored by DuckDB nor printed
SURROGATE = re.compile("[\ud800-\udfff]")


def assign_value(value: Any, t: SqlType, where: str, dialect: Any = None) -> Any:
    """A value an INSERT or UPDATE stores into a column of type t: the value itself when it fits
    (coerce_value), else converted as CAST converts it, as DuckDB and Postgres assign (5.0885 into an
    INTEGER is 5, a TIMESTAMP into a DATE its date, 5 into a VARCHAR '5').  SQLite keeps
    coerce_value's rule (its columns take what they are given).  A string into a BOOLEAN is read by the
    dialect's own words (sqllib/casts.cast_bool: ' t ' is no BOOLEAN in DuckDB), not coerce_value's."""
    if type(value) is str and t.kind == "bool" and dialect is not None and dialect.name != "sqlite":
        from ..sqllib.casts import cast_bool
        try:
            return cast_bool(value, dialect.bool_text)
        except DataError:
            raise DataError(f"{where}: {show_value(value)} is not a valid {t}") from None
    try:
        return coerce_value(value, t, where)
    except DataError as e:
        if dialect is not None and dialect.name == "sqlite" or value is None:
            raise
        first = e
    from ..sqllib import casts as C
    k = t.kind
    if k == "list" and isinstance(value, (list, tuple)):  # each element assigned as to a column of its type
        return _sized(SqlList(None if x is None else assign_value(x, _elem(t), where, dialect) for x in value), t,
                      where)
    if k == "struct":  # each field assigned as to a column of its type
        return _coerce_struct(value, t, where, lambda x, ft, w: assign_value(x, ft, w, dialect))
    if k == "map":  # each key and value assigned as to a column of its type
        return _coerce_map(value, t, where, lambda x, ft, w: assign_value(x, ft, w, dialect))
    try:
        if k == "int":
            v = C.cast_int(value, t.bits, False)
        elif k == "uhugeint":
            v = C.cast_uhugeint(value)
        elif k == "float" and t.bits == 32:
            v = real.to_real(value)
        elif k == "float":
            v = float(value) if isinstance(value, (bool, int, decimal.Decimal)) else C.cast_float(value)
        elif k == "decimal":
            v = C.cast_decimal(int(value) if isinstance(value, bool) else value, t.scale, t.precision)
        elif k == "text":
            v = C.to_text(value)
        elif k == "bool":
            v = C.cast_bool(value)
        elif k == "date" and isinstance(value, datetime.datetime):
            v = value.date()
        elif k == "time" and isinstance(value, datetime.datetime):
            v = timestamps.cast_time(value)
        else:
            raise first
    except DataError:
        raise first from None  # the value's own message: 'x' is not a valid INTEGER
    return coerce_value(v, t, where)


_BATCH_MIN = 8  # check_rows: fewer rows go through check_each (the two passes cost more than they save)


def row_checker(fields: Sequence[Any]) -> Callable[[tuple], tuple | None]:
    """A fast check that a tuple already has exactly the right Python types and ranges for
    ``fields`` (returns it) or None (then the caller falls back to coerce_value per value).
    ``check.rows(rows, slow)`` checks a batch: a first loop only tests (text columns for their type
    there, and for lone surrogates after it, each column joined into one string at C speed); the
    whole batch passing, it is returned as it is, else a second loop converts the rows that need it
    with ``slow``."""
    conds = []
    quick = []  # conds, with a text column's test reduced to its type (the rest done after the loop)
    texts = []  # the text columns' indexes
    for i, f in enumerate(fields):
        v = f"v{i}"
        k = f.type.kind
        if k == "int":
            lo, hi = int_range(f.type.bits)
            c = f"(type({v}) is int and {lo} <= {v} <= {hi})"
        elif k == "uhugeint":
            c = f"(type({v}) is int and 0 <= {v} <= {UHUGEINT_MAX})"
        elif k == "float" and f.type.bits == 32:
            c = "False"  # rounded to a float32 on the slow path
        elif k == "float":
            c = f"(type({v}) is float and {v} == {v})"  # NaN takes the slow path (made canonical)
        elif k == "text":  # (a lone surrogate takes the slow path, which refuses it)
            c = f"(type({v}) is str and ({v}.isascii() or not _SURROGATE({v})))"
        elif k == "bool":
            c = f"type({v}) is bool"
        elif k == "date":
            c = f"type({v}) is _date"
        elif k == "timestamp" and f.type.precision:
            c = "False"  # rounded to its unit on the slow path
        elif k == "timestamp":
            c = f"(type({v}) is _datetime and {v}.tzinfo is None)"
        elif k == "timestamptz":
            c = f"(type({v}) is _datetime and {v}.tzinfo is _UTC)"
        elif k == "time":
            c = f"(type({v}) is _time and {v}.tzinfo is None)"
        elif k == "blob":
            c = f"type({v}) is bytes"
        elif k == "uuid":
            c = f"type({v}) is _UUID"
        elif k == "decimal":
            # already a Decimal of the column's scale and in range: no need to quantize it again
            c = (f"(type({v}) is _Decimal and {v}.as_tuple().exponent == {-f.type.scale} "
                 f"and -{10 ** (f.type.precision - f.type.scale)} < {v} < {10 ** (f.type.precision - f.type.scale)})")
        else:
            c = "False"
        q = f"type({v}) is str" if k == "text" else c
        if k == "text":
            texts.append(i)
        conds.append(f"({v} is None or {c})" if f.nullable else c)
        quick.append(f"({v} is None or {q})" if f.nullable else q)
    n = len(fields)
    names = ", ".join(f"v{i}" for i in range(n)) + ("," if n == 1 else "")
    body = " and ".join(conds) or "True"
    # the text columns of a batch whose values are all strings (or NULL): no lone surrogate in any
    surrogates = " or ".join(f"_SURROGATE(_text(filter(None, map(_col{i}, rows))))" for i in texts)
    src = (f"def check(row):\n    if type(row) is tuple and len(row) == {n}:\n"
           f"        {names} = row\n        if {body}:\n            return row\n    return None\n"
           # the same test in a loop over a batch (no call per row); slow(row) converts the others
           f"def check_each(rows, slow):\n    out = []\n    append = out.append\n    for row in rows:\n"
           f"        if type(row) is tuple and len(row) == {n}:\n            {names} = row\n"
           f"            if {body}:\n                append(row)\n                continue\n"
           f"        append(slow(row))\n    return out\n"
           # a batch: a loop that only tests (a tuple of another length fails to unpack), then
           # the text columns' surrogates at C speed; a few rows go to check_each directly
           f"def check_rows(rows, slow):\n    rows = list(rows)\n"
           f"    if len(rows) < {_BATCH_MIN}:\n        return check_each(rows, slow)\n"
           f"    try:\n        for row in rows:\n"
           f"            if type(row) is not tuple:\n                return check_each(rows, slow)\n"
           f"            {names} = row\n"
           f"            if not ({' and '.join(quick) or 'True'}):\n                return check_each(rows, slow)\n"
           f"    except ValueError:\n        return check_each(rows, slow)\n"
           f"    if {surrogates or 'False'}:\n        return check_each(rows, slow)\n"
           f"    return rows")
    env: dict[str, Any] = {"_date": datetime.date, "_datetime": datetime.datetime, "_time": datetime.time,
           "_UUID": uuid.UUID,
           "_Decimal": decimal.Decimal, "_UTC": timestamps.UTC,
           "_SURROGATE": SURROGATE.search, "_text": "".join}
    env.update((f"_col{i}", operator.itemgetter(i)) for i in texts)
    exec(compile(src, "<row check>", "exec"), env)
    check = env["check"]
    check.rows = env["check_rows"]
    # the check's own text, for generated code that tests a row inline (engine/one_row.py): the
    # names a row unpacks to, v0..v{n-1}, and the test of them (read with the check's globals)
    check.test = (names, body)
    return check
