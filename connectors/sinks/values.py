"""The Python values a view's row may hold, checked before a change log encodes them (a database
driver checks its own): anything else is a bug upstream, refused rather than written as its repr."""

from __future__ import annotations

import datetime
import decimal
import uuid

from ...sqllib.fardates import FarDate
from ...sqllib.lists import SqlList
from ...sqllib.maps import SqlMap
from ...sqllib.sqlfuncs import Interval
from ...sqllib.structs import SqlStruct

# an integer is exact in any numeric column
_KINDS = {"int": (int,), "uhugeint": (int,), "float": (float, int), "decimal": (decimal.Decimal, int), "text": (str,), "bool": (bool,),
          "date": (datetime.date, FarDate), "timestamp": (datetime.datetime,), "timestamptz": (datetime.datetime,), "time": (datetime.time,), "timetz": (datetime.time,), "blob": (bytes,), "uuid": (uuid.UUID,), "bit": (str,),
          "interval": (Interval,), "null": (), "list": (SqlList,), "struct": (SqlStruct,), "map": (SqlMap,)}


def check_values(row: tuple, view) -> None:
    """Raise TypeError unless ``row`` has the view's width and each value fits its column's type."""
    if len(row) != len(view.columns):
        raise TypeError(f"view {view.name}: a row of {len(row)} values for {len(view.columns)} columns")
    for v, c in zip(row, view.columns):
        if v is None:
            continue
        kinds = _KINDS.get(c.type.kind)
        if kinds is None:
            raise TypeError(f"view {view.name}: column {c.name} has type {c.type}, which no change log writes yet")
        if not isinstance(v, kinds) or (c.type.kind != "bool" and isinstance(v, bool)) or \
                (c.type.kind == "date" and isinstance(v, datetime.datetime)):
            raise TypeError(f"view {view.name}: column {c.name} ({c.type}) holds a {type(v).__name__}: {v!r}")
