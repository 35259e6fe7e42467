"""Views as Apache Arrow data (``p.view(v).to_arrow()``, ``.df()``, the Parquet sink): one Arrow type
per SQL type, every value exact.

    TINYINT … BIGINT  int8 … int64         HUGEINT  decimal128(38, 0) (as DuckDB exports it; a
                                                    value of 39 digits does not fit and is an error)
    DECIMAL(p, s)     decimal128(p, s)     DOUBLE   float64 (NaN kept)
    VARCHAR           string               BOOLEAN  bool
    DATE              date32               TIMESTAMP  timestamp[us]; TIMESTAMPTZ timestamp[us, tz=UTC]
    INTERVAL          month_day_nano_interval; in Parquet, which has no such type, a struct
                      {months: int32, days: int32, microseconds: int64}
    a column of NULLs null

Needs pyarrow (``pip install 'deltasql[arrow]'``).
"""

from __future__ import annotations

import decimal

import pyarrow as pa

INTERVAL_STRUCT = pa.struct([("months", pa.int32()), ("days", pa.int32()), ("microseconds", pa.int64())])


def arrow_type(t, parquet: bool = False) -> pa.DataType:
    k = t.kind
    if k == "int":
        return {8: pa.int8(), 16: pa.int16(), 32: pa.int32(), 64: pa.int64()}.get(t.bits, pa.decimal128(38, 0))
    if k == "decimal":
        return pa.decimal128(t.precision, t.scale)
    if k == "interval":
        return INTERVAL_STRUCT if parquet else pa.month_day_nano_interval()
    types = {"float": pa.float64(), "text": pa.string(), "bool": pa.bool_(), "date": pa.date32(),
             "timestamp": pa.timestamp("us"), "timestamptz": pa.timestamp("us", tz="UTC"), "null": pa.null()}
    if k not in types:
        raise TypeError(f"no Arrow type for {t}")
    return types[k]


def arrow_array(values: list, t, parquet: bool = False) -> pa.Array:
    k = t.kind
    if k == "int" and t.bits == 128:
        values = [None if v is None else decimal.Decimal(v) for v in values]
    elif k == "interval":
        if parquet:
            values = [None if v is None else {"months": v.months, "days": v.day_part, "microseconds": v.micro_part}
                      for v in values]
        else:
            values = [None if v is None else pa.MonthDayNano([v.months, v.day_part, v.micro_part * 1000])
                      for v in values]
    return pa.array(values, type=arrow_type(t, parquet))


def arrow_table(names: list[str], types: list, rows: list, parquet: bool = False, extra: dict | None = None,
                metadata: dict | None = None) -> pa.Table:
    """A table of ``rows`` under ``names`` with ``types`` (SqlTypes); ``extra`` columns (name -> an
    Arrow array) go first."""
    columns = list(zip(*rows)) if rows else [[] for _ in names]
    arrays = [arrow_array(list(col), t, parquet) for col, t in zip(columns, types)]
    extra = extra or {}
    return pa.table(list(extra.values()) + arrays, names=list(extra) + list(names), metadata=metadata)
