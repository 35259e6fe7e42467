"""PostgreSQL column types against declared ones: which upstream types a declared column may take, and
the text form of each value (what both a snapshot's ``col::text`` and pgoutput send) read back exactly.

The laws:

- ``compatible(declared, upstream)`` holds only when every value the upstream column can hold is a
  value of the declared type, unchanged (integers no wider, NUMERIC(p, s) with no more integer and
  fraction digits, text to text, ...).  So a source checked once never meets a value its table
  refuses later, and Postgres's own answer to a view's query equals ours.
- ``decoder(declared)(text)`` is the canonical Python value the pipeline stores for that text (the
  form ``insert`` would make of it): equal upstream rows decode to equal tuples, so changes can be
  summed by row.  The session settings ``SESSION_OPTIONS`` fix the text forms read here (ISO dates,
  ISO 8601 intervals, UTC, shortest exact floats).
"""

from __future__ import annotations

import datetime
import decimal
import re
from dataclasses import dataclass

from ...compiler.types import SqlType
from ...sqllib.sqlfuncs import NAN, Interval

# libpq connection options: the text forms decoded here
SESSION_OPTIONS = "-c DateStyle=ISO -c IntervalStyle=iso_8601 -c TimeZone=UTC -c extra_float_digits=1"

_INT_BITS = {"int2": 16, "int4": 32, "int8": 64}
_INT_DIGITS = {16: 5, 32: 10, 64: 19}


@dataclass(frozen=True)
class Upstream:
    """A column as PostgreSQL declares it: base type name (domains resolved), NUMERIC precision and
    scale (None when unconstrained), whether it may be NULL, and the text ``format_type`` gives."""

    name: str
    typname: str
    precision: int | None = None
    scale: int | None = None
    nullable: bool = True
    display: str = ""

    @staticmethod
    def numeric_modifier(typmod: int) -> tuple[int | None, int | None]:
        if typmod < 4:
            return None, None
        return ((typmod - 4) >> 16) & 0xFFFF, (typmod - 4) & 0xFFFF


def compatible(declared: SqlType, up: Upstream) -> bool:
    """Whether every value of the upstream column is a value of ``declared``, unchanged."""
    k, name = declared.kind, up.typname
    if k == "int":
        if name in _INT_BITS:
            return _INT_BITS[name] <= declared.bits
        return (name == "numeric" and declared.bits == 128 and up.scale == 0 and up.precision is not None
                and up.precision <= 38)
    if k == "decimal":
        whole = declared.precision - declared.scale
        if name in _INT_BITS:
            return _INT_DIGITS[_INT_BITS[name]] <= whole
        return (name == "numeric" and up.precision is not None and up.scale <= declared.scale
                and up.precision - up.scale <= whole)
    if k == "float":
        return name == "float8"
    if k == "text":
        return name in ("text", "varchar")
    if k == "timestamp":
        return name in ("timestamp", "timestamptz")
    return {"bool": "bool", "date": "date", "interval": "interval"}.get(k) == name


def mismatch(table: str, column: str, declared: SqlType, declared_nullable: bool, up: Upstream) -> str | None:
    """Why the upstream column cannot feed the declared one, or None."""
    if not compatible(declared, up):
        return (f"{table}.{column} is declared {declared} but PostgreSQL's column is {up.display or up.typname}"
                f"{_hint(declared, up)}")
    if not declared_nullable and up.nullable:
        return (f"{table}.{column} is declared NOT NULL (or part of the PRIMARY KEY) but PostgreSQL's column "
                f"allows NULL")
    return None


def _hint(declared: SqlType, up: Upstream) -> str:
    if up.typname == "numeric" and up.precision is None:
        return " without precision, whose values may not fit (give it NUMERIC(p, s) upstream)"
    if up.typname == "float4":
        return " (single precision REAL is not supported: use DOUBLE PRECISION upstream)"
    if up.typname == "bpchar":
        return " (blank-padded CHAR(n) is not supported: use VARCHAR or TEXT upstream)"
    return ""


# -- decoding the text form -----------------------------------------------------------------------
def decoder(declared: SqlType):
    """The function reading a column's text form into the pipeline's value for ``declared``."""
    k = declared.kind
    if k == "int":
        return int
    if k == "float":
        return _float
    if k == "decimal":
        exponent = decimal.Decimal(1).scaleb(-declared.scale)

        def dec(text, D=decimal.Decimal, e=exponent):
            v = D(text)
            return v if v.as_tuple().exponent == e.as_tuple().exponent else v.quantize(e)
        return dec
    if k == "text":
        return str
    if k == "bool":
        return _bool
    if k == "date":
        return _date
    if k == "timestamp":
        return _timestamp
    if k == "interval":
        return _interval
    raise LookupError(str(declared))


def _float(text: str) -> float:
    v = float(text)
    return NAN if v != v else v


def _bool(text: str) -> bool:
    return text in ("t", "true")  # the output function writes t, a cast to text true


def _date(text: str) -> datetime.date:
    if text.endswith(" BC") or text in ("infinity", "-infinity"):
        raise ValueError(f"date {text} is out of range")
    return datetime.date.fromisoformat(text)


def _timestamp(text: str) -> datetime.datetime:
    if text.endswith(" BC") or text in ("infinity", "-infinity"):
        raise ValueError(f"timestamp {text} is out of range")
    v = datetime.datetime.fromisoformat(text)
    if v.tzinfo is not None:  # timestamptz, sent in UTC (SESSION_OPTIONS): its UTC wall time
        v = v.astimezone(datetime.timezone.utc).replace(tzinfo=None)
    return v


_ISO_INTERVAL = re.compile(r"P(?:(-?\d+)Y)?(?:(-?\d+)M)?(?:(-?\d+)D)?"
                           r"(?:T(?:(-?\d+)H)?(?:(-?\d+)M)?(?:(-?\d+(?:\.\d+)?)S)?)?")


def _interval(text: str) -> Interval:
    m = _ISO_INTERVAL.fullmatch(text)
    if not m:
        raise ValueError(f"unreadable interval {text!r}")
    y, mo, d, h, mi, s = m.groups()
    micros = int(h or 0) * 3_600_000_000 + int(mi or 0) * 60_000_000
    if s:
        micros += int(decimal.Decimal(s) * 1_000_000)
    return Interval(int(y or 0) * 12 + int(mo or 0), int(d or 0), micros)
