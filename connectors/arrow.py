"""Views as Apache Arrow data (``p.view(v).to_arrow()``, ``.df()``, the Parquet sink): one Arrow type
per SQL type, every value exact.

    TINYINT … BIGINT  int8 … int64         HUGEINT  decimal128(38, 0) (as DuckDB exports it; a
                                                    value of 39 digits does not fit and is an error)
    UHUGEINT          decimal256(39, 0) (Arrow has no 128-bit unsigned integer)
    DECIMAL(p, s)     decimal128(p, s)     DOUBLE   float64 (NaN kept)
    VARCHAR           string               BOOLEAN  bool
    DATE              date32               TIMESTAMP  timestamp[us]; TIMESTAMPTZ timestamp[us, tz=UTC]
    TIME              time64[us]           BLOB  binary;  UUID, BIT  string (their text)
    INTERVAL          month_day_nano_interval; in Parquet, which has no such type, a struct
                      {months: int32, days: int32, microseconds: int64}
    a column of NULLs null
    T[] / T[n]        list / fixed-size list   STRUCT(…)  struct   MAP(K, V)  map

Needs pyarrow (``pip install 'deltasql[arrow]'``).
"""

from __future__ import annotations

import decimal

import pyarrow as pa

from ..sqllib.fardates import FarDate

INTERVAL_STRUCT = pa.struct([("months", pa.int32()), ("days", pa.int32()), ("microseconds", pa.int64())])


def arrow_type(t, parquet: bool = False) -> pa.DataType:
    k = t.kind
    if k == "int":
        return {8: pa.int8(), 16: pa.int16(), 32: pa.int32(), 64: pa.int64()}.get(t.bits, pa.decimal128(38, 0))
    if k == "uhugeint":  # (39 digits: more than a decimal128 holds)
        return pa.decimal256(39, 0)
    if k == "decimal":
        return pa.decimal128(t.precision, t.scale)
    if k == "interval":
        return INTERVAL_STRUCT if parquet else pa.month_day_nano_interval()
    if k == "list":  # a fixed-size ARRAY: a fixed-size list
        return pa.list_(arrow_type(t.elem, parquet), t.size) if t.size else pa.list_(arrow_type(t.elem, parquet))
    if k == "struct":
        return pa.struct([(name, arrow_type(ft, parquet)) for name, ft in t.fields])
    if k == "map":
        return pa.map_(arrow_type(t.fields[0][1], parquet), arrow_type(t.fields[1][1], parquet))
    types = {"float": pa.float64(), "text": pa.string(), "bool": pa.bool_(), "date": pa.date32(),
             "timestamp": pa.timestamp("us"), "timestamptz": pa.timestamp("us", tz="UTC"), "time": pa.time64("us"), "blob": pa.binary(),
             "uuid": pa.string(), "bit": pa.string(),
             "null": pa.null()}
    if k not in types:
        raise TypeError(f"no Arrow type for {t}")
    return types[k]


def arrow_array(values: list, t, parquet: bool = False) -> pa.Array:
    if t.kind in ("int", "uhugeint", "uuid", "interval", "list", "struct", "map") or \
            (t.kind == "date" and any(type(v) is FarDate for v in values)):
        values = [_arrow_value(v, t, parquet) for v in values]
    return pa.array(values, type=arrow_type(t, parquet))


def _arrow_value(v, t, parquet: bool):
    """A value as pyarrow builds it for arrow_type(t): HUGEINT a Decimal, an INTERVAL its three parts, a list
    a list, a struct a dict, a map a list of (key, value) pairs, each element converted in turn."""
    k = t.kind
    if v is None:
        return None
    if k == "int":
        return decimal.Decimal(v) if t.bits == 128 else v
    if k == "uhugeint":
        return decimal.Decimal(v)
    if k == "uuid":
        return str(v)
    if k == "date" and type(v) is FarDate:  # date32 is days since 1970-01-01, which a FarDate holds
        return v.days
    if k == "interval":
        if parquet:
            return {"months": v.months, "days": v.day_part, "microseconds": v.micro_part}
        return pa.MonthDayNano([v.months, v.day_part, v.micro_part * 1000])
    if k == "list":
        return [_arrow_value(x, t.elem, parquet) for x in v]
    if k == "struct":
        return {name: _arrow_value(x, ft, parquet) for (name, ft), x in zip(t.fields, v)}
    if k == "map":
        kt, vt = t.fields[0][1], t.fields[1][1]
        return [(_arrow_value(key, kt, parquet), _arrow_value(x, vt, parquet)) for key, x in v]
    return v


def arrow_table(names: list[str], types: list, rows: list, parquet: bool = False, extra: dict | None = None,
                metadata: dict | None = None) -> pa.Table:
    """A table of ``rows`` under ``names`` with ``types`` (SqlTypes); ``extra`` columns (name -> an
    Arrow array) go first."""
    columns = list(zip(*rows)) if rows else [[] for _ in names]
    arrays = [arrow_array(list(col), t, parquet) for col, t in zip(columns, types)]
    extra = extra or {}
    return pa.table(list(extra.values()) + arrays, names=list(extra) + list(names), metadata=metadata)
